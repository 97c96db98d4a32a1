#pragma once
/// The lockstep driver: one case through the model and through a kernel build of
/// drivers/xen/unpopulated-alloc.c, compared after boot and after every operation.
///
/// Compared: unpopulated_init's return, whether there is a target and which, its span; the
/// return code of every call; the pages handed out (pfns, in order) unless they came from the
/// balloon (then that the fallback ran and how many pages); list_count; the iomem_resource and
/// target trees (name, start, end, nesting). The first difference ends the case.
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "conform/harness/builds.h"
#include "model/case/case.h"

namespace unpop::conform {

struct Mismatch {
  std::size_t step = 0;   // 0 = boot (unpopulated_init), i + 1 = after op i
  std::string op;         // the op's script text, or "boot"
  std::string what;       // "return code", "pages", "list_count", "iomem tree", ...
  std::string model, kernel;
  std::string kernel_log;  // printk/WARN/BUG output of the kernel side
};

struct LockstepResult {
  std::size_t ops = 0;          // operations run on both sides
  std::size_t comparisons = 0;  // individual comparisons that agreed
  bool oops = false;            // both sides oopsed (BUG) at the last op: the case ends there
  std::optional<Mismatch> mismatch;
  /// Which paths the agreeing case took ("alloc -12", "balloon", "boot -22", "growth", ...):
  /// the suites show they reach the error paths, not only the happy one.
  std::map<std::string, std::uint64_t> seen;
  /// What the kernel side returned for each call (alloc, free, claim, hotplug), in order.
  std::vector<int> rets;
};

/// The model variant a build is compared against: for a patched build, the one registered as
/// what kernel/patches implements (VariantInfo::kernel_patches),
/// else the one registered as mainline's arch init for the build's arch
/// (VariantInfo::mainline_arch_init: upstream for Arm, x86 for x86).
std::string variant_for(const KernelBuild& b);

/// Which ops the driver runs on a build: alloc, free (whole or a slice), fail, claim, hotplug,
/// drain, and on a build with the contiguous API (kapi::dma_alloc) dma_alloc and dma_free.
/// Returns what is not supported (raw pfn frees, two callers, DMA elsewhere), or nothing.
std::optional<std::string> unsupported_op(const Case& c, const KernelBuild& b);

/// Runs the case (its variant must be variant_for(b); its mutant applies to the model only).
LockstepResult run_lockstep(const Case& c, const KernelBuild& b);

std::string describe(const Mismatch& m);

}  // namespace unpop::conform
