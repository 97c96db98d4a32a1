#include "model/linux/faults.h"

#include <algorithm>

namespace unpop {
namespace {
constexpr const char* kNames[kFaultPoints] = {"kzalloc",        "allocate_resource", "request_resource",
                                              "memremap_pages", "gen_pool_add",      "balloon",
                                              "dma_alloc"};
}

const char* to_string(FaultPoint p) { return kNames[static_cast<std::size_t>(p)]; }

bool parse_fault_point(const std::string& s, FaultPoint& out) {
  for (std::size_t i = 0; i < kFaultPoints; ++i)
    if (s == kNames[i]) {
      out = static_cast<FaultPoint>(i);
      return true;
    }
  return false;
}

std::vector<std::string> fault_point_names() { return {std::begin(kNames), std::end(kNames)}; }

void Faults::arm(FaultPoint p, unsigned nth) {
  if (nth == 0) nth = 1;
  pending_[idx(p)].push_back(hits_[idx(p)] + nth);
}

bool Faults::hit(FaultPoint p) {
  unsigned n = ++hits_[idx(p)];
  auto& v = pending_[idx(p)];
  auto it = std::find(v.begin(), v.end(), n);
  if (it == v.end()) return false;
  v.erase(it);
  ++fired_;
  last_ = p;
  return true;
}

}  // namespace unpop
