// Report stage: the replayed calls as a case for `explore`.
#include "traces/replay/counterexample.h"

#include <gtest/gtest.h>

#include "model/layout/loaders.h"

namespace unpop::replay {
namespace {

std::vector<std::string> ops_of(const Case& c) {
  std::vector<std::string> out;
  for (const auto& op : c.ops) out.push_back(op.text());
  return out;
}

Case build(const Counterexample& cex, const std::string& rule = "") {
  Result r;
  if (!rule.empty()) {
    Reported v;
    v.finding.rule = rule;
    v.at.file = "t.txt";
    v.at.line = 9;
    r.violations.push_back(v);
  }
  Layout l = load_preset("qemu-virt-dom0");
  Geometry g;
  Geometry::make(l.arch, 4096, g);
  return cex.build(r, l, g, default_variant(), "qemu-virt-dom0");
}

TEST(ReplayCounterexample, FreesNameTheirAllocation) {
  Counterexample cex(true);
  cex.alloc(Path::plain, 2, "gntdev-212", PageSeq::descending(0x4ffff, 2), true);
  cex.alloc(Path::plain, 3, "gntdev-212", PageSeq::descending(0x4fffd, 3), true);
  cex.free(Path::plain, 2, PageSeq::descending(0x4ffff, 2));  // all of #0
  cex.free(Path::plain, 1, PageSeq::descending(0x4fffd, 1));  // the leading page of #1
  cex.drain();
  Case c = build(cex);
  EXPECT_EQ(ops_of(c), (std::vector<std::string>{"alloc 2", "alloc 3", "free #0", "free #1 0 1", "drain"}));
  EXPECT_EQ(c.extra["exact"], true);
  EXPECT_EQ(c.origin, "replay");
}

// Pages that are not one earlier allocation go back by pfn; the case says it is not exact.
TEST(ReplayCounterexample, OtherPagesGoBackByPfn) {
  Counterexample cex(true);
  cex.free(Path::dma, 3, PageSeq::ascending(0x48000, 3));
  Case c = build(cex);
  EXPECT_EQ(ops_of(c), std::vector<std::string>{"dma_free_pfn 0x48000 3"});
  EXPECT_EQ(c.extra["exact"], false);
  ASSERT_EQ(c.extra["notes"].size(), 1u);
}

TEST(ReplayCounterexample, NotesForCallsWithoutPagesAndFailures) {
  Counterexample cex(true);
  cex.alloc(Path::dma, 1, "my dev#1", PageSeq{}, true);  // anonymous
  cex.alloc(Path::plain, 4, "gntdev-212", PageSeq{}, false);
  cex.free(Path::plain, 2, PageSeq{});
  Case c = build(cex);
  EXPECT_EQ(ops_of(c), (std::vector<std::string>{"dma_alloc 1 my_dev_1", "alloc 4"}));
  EXPECT_EQ(c.extra["exact"], false);
  const auto notes = c.extra["notes"].dump();
  EXPECT_NE(notes.find("allocations without page events"), std::string::npos) << notes;
  EXPECT_NE(notes.find("op 1 failed in the trace"), std::string::npos) << notes;
  EXPECT_NE(notes.find("a free of 2 pages without page events is left out"), std::string::npos) << notes;
}

// The first violation's op is the failing step; whether the ops alone show the rule again
// depends on whose rule it is.
TEST(ReplayCounterexample, FailingStepAndReproducible) {
  Counterexample cex(true);
  cex.alloc(Path::plain, 1, "gntdev-212", PageSeq::ascending(0x4ffff, 1), true);
  cex.free(Path::plain, 1, PageSeq::ascending(0x4ffff, 1));
  cex.free(Path::plain, 1, PageSeq::ascending(0x4ffff, 1));
  cex.first_violation();  // at the second free: op 2
  Case caller = build(cex, "double-free");
  EXPECT_EQ(caller.rule, "double-free");
  EXPECT_EQ(caller.extra["trace_event"]["line"], 9);
  EXPECT_EQ(caller.extra["reproducible"].get<std::string>().rfind("yes", 0), 0u);
  Case kernel = build(cex, "not-in-pool");
  EXPECT_EQ(kernel.extra["reproducible"].get<std::string>().rfind("not by the ops alone", 0), 0u);
  ASSERT_TRUE(caller.failing_step);
  EXPECT_EQ(*caller.failing_step, 2u);
}

TEST(ReplayCounterexample, OffKeepsNothing) {
  Counterexample cex(false);
  cex.alloc(Path::plain, 1, "gntdev-212", PageSeq::ascending(0x4ffff, 1), true);
  cex.drain();
  cex.first_violation();
  EXPECT_EQ(cex.ops(), 0u);
  EXPECT_FALSE(build(cex, "leak").failing_step);
}

}  // namespace
}  // namespace unpop::replay
