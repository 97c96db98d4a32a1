// Stage 3: the model-driven state of one variant, fed calls directly (as attribution hands
// them over): anonymous pages, list_count, variant behaviour from the registry's traits, and
// several states side by side on one trace.
#include "traces/replay/state.h"

#include <algorithm>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "model/layout/loaders.h"

namespace unpop::replay {
namespace {

constexpr Range kGrowth{0x48000000, 0x4fffffff};  // one 128 MiB section of qemu-virt-dom0's first region
constexpr std::uint64_t kSection = 0x8000;         // its pages (4K)

// One variant's state with its own report, replaying calls at lines 1, 2, ... of "t.txt".
struct StateRig {
  explicit StateRig(const std::string& variant = default_variant(), bool all = true) {
    opt.variant = variant;
    opt.all = all;
    Geometry::make(layout.arch, 4096, geo);
    ring = std::make_unique<ContextRing>(geo, 64, 8);
    out = std::make_unique<Collector>(opt, cur, *ring, nullptr);
    state = std::make_unique<ModelState>(layout, geo, opt, cur, *out, cex);
    next();
    state->ensure_checker();
  }
  void next() {
    cur.end.file = "t.txt";
    ++cur.end.line;
  }
  void growth(std::optional<std::uint64_t> list_count = std::nullopt) {
    next();
    state->growth(GrowthCall{kMainPool, 1, kGrowth, 0, list_count});
    state->collect();
  }
  void alloc(std::uint64_t nr, PageSeq pages, std::optional<std::uint64_t> list_count = std::nullopt) {
    next();
    state->alloc(AllocCall{Path::plain, nr, 0, std::move(pages), "gntdev-212", list_count});
    state->collect();
  }
  void free(std::uint64_t nr, PageSeq pages, std::optional<std::uint64_t> list_count = std::nullopt) {
    next();
    state->free(FreeCall{Path::plain, nr, std::move(pages), "gntdev-212", list_count});
    state->collect();
  }
  const Result& finish(bool drained) {
    cur.end.timestamp = "end of input";
    state->close_anonymous();
    if (drained) state->drain();
    out->finish("t.txt");
    return out->result();
  }
  std::vector<std::string> rules() const {
    std::vector<std::string> r;
    for (const auto& v : out->result().violations) r.push_back(v.finding.rule);
    return r;
  }
  bool noted(const std::string& part) const {
    const auto& u = out->result().unchecked;
    return std::any_of(u.begin(), u.end(), [&](const std::string& s) { return s.find(part) != std::string::npos; });
  }

  Options opt;
  Layout layout = load_preset("qemu-virt-dom0");
  Geometry geo;
  Cursor cur;
  Counterexample cex{false};
  std::unique_ptr<ContextRing> ring;
  std::unique_ptr<Collector> out;
  std::unique_ptr<ModelState> state;
};

// The LIFO list hands out a fresh section from its end.
PageSeq top(std::uint64_t n) { return PageSeq::descending(0x4ffff, n); }

TEST(ReplayState, ListCountMatchesTheList) {
  StateRig ok;
  ok.growth(kSection);
  ok.alloc(2, top(2), kSection - 2);
  EXPECT_TRUE(ok.rules().empty()) << ::testing::PrintToString(ok.rules());
  StateRig bad;
  bad.growth(kSection);
  bad.alloc(2, top(2), kSection);  // the list still counts the two pages handed out
  EXPECT_EQ(bad.rules(), std::vector<std::string>{"count-mismatch"});
  EXPECT_EQ(bad.out->result().violations.front().at.line, 3u);
}

// Anonymous pages are off the list but unknown to the checker: list_count counts them too.
TEST(ReplayState, ListCountCountsAnonymousPages) {
  StateRig rig;
  rig.growth(kSection);
  rig.alloc(3, PageSeq{}, kSection - 3);
  EXPECT_TRUE(rig.rules().empty()) << ::testing::PrintToString(rig.rules());
  rig.free(3, PageSeq{}, kSection);
  EXPECT_TRUE(rig.rules().empty()) << ::testing::PrintToString(rig.rules());
  // The stretch is listed when no anonymous page is live any more.
  EXPECT_TRUE(rig.noted("t.txt:3-4: 2 calls without page events (anonymous pages, 0 live at the close)"))
      << ::testing::PrintToString(rig.out->result().unchecked);
}

TEST(ReplayState, ListCountUncheckedOnceThePoolIsUnknown) {
  StateRig rig;
  rig.state->pool_extent_unknown();
  rig.growth(12345);
  EXPECT_TRUE(rig.rules().empty());
  EXPECT_TRUE(rig.noted("list_count: the pool or the live pages are not exactly known"));
}

TEST(ReplayState, AnonymousPagesStillLiveAreALeak) {
  StateRig rig;
  rig.growth();
  rig.alloc(4, PageSeq{});
  rig.free(3, PageSeq{});
  const Result& r = rig.finish(true);
  ASSERT_EQ(rig.rules(), std::vector<std::string>{"leak"});
  EXPECT_NE(r.violations[0].finding.message.find("1 anonymous pages"), std::string::npos);
  EXPECT_TRUE(rig.noted("t.txt:3-end: 2 calls without page events (anonymous pages, 1 live at the end)"));
  // Anonymous hand-outs lose the LIFO reference: said once, for a LIFO variant.
  EXPECT_TRUE(rig.noted("order-mismatch after t.txt:3: pages handed out or given back without page events"));
  EXPECT_FALSE(rig.state->follows_order());
}

TEST(ReplayState, AnonymousOverFreeIsCountMismatch) {
  StateRig rig;
  rig.growth();
  rig.alloc(1, PageSeq{});
  rig.free(3, PageSeq{});
  ASSERT_EQ(rig.rules(), std::vector<std::string>{"count-mismatch"});
  EXPECT_EQ(rig.out->result().violations[0].finding.message,
            "plain free of 3 pages without page events, but only 1 pages are live");
}

// Known pages given back without page events: which ones is unknown. A later hand-out of one
// of them is not a double-alloc, and a leak is only a warning.
TEST(ReplayState, PagesGivenBackWithoutPageEventsAreUncertain) {
  StateRig rig;
  rig.growth();
  rig.alloc(2, top(2));
  rig.free(2, PageSeq{});
  EXPECT_TRUE(rig.noted("t.txt:4: 2 known pages given back without page events"));
  rig.alloc(1, PageSeq::ascending(0x4fffe, 1));
  rig.alloc(1, PageSeq::ascending(0x4fffd, 1));
  const Result& r = rig.finish(true);
  EXPECT_TRUE(rig.rules().empty()) << ::testing::PrintToString(rig.rules());
  bool leak_warning = false;
  for (const auto& w : r.warnings)
    leak_warning |= w.kind == "leak" && w.message.find("(uncertain: known pages were given back") != std::string::npos;
  EXPECT_TRUE(leak_warning);
}

// Behaviour follows the registry's traits, for every registered variant.
TEST(ReplayState, VariantBehaviourFromTraits) {
  for (const auto& v : variants()) {
    StateRig rig(v.name);
    EXPECT_EQ(rig.state->follows_order(), v.traits.pool == PoolKind::lifo_list) << v.name;
    EXPECT_EQ(rig.state->pool_from_next_summary(), v.traits.dma == DmaSource::own_genpool) << v.name;
  }
}

// One trace, two candidate variants: each state has its own checker and report. Handing out
// the section's first page is a page-choice divergence only where there is a LIFO list.
TEST(ReplayState, SeveralStatesReplayOneTrace) {
  const VariantInfo* lifo = nullptr;
  const VariantInfo* other = nullptr;
  for (const auto& v : variants()) {
    if (!lifo && v.traits.pool == PoolKind::lifo_list) lifo = &v;
    if (!other && v.traits.pool != PoolKind::lifo_list) other = &v;
  }
  ASSERT_TRUE(lifo && other);
  StateRig a(lifo->name), b(other->name);
  for (StateRig* rig : {&a, &b}) {
    rig->growth();
    rig->alloc(1, PageSeq::ascending(0x48000, 1));
  }
  EXPECT_TRUE(a.rules().empty()) << ::testing::PrintToString(a.rules());
  ASSERT_TRUE(a.out->result().divergence.has_value());
  EXPECT_EQ(a.out->result().divergence->kind, "page-choice");
  EXPECT_EQ(a.out->result().divergence->variant, lifo->name);
  EXPECT_TRUE(b.rules().empty()) << ::testing::PrintToString(b.rules());
  EXPECT_FALSE(b.out->result().divergence.has_value());
  EXPECT_NE(a.state->checker(), b.state->checker());
}

}  // namespace
}  // namespace unpop::replay
