#include <gtest/gtest.h>

#include "model/layout/loaders.h"
#include "model/layout/test_util.h"

namespace unpop {
namespace {

constexpr Addr MiB = 1ull << 20, GiB = 1ull << 30;

TEST(Presets, QemuVirtDom0MatchesTheRealBoot) {
  Layout p = load_preset("qemu-virt-dom0");
  std::vector<Range> want = {{0x40400000, 0x5fffffff}, {0x80000000, 0xbfffffff}};
  EXPECT_EQ(p.ext_regions, want);
  EXPECT_EQ(p.grant_table, (Range{0x40200000, 0x4023ffff}));
  // ... and the DTB Xen actually wrote for that boot says the same.
  Layout d = load_dtb(test::fixture("dom0.dtb"));
  EXPECT_EQ(p.ext_regions, d.ext_regions);
  EXPECT_EQ(p.grant_table, d.grant_table);
  EXPECT_EQ(p.ram, d.ram);
  EXPECT_TRUE(p.hypervisor_node);
  EXPECT_EQ(p.source, "preset");
  // Every DT device range is in the preset (names may be the iomem ones).
  for (const auto& m : d.mmio) {
    bool found = false;
    for (const auto& q : p.mmio) found = found || q.range == m.range;
    EXPECT_TRUE(found) << m.name << " " << to_string(m.range);
  }
}

TEST(Presets, QemuVirt418IsTwoMiBShort) {
  Layout p = load_preset("qemu-virt-dom0-4.18");
  std::vector<Range> want = {{0x40400000, 0x5fdfffff}, {0x80000000, 0xbfdfffff}};
  EXPECT_EQ(p.ext_regions, want);
}

TEST(Presets, XenDomU) {
  Layout p = load_preset("xen-domu");
  std::vector<Range> want = {{0x80000000, 0xffffffff}, {0x200000000, 0xffffffffff}};
  EXPECT_EQ(p.ext_regions, want);
  EXPECT_EQ(p.grant_table, Range::from_size(0x38000000, 16 * MiB));
  ASSERT_EQ(p.ram.size(), 1u);
  EXPECT_EQ(p.ram[0].range, Range::from_size(0x40000000, GiB));
}

TEST(Presets, XenDomUIomem) {
  Layout p = load_preset("xen-domu-4.21-iomem");
  std::vector<Range> want = {{0x80000000, 0x8fffffff}, {0x90001000, 0xffffffff}, {0x200000000, 0xffffffffff}};
  EXPECT_EQ(p.ext_regions, want);
}

TEST(Presets, X86PvhDom0) {
  Layout p = load_preset("x86-pvh-dom0");
  EXPECT_EQ(p.arch, Arch::x86_64);
  EXPECT_EQ(p.pa_bits, 46u);
  EXPECT_FALSE(p.hypervisor_node);
  EXPECT_TRUE(p.ext_regions.empty());
  ASSERT_FALSE(p.extra_mem.empty());
  for (const auto& e : p.extra_mem)
    for (const auto& d : p.devices()) EXPECT_FALSE(e.range.overlaps(d.range)) << d.name;
}

TEST(Presets, ServerDom0) {
  Layout p = load_preset("server-dom0");
  std::vector<Range> want = {{0x80200000, 0x8fffffff},
                             {0xc0000000, 0xfbffffff},
                             {0x900000000, 0xfffffffff},
                             {0x8840000000, 0x8fefffffff},
                             {0x10000000000, 0x107ffffffff}};
  EXPECT_EQ(p.ext_regions, want);
  bool unaligned = false, big = false;
  for (const auto& r : p.ext_regions) {
    unaligned = unaligned || r.start % (128 * MiB) != 0;
    big = big || r.size() >= 4 * GiB;
  }
  EXPECT_TRUE(unaligned);
  EXPECT_TRUE(big);
}

TEST(Presets, ServerDom0Iommu) {
  Layout p = load_preset("server-dom0-iommu");
  ASSERT_GE(p.ext_regions.size(), 3u);
  for (const auto& r : p.ext_regions) {
    for (const auto& d : p.devices()) EXPECT_FALSE(r.overlaps(d.range)) << to_string(r) << " " << d.name;
    for (const auto& m : p.ram) EXPECT_FALSE(r.overlaps(m.range)) << to_string(r);
  }
}

// The extended-region input properties (docs/domain.md 0.3 #13) hold for every preset that has
// regions, except the documented exceptions (4.18 size bug keeps alignment; libxl iomem cut).
TEST(Presets, AllLoadAndRegionsAreWellFormed) {
  ASSERT_GE(preset_names().size(), 5u);
  for (const auto& name : preset_names()) {
    SCOPED_TRACE(name);
    Layout l = load_preset(name);
    EXPECT_EQ(l.name, name);
    Geometry g;
    EXPECT_TRUE(Geometry::make(l.arch, l.default_page_size, g));
    for (std::size_t i = 0; i < l.ext_regions.size(); ++i) {
      const Range& r = l.ext_regions[i];
      EXPECT_GE(r.size(), 64 * MiB);
      if (i) {
        EXPECT_LT(l.ext_regions[i - 1].end, r.start);
      }
      for (const auto& m : l.ram) EXPECT_FALSE(r.overlaps(m.range));
      for (const auto& d : l.devices()) EXPECT_FALSE(r.overlaps(d.range)) << d.name;  // region-overlap
      EXPECT_TRUE(iomem_span(l).contains(r)) << to_string(r);
    }
    // RAM banks are sorted and disjoint; extra_mem is not RAM.
    for (std::size_t i = 1; i < l.ram.size(); ++i) EXPECT_LT(l.ram[i - 1].range.end, l.ram[i].range.start);
    for (const auto& e : l.extra_mem)
      for (const auto& m : l.ram) EXPECT_FALSE(e.range.overlaps(m.range)) << e.name;
    // Every preset survives the layout file round trip.
    EXPECT_EQ(load_layout_json(name, layout_to_json(l)), l);
  }
}

TEST(Presets, Unknown) {
  std::string msg = test::load_error([] { load_preset("nope"); });
  EXPECT_NE(msg.find("preset: unknown preset `nope` (valid: "), std::string::npos) << msg;
  EXPECT_NE(msg.find("qemu-virt-dom0"), std::string::npos) << msg;
  EXPECT_NE(msg.find("x86-pvh-dom0"), std::string::npos) << msg;
}

TEST(Merge, IomemPlusDtb) {
  Layout io = load_iomem(test::fixture("iomem-before.txt"));
  Layout dt = load_dtb(test::fixture("dom0.dtb"));
  Layout m = merge_layouts(io, dt);
  EXPECT_TRUE(m.hypervisor_node);
  EXPECT_EQ(m.ext_regions, dt.ext_regions);
  EXPECT_EQ(m.grant_table, dt.grant_table);
  EXPECT_EQ(m.ram, io.ram);
  // iomem names win where both describe a range; DT-only devices (flash, virtio) are added.
  bool ecam = false, flash = false, virtio = false, dt_ecam = false;
  for (const auto& d : m.mmio) {
    ecam = ecam || d.name == "PCI ECAM";
    dt_ecam = dt_ecam || (d.name == "pcie@10000000" && d.range.start == 0x4010000000);
    flash = flash || d.name == "flash@0";
    virtio = virtio || d.name == "virtio_mmio@a000000";
  }
  EXPECT_TRUE(ecam && flash && virtio);
  EXPECT_FALSE(dt_ecam);
  for (std::size_t i = 1; i < m.mmio.size(); ++i) EXPECT_LE(m.mmio[i - 1].range, m.mmio[i].range);
  // No MMIO from the merge overlaps RAM.
  for (const auto& d : m.mmio) EXPECT_FALSE(d.range.overlaps(m.ram[0].range)) << d.name;
}

}  // namespace
}  // namespace unpop

namespace unpop {
namespace {

// The CLI merges with the DTB as the base (cli/common.cpp): DT names win, the hypervisor node
// stays, and the iomem dump contributes what only it knows (the grown pool).
TEST(Merge, DtbPlusIomem) {
  Layout dt = load_dtb(test::fixture("dom0.dtb"));
  Layout m = merge_layouts(dt, load_iomem(test::fixture("iomem-after.txt")));
  EXPECT_EQ(m.ext_regions, dt.ext_regions);
  EXPECT_EQ(m.grant_table, dt.grant_table);
  EXPECT_EQ(m.ram, dt.ram);
  EXPECT_EQ(m.preexisting_pool.size(), 7u);
  for (const auto& p : m.preexisting_pool) {
    bool inside = false;
    for (const auto& r : m.ext_regions) inside = inside || r.contains(p.range);
    EXPECT_TRUE(inside) << to_string(p.range);  // the real pool grew inside the regions
  }
}

}  // namespace
}  // namespace unpop

namespace unpop {
namespace {

// presets/NAME.json are the presets written out as layout files (editable starting points).
// They must stay what the C++ computes: regenerate them with layout_to_json if this fails.
TEST(Presets, GoldenLayoutFiles) {
  for (const auto& name : preset_names()) {
    SCOPED_TRACE(name);
    const std::string path = std::string(UNPOP_SOURCE_DIR) + "/presets/" + name + ".json";
    EXPECT_EQ(load_layout_file(path), load_preset(name));
  }
}

}  // namespace
}  // namespace unpop
