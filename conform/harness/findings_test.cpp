// docs/findings.md's upstream findings, run through the kernel's own code from the same case
// files `explore` opens: Linux 6.12 and 6.1 do what the model says, step for step, including the
// failing call (docs/conformance.md, "Findings on Linux's own code").
#include <gtest/gtest.h>

#include "conform/harness/lockstep.h"
#include "model/layout/loaders.h"

namespace unpop::conform {
namespace {

const KernelBuild& build(const std::string& kernel, Arch arch) {
  for (const auto& b : kernel_builds())
    if (b.kernel == kernel && b.arch == arch) return b;
  throw std::runtime_error("no build " + kernel);
}

struct Finding {
  const char* file;  // under docs/cex/
  Arch arch;         // which arch init runs it
  int last_ret;      // what the last call returns on both sides
};

class LinuxFindings : public ::testing::TestWithParam<Finding> {};

TEST_P(LinuxFindings, LinuxAgreesWithTheModel) {
  const Finding& f = GetParam();
  Case c = load_case(std::string(UNPOP_SOURCE_DIR) + "/docs/cex/" + f.file);
  for (const char* kernel : {"6.12", "6.1"}) {
    const KernelBuild& b = build(kernel, f.arch);
    ASSERT_EQ(c.variant, variant_for(b));
    LockstepResult r = run_lockstep(c, b);
    ASSERT_FALSE(r.mismatch) << kernel << ": " << describe(*r.mismatch);
    ASSERT_FALSE(r.rets.empty());
    EXPECT_EQ(r.rets.back(), f.last_ret) << kernel;
  }
}

// The iomem wedge (memory hot-plug inside a region: every later growth fails with -EBUSY) and one
// growth needing more whole sections in a row than any region has (-EBUSY).
INSTANTIATE_TEST_SUITE_P(Upstream, LinuxFindings,
                         ::testing::Values(Finding{"upstream-spurious-enomem-hotplug.json", Arch::arm64, -16},
                                           Finding{"upstream-spurious-enomem-fragmented.json", Arch::arm64, -16}));

Case preset_case(const std::string& preset, std::uint64_t page_size, const std::string& script) {
  Case c;
  c.preset = preset;
  c.layout = load_preset(preset);
  c.variant = "upstream";
  c.page_size = page_size;
  c.ops = parse_script(script, "findings_test");
  return c;
}

// 64K pages: a section is 512 MiB, so qemu-virt dom0's first region (0x40400000-0x5fffffff) holds
// none; the first growth lands in the second region, on the real code as in the model.
TEST(LinuxFindings, SixtyFourKSectionsSkipTheFirstRegion) {
  Case c = preset_case("qemu-virt-dom0", 65536, "alloc 1\nalloc 8192\nalloc 8192\n");
  for (const char* kernel : {"6.12", "6.1"}) {
    LockstepResult r = run_lockstep(c, build(kernel, Arch::arm64));
    ASSERT_FALSE(r.mismatch) << kernel << ": " << describe(*r.mismatch);
    EXPECT_EQ(r.rets, (std::vector<int>{0, 0, -16})) << kernel;  // two 512 MiB sections, then none
  }
}

// Regions below the linear map: with dom0's RAM at 0xc0000000, memstart_addr is 0xc0000000 and
// mhp_get_pluggable_range(true) starts there, so both extended regions (below it) are unusable:
// the real allocate_resource() finds no room in the pluggable window (-EBUSY). (The mappable
// range itself is the arm64 shim's arithmetic: docs/conformance.md.)
TEST(LinuxFindings, RegionsBelowTheLinearMapAreUnusable) {
  Case c = preset_case("qemu-virt-dom0", 4096, "alloc 1\n");
  c.preset.clear();
  c.layout.ram = {{Range{0xc0000000, 0xdfffffff}, "memory@c0000000"}};
  for (const char* kernel : {"6.12", "6.1"}) {
    LockstepResult r = run_lockstep(c, build(kernel, Arch::arm64));
    ASSERT_FALSE(r.mismatch) << kernel << ": " << describe(*r.mismatch);
    EXPECT_EQ(r.rets, (std::vector<int>{-16})) << kernel;
  }
}

}  // namespace
}  // namespace unpop::conform
