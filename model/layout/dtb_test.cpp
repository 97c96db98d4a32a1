#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "model/layout/loaders.h"
#include "model/layout/test_util.h"

namespace unpop {
namespace {

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

bool has_mmio(const Layout& l, Range r, const std::string& name) {
  for (const auto& m : l.mmio)
    if (m.range == r && m.name == name) return true;
  return false;
}

TEST(Dtb, Fixture) {
  Layout l = load_dtb(test::fixture("dom0.dtb"));
  EXPECT_EQ(l.arch, Arch::arm64);
  EXPECT_EQ(l.default_page_size, 4096u);
  ASSERT_EQ(l.ram.size(), 1u);
  EXPECT_EQ(l.ram[0].range, (Range{0x60000000, 0x7fffffff}));
  EXPECT_EQ(l.ram[0].name, "System RAM");
  EXPECT_TRUE(l.hypervisor_node);
  EXPECT_FALSE(l.acpi);
  ASSERT_TRUE(l.grant_table);
  EXPECT_EQ(*l.grant_table, (Range{0x40200000, 0x4023ffff}));
  ASSERT_EQ(l.ext_regions.size(), 2u);
  EXPECT_EQ(l.ext_regions[0], (Range{0x40400000, 0x5fffffff}));
  EXPECT_EQ(l.ext_regions[1], (Range{0x80000000, 0xbfffffff}));
  EXPECT_TRUE(l.reserved.empty());
  EXPECT_EQ(l.source, "dtb " + test::fixture("dom0.dtb"));
}

TEST(Dtb, FixtureMmio) {
  Layout l = load_dtb(test::fixture("dom0.dtb"));
  EXPECT_TRUE(has_mmio(l, {0x08000000, 0x0800ffff}, "interrupt-controller"));
  EXPECT_TRUE(has_mmio(l, {0x080a0000, 0x08ffffff}, "interrupt-controller"));
  EXPECT_TRUE(has_mmio(l, {0x09010000, 0x09010fff}, "pl031@9010000"));
  EXPECT_TRUE(has_mmio(l, {0x09020000, 0x09020017}, "fw-cfg@9020000"));
  EXPECT_TRUE(has_mmio(l, {0x0a003e00, 0x0a003fff}, "virtio_mmio@a003e00"));
  EXPECT_TRUE(has_mmio(l, {0x0, 0x3ffffff}, "flash@0"));
  EXPECT_TRUE(has_mmio(l, {0x4000000, 0x7ffffff}, "flash@0"));
  // PCI host bridge: ECAM from reg, and the three `ranges` windows (io, mem, mem64).
  EXPECT_TRUE(has_mmio(l, {0x4010000000, 0x401fffffff}, "pcie@10000000"));
  EXPECT_TRUE(has_mmio(l, {0x3eff0000, 0x3effffff}, "pcie@10000000 window"));
  EXPECT_TRUE(has_mmio(l, {0x10000000, 0x3efeffff}, "pcie@10000000 window"));
  EXPECT_TRUE(has_mmio(l, {0x8000000000, 0xffffffffff}, "pcie@10000000 window"));
  // /cpus reg values are CPU ids, /chosen has no reg: neither shows up.
  for (const auto& m : l.mmio) {
    EXPECT_NE(m.name.rfind("cpu@", 0), 0u) << m.name;
    EXPECT_FALSE(m.range.overlaps(Range{0x60000000, 0x7fffffff})) << m.name;
  }
  // 2 GIC + 2 flash + pl031 + pl061 + fw-cfg + 32 virtio + ECAM + 3 windows
  EXPECT_EQ(l.mmio.size(), 43u);
}

TEST(Dtb, TruncatedBytes) {
  std::string bytes = read_bytes(test::fixture("dom0.dtb"));
  std::string msg = test::load_error([&] { load_dtb_bytes("cut.dtb", bytes.substr(0, bytes.size() / 2)); });
  EXPECT_NE(msg.find("cut.dtb"), std::string::npos) << msg;
  EXPECT_NE(msg.find("not a valid device-tree blob"), std::string::npos) << msg;
  EXPECT_NE(msg.find("FDT_ERR_TRUNCATED"), std::string::npos) << msg;
}

TEST(Dtb, TinyAndGarbage) {
  std::string tiny = test::load_error([] { load_dtb_bytes("tiny.dtb", "\xd0\x0d"); });
  EXPECT_NE(tiny.find("tiny.dtb: not a device-tree blob: 2 bytes"), std::string::npos) << tiny;
  std::string garbage = test::load_error([] { load_dtb_bytes("junk.dtb", std::string(200, 'x')); });
  EXPECT_NE(garbage.find("junk.dtb"), std::string::npos) << garbage;
  EXPECT_NE(garbage.find("FDT_ERR_BADMAGIC"), std::string::npos) << garbage;
  std::string empty = test::load_error([] { load_dtb_bytes("empty.dtb", ""); });
  EXPECT_NE(empty.find("0 bytes"), std::string::npos) << empty;
}

TEST(Dtb, CorruptedStructure) {
  std::string bytes = read_bytes(test::fixture("dom0.dtb"));
  // Scribble over the structure block (offset from the header's off_dt_struct field).
  std::uint32_t off = (std::uint8_t(bytes[8]) << 24) | (std::uint8_t(bytes[9]) << 16) |
                      (std::uint8_t(bytes[10]) << 8) | std::uint8_t(bytes[11]);
  for (std::size_t i = off; i < off + 64 && i < bytes.size(); ++i) bytes[i] = '\x7f';
  std::string msg = test::load_error([&] { load_dtb_bytes("bad.dtb", bytes); });
  EXPECT_NE(msg.find("bad.dtb: not a valid device-tree blob"), std::string::npos) << msg;
}

TEST(Dtb, MissingFile) {
  std::string msg = test::load_error([] { load_dtb("/nonexistent/x.dtb"); });
  EXPECT_NE(msg.find("/nonexistent/x.dtb: cannot open"), std::string::npos) << msg;
}

}  // namespace
}  // namespace unpop
