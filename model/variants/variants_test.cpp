// Each variant's operations against values taken from the kernel source (function cited in the
// test name or comment), through the public path: Case -> Runner -> Model -> Checker.
#include <gtest/gtest.h>

#include <set>

#include "model/case/runner.h"
#include "model/core/errno.h"
#include "model/testing/test_layouts.h"

namespace unpop {
namespace {

using testing::make_case;
using testing::qemu_dom0;

std::set<std::string> rules(const std::vector<StepRecord>& steps) {
  std::set<std::string> r;
  for (const auto& s : steps)
    for (const auto& f : s.findings) r.insert(f.rule);
  return r;
}

// fill_list(): alloc_pages = round_up(nr_pages, PAGES_PER_SECTION); the first 128 MiB-aligned
// gap of xen_resource is 0x48000000; pages are pushed ascending so the head is the top page.
TEST(Upstream, FillListGrowsOneSectionAndPopsFromTheTop) {
  Runner r(make_case(qemu_dom0(), "upstream", {"alloc 1"}));
  auto s = r.run();
  ASSERT_EQ(s[0].ret, 0);
  EXPECT_EQ(s[0].pages, PageSeq::ascending(0x4ffff, 1));
  EXPECT_EQ(r.model().variant().free_pages(), 32767u);
  EXPECT_TRUE(rules(s).empty());
}

// xen_alloc_unpopulated_pages(): fills only when list_count < nr_pages, by nr - list_count.
TEST(Upstream, FillsByTheShortfallRoundedToSections) {
  Runner r(make_case(qemu_dom0(), "upstream", {"alloc 32000", "alloc 1000"}));
  auto s = r.run();
  ASSERT_EQ(s[1].ret, 0);
  // 768 pages were left; the shortfall 232 rounds up to one more section at 0x50000000.
  EXPECT_EQ(r.model().variant().free_pages(), 768u + 32768u - 1000u);
  EXPECT_EQ(s[1].pages.size(), 1000u);
  EXPECT_TRUE(rules(s).empty());
}

// 64K pages: SECTION_SIZE_BITS 29 (512 MiB, 8192 pages); region 0 holds no aligned section.
TEST(Upstream, SixtyFourKPagesUseHalfGigabyteSections) {
  Runner r(make_case(qemu_dom0(), "upstream", {"alloc 1"}, 65536));
  auto s = r.run();
  ASSERT_EQ(s[0].ret, 0);
  EXPECT_EQ(s[0].pages.front(), (0x9fffffffull >> 16));  // growth 0x80000000-0x9fffffff
}

// Each failure point of fill_list() and its errno.
struct FaultCase {
  const char* point;
  int ret;
};
class FillListFaults : public ::testing::TestWithParam<FaultCase> {};
TEST_P(FillListFaults, ReturnsTheKernelErrorAndRollsBack) {
  auto fc = GetParam();
  Runner r(make_case(qemu_dom0(), "upstream", {std::string("fail ") + fc.point, "alloc 1", "alloc 1"}));
  auto s = r.run();
  EXPECT_EQ(s[1].ret, fc.ret);
  EXPECT_TRUE(s[1].fault_fired);
  // The rollback released the resource: the retry grows the same first range again.
  ASSERT_EQ(s[2].ret, 0);
  EXPECT_EQ(s[2].pages, PageSeq::ascending(0x4ffff, 1));
  EXPECT_TRUE(rules(s).empty());
}
INSTANTIATE_TEST_SUITE_P(Points, FillListFaults,
                         ::testing::Values(FaultCase{"kzalloc", -err::enomem},            // res
                                           FaultCase{"allocate_resource", -err::ebusy},   // "Cannot allocate new IOMEM resource"
                                           FaultCase{"request_resource", -err::ebusy},    // "Cannot request resource"
                                           FaultCase{"memremap_pages", -err::enomem}));   // "Cannot remap memory range"

TEST(Upstream, KzallocOfTmpResAndPgmapFailWithEnomem) {
  for (const char* nth : {"2", "3"}) {
    Runner r(make_case(qemu_dom0(), "upstream", {std::string("fail kzalloc ") + nth, "alloc 1"}));
    EXPECT_EQ(r.run()[1].ret, -err::enomem) << nth;
  }
}

TEST(Upstream, NoRollbackMutantLeaksTheRange) {
  Runner r(make_case(qemu_dom0(), "upstream", {"fail memremap_pages", "alloc 1", "alloc 1"}, 4096,
                     Mutant::no_rollback));
  auto s = r.run();
  ASSERT_EQ(s[2].ret, 0);
  EXPECT_EQ(s[2].pages, PageSeq::ascending(0x57fff, 1));  // the leaked 0x48000000 range is skipped
}

// arch_xen_unpopulated_init() (arch/arm/xen/enlighten.c) error returns; unpopulated_init then
// leaves target_resource NULL and allocations fall back to xen_alloc_ballooned_pages().
TEST(ArmInit, ErrorsFallBackToBalloon) {
  Layout none = qemu_dom0();
  none.hypervisor_node = false;
  Layout acpi = qemu_dom0();
  acpi.acpi = true;
  Layout empty = qemu_dom0();
  empty.ext_regions.clear();
  Layout unsorted = qemu_dom0();
  std::swap(unsorted.ext_regions[0], unsorted.ext_regions[1]);
  struct {
    Layout l;
    int ret;
  } cases[] = {{none, -err::enodev}, {acpi, -err::enodev}, {empty, -err::einval}, {unsorted, -err::einval}};
  for (auto& c : cases) {
    Runner r(make_case(c.l, "upstream", {"alloc 4", "free #0"}));
    EXPECT_EQ(r.model().init_ret(), c.ret);
    auto s = r.run();
    ASSERT_EQ(s[0].ret, 0);
    EXPECT_EQ(s[0].source, Source::ram);
    EXPECT_EQ(r.model().kernel().ram().taken(), 0u);  // given back by xen_free_ballooned_pages
  }
}

TEST(ArmInit, HolesBetweenRegionsAreUnavailableSpace) {
  Runner r(make_case(qemu_dom0(), "upstream", {}));
  const Kernel& k = r.model().kernel();
  auto kids = k.tree().children(k.target());
  ASSERT_EQ(kids.size(), 1u);
  EXPECT_EQ(k.tree().get(kids[0]).name, "Unavailable space");
  EXPECT_EQ(k.tree().get(kids[0]).range, (Range{0x60000000, 0x7fffffff}));
  EXPECT_EQ(k.tree().get(k.target()).range, (Range{0x40400000, 0xbfffffff}));
}

// memremap_pages() -> pagemap_range(): -ENXIO on System RAM, -ENOMEM on a conflicting pgmap.
TEST(Kernel, MemremapRefusesRamAndExistingMappings) {
  Kernel k(qemu_dom0(), [] {
    Geometry g;
    Geometry::make(Arch::arm64, 4096, g);
    return g;
  }(), Mutant::none, nullptr);
  EXPECT_EQ(k.memremap_pages({0x60000000, 0x67ffffff}), -err::enxio);
  EXPECT_EQ(k.memremap_pages({0x48000000, 0x4fffffff}), 0);
  EXPECT_EQ(k.memremap_pages({0x48000000, 0x4fffffff}), -err::enomem);
}

// The pre-RFC grant-table DMA path takes CMA RAM although unpopulated space exists.
TEST(Upstream, GnttabDmaAllocStealsRam) {
  Runner r(make_case(qemu_dom0(), "upstream", {"dma_alloc 2025 vdispl", "dma_free #0"}));
  auto s = r.run();
  ASSERT_EQ(s[0].ret, 0);
  EXPECT_EQ(s[0].source, Source::ram);
  EXPECT_EQ(rules(s), std::set<std::string>{"ram-stolen"});
}

// RFC xen_alloc_unpopulated_dma_pages(): -EINVAL unless the device mask is 64-bit.
TEST(Rfc, DmaAllocNeeds64BitMask) {
  Runner r(make_case(qemu_dom0(), "rfc", {"dma_alloc 16 dev mask=32"}));
  auto s = r.run();
  EXPECT_EQ(s[0].ret, -err::einval);
  EXPECT_TRUE(rules(s).count("spurious-enomem"));  // space below 4 GiB existed
}

TEST(Rfc, DmaPoolIsASeparateChunkAndPagesAreContiguous) {
  Runner r(make_case(qemu_dom0(), "rfc", {"alloc 1", "dma_alloc 2025 vdispl", "dma_free #1"}));
  auto s = r.run();
  ASSERT_EQ(s[1].ret, 0);
  EXPECT_EQ(s[1].pages, PageSeq::ascending(0x50000, 2025));  // "Xen DMA pool" at 0x50000000
  EXPECT_TRUE(rules(s).empty());
}

// fill_dma_pool(): `if (!res)` after kzalloc(tmp_res) -> NULL dereference.
TEST(Rfc, TmpResSlipOopses) {
  Runner r(make_case(qemu_dom0(), "rfc", {"fail kzalloc 2", "dma_alloc 8 gntdev", "alloc 1"}));
  auto s = r.run();
  EXPECT_EQ(s[1].ret, kOops);
  EXPECT_TRUE(rules(s).count("kernel-bug"));
  EXPECT_EQ(s[2].ret, kOops);  // a dead kernel runs nothing more
}

TEST(Rfc, GenPoolFreeOfUnknownRangeBugs) {
  Runner r(make_case(qemu_dom0(), "rfc", {"dma_alloc 8 gntdev", "dma_free_pfn 0x90000 4"}));
  auto s = r.run();
  EXPECT_TRUE(rules(s).count("kernel-bug"));
}

// Two callers on the RFC's unlocked path: A fails, fills, B takes the fresh chunk, A's retry
// fails -> -ENOMEM although space remains.
TEST(Rfc, TwoCallersRaceOnTheFreshChunk) {
  Case c = make_case(qemu_dom0(), "rfc", {"dma_alloc 30000 a", "@1 dma_alloc 30000 b"});
  c.schedule = {0, 0, 1, 1, 1, 0};
  Runner r(c);
  auto s = r.run();
  ASSERT_EQ(s.size(), 2u);
  // B completes first (it took A's chunk on its first try), A's retry fails.
  const StepRecord& a = s[0].index == 0 ? s[0] : s[1];
  EXPECT_EQ(a.ret, -err::enomem);
  EXPECT_TRUE(rules(s).count("spurious-enomem"));
}

// V1: every allocation is one contiguous range from one chunk; plain frees go page by page.
TEST(V1, PlainAllocationsAreOneRangeAndFallBackToRamForDma) {
  Layout l = qemu_dom0();
  l.ext_regions = {{0x80000000, 0x87ffffff}};  // exactly one section
  Runner r(make_case(l, "v1", {"alloc 30000", "dma_alloc 3000 vdispl"}));
  auto s = r.run();
  EXPECT_EQ(s[0].pages, PageSeq::ascending(0x80000, 30000));
  ASSERT_EQ(s[1].ret, 0);
  EXPECT_EQ(s[1].source, Source::ram);  // contiguous failed (-ENOMEM): dma_alloc_coherent fallback
  EXPECT_TRUE(rules(s).empty());        // genuinely out of space: no finding
}

TEST(V1, PlainAllocationNeedingAContiguousChunkIsSpurious) {
  Layout l = qemu_dom0();
  l.ext_regions = {{0x80000000, 0x87ffffff}};
  // 16384 pages are free, but in two runs of 8192: no chunk holds 10000 contiguous pages.
  Runner r(make_case(l, "v1", {"alloc 16384", "alloc 16384", "free #0 0 8192", "free #1 0 8192", "alloc 10000"}));
  auto s = r.run();
  EXPECT_EQ(s[4].ret, -err::ebusy);  // fill_pool: allocate_resource found no gap
  EXPECT_TRUE(rules(s).count("spurious-enomem"));
}

// proposed: the same sequence succeeds (pages from the free runs).
TEST(Proposed, ServesFragmentedRequestsWithoutFindings) {
  Layout l = qemu_dom0();
  l.ext_regions = {{0x80000000, 0x87ffffff}};
  Runner r(make_case(l, "proposed", {"alloc 16384", "alloc 16384", "free #0 0 8192", "alloc 8000",
                                     "dma_alloc 100 gntdev"}));
  auto s = r.run();
  EXPECT_EQ(s[3].ret, 0);
  EXPECT_EQ(s[4].ret, 0);
  EXPECT_TRUE(rules(s).empty());
}

TEST(Proposed, DmaWindowSpansTwoGrowths) {
  Runner r(make_case(qemu_dom0(), "proposed", {"alloc 32768", "alloc 30000", "free #0", "dma_alloc 40000 vdispl"}));
  auto s = r.run();
  ASSERT_EQ(s[3].ret, 0);
  EXPECT_TRUE(s[3].pages.contiguous_ascending());
  EXPECT_TRUE(rules(s).empty());
}

// Validated frees go page by page, as kernel/patches' xen_free_unpopulated_pages(): of a call
// that overlaps pages already given back, the live ones return to the pool, the rest are refused
// (a warning), and nothing is counted twice.
TEST(Proposed, AFreeOverlappingAnEarlierFreeReturnsOnlyLivePages) {
  Runner r(make_case(qemu_dom0(), "proposed", {"alloc 8", "free #0 0 4", "free #0 2 4"}));
  auto s = r.run();
  EXPECT_EQ(r.model().variant().free_pages(), 32768u - 8 + 4 + 2);
  EXPECT_NE(s[2].note.find("refused free of pfn 0x48002-0x48003"), std::string::npos) << s[2].note;
  EXPECT_EQ(rules(s), (std::set<std::string>{"double-free"}));  // the caller's bug, reported as such
}

// x86: target iomem_resource; on an Arm layout it grows over the grant table (not an iomem
// resource), which is why Arm builds xen_resource from the extended regions.
TEST(X86, IomemTargetOnArmHitsTheGrantTable) {
  Runner r(make_case(qemu_dom0(), "x86", {"alloc 1"}));
  auto s = r.run();
  EXPECT_TRUE(rules(s).count("device-overlap"));
}

TEST(X86, SeedsExtraMemIntoTheList) {
  Layout l;
  l.arch = Arch::x86_64;
  l.pa_bits = 46;
  l.ram = {{{0x100000, 0x7fffffff}, "System RAM"}};
  l.extra_mem = {{{0x100000000, 0x100ffffff}, "xen_extra_mem"}};
  Runner r(make_case(l, "upstream", {"alloc 4"}));
  auto s = r.run();
  ASSERT_EQ(s[0].ret, 0);
  EXPECT_EQ(s[0].pages, PageSeq::descending(0x100fff, 4));  // last page freed is the head
  EXPECT_TRUE(rules(s).empty());
}

}  // namespace
}  // namespace unpop
