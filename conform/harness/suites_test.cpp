// The conformance suites as ctest runs them: every component on every kernel build agrees
// with the model over generated cases, and the comparison fails on a seeded model bug.
#include <gtest/gtest.h>

#include "conform/harness/suites.h"

namespace unpop::conform {
namespace {

SuiteConfig config(int runs) {
  SuiteConfig c;
  c.seed = 20261205;
  c.runs = runs;
  return c;
}

TEST(Suites, EveryComponentConformsOnEveryKernel) {
  ASSERT_FALSE(kernel_builds().empty());
  for (const auto& b : kernel_builds())
    for (const auto& comp : component_names()) {
      if (!runs_on(comp, b)) continue;
      SuiteResult r = run_suite(comp, b, config(150));
      EXPECT_FALSE(r.failed) << comp << " on " << b.name() << ":\n" << r.failure;
      EXPECT_EQ(r.error, "") << comp << " on " << b.name();
      EXPECT_EQ(r.cases, 150) << comp << " on " << b.name();
      EXPECT_GT(r.ops, 1000u) << comp << " on " << b.name();
    }
}

// The generated cases reach the paths that matter, on the real code: growths, the balloon
// fallback (no target), every errno a growth can return, injected faults, all page sizes.
TEST(Suites, UnpopulatedAllocReachesItsErrorPaths) {
  for (const auto& b : kernel_builds()) {
    if (b.arch != Arch::arm64 || b.patched) continue;
    SuiteResult r = run_suite("unpopulated-alloc", b, config(300));
    ASSERT_FALSE(r.failed) << r.failure;
    std::string seen;
    for (const auto& [k, v] : r.seen) seen += k + "=" + std::to_string(v) + " ";
    for (const char* path : {"boot ok", "boot -19", "boot -22", "growth", "balloon", "alloc 0", "alloc -12",
                             "alloc -16", "fault fired", "claim 0", "claim -16",
                             "hotplug 0", "page size 4K", "page size 16K", "page size 64K"})
      EXPECT_GT(r.seen[path], 0u) << b.name() << " never took '" << path << "': " << seen;
  }
}

// kernel/patches on 6.12 against `proposed`: the generated cases reach the contiguous paths
// (served, grown, refused frees, no target: RAM) as well as the plain ones, at every page size.
TEST(Suites, PatchedKernelReachesItsPaths) {
  for (const auto& b : kernel_builds()) {
    if (!b.patched) continue;
    SuiteResult r = run_suite("unpopulated-alloc", b, config(1000));
    ASSERT_FALSE(r.failed) << r.failure;
    std::string seen;
    for (const auto& [k, v] : r.seen) seen += k + "=" + std::to_string(v) + " ";
    for (const char* path : {"boot ok", "boot -19", "growth", "balloon", "alloc 0", "alloc -12", "alloc -16",
                             "dma_alloc 0", "dma_alloc -12", "dma_alloc -16", "dma ram", "dma_free",
                             "dma_free refused", "fault fired", "claim 0", "hotplug 0", "page size 4K",
                             "page size 16K", "page size 64K"})
      EXPECT_GT(r.seen[path], 0u) << b.name() << " never took '" << path << "': " << seen;
    return;
  }
  FAIL() << "no patched build (kernel/patches on Linux 6.12)";
}

}  // namespace
}  // namespace unpop::conform
