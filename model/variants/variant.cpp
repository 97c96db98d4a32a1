#include "model/variants/variant.h"

#include <fmt/format.h>

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

std::string Task::last_step_name() const {
  if (next_ == 0) return "";
  if (next_ - 1 < names_.size()) return names_[next_ - 1];
  return steps_.size() == 1 ? "the whole call (one atomic step)" : fmt::format("step {} of {}", next_, steps_.size());
}

}  // namespace unpop
