// Hand-built device trees (libfdt's sequential-write API) for the DTB rules the fixture does
// not exercise: reserved-memory, simple-bus translation, buses without `ranges`, NOPs, errors.
#include <cstring>
#include <fstream>
#include <iterator>
#include <initializer_list>
#include <vector>

#include <gtest/gtest.h>

extern "C" {
#include <libfdt.h>
}

#include "model/layout/loaders.h"
#include "model/layout/test_util.h"

namespace unpop {
namespace {

class Builder {
 public:
  Builder() : buf_(1 << 16) { ok(fdt_create(buf_.data(), static_cast<int>(buf_.size()))); }
  Builder& memreserve(std::uint64_t addr, std::uint64_t size) {
    return ok(fdt_add_reservemap_entry(buf_.data(), addr, size));
  }
  Builder& begin(const char* name) {
    if (!reservemap_done_) {
      ok(fdt_finish_reservemap(buf_.data()));
      reservemap_done_ = true;
    }
    return ok(fdt_begin_node(buf_.data(), name));
  }
  Builder& end() { return ok(fdt_end_node(buf_.data())); }
  Builder& cells(const char* prop, std::initializer_list<std::uint32_t> v) {
    std::vector<std::uint32_t> be;
    for (auto c : v) be.push_back(cpu_to_fdt32(c));
    return ok(fdt_property(buf_.data(), prop, be.data(), static_cast<int>(4 * be.size())));
  }
  Builder& str(const char* prop, const char* s) { return ok(fdt_property_string(buf_.data(), prop, s)); }
  Builder& strs(const char* prop, const std::string& list) {  // "a\0b" with explicit size
    return ok(fdt_property(buf_.data(), prop, list.data(), static_cast<int>(list.size() + 1)));
  }
  Builder& empty(const char* prop) { return ok(fdt_property(buf_.data(), prop, nullptr, 0)); }
  std::string finish() {
    ok(fdt_finish(buf_.data()));
    return std::string(buf_.data(), fdt_totalsize(buf_.data()));
  }

 private:
  Builder& ok(int err) {
    EXPECT_EQ(err, 0) << fdt_strerror(err);
    return *this;
  }
  std::vector<char> buf_;
  bool reservemap_done_ = false;
};

Builder root() {
  Builder b;
  b.begin("").cells("#address-cells", {2}).cells("#size-cells", {2});
  return b;
}

TEST(DtbSynthetic, ReservedMemoryBusesAndHypervisor) {
  Builder b;
  b.memreserve(0x80000000, 0x10000);
  b.begin("").cells("#address-cells", {2}).cells("#size-cells", {2});
  b.begin("memory@80000000")
      .str("device_type", "memory")
      .cells("reg", {0, 0x80000000, 0, 0x40000000, 8, 0, 0, 0x40000000})
      .end();
  b.begin("reserved-memory").cells("#address-cells", {2}).cells("#size-cells", {2}).empty("ranges");
  b.begin("optee@fc000000").cells("reg", {0, 0xfc000000, 0, 0x2000000}).end();
  b.begin("linux,cma").str("compatible", "shared-dma-pool").cells("size", {0, 0x4000000}).end();  // dynamic
  b.end();
  // simple-bus at 0x0 with 1-cell children mapped to 0x1_0000_0000
  b.begin("soc")
      .cells("#address-cells", {1})
      .cells("#size-cells", {1})
      .cells("ranges", {0x0, 0x1, 0x0, 0x10000000});
  b.begin("uart@1000").cells("reg", {0x1000, 0x100}).end();
  b.begin("i2c@2000").cells("reg", {0x2000, 0x100}).cells("#address-cells", {1}).cells("#size-cells", {0});
  b.begin("eeprom@50").cells("reg", {0x50}).end();  // i2c address: not memory-mapped
  b.end();
  b.begin("outside@20000000").cells("reg", {0x20000000, 0x100}).end();  // no matching ranges entry
  b.end();
  b.begin("cpus").cells("#address-cells", {1}).cells("#size-cells", {0});
  b.begin("cpu@0").str("device_type", "cpu").cells("reg", {0}).end();
  b.end();
  b.begin("hypervisor")
      .strs("compatible", std::string("xen,xen-4.17\0xen,xen", 20))
      .cells("reg", {0, 0x38000000, 0, 0x1000000, 0, 0xc0000000, 0, 0x20000000})
      .end();
  b.end();
  Layout l = load_dtb_bytes("synthetic.dtb", b.finish());
  ASSERT_EQ(l.ram.size(), 2u);
  EXPECT_EQ(l.ram[1].range, (Range{0x800000000, 0x83fffffff}));
  ASSERT_EQ(l.reserved.size(), 2u);
  EXPECT_EQ(l.reserved[0].range, (Range{0x80000000, 0x8000ffff}));
  EXPECT_EQ(l.reserved[0].name, "/memreserve/");
  EXPECT_EQ(l.reserved[1].range, (Range{0xfc000000, 0xfdffffff}));
  EXPECT_EQ(l.reserved[1].name, "optee@fc000000");
  ASSERT_EQ(l.mmio.size(), 2u);
  EXPECT_EQ(l.mmio[0].range, (Range{0x100001000, 0x1000010ff}));
  EXPECT_EQ(l.mmio[0].name, "uart@1000");
  EXPECT_EQ(l.mmio[1].name, "i2c@2000");
  EXPECT_TRUE(l.hypervisor_node);
  EXPECT_EQ(l.grant_table, (Range{0x38000000, 0x38ffffff}));
  EXPECT_EQ(l.ext_regions, (std::vector<Range>{{0xc0000000, 0xdfffffff}}));
}

TEST(DtbSynthetic, NopTagsAndHypervisorWithoutReg) {
  Builder b = root();
  b.begin("memory@40000000").str("device_type", "memory").cells("reg", {0, 0x40000000, 0, 0x10000000}).end();
  b.begin("hypervisor").strs("compatible", std::string("xen,xen-4.17\0xen,xen", 20)).end();
  b.begin("gone@0").cells("reg", {0, 0x0, 0, 0x1000}).end();
  b.end();
  std::string bytes = b.finish();
  std::vector<char> buf(bytes.begin(), bytes.end());
  // Turn a property and a whole node into FDT_NOP tags, as Xen does when it edits the DT.
  int gone = fdt_path_offset(buf.data(), "/gone@0");
  ASSERT_GE(gone, 0);
  ASSERT_EQ(fdt_nop_node(buf.data(), gone), 0);
  int mem = fdt_path_offset(buf.data(), "/memory@40000000");
  ASSERT_EQ(fdt_nop_property(buf.data(), mem, "device_type"), 0);
  Layout l = load_dtb_bytes("nop.dtb", std::string(buf.begin(), buf.end()));
  EXPECT_TRUE(l.hypervisor_node);
  EXPECT_FALSE(l.grant_table);
  EXPECT_TRUE(l.ext_regions.empty());
  EXPECT_TRUE(l.ram.empty());    // device_type was NOPed away: now just a device
  ASSERT_EQ(l.mmio.size(), 1u);  // and /gone@0 is gone
  EXPECT_EQ(l.mmio[0].name, "memory@40000000");
}

TEST(DtbSynthetic, BadRegLength) {
  Builder b = root();
  b.begin("dev@0").cells("reg", {0, 0x1000, 0}).end();
  b.end();
  std::string msg = test::load_error([&] { load_dtb_bytes("badreg.dtb", b.finish()); });
  EXPECT_NE(
      msg.find("badreg.dtb: node dev@0: reg is 12 bytes, not a multiple of 16 (2 address + 2 size cells)"),
      std::string::npos)
      << msg;
}

TEST(DtbSynthetic, UnsupportedCells) {
  Builder b;
  b.begin("").cells("#address-cells", {3}).cells("#size-cells", {2});
  b.begin("dev@0").cells("reg", {0, 0, 0x1000, 0, 0x100}).end();
  b.end();
  std::string msg = test::load_error([&] { load_dtb_bytes("cells.dtb", b.finish()); });
  EXPECT_NE(msg.find("cells.dtb: node dev@0: reg uses 3 address and 2 size cells"), std::string::npos) << msg;
}

}  // namespace
}  // namespace unpop

namespace unpop {
namespace {

TEST(DtbSynthetic, ZeroSizedHypervisorReg) {
  Builder b = root();
  b.begin("hypervisor")
      .strs("compatible", std::string("xen,xen", 7))
      .cells("reg", {0, 0x38000000, 0, 0})
      .end();
  b.end();
  std::string msg = test::load_error([&] { load_dtb_bytes("z.dtb", b.finish()); });
  EXPECT_NE(msg.find("z.dtb: hypervisor node hypervisor: reg[0] has size 0"), std::string::npos) << msg;
}

// Random byte flips and truncations of the real blob: every outcome is a Layout or a
// LoadError, never a crash (run under -DUNPOP_SANITIZE=ON to make that meaningful).
TEST(DtbSynthetic, MutatedBlobsNeverCrash) {
  std::ifstream in(test::fixture("dom0.dtb"), std::ios::binary);
  const std::string orig((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(orig.empty());
  std::uint64_t seed = 0x9e3779b97f4a7c15ull;
  auto next = [&] {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
  };
  int loaded = 0, rejected = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string b = orig;
    for (int k = 0; k < 1 + int(next() % 4); ++k) b[next() % b.size()] = static_cast<char>(next());
    if (next() % 8 == 0) b.resize(next() % b.size());
    try {
      load_dtb_bytes("m.dtb", b);
      ++loaded;
    } catch (const LoadError& e) {
      EXPECT_EQ(e.file, "m.dtb");
      ++rejected;
    }
  }
  EXPECT_GT(loaded, 0);
  EXPECT_GT(rejected, 0);
}

}  // namespace
}  // namespace unpop
