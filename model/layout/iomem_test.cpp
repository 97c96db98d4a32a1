#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "model/layout/loaders.h"
#include "model/layout/test_util.h"

namespace unpop {
namespace {

TEST(Iomem, Before) {
  Layout l = load_iomem(test::fixture("iomem-before.txt"));
  ASSERT_EQ(l.ram.size(), 1u);
  EXPECT_EQ(l.ram[0].range, (Range{0x60000000, 0x7fffffff}));
  EXPECT_TRUE(l.reserved.empty());  // every "reserved" is nested inside System RAM
  EXPECT_TRUE(l.preexisting_pool.empty());
  ASSERT_EQ(l.mmio.size(), 7u);
  EXPECT_EQ(l.mmio[0].name, "GICD");
  EXPECT_EQ(l.mmio[5].range, (Range{0x4010000000, 0x401fffffff}));
  EXPECT_EQ(l.mmio[5].name, "PCI ECAM");
  EXPECT_EQ(l.mmio[6].range, (Range{0x8000000000, 0xffffffffff}));
  EXPECT_FALSE(l.hypervisor_node);
  EXPECT_TRUE(l.ext_regions.empty());
  EXPECT_EQ(l.pa_bits, 48u);
}

TEST(Iomem, After) {
  Layout l = load_iomem(test::fixture("iomem-after.txt"));
  ASSERT_EQ(l.preexisting_pool.size(), 7u);
  for (const auto& p : l.preexisting_pool) {
    EXPECT_EQ(p.name, "Xen scratch");
    EXPECT_EQ(p.range.start % (128u << 20), 0u) << to_string(p.range);
    EXPECT_EQ(p.range.size() % (128u << 20), 0u) << to_string(p.range);
  }
  EXPECT_EQ(l.preexisting_pool[6].range, (Range{0xa8000000, 0xb7ffffff}));
  EXPECT_EQ(l.ram.size(), 1u);
  EXPECT_EQ(l.mmio.size(), 7u);
}

TEST(Iomem, X86NamesAndArch) {
  Layout l = load_iomem_text("x.txt",
                             "00000000-00000fff : Reserved\n"
                             "00001000-0009ffff : System RAM\n"
                             "\n"
                             "bf000000-bf0fffff : ACPI Tables\n"
                             "fee00000-fee00fff : Local APIC\n"
                             "100000000-13fffffff : Unavailable space\n",
                             Arch::x86_64);
  EXPECT_EQ(l.arch, Arch::x86_64);
  EXPECT_EQ(l.pa_bits, 46u);
  EXPECT_EQ(l.reserved.size(), 2u);
  EXPECT_EQ(l.ram.size(), 1u);
  ASSERT_EQ(l.mmio.size(), 1u);
  EXPECT_EQ(l.mmio[0].name, "Local APIC");
}

struct BadLine {
  const char* text;
  const char* expect;
};

void PrintTo(const BadLine& b, std::ostream* os) { *os << b.expect; }

class IomemErrors : public ::testing::TestWithParam<BadLine> {};

TEST_P(IomemErrors, NamesLineAndExpectation) {
  std::string msg = test::load_error([] { load_iomem_text("dump.txt", GetParam().text); });
  EXPECT_NE(msg.find(GetParam().expect), std::string::npos) << msg;
}

INSTANTIATE_TEST_SUITE_P(
    Iomem, IomemErrors,
    ::testing::Values(
        BadLine{"60000000-7fffffff : System RAM\n6000zz00-7fffffff : x\n",
                "dump.txt:2: start `6000zz00` is not a hex address"},
        BadLine{"60000000-7fffffff System RAM\n",
                "dump.txt:1: expected `start-end : name` (missing \" : \")"},
        BadLine{"\n\n60000000 : System RAM\n", "dump.txt:3: expected `start-end` before"},
        BadLine{"70000000-6fffffff : System RAM\n", "dump.txt:1: end 0x6fffffff is below start 0x70000000"},
        BadLine{"60000000-7fffffff : System RAM\n   60000000-6187ffff : Kernel code\n",
                "dump.txt:2: indentation of 3 spaces"},
        BadLine{"60000000-7fffffff : System RAM\n    60000000-6187ffff : Kernel code\n",
                "dump.txt:2: indented 2 levels"},
        BadLine{"60000000-7fffffff : System RAM\n  50000000-6187ffff : Kernel code\n",
                "dump.txt:2: 0x50000000-0x6187ffff `Kernel code` is not inside its parent"},
        BadLine{"60000000-7fffffff : \n", "dump.txt:1: missing resource name"},
        BadLine{"60000000-7fffffffffffffffff : x\n",
                "dump.txt:1: end `7fffffffffffffffff` is not a hex address"},
        BadLine{"\t60000000-7fffffff : x\n", "dump.txt:1: tab character"},
        BadLine{"00000000-00000000 : System RAM\n  00000000-00000000 : Kernel code\n",
                "dump.txt:1: addresses are all zero: /proc/iomem was read without CAP_SYS_ADMIN"},
        BadLine{"\n\n", "dump.txt: no `start-end : name` lines"}),
    [](const ::testing::TestParamInfo<BadLine>& info) { return "case" + std::to_string(info.index); });

TEST(Iomem, MissingFile) {
  std::string msg = test::load_error([] { load_iomem("/nonexistent/iomem"); });
  EXPECT_NE(msg.find("/nonexistent/iomem: cannot open"), std::string::npos) << msg;
}

}  // namespace
}  // namespace unpop

namespace unpop {
namespace {

// Random edits of the real dump: a Layout or a LoadError with a line number, never a crash.
TEST(Iomem, MutatedDumpsNeverCrash) {
  std::ifstream in(test::fixture("iomem-after.txt"));
  const std::string orig((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(orig.empty());
  const std::string alphabet = " -:\n0123456789abcdefxyzG";
  std::uint64_t seed = 12345;
  auto next = [&] {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
  };
  int rejected = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string t = orig;
    for (int k = 0; k < 1 + int(next() % 3); ++k) t[next() % t.size()] = alphabet[next() % alphabet.size()];
    try {
      load_iomem_text("m.txt", t);
    } catch (const LoadError& e) {
      EXPECT_EQ(e.file, "m.txt");
      ++rejected;
    }
  }
  EXPECT_GT(rejected, 0);
}

}  // namespace
}  // namespace unpop
