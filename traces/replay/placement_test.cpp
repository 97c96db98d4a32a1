// Placement: the model's allocate_resource, asked for each growth of a trace in turn.
#include "traces/replay/placement.h"

#include <gtest/gtest.h>

#include "model/layout/loaders.h"

namespace unpop::replay {
namespace {

struct PlacementRig {
  static Geometry geo4k(const Layout& l) {
    Geometry g;
    Geometry::make(l.arch, 4096, g);
    return g;
  }
  Layout layout = load_preset("qemu-virt-dom0");  // regions 0x40400000-0x5fffffff, 0x80000000-0xbfffffff
  Geometry geo = geo4k(layout);
  std::optional<Placement> p = Placement::make(layout, geo, Target::xen_resource);
};

// A copy (lockstep candidates splitting) owns its resource tree: growths of one do not move the
// other's predictions.
TEST(ReplayPlacement, ACopyPredictsOnItsOwn) {
  PlacementRig rig;
  ASSERT_TRUE(rig.p);
  EXPECT_FALSE(rig.p->grown(1, Range{0x48000000, 0x4fffffff}, kMainPool));
  Placement copy = *rig.p;
  EXPECT_FALSE(copy.grown(32769, Range{0x50000000, 0x5fffffff}, kMainPool));
  EXPECT_FALSE(copy.grown(0, Range{0x80000000, 0x87ffffff}, kMainPool));
  EXPECT_EQ(copy.growths(), 3);
  EXPECT_EQ(rig.p->growths(), 1);
  EXPECT_FALSE(rig.p->grown(32769, Range{0x50000000, 0x5fffffff}, kMainPool));  // still the original's room
  EXPECT_TRUE(rig.p->grown(1, Range{0x88000000, 0x8fffffff}, kMainPool));       // 0x80000000 is free here
}

TEST(ReplayPlacement, FollowsTheKernelsGrowthsInOrder) {
  PlacementRig rig;
  ASSERT_TRUE(rig.p);
  // The lowest section-aligned room in xen_resource first, then the next one.
  EXPECT_FALSE(rig.p->grown(1, Range{0x48000000, 0x4fffffff}, kMainPool));
  EXPECT_FALSE(rig.p->grown(32769, Range{0x50000000, 0x5fffffff}, kMainPool));
  // The low region is full: the next section comes from the high one.
  EXPECT_FALSE(rig.p->grown(0, Range{0x80000000, 0x87ffffff}, kMainPool));
  EXPECT_EQ(rig.p->growths(), 3);
}

TEST(ReplayPlacement, AnotherRangeIsAGrowthPlacementMismatch) {
  PlacementRig rig;
  auto m = rig.p->grown(1, Range{0x50000000, 0x57ffffff}, kMainPool);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->kind, "growth-placement");
  EXPECT_EQ(m->model, "growth 0x48000000-0x4fffffff");
  EXPECT_EQ(m->kernel, "growth 0x50000000-0x57ffffff");
}

TEST(ReplayPlacement, SizeIsRoundUpToASection) {
  PlacementRig rig;
  auto m = rig.p->grown(1, Range{0x48000000, 0x57ffffff}, kMainPool);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->kind, "growth-size");
}

TEST(ReplayPlacement, EbusyWhereTheModelFindsRoomDiverges) {
  PlacementRig rig;
  auto m = rig.p->failed(1, -16, kMainPool);  // -EBUSY for one page: there is room
  ASSERT_TRUE(m);
  EXPECT_EQ(m->kind, "growth-placement");
  EXPECT_FALSE(PlacementRig().p->failed(1u << 20, -16, kMainPool));  // 4 GiB: no room in the model either
  EXPECT_FALSE(PlacementRig().p->failed(1, -12, kMainPool));          // -ENOMEM: not the tree's to say
}

}  // namespace
}  // namespace unpop::replay
