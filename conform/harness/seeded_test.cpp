// The comparison catches bugs in the kernel code too: each seeded bug of kernel/seeded, applied
// after the series (kernel/patches) as its own build, makes the patched build's conformance run
// against `proposed` fail, with both sides shown. (mutants_test.cpp does the same for model bugs.)
#include <gtest/gtest.h>

#include "conform/harness/suites.h"

namespace unpop::conform {
namespace {

TEST(Seeded, EverySeededKernelBugIsCaught) {
  ASSERT_GE(seeded_builds().size(), 6u) << "kernel/seeded was not built";
  for (const auto& b : seeded_builds()) {
    SuiteConfig cfg;
    cfg.seed = 20261205;
    cfg.runs = 1000;
    SuiteResult r = run_suite("unpopulated-alloc", b, cfg);
    EXPECT_TRUE(r.failed) << b.name() << " not caught in " << r.cases << " cases";
    EXPECT_EQ(r.error, "") << b.name();
    std::printf("%-24s caught after %4d cases: %s\n", b.seeded.c_str(), r.cases,
                r.failure.substr(0, r.failure.find('\n')).c_str());
  }
}

}  // namespace
}  // namespace unpop::conform
