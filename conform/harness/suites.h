#pragma once
/// The conformance suites: RapidCheck-generated cases, each run through the model and a kernel
/// build in lockstep (docs/conformance.md).
///
///  - `unpopulated-alloc`: upstream's allocator with its resource trees, on every kernel build
///    (Arm arch init on Arm layouts against `upstream`, x86's on x86 layouts against `x86`),
///    realistic and adversarial layouts at 4K/16K/64K, allocations, frees (whole or part) and
///    faults at every failure point.
///  - `genalloc`: the model's GenPool against lib/genalloc.c (what the RFC and V1 stand on):
///    chunks added, best-fit allocations, frees (wrong ones too: the kernel's BUG()s).
///  - `resource`: the model's ResourceTree against kernel/resource.c on its own: request,
///    insert, allocate (any alignment), release.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "conform/harness/builds.h"
#include "model/case/case.h"
#include "model/linux/mutants.h"

namespace unpop::conform {

std::vector<std::string> component_names();  // unpopulated-alloc, genalloc, resource
/// Whether a component runs on this build (genalloc and resource are arch-independent and no
/// patch changes them: they run on each kernel's mainline arm64 build only).
bool runs_on(const std::string& component, const KernelBuild& b);

struct SuiteConfig {
  std::uint64_t seed = 1;
  int runs = 100;
  int max_size = 30;
  std::optional<std::uint64_t> page_size;  // unpopulated-alloc: force one (else 4K/16K/64K)
  Mutant mutant = Mutant::none;            // applied to the model side only
  std::function<void()> progress;          // after each case
};

struct SuiteResult {
  std::string component;
  const KernelBuild* build = nullptr;
  int cases = 0;
  std::uint64_t ops = 0;          // operations run on both sides (passing cases)
  std::uint64_t comparisons = 0;  // comparisons that agreed
  bool failed = false;
  std::string failure;            // the first difference, both sides
  std::optional<Case> cex;        // unpopulated-alloc: the minimal failing case
  std::string cex_text;           // genalloc/resource: the minimal failing op sequence
  std::string error;              // RapidCheck gave up, or an exception
  /// unpopulated-alloc: the paths the agreeing cases took (LockstepResult::seen), summed, plus
  /// "page size NK".
  std::map<std::string, std::uint64_t> seen;
};

SuiteResult run_suite(const std::string& component, const KernelBuild& b, const SuiteConfig& cfg);

/// Mutants that change code a component's comparison covers (others cannot be caught there).
bool mutant_in_scope(Mutant m, const std::string& component);

}  // namespace unpop::conform
