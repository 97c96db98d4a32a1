#include "model/core/observer.h"

namespace unpop {
const char* to_string(Path p) { return p == Path::plain ? "plain" : "dma"; }
const char* to_string(Source s) { return s == Source::pool ? "pool" : "ram"; }
const char* to_string(Target t) {
  switch (t) {
    case Target::none: return "none";
    case Target::iomem: return "iomem_resource";
    case Target::xen_resource: return "xen_resource";
  }
  return "?";
}
}  // namespace unpop
