// The comparison can fail: every model mutant that changes code a component covers makes that
// component's conformance run fail against the real kernel code (the kernel side is never
// mutated). Mutants of the RFC/V1 DMA paths have no kernel to compare with (docs/conformance.md).
#include <gtest/gtest.h>

#include "conform/harness/suites.h"

namespace unpop::conform {
namespace {

const KernelBuild& arm612() {
  for (const auto& b : kernel_builds())
    if (b.kernel == "6.12" && b.arch == Arch::arm64) return b;
  throw std::runtime_error("no 6.12 arm64 build");
}

TEST(Mutants, EveryInScopeMutantIsCaught) {
  int caught = 0;
  for (const auto& m : mutant_table()) {
    if (m.id == Mutant::none) continue;
    for (const auto& comp : component_names()) {
      if (!mutant_in_scope(m.id, comp)) continue;
      SuiteConfig cfg;
      cfg.seed = 20261205;
      cfg.runs = 300;
      cfg.mutant = m.id;
      SuiteResult r = run_suite(comp, arm612(), cfg);
      EXPECT_TRUE(r.failed) << m.name << " not caught by " << comp << " in " << r.cases << " cases";
      if (r.failed) ++caught;
      std::printf("%-22s %-18s caught after %d cases: %s\n", m.name, comp.c_str(), r.cases,
                  r.failure.substr(0, r.failure.find('\n')).c_str());
    }
  }
  EXPECT_GE(caught, 8);
}

}  // namespace
}  // namespace unpop::conform
