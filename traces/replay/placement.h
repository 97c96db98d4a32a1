#pragma once
/// Stage 3 helper (docs/replay.md, "Divergence"): where the variant's kernel would have put a
/// growth. The model's own Kernel (resource tree, pluggable range, section alignment) is built
/// from the same layout and target as the traced kernel, and each growth of the trace is asked
/// of it: allocate_resource on the same tree must return the trace's range, and the size must
/// be round_up(nr_pages, PAGES_PER_SECTION). While they agree the model's tree holds exactly the
/// kernel's growths, so the next prediction starts from what the kernel did.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "model/core/geometry.h"
#include "model/core/observer.h"
#include "model/layout/layout.h"
#include "model/linux/kernel.h"

namespace unpop::replay {

class Placement {
 public:
  /// nullopt: the model cannot build the target from this layout (its init fails); the caller
  /// says growths are unchecked.
  static std::optional<Placement> make(const Layout& layout, const Geometry& geo, Target target);

  struct Mismatch {
    std::string kind;  // growth-placement, growth-size
    std::string model, kernel;
  };
  /// A successful growth of the trace: `range` for a request of `nr_pages` (0: unknown).
  std::optional<Mismatch> grown(std::uint64_t nr_pages, const Range& range, int pool);
  /// A failed growth of the trace with `ret` (-EBUSY: allocate_resource found no room).
  std::optional<Mismatch> failed(std::uint64_t nr_pages, int ret, int pool);
  int growths() const { return growths_; }

 private:
  Placement(const Layout& layout, const Geometry& geo);
  std::uint64_t round_up(std::uint64_t nr) const;

  Geometry geo_;
  Kernel kernel_;    // with no observer: the model's own observer calls are not the trace's
  int growths_ = 0;  // growths predicted so far
};

}  // namespace unpop::replay
