#include "model/variants/variant.h"

namespace unpop {

bool Task::step() {
  if (done_) return true;
  if (next_ >= steps_.size()) {
    done_ = true;
    return true;
  }
  bool more = steps_[next_++](result_);
  if (!more || next_ >= steps_.size()) done_ = true;
  return done_;
}

std::unique_ptr<Variant> make_upstream(bool x86);
std::unique_ptr<Variant> make_rfc();
std::unique_ptr<Variant> make_v1();
std::unique_ptr<Variant> make_proposed();

std::vector<std::string> variant_names() { return {"upstream", "rfc", "v1", "x86", "proposed"}; }

std::unique_ptr<Variant> make_variant(const std::string& name) {
  if (name == "upstream") return make_upstream(false);
  if (name == "x86") return make_upstream(true);
  if (name == "rfc") return make_rfc();
  if (name == "v1") return make_v1();
  if (name == "proposed") return make_proposed();
  return nullptr;
}

}  // namespace unpop
