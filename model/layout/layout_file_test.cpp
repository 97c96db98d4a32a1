#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "model/layout/layout_json.h"
#include "model/layout/loaders.h"
#include "model/layout/test_util.h"

namespace unpop {
namespace {

constexpr Addr MiB = 1ull << 20, GiB = 1ull << 30;

// The example of docs/layout-file.md.
const char* kExample = R"({
  "name": "my-board",
  "arch": "arm64",
  "page_size": "16K",
  "pa_bits": 48,
  "va_bits": 48,
  "ram": [
    {"start": "0x60000000", "end": "0x7fffffff"},
    {"start": "0x880000000", "size": "2G", "name": "System RAM"}
  ],
  "reserved": [{"start": 1610612736, "size": "1M", "name": "optee"}],
  "mmio": [
    {"start": "0x08000000", "end": "0x0800ffff", "name": "GICD"},
    {"start": "0x10000000", "end": "0x3efeffff", "name": "pcie@10000000"}
  ],
  "hypervisor": {
    "grant_table": {"start": "0x40200000", "size": "256K"},
    "ext_regions": [
      {"start": "0x40400000", "end": "0x5fffffff"},
      {"start": "0x80000000", "size": "1G"}
    ]
  },
  "acpi": false
})";

TEST(LayoutFile, Example) {
  Layout l = load_layout_json("ex.json", kExample);
  EXPECT_EQ(l.name, "my-board");
  EXPECT_EQ(l.source, "layout ex.json");
  EXPECT_EQ(l.default_page_size, 16384u);
  ASSERT_EQ(l.ram.size(), 2u);
  EXPECT_EQ(l.ram[0].name, "System RAM");
  EXPECT_EQ(l.ram[1].range, Range::from_size(0x880000000, 2 * GiB));
  EXPECT_EQ(l.reserved[0].range, Range::from_size(0x60000000, MiB));
  EXPECT_EQ(l.mmio[1].name, "pcie@10000000");
  EXPECT_TRUE(l.hypervisor_node);
  EXPECT_EQ(l.grant_table, (Range{0x40200000, 0x4023ffff}));
  std::vector<Range> want = {{0x40400000, 0x5fffffff}, {0x80000000, 0xbfffffff}};
  EXPECT_EQ(l.ext_regions, want);
  EXPECT_EQ(load_layout_json("ex.json", layout_to_json(l)), l);
}

TEST(LayoutFile, Defaults) {
  Layout l = load_layout_json("d.json", "{}");
  EXPECT_EQ(l.name, "d.json");
  EXPECT_EQ(l.arch, Arch::arm64);
  EXPECT_EQ(l.pa_bits, 48u);
  EXPECT_FALSE(l.hypervisor_node);
  Layout x = load_layout_json("x.json",
                              R"({"arch": "x86_64", "extra_mem": [{"start": "0x240000000", "size": "8G"}]})");
  EXPECT_EQ(x.pa_bits, 46u);
  EXPECT_EQ(x.extra_mem[0].name, "xen_extra_mem");
  Layout h = load_layout_json("h.json", R"({"hypervisor": {}})");
  EXPECT_TRUE(h.hypervisor_node);
  EXPECT_FALSE(h.grant_table);
}

TEST(LayoutFile, XenDom0Block) {
  Layout l = load_layout_json("x.json", R"({
    "name": "qemu",
    "mmio": [{"start": "0x08000000", "end": "0x0800ffff", "name": "GICD"}],
    "xen": {"dom0": {
      "host_ram": [{"start": "0x40000000", "size": "2G"}],
      "dom0_ram": [{"start": "0x60000000", "size": "512M"}],
      "grant_table": {"start": "0x40200000", "size": "256K"}
    }}})");
  std::vector<Range> want = {{0x40400000, 0x5fffffff}, {0x80000000, 0xbfffffff}};
  EXPECT_EQ(l.ext_regions, want);
  EXPECT_EQ(l.grant_table, (Range{0x40200000, 0x4023ffff}));
  ASSERT_EQ(l.ram.size(), 1u);  // from dom0_ram
  EXPECT_EQ(l.ram[0].range, (Range{0x60000000, 0x7fffffff}));
  EXPECT_EQ(l.mmio.size(), 1u);
  EXPECT_TRUE(l.hypervisor_node);
  EXPECT_EQ(l.source, "layout x.json");
  EXPECT_EQ(load_layout_json("x.json", layout_to_json(l)), l);
}

TEST(LayoutFile, XenDom0Bug418AndIommu) {
  Layout l = load_layout_json("x.json", R"({"xen": {"dom0": {
      "host_ram": [{"start": "0x40000000", "size": "2G"}],
      "dom0_ram": [{"start": "0x60000000", "size": "512M"}],
      "grant_table": {"start": "0x40200000", "size": "256K"}, "size_bug_4_18": true}}})");
  EXPECT_EQ(l.ext_regions.back(), (Range{0x80000000, 0xbfdfffff}));
  Layout m = load_layout_json("x.json", R"({"xen": {"dom0": {
      "host_ram": [{"start": "0x40000000", "size": "2G"}],
      "dom0_ram": [{"start": "0x60000000", "size": "512M"}],
      "iommu": true, "p2m_ipa_bits": 32}}})");
  std::vector<Range> want = {{0x0, 0x3fffffff}, {0xc0000000, 0xffffffff}};
  EXPECT_EQ(m.ext_regions, want);
}

TEST(LayoutFile, XenDomUBlock) {
  Layout l = load_layout_json("u.json", R"({"xen": {"domu": {"ram_size": "1G", "gpaddr_bits": 40}}})");
  std::vector<Range> want = {{0x80000000, 0xffffffff}, {0x200000000, 0xffffffffff}};
  EXPECT_EQ(l.ext_regions, want);
  EXPECT_EQ(l.grant_table, Range::from_size(0x38000000, 16 * MiB));
  Layout b = load_layout_json("u.json", R"({"xen": {"domu": {
      "bank": [{"start": "0x40000000", "size": "3G"}], "allocated": ["512M"],
      "iomem": [{"start": "0xa0000000", "size": "4K"}], "max_regions": 256}}})");
  std::vector<Range> want2 = {{0x60000000, 0x9fffffff}, {0xa0001000, 0xffffffff}};
  EXPECT_EQ(b.ext_regions, want2);
}

TEST(LayoutFile, EmbeddedPathPrefix) {
  nlohmann::json j = nlohmann::json::parse(R"({"layout": {"ram": [{"start": "0x0", "end": "zz"}]}})");
  std::string msg = test::load_error([&] { layout_from_json_value("case.json", j["layout"], "layout"); });
  EXPECT_NE(msg.find("case.json: layout.ram[0].end: \"zz\" is not a 64-bit number"), std::string::npos)
      << msg;
}

TEST(LayoutFile, FileOnDisk) {
  auto path = std::filesystem::temp_directory_path() / "unpop_layout_file_test.json";
  { std::ofstream(path) << kExample; }
  Layout l = load_layout_file(path.string());
  EXPECT_EQ(l.source, "layout " + path.string());
  std::filesystem::remove(path);
  std::string msg = test::load_error([] { load_layout_file("/nonexistent/l.json"); });
  EXPECT_NE(msg.find("/nonexistent/l.json: cannot open"), std::string::npos) << msg;
}

struct Bad {
  const char* json;
  const char* expect;
};
void PrintTo(const Bad& b, std::ostream* os) { *os << b.expect; }

class LayoutFileErrors : public ::testing::TestWithParam<Bad> {};

TEST_P(LayoutFileErrors, NamesThePath) {
  std::string msg = test::load_error([] { load_layout_json("f.json", GetParam().json); });
  EXPECT_NE(msg.find(GetParam().expect), std::string::npos) << msg;
}

INSTANTIATE_TEST_SUITE_P(
    LayoutFile, LayoutFileErrors,
    ::testing::Values(
        Bad{R"({"ram": [{"start": "0x0", "end": "0x1"}, {"start": "0x10", "end": "0x20"},
                        {"start": "0x3000", "end": "0x2000"}]})",
            "f.json: ram[2].end: 0x2000 is below start 0x3000"},
        Bad{R"({"ram": [{"end": "0x1"}]})", "f.json: ram[0].start: missing"},
        Bad{R"({"mmio": [{"start": "0x1", "end": "0x2", "size": 4}]})",
            "f.json: mmio[0]: give exactly one of `end`"},
        Bad{R"({"mmio": [{"start": "0x1"}]})", "f.json: mmio[0]: give exactly one of `end`"},
        Bad{R"({"reserved": [{"start": "0x1", "size": 0}]})", "f.json: reserved[0].size: 0"},
        Bad{R"({"reserved": [{"start": -5, "size": 1}]})", "f.json: reserved[0].start: -5 is negative"},
        Bad{R"({"reserved": [{"start": 1.5, "size": 1}]})",
            "f.json: reserved[0].start: expected a number or a string"},
        Bad{R"({"reserved": [{"start": "0xffffffffffffffff", "size": 2}]})",
            "f.json: reserved[0].size: 0x2 from 0xffffffffffffffff wraps"},
        Bad{R"({"reserved": [{"start": "0x1", "size": "99999999999T"}]})",
            "f.json: reserved[0].size: \"99999999999T\" is not a 64-bit number"},
        Bad{R"({"ram": {"start": 1}})", "f.json: ram: expected an array of ranges, got object"},
        Bad{R"({"rma": []})", "f.json: rma: unknown key (expected one of: name, source, arch"},
        Bad{R"({"ram": [{"start": 1, "end": 2, "nmae": "x"}]})", "f.json: ram[0].nmae: unknown key"},
        Bad{R"({"arch": "riscv"})", "f.json: arch: \"riscv\": expected \"arm64\" or \"x86_64\""},
        Bad{R"({"arch": "x86_64", "page_size": "64K"})",
            "f.json: page_size: \"64K\": x86_64 has only 4K pages"},
        Bad{R"({"page_size": "8K"})", "f.json: page_size: \"8K\": expected 4K, 16K or 64K"},
        Bad{R"({"pa_bits": 80})", "f.json: pa_bits: 80 is out of range: expected 32..64"},
        Bad{R"({"acpi": "no"})", "f.json: acpi: expected true or false"},
        Bad{R"({"hypervisor": {"ext_regions": [{"start": 1, "end": "0x"}]}})",
            "f.json: hypervisor.ext_regions[0].end: \"0x\" is not a 64-bit number"},
        Bad{R"({"hypervisor": {"grant_table": []}})",
            "f.json: hypervisor.grant_table: expected an object, got array"},
        Bad{R"({"xen": {}})", "f.json: xen: give exactly one of `dom0` and `domu`"},
        Bad{R"({"xen": {"dom0": {"dom0_ram": [{"start": 0, "size": 1}]}}})",
            "f.json: xen.dom0.host_ram: missing or empty"},
        Bad{R"({"xen": {"dom0": {"host_ram": [{"start": 0, "size": 1}], "dom0_ram": [{"start": 0, "size": 1}],
                                 "p2m_ipa_bits": 60}}})",
            "f.json: xen.dom0.p2m_ipa_bits: 60 is out of range"},
        Bad{R"({"xen": {"domu": {"ram_size": "1G"}}, "hypervisor": {"ext_regions": []}})",
            "f.json: hypervisor.ext_regions: given together with `xen`"},
        Bad{R"({"xen": {"domu": {"bank": [{"start": 0, "size": 1}], "allocated": [1, 2]}}})",
            "f.json: xen.domu.allocated: expected an array of 1 sizes"},
        Bad{R"({"xen": {"domu": {"allocated": [1]}}})",
            "f.json: xen.domu: needs ram_size, or bank + allocated"},
        Bad{R"({"xen": {"domu": {"bank": [{"start": 0, "size": "1G"}], "allocated": ["2G"]}}})",
            "f.json: xen.domu.allocated[0]: 0x80000000 bytes do not fit in bank[0] (0x40000000 bytes)"},
        Bad{"{\n  \"ram\": [\n    {\"start\": 0x10}\n  ]\n}", "f.json:3: not valid JSON"},
        Bad{"[1, 2]", "f.json: expected an object, got array"}),
    [](const ::testing::TestParamInfo<Bad>& info) { return "case" + std::to_string(info.index); });

}  // namespace
}  // namespace unpop

namespace unpop {
namespace {

TEST(LayoutFile, WriterKeepsRangesOnOneLine) {
  std::string text = layout_to_json(load_preset("xen-domu"));
  EXPECT_NE(
      text.find("\n    {\"start\": \"0x40000000\", \"end\": \"0x7fffffff\", \"name\": \"System RAM\"}\n"),
      std::string::npos)
      << text;
  EXPECT_TRUE(nlohmann::json::accept(text));
}

TEST(LayoutFile, RoundTripOfEveryLoader) {
  for (const Layout& l :
       {load_dtb(test::fixture("dom0.dtb")), load_iomem(test::fixture("iomem-after.txt")),
        merge_layouts(load_iomem(test::fixture("iomem-before.txt")), load_dtb(test::fixture("dom0.dtb"))),
        load_layout_json("e.json", "{}")}) {
    SCOPED_TRACE(l.source);
    EXPECT_EQ(load_layout_json("rt.json", layout_to_json(l)), l);
  }
}

}  // namespace
}  // namespace unpop
