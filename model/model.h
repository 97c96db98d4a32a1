#pragma once
/// The model: one variant of the allocator in its kernel world. Every checker drives it
/// through Call (one kernel entry point) and reports what it sees through an Observer.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/core/geometry.h"
#include "model/layout/layout.h"
#include "model/linux/kernel.h"
#include "model/linux/mutants.h"
#include "model/variants/variant.h"

namespace unpop {

struct ModelConfig {
  Layout layout;
  Geometry geo;
  std::string variant = default_variant();
  Mutant mutant = Mutant::none;
};

/// One kernel entry point with concrete arguments.
struct Call {
  enum class Kind { alloc, free, dma_alloc, dma_free, claim, hotplug };
  Kind kind = Kind::alloc;
  std::uint64_t nr = 0;   // alloc, dma_alloc
  PageSeq pages;          // free, dma_free: pages[] as the caller passes them
  Device dev;             // dma_*
  Range range{};          // claim, hotplug
  std::string name;       // claim
  std::string owner;      // who calls (leak reports)
};

/// A call in progress: step() runs one atomic step; when it returns true the call has
/// returned and its events have been reported.
class Running {
 public:
  bool step();
  bool done() const { return finished_; }
  const OpResult& result() const { return result_; }
  /// What the step just taken did (Task::last_step_name).
  std::string last_step_name() const;

 private:
  friend class Model;
  class Model* model_ = nullptr;
  Call call_;
  int caller_ = 0;
  std::unique_ptr<Task> task_;
  OpResult result_;
  bool fault_ = false;
  std::string fault_point_;
  bool finished_ = false;
};

class Model {
 public:
  /// Builds the world and runs unpopulated_init. Throws std::invalid_argument for an unknown
  /// variant name.
  Model(const ModelConfig& cfg, Observer* obs);

  int init_ret() const { return init_ret_; }
  std::unique_ptr<Running> start(const Call& call, int caller = 0);
  /// start() and step to completion.
  OpResult run(const Call& call, int caller = 0);

  const ModelConfig& config() const { return cfg_; }
  Kernel& kernel() { return kernel_; }
  const Kernel& kernel() const { return kernel_; }
  Variant& variant() { return *variant_; }
  const Variant& variant() const { return *variant_; }
  /// Human-readable state: target, pool structures, RAM taken.
  std::vector<std::string> describe() const;

 private:
  friend class Running;
  void finish(Running& r);
  ModelConfig cfg_;
  Kernel kernel_;
  std::unique_ptr<Variant> variant_;
  int init_ret_ = 0;
};

}  // namespace unpop
