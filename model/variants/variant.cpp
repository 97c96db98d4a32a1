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

}  // namespace unpop
