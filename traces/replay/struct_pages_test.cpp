// Stage 3: `page=` struct page pointers -> pfns, with the base given or derived.
#include "traces/replay/struct_pages.h"

#include <gtest/gtest.h>

#include "model/layout/layout.h"
#include "traces/replay/test_support.h"

namespace unpop::replay {
namespace {

constexpr std::uint64_t kBase = 0xfffffc0000000000;

struct PagesRig {
  PagesRig() {
    Geometry::make(Arch::arm64, 4096, geo);
    ring = std::make_unique<ContextRing>(geo, 8, 8);
    out = std::make_unique<Collector>(opt, cur, *ring, nullptr);
  }
  // The pfn of one page event (line `line` of t.txt).
  Pfn pfn(StructPages& sp, const std::string& body, bool alloc = true) {
    recs = test::records(std::string(2, '\n') + test::line("gntdev", 212, 1, 1, body));
    decode(recs.back(), ev);
    return sp.pfn(ev, alloc, geo, *out);
  }
  InputError error(StructPages& sp, const std::string& body, bool alloc = true) {
    try {
      pfn(sp, body, alloc);
    } catch (const InputError& e) {
      return e;
    }
    ADD_FAILURE() << "no error for " << body;
    return {};
  }
  Options opt;
  Geometry geo;
  Cursor cur;
  std::unique_ptr<ContextRing> ring;
  std::unique_ptr<Collector> out;
  std::vector<traces::Record> recs;
  Event ev;
};

TEST(ReplayStructPages, PfnOrPageThroughTheBase) {
  PagesRig rig;
  StructPages sp(kBase, 64, true);
  EXPECT_EQ(rig.pfn(sp, "xen_unpop_alloc_page: pfn=0x4ffff"), 0x4ffffu);
  EXPECT_EQ(rig.pfn(sp, fmt::format("xen_unpop_free_page: page={:#x}", kBase + 0x4ffff * 64)), 0x4ffffu);
  InputError e = rig.error(sp, fmt::format("xen_unpop_free_page: page={:#x}", kBase + 0x10));
  EXPECT_EQ(e.file, "t.txt");
  EXPECT_EQ(e.line, 3u);
  EXPECT_EQ(e.message, "xen_unpop_free_page: page=0xfffffc0000000010 is not a struct page of the array at "
                       "0xfffffc0000000000 (size 64)");
  EXPECT_EQ(rig.error(sp, "xen_unpop_free_page: x=1").message, "xen_unpop_free_page: expected a pfn= or page= field");
}

TEST(ReplayStructPages, NoBaseIsAnErrorNamingVmemmap) {
  PagesRig rig;
  StructPages sp(std::nullopt, 64, true);
  InputError e = rig.error(sp, fmt::format("xen_unpop_alloc_page: page={:#x}", kBase));
  EXPECT_EQ(e.line, 3u);
  EXPECT_NE(e.message.find("xen_unpop_alloc_page: page= needs --vmemmap BASE"), std::string::npos) << e.message;
}

// The first page handed out after a growth into an empty pool is its last pfn (LIFO list) or
// its first (the others).
TEST(ReplayStructPages, BaseDerivedAfterAGrowthIntoAnEmptyPool) {
  const Range growth{0x48000000, 0x4fffffff};
  for (bool lifo : {true, false}) {
    PagesRig rig;
    StructPages sp(std::nullopt, 64, lifo);
    sp.grown(growth, /*into_empty=*/true);
    const Pfn first = lifo ? 0x4ffff : 0x48000;
    EXPECT_EQ(rig.pfn(sp, fmt::format("xen_unpop_alloc_page: page={:#x}", kBase + first * 64)), first);
    ASSERT_TRUE(sp.known());
    EXPECT_EQ(*sp.base(), kBase);
    ASSERT_EQ(rig.out->result().warnings.size(), 1u);
    EXPECT_EQ(rig.out->result().warnings[0].kind, "derived-vmemmap");
    EXPECT_EQ(rig.out->result().warnings[0].line, 3u);
    InputError e = rig.error(sp, fmt::format("xen_unpop_free_page: page={:#x}", kBase + 8));
    EXPECT_NE(e.message.find("(size 64) derived from the trace"), std::string::npos) << e.message;
  }
}

// Only a hand-out right after such a growth can tell: a free page, a growth into a pool that
// still has free pages, or a hand-out in between close the window.
TEST(ReplayStructPages, NoDerivationOutsideTheWindow) {
  const Range growth{0x48000000, 0x4fffffff};
  const std::string page = fmt::format("xen_unpop_alloc_page: page={:#x}", kBase + 0x4ffff * 64);
  PagesRig rig;
  StructPages free_page(std::nullopt, 64, true);
  free_page.grown(growth, true);
  rig.error(free_page, fmt::format("xen_unpop_free_page: page={:#x}", kBase), /*alloc=*/false);
  StructPages not_empty(std::nullopt, 64, true);
  not_empty.grown(growth, false);
  rig.error(not_empty, page);
  StructPages handed_out(std::nullopt, 64, true);
  handed_out.grown(growth, true);
  handed_out.handed_out();
  rig.error(handed_out, page);
  EXPECT_TRUE(rig.out->result().warnings.empty());
}

TEST(ReplayStructPages, PagesArray) {
  PagesRig rig;
  StructPages sp(kBase, 64, true);
  rig.recs = test::records(test::line("gntdev", 212, 1, 1, fmt::format("xen_unpop_free: nr_pages=2 pages={{{:#x},{:x}}}",
                                                                       kBase + 0x4ffff * 64, kBase + 0x4fffe * 64)));
  decode(rig.recs[0], rig.ev);
  EXPECT_EQ(sp.pages(rig.ev), PageSeq::descending(0x4ffff, 2));
  rig.recs = test::records(test::line("gntdev", 212, 1, 1, "xen_unpop_free: nr_pages=2 pages={0xfffffc0000000040,q}"));
  decode(rig.recs[0], rig.ev);
  try {
    sp.pages(rig.ev);
    ADD_FAILURE() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(e.line, 1u);
    EXPECT_EQ(e.message, "xen_unpop_free: pages= entry 'q' is not a struct page of the array at 0xfffffc0000000000");
  }
}

TEST(ReplayStructPages, SizeZeroIsAnOptionError) { EXPECT_THROW(StructPages(std::nullopt, 0, true), LoadError); }

}  // namespace
}  // namespace unpop::replay
