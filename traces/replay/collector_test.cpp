// Report stage: findings -> violations, findings and warnings, at the cursor's event.
#include "traces/replay/collector.h"

#include <deque>
#include <memory>

#include <gtest/gtest.h>

#include "model/case/runner.h"
#include "model/layout/loaders.h"
#include "traces/replay/test_support.h"

namespace unpop::replay {
namespace {

struct CollectRig {
  explicit CollectRig(bool all = false, bool cex_on = false) : cex(cex_on) {
    opt.all = all;
    Layout l = load_preset("qemu-virt-dom0");
    Geometry::make(l.arch, 4096, geo);
    checker = std::make_unique<Checker>(l, geo, checker_options(default_variant()));
    ring = std::make_unique<ContextRing>(geo, 16, 8);
    ring->enter_file("t.txt");
    out = std::make_unique<Collector>(opt, cur, *ring, cex_on ? &cex : nullptr);
  }
  // The cursor at record `n` (line n of t.txt, gntdev-212).
  void at(std::uint64_t n) {
    recs.push_back(test::records(test::line("gntdev", 212, 1, 3000000 + n, "xen_unpop_free: nr_pages=1"))[0]);
    recs.back().line = n;
    cur.rec = &recs.back();
  }
  void hold(const std::string& rule, Severity sev = Severity::violation, Pfn pfn = 0x10) {
    Finding f;
    f.rule = rule;
    f.severity = sev;
    f.message = rule + " message";
    f.pfns = {pfn};
    out->hold(std::move(f));
  }
  std::vector<std::string> kinds() const {
    std::vector<std::string> k;
    for (const auto& w : out->result().warnings) k.push_back(w.kind);
    return k;
  }

  Options opt;
  Geometry geo;
  Cursor cur;
  Counterexample cex;
  std::unique_ptr<Checker> checker;
  std::unique_ptr<ContextRing> ring;
  std::unique_ptr<Collector> out;
  std::deque<traces::Record> recs;  // the cursor points into it
};

Where line_at(std::uint64_t line) {
  Where w;
  w.file = "t.txt";
  w.line = line;
  return w;
}

TEST(ReplayCollector, ViolationAtTheCursorsEventWithContext) {
  CollectRig rig;
  rig.at(4);
  Event ev;
  decode(*rig.cur.rec, ev);
  rig.ring->remember(*rig.cur.rec, ev.kind, 0x10, 0x10);
  rig.hold("double-free");
  rig.out->collect(rig.checker.get(), {});
  const Result& r = rig.out->result();
  ASSERT_EQ(r.violations.size(), 1u);
  EXPECT_EQ(r.violations[0].at.line, 4u);
  EXPECT_EQ(r.violations[0].at.task, "gntdev");
  ASSERT_EQ(r.violations[0].context.size(), 1u);
  EXPECT_NE(r.violations[0].context[0].find("t.txt:4: gntdev-212"), std::string::npos);
  EXPECT_TRUE(rig.out->stopped());  // without --all the replay ends at the first violation
  rig.out->finish("t.txt");
  EXPECT_EQ(rig.out->result().verdict, Verdict::violation);
}

// Held findings wait for the checker (they are filed at the first collect once it exists).
TEST(ReplayCollector, NothingBeforeTheChecker) {
  CollectRig rig;
  rig.at(1);
  rig.hold("region-mismatch");
  rig.out->collect(nullptr, {});
  EXPECT_TRUE(rig.out->result().violations.empty());
  rig.at(2);
  rig.out->collect(rig.checker.get(), {});
  ASSERT_EQ(rig.out->result().violations.size(), 1u);
  EXPECT_EQ(rig.out->result().violations[0].at.line, 2u);
}

TEST(ReplayCollector, DoubtsDropOrDowngrade) {
  CollectRig rig(/*all=*/true);
  rig.at(1);
  rig.hold("order-mismatch");
  rig.hold("not-in-pool");
  rig.hold("leak");
  rig.out->collect(rig.checker.get(), Doubts{true, true, true});
  EXPECT_TRUE(rig.out->result().violations.empty());
  EXPECT_EQ(rig.kinds(), std::vector<std::string>{"leak"});
  EXPECT_NE(rig.out->result().warnings[0].message.find("(uncertain: known pages were given back without page events)"),
            std::string::npos);
  rig.hold("order-mismatch");
  rig.hold("not-in-pool");
  rig.out->collect(rig.checker.get(), {});
  // Without doubts: not-in-pool is a violation, order-mismatch the variant's page-choice
  // divergence (it does not stop the replay).
  EXPECT_EQ(rig.out->result().violations.size(), 1u);
  ASSERT_TRUE(rig.out->result().divergence.has_value());
  EXPECT_EQ(rig.out->result().divergence->kind, "page-choice");
  EXPECT_FALSE(rig.out->stopped());
}

// After a lost-events marker, history-dependent findings are warnings naming the marker;
// layout rules stay violations.
TEST(ReplayCollector, LostEventsMakeHistoryFindingsWarnings) {
  CollectRig rig(/*all=*/true);
  auto marker = test::records("CPU:1 [LOST 12 EVENTS]\n");
  ASSERT_EQ(marker.size(), 1u);
  rig.out->lost_events(marker[0]);
  rig.at(2);
  rig.hold("double-free");
  rig.hold("ram-overlap");
  rig.out->collect(rig.checker.get(), {});
  ASSERT_EQ(rig.out->result().violations.size(), 1u);
  EXPECT_EQ(rig.out->result().violations[0].finding.rule, "ram-overlap");
  EXPECT_EQ(rig.kinds(), (std::vector<std::string>{"lost-events", "double-free"}));
  EXPECT_NE(rig.out->result().warnings[1].message.find("after CPU:1 [LOST 12 EVENTS] at t.txt:1"), std::string::npos)
      << rig.out->result().warnings[1].message;
}

TEST(ReplayCollector, LivenessAndWarningSeverities) {
  CollectRig rig;
  rig.at(1);
  rig.hold("spurious-enomem", Severity::liveness);
  rig.hold("region-shape", Severity::warning);
  rig.out->collect(rig.checker.get(), {});
  EXPECT_TRUE(rig.out->result().violations.empty());
  ASSERT_EQ(rig.out->result().findings.size(), 1u);
  EXPECT_EQ(rig.out->result().findings[0].finding.rule, "spurious-enomem");
  EXPECT_EQ(rig.kinds(), std::vector<std::string>{"region-shape"});
  EXPECT_FALSE(rig.out->stopped());
}

// Five warnings of a kind are listed, the rest counted at the end; notes are listed once.
TEST(ReplayCollector, BoundedWarningsAndNotes) {
  CollectRig rig;
  for (int i = 0; i < 8; ++i) rig.out->warn("unsorted", line_at(static_cast<std::uint64_t>(i + 1)), "m");
  rig.out->unchecked("a note");
  rig.out->unchecked("a note");
  rig.out->finish("t.txt");
  const Result& r = rig.out->result();
  ASSERT_EQ(r.warnings.size(), 6u);
  EXPECT_EQ(r.warnings.back().message, "3 more unsorted warnings not listed");
  EXPECT_EQ(r.warnings.back().line, 0u);
  EXPECT_EQ(r.unchecked, std::vector<std::string>{"a note"});
  EXPECT_EQ(r.verdict, Verdict::ok);
}

// An input error: unreadable, and the report ends where the input did (no counted warnings).
TEST(ReplayCollector, FailIsUnreadable) {
  CollectRig rig;
  for (int i = 0; i < 8; ++i) rig.out->warn("unsorted", line_at(1), "m");
  rig.out->fail(InputError{"t.txt", 3, "bad"});
  rig.out->fail(InputError{"t.txt", 4, "worse"});  // the first error stays
  EXPECT_TRUE(rig.out->stopped());
  rig.out->finish("t.txt");
  EXPECT_EQ(rig.out->result().verdict, Verdict::unreadable);
  EXPECT_EQ(rig.out->result().error->line, 3u);
  EXPECT_EQ(rig.out->result().warnings.size(), 5u);
}

TEST(ReplayCollector, FirstViolationIsTheCounterexamplesFailingStep) {
  CollectRig rig(/*all=*/true, /*cex_on=*/true);
  rig.cex.alloc(Path::plain, 1, "gntdev-212", PageSeq::ascending(0x10, 1), true);
  rig.at(1);
  rig.hold("double-free");
  rig.out->collect(rig.checker.get(), {});
  rig.cex.free(Path::plain, 1, PageSeq::ascending(0x10, 1));
  rig.hold("double-free");
  rig.out->collect(rig.checker.get(), {});
  Layout l = load_preset("qemu-virt-dom0");
  Case c = rig.cex.build(rig.out->result(), l, rig.geo, default_variant(), "");
  ASSERT_TRUE(c.failing_step);
  EXPECT_EQ(*c.failing_step, 0u);
}

TEST(ReplayCollector, OtherAndUnknownEvents) {
  CollectRig rig;
  auto recs = test::records(test::line("a", 1, 0, 1, "xen_unpop_frob: x=1") + test::line("a", 1, 0, 2, "xen_unpop_frob: x=2"));
  rig.out->unknown_event(recs[0]);
  rig.out->unknown_event(recs[1]);  // warned once per name
  rig.out->other_event("sched_switch");
  rig.out->other_event("sched_switch");
  EXPECT_EQ(rig.kinds(), std::vector<std::string>{"unknown-event"});
  EXPECT_EQ(rig.out->result().other_events.at("sched_switch"), 2u);
}

}  // namespace
}  // namespace unpop::replay
