#pragma once
/// A case's machine in the form the kernel build boots from (struct kapi_world): the same
/// layout the model builds its Kernel from, handed over field by field.
#include <string>
#include <vector>

#include "kapi.h"
#include "model/core/geometry.h"
#include "model/layout/layout.h"

namespace unpop::conform {

class World {
 public:
  World(const Layout& l, const Geometry& g);
  const kapi_world& get() const { return w_; }

 private:
  std::vector<std::string> names_;  // storage for kapi_named::name
  std::vector<kapi_named> iomem_;
  std::vector<kapi_range> ram_, hyp_, extra_;
  kapi_world w_{};
};

}  // namespace unpop::conform
