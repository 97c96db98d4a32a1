#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "model/layout/test_util.h"
#include "model/xen/extended_regions.h"

namespace unpop::xen {
namespace {

constexpr Addr MiB = 1ull << 20, GiB = 1ull << 30;

HostInput qemu_virt() {
  HostInput in;
  in.host_ram = {{0x40000000, 0xbfffffff}};
  in.dom0_ram = {{0x60000000, 0x7fffffff}};
  in.grant_table = {0x40200000, 0x4023ffff};
  return in;
}

TEST(AddExtRegion, RoundsStartUpAndSizeDown) {
  std::vector<Range> out;
  std::vector<RegionDecision> why;
  EXPECT_TRUE(add_ext_region({0x40240000, 0x5fffffff}, out, why));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], (Range{0x40400000, 0x5fffffff}));
  // End not 2 MiB aligned: the size is rounded down.
  EXPECT_TRUE(add_ext_region({0x80000000, 0x80000000 + 100 * MiB + 12345}, out, why));
  EXPECT_EQ(out[1], Range::from_size(0x80000000, 100 * MiB));
  EXPECT_EQ(why[1].why, "kept");
  EXPECT_EQ(why[1].hole.end, 0x80000000 + 100 * MiB + 12345);
}

TEST(AddExtRegion, SixtyFourMiBMinimum) {
  std::vector<Range> out;
  std::vector<RegionDecision> why;
  EXPECT_TRUE(add_ext_region(Range::from_size(0x100000000, 64 * MiB), out, why));
  // 64 MiB hole whose start is 4 KiB past a 2 MiB boundary: 62 MiB after rounding -> dropped.
  EXPECT_FALSE(add_ext_region(Range::from_size(0x200001000, 64 * MiB), out, why));
  EXPECT_EQ(why.back().why, "62 MiB after 2 MiB alignment: smaller than 64 MiB");
  EXPECT_FALSE(add_ext_region(Range::from_size(0x300000000, 64 * MiB - 1), out, why));
  EXPECT_FALSE(add_ext_region({0x40000000, 0x401fffff}, out, why));
  EXPECT_EQ(out.size(), 1u);
}

TEST(AddExtRegion, EmptyAfterRounding) {
  std::vector<Range> out;
  std::vector<RegionDecision> why;
  EXPECT_FALSE(add_ext_region({0x40001000, 0x40100000}, out, why));
  EXPECT_EQ(why.back().why, "empty after rounding the start up to 2 MiB");
  EXPECT_FALSE(add_ext_region({~Addr{0} - 100, ~Addr{0}}, out, why));
}

TEST(AddExtRegion, TopOfAddressSpaceDoesNotWrap) {
  std::vector<Range> out;
  std::vector<RegionDecision> why;
  EXPECT_TRUE(add_ext_region({~Addr{0} - GiB + 1, ~Addr{0}}, out, why));
  EXPECT_EQ(out[0], (Range{~Addr{0} - GiB + 1, ~Addr{0}}));
}

TEST(AddExtRegion, Cap) {
  std::vector<Range> out;
  std::vector<RegionDecision> why;
  for (int i = 0; i < 300; ++i) add_ext_region(Range::from_size(Addr(i) * GiB, 128 * MiB), out, why);
  EXPECT_EQ(out.size(), kMaxExtRegions);
  EXPECT_EQ(why.size(), 300u);
  EXPECT_EQ(why.back().why, "list full (256 regions)");
  std::vector<Range> two;
  EXPECT_TRUE(add_ext_region(Range::from_size(0, GiB), two, why, 1));
  EXPECT_FALSE(add_ext_region(Range::from_size(2 * GiB, GiB), two, why, 1));
}

TEST(Dom0, QemuVirtMatchesTheRealBoot) {
  Result r = dom0_extended_regions(qemu_virt());
  EXPECT_EQ(r.method, "find_unallocated_memory");
  ASSERT_EQ(r.regions.size(), 2u);
  EXPECT_EQ(r.regions[0], (Range{0x40400000, 0x5fffffff}));
  EXPECT_EQ(r.regions[1], (Range{0x80000000, 0xbfffffff}));
  // The 2 MiB below the grant table is a hole too small to keep.
  ASSERT_EQ(r.decisions.size(), 3u);
  EXPECT_EQ(r.decisions[0].hole, (Range{0x40000000, 0x401fffff}));
  EXPECT_FALSE(r.decisions[0].kept);
}

// The model's console lines are the real boot's (model/layout/fixtures/qemu-virt-2g/xen-console.txt).
TEST(Dom0, ConsoleLinesMatchTheFixture) {
  std::ifstream in(test::fixture("xen-console.txt"));
  std::vector<std::string> real;
  for (std::string line; std::getline(in, line);)
    if (line.find("extended region") != std::string::npos) real.push_back(line.substr(line.find("d0:")));
  ASSERT_EQ(real.size(), 2u);
  EXPECT_EQ(console_lines(dom0_extended_regions(qemu_virt())), real);
}

TEST(Dom0, SizeBug418) {
  HostInput in = qemu_virt();
  in.size_bug_4_18 = true;
  Result r = dom0_extended_regions(in);
  ASSERT_EQ(r.regions.size(), 2u);
  EXPECT_EQ(r.regions[0], (Range{0x40400000, 0x5fdfffff}));
  EXPECT_EQ(r.regions[1], (Range{0x80000000, 0xbfdfffff}));
}

TEST(Dom0, OptionOffAnd32Bit) {
  HostInput in = qemu_virt();
  in.ext_regions_opt = false;
  EXPECT_TRUE(dom0_extended_regions(in).regions.empty());
  in = qemu_virt();
  in.is_32bit = true;
  Result r = dom0_extended_regions(in);
  EXPECT_TRUE(r.regions.empty());
  EXPECT_NE(r.method.find("32-bit"), std::string::npos);
}

TEST(Dom0, ReservedStaticShmXenRegAreCutOut) {
  HostInput in = qemu_virt();
  in.reserved = {Range::from_size(0x90000000, 16 * MiB)};
  in.static_shm = {Range::from_size(0xa0000000, 2 * MiB)};
  in.xen_reg = {Range::from_size(0xb0000000, 4 * MiB)};
  Result r = dom0_extended_regions(in);
  std::vector<Range> want = {{0x40400000, 0x5fffffff},
                             {0x80000000, 0x8fffffff},
                             {0x91000000, 0x9fffffff},
                             {0xa0200000, 0xafffffff},
                             {0xb0400000, 0xbfffffff}};
  EXPECT_EQ(r.regions, want);
}

TEST(Dom0, EmptyGrantTableIsSkipped) {
  HostInput in = qemu_virt();
  in.grant_table = {1, 0};  // invalid = "no grant table" (21ec0c4226)
  Result r = dom0_extended_regions(in);
  ASSERT_EQ(r.regions.size(), 2u);
  EXPECT_EQ(r.regions[0], (Range{0x40000000, 0x5fffffff}));
}

TEST(Dom0, IommuUsesHolesInTheHostMap) {
  HostInput in = qemu_virt();
  in.iommu = true;
  in.p2m_ipa_bits = 40;
  in.device_regs = {{0x08000000, 0x0800ffff}, {0x09000000, 0x09000fff}, {0x4010000000, 0x401fffffff}};
  in.pci_windows = {{0x10000000, 0x3efeffff}, {0x8000000000, 0xffffffffff}};
  Result r = dom0_extended_regions(in);
  EXPECT_EQ(r.method, "find_memory_holes");
  // Holes: [0, 0x7ffffff] (128 MiB), [0x8010000, 0x8ffffff] (14 MiB after rounding: dropped),
  // [0x9001000, 0xfffffff] (110 MiB), [0x3eff0000, 0x3fffffff] (too small),
  // [0xc0000000, 0x400fffffff], [0x4020000000, 0x7fffffffff].
  std::vector<Range> want = {
      {0x0, 0x7ffffff}, {0x9200000, 0xfffffff}, {0xc0000000, 0x400fffffff}, {0x4020000000, 0x7fffffffff}};
  EXPECT_EQ(r.regions, want);
}

TEST(Dom0, IommuRegsArePageWidened) {
  HostInput in;
  in.iommu = true;
  in.p2m_ipa_bits = 32;
  // A 1-byte reg at 0x0c0ff000 eats its whole 4K page: the hole below ends at 0x0c0fefff, so
  // rounding that hole's size down to 2 MiB gives 0x0c000000 bytes, not more.
  in.device_regs = {{0x0c0ff800, 0x0c0ff800}, {0x10000000, 0xffffffff}};
  Result r = dom0_extended_regions(in);
  ASSERT_EQ(r.regions.size(), 1u);
  EXPECT_EQ(r.regions[0], (Range{0x0, 0x0bffffff}));
}

TEST(DomU, WorkedExample) {
  DomUInput in = libxl_domu_input(1 * GiB, 40);
  Result r = domu_extended_regions(in);
  ASSERT_EQ(r.regions.size(), 2u);
  EXPECT_EQ(r.regions[0], (Range{0x80000000, 0xffffffff}));
  EXPECT_EQ(r.regions[1], (Range{0x200000000, 0xffffffffff}));
}

TEST(DomU, SmallIpaAndFullBank) {
  // gpaddr_bits 32: bank 1 starts above 4 GiB -> nothing there.
  Result r = domu_extended_regions(libxl_domu_input(1 * GiB, 32));
  ASSERT_EQ(r.regions.size(), 1u);
  EXPECT_EQ(r.regions[0], (Range{0x80000000, 0xffffffff}));
  // 3 GiB - 32 MiB of RAM leaves 32 MiB in bank 0: under 64 MiB.
  r = domu_extended_regions(libxl_domu_input(3 * GiB - 32 * MiB, 40));
  ASSERT_EQ(r.regions.size(), 1u);
  EXPECT_EQ(r.regions[0].start, 0x200000000u);
}

TEST(DomU, AllocationRoundsUpTo2MiB) {
  Result r = domu_extended_regions(libxl_domu_input(1 * GiB + 4096, 40));
  EXPECT_EQ(r.regions[0].start, 0x80200000u);
  EXPECT_EQ(r.regions[0].end, 0xffffffffu);  // libxl does not round the size
}

TEST(DomU, IomemCutOut) {
  DomUInput in = libxl_domu_input(1 * GiB, 40);
  in.max_regions = kMaxExtRegions;
  in.iomem = {Range::from_size(0xc0000000, 16 * MiB), Range::from_size(0x90000000, 4096),
              Range::from_size(0xfe000000, 16 * MiB)};
  Result r = domu_extended_regions(in);
  std::vector<Range> want = {{0x80000000, 0x8fffffff},
                             {0x90001000, 0xbfffffff},
                             {0xc1000000, 0xfdffffff},
                             {0x200000000, 0xffffffffff}};
  EXPECT_EQ(r.regions, want);
}

TEST(Layouts, Dom0AndDomU) {
  Layout l = dom0_layout("t", qemu_virt(), {{{0x08000000, 0x0800ffff}, "GICD"}});
  EXPECT_TRUE(l.hypervisor_node);
  EXPECT_EQ(l.ram.size(), 1u);
  EXPECT_EQ(l.ext_regions.size(), 2u);
  EXPECT_EQ(*l.grant_table, (Range{0x40200000, 0x4023ffff}));
  Layout u = domu_layout("u", libxl_domu_input(1 * GiB), {});
  ASSERT_EQ(u.ram.size(), 1u);
  EXPECT_EQ(u.ram[0].range, (Range{0x40000000, 0x7fffffff}));
  EXPECT_EQ(*u.grant_table, Range::from_size(0x38000000, 16 * MiB));
  EXPECT_EQ(u.ext_regions.size(), 2u);
}

}  // namespace
}  // namespace unpop::xen

namespace unpop::xen {
namespace {

TEST(DomU, DecisionsExplainEveryHole) {
  // 3 GiB - 32 MiB in bank 0 -> a 32 MiB tail: dropped, with the reason.
  Result r = domu_extended_regions(libxl_domu_input(3 * GiB - 32 * MiB, 32));
  ASSERT_EQ(r.decisions.size(), 2u);
  EXPECT_FALSE(r.decisions[0].kept);
  EXPECT_EQ(r.decisions[0].why, "32 MiB unallocated: smaller than 64 MiB");
  EXPECT_EQ(r.decisions[1].why, "bank fully allocated or above gpaddr_bits");  // bank 1 above 4 GiB
  EXPECT_TRUE(r.regions.empty());
}

TEST(DomU, ListFullAfterIomemCuts) {
  DomUInput in = libxl_domu_input(1 * GiB, 40);  // 4.17-style cap of 2
  in.iomem = {Range::from_size(0x90000000, 4096), Range::from_size(0xa0000000, 4096)};
  Result r = domu_extended_regions(in);
  std::vector<Range> want = {{0x80000000, 0x8fffffff}, {0x90001000, 0x9fffffff}};
  EXPECT_EQ(r.regions, want);
  EXPECT_EQ(r.decisions.back().why, "list full (2 regions)");
}

TEST(DomU, IomemCoveringTheStartOrEverything) {
  DomUInput in = libxl_domu_input(1 * GiB, 40);
  in.max_regions = kMaxExtRegions;
  in.iomem = {{0x70000000, 0x87ffffff}, {0x200000000, 0xffffffffff}};
  Result r = domu_extended_regions(in);
  std::vector<Range> want = {{0x88000000, 0xffffffff}};
  EXPECT_EQ(r.regions, want);
}

}  // namespace
}  // namespace unpop::xen

namespace unpop::xen {
namespace {

TEST(DomU, OverfullBankDoesNotWrap) {
  DomUInput in = libxl_domu_input(1 * GiB, 40);
  in.allocated[0] = ~std::uint64_t{0};
  Result r = domu_extended_regions(in);
  ASSERT_EQ(r.regions.size(), 1u);
  EXPECT_EQ(r.regions[0].start, 0x200000000u);
}

}  // namespace
}  // namespace unpop::xen
