#pragma once
/// Injectable failures at each point the kernel code we model can fail, deterministic: a fault
/// is armed to fire at the n-th time its point is reached from now (1 = the next time).
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace unpop {

enum class FaultPoint : std::uint8_t {
  kzalloc,            // any kzalloc() in the growth path (res, tmp_res, pgmap)
  allocate_resource,  // allocate_resource() returns -EBUSY
  request_resource,   // the Arm mirror request_resource(&iomem_resource, tmp_res): -EBUSY
  memremap_pages,     // memremap_pages(): -ENOMEM
  gen_pool_add,       // gen_pool_add_virt(): -ENOMEM (chunk kzalloc)
  balloon,            // xen_alloc_ballooned_pages(): -ENOMEM
  dma_alloc,          // dma_alloc_coherent()/dma_alloc_wc() from CMA: NULL
  count_
};
inline constexpr std::size_t kFaultPoints = static_cast<std::size_t>(FaultPoint::count_);
const char* to_string(FaultPoint p);
bool parse_fault_point(const std::string& s, FaultPoint& out);
std::vector<std::string> fault_point_names();

class Faults {
 public:
  /// Arms `p` to fail at its nth hit from now.
  void arm(FaultPoint p, unsigned nth = 1);
  /// Called at the point: true if it must fail now. Counts the hit.
  bool hit(FaultPoint p);
  unsigned hits(FaultPoint p) const { return hits_[idx(p)]; }
  bool armed(FaultPoint p) const { return !pending_[idx(p)].empty(); }
  /// Faults fired since the last take_fired() (the current operation's).
  unsigned take_fired() {
    unsigned f = fired_;
    fired_ = 0;
    return f;
  }
  /// The point of the last fault that fired (reports name the injected failure).
  FaultPoint last_fired() const { return last_; }

 private:
  static std::size_t idx(FaultPoint p) { return static_cast<std::size_t>(p); }
  std::array<unsigned, kFaultPoints> hits_{};
  std::array<std::vector<unsigned>, kFaultPoints> pending_{};  // absolute hit numbers to fail
  unsigned fired_ = 0;
  FaultPoint last_ = FaultPoint::kzalloc;
};

}  // namespace unpop
