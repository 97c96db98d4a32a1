// The lockstep driver on fixed cases: the real code agrees with the model where the model is
// right, and a seeded model bug (a mutant) is a mismatch with both sides shown.
#include <gtest/gtest.h>

#include "conform/harness/lockstep.h"
#include "model/layout/loaders.h"

namespace unpop::conform {
namespace {

const KernelBuild* build(const std::string& kernel, Arch arch, bool patched = false) {
  for (const auto& b : kernel_builds())
    if (b.kernel == kernel && b.arch == arch && b.patched == patched) return &b;
  return nullptr;
}

Case qemu_case(const std::string& script) {
  Case c;
  c.preset = "qemu-virt-dom0";
  c.layout = load_preset("qemu-virt-dom0");
  c.variant = "upstream";
  c.page_size = 4096;
  c.ops = parse_script(script, "test");
  return c;
}

TEST(Lockstep, BothKernelsAreBuilt) {
  ASSERT_NE(build("6.12", Arch::arm64), nullptr);
  ASSERT_NE(build("6.12", Arch::x86_64), nullptr);
  ASSERT_NE(build("6.1", Arch::arm64), nullptr);
  ASSERT_NE(build("6.1", Arch::x86_64), nullptr);
}

TEST(Lockstep, QemuDom0AllocFreeAgrees) {
  Case c = qemu_case("alloc 1\nalloc 40000\nfree #0\nalloc 3\nfree #1 5 100\nalloc 200\n");
  for (const char* v : {"6.12", "6.1"}) {
    LockstepResult r = run_lockstep(c, *build(v, Arch::arm64));
    EXPECT_FALSE(r.mismatch) << v << ": " << describe(*r.mismatch);
    EXPECT_EQ(r.ops, 6u);
    EXPECT_GT(r.comparisons, 20u);
  }
}

TEST(Lockstep, AFaultIsFollowedTheSameWay) {
  Case c = qemu_case("fail kzalloc 2\nalloc 1\nalloc 1\nfail request_resource\nalloc 70000\nfail memremap_pages\nalloc 70000\nalloc 70000\n");
  LockstepResult r = run_lockstep(c, *build("6.12", Arch::arm64));
  EXPECT_FALSE(r.mismatch) << describe(*r.mismatch);
}

TEST(Lockstep, AModelMutantIsAMismatch) {
  Case c = qemu_case("alloc 4\nfree #0\nalloc 4\n");
  c.mutant = Mutant::fifo_order;
  LockstepResult r = run_lockstep(c, *build("6.12", Arch::arm64));
  ASSERT_TRUE(r.mismatch);
  EXPECT_EQ(r.mismatch->what, "pages handed out");
  EXPECT_EQ(r.mismatch->step, 1u);
}

// kernel/patches applied to 6.12: the patched unpopulated-alloc.c against `proposed`, plain and
// contiguous allocations, partial and refused frees, a contiguous buffer below a 32-bit mask.
TEST(Lockstep, PatchedKernelAgreesWithProposed) {
  const KernelBuild* b = build("6.12", Arch::arm64, true);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(variant_for(*b), "proposed");
  Case c = qemu_case(
      "alloc 1\nalloc 40000\ndma_alloc 300\nfree #0\nalloc 3\nfree #1 5 100\nfree #1 5 100\n"
      "dma_alloc 70000\ndma_free #2 0 10\ndma_free #2\ndma_alloc 16 mask=32\nalloc 200\ndma_free #7\n");
  c.variant = "proposed";
  LockstepResult r = run_lockstep(c, *b);
  EXPECT_FALSE(r.mismatch) << describe(*r.mismatch);
  EXPECT_EQ(r.ops, 13u);
  EXPECT_GT(r.seen["dma_free refused"], 0u);
  EXPECT_EQ(unsupported_op(c, *b), std::nullopt);
  EXPECT_NE(unsupported_op(c, *build("6.12", Arch::arm64)), std::nullopt);  // mainline has no contiguous API
}

// No target (an ACPI boot): contiguous buffers come from RAM through the consumer's
// dma_alloc_coherent() fallback, and the balloon then has that much less (found by conform
// --seed 1: the balloon shim did not know of the RAM the fallback took).
TEST(Lockstep, RamTakenByTheDmaFallbackIsGoneFromTheBalloon) {
  Case c = qemu_case("dma_alloc 100000\nalloc 40000\ndma_free #0\nalloc 40000\n");
  c.layout.acpi = true;
  c.preset.clear();
  c.variant = "proposed";
  LockstepResult r = run_lockstep(c, *build("6.12", Arch::arm64, true));
  ASSERT_FALSE(r.mismatch) << describe(*r.mismatch);
  EXPECT_EQ(r.rets, (std::vector<int>{-19, -12, 0}));  // -ENODEV: RAM; then too little; then enough
}

}  // namespace
}  // namespace unpop::conform
