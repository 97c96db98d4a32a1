// kernel/resource.c semantics: __request_resource, insert_resource, allocate_resource
// (__find_resource_space), release_resource.
#include "model/linux/resource_tree.h"

#include <gtest/gtest.h>

#include "model/core/errno.h"

namespace unpop {
namespace {

TEST(ResourceTree, RequestResourceConflictsWithDirectChildOnly) {
  ResourceTree t;
  ResId root = t.make_root("iomem", {0, 0xffff});
  ResId a = t.make("a", {0x1000, 0x1fff});
  ASSERT_EQ(t.request(root, a), 0);
  ResId child = t.make("a.child", {0x1000, 0x10ff});
  ASSERT_EQ(t.request(a, child), 0);
  // Overlapping `a` at the top level: -EBUSY (request_resource returns -EBUSY on conflict).
  ResId b = t.make("b", {0x1f00, 0x2fff});
  EXPECT_EQ(t.request(root, b), -err::ebusy);
  EXPECT_EQ(t.request_conflict(root, b), a);
  // Inside a: only a's direct children are checked, not the root's.
  ResId c = t.make("c", {0x1100, 0x11ff});
  EXPECT_EQ(t.request(a, c), 0);
}

TEST(ResourceTree, RequestResourceRejectsOutsideRootAndInvalid) {
  ResourceTree t;
  ResId root = t.make_root("r", {0x1000, 0x1fff});
  EXPECT_EQ(t.request(root, t.make("below", {0x0, 0x1000})), -err::ebusy);
  EXPECT_EQ(t.request(root, t.make("above", {0x1fff, 0x2000})), -err::ebusy);
  EXPECT_EQ(t.request(root, t.make("end<start", {0x1800, 0x17ff})), -err::ebusy);
}

TEST(ResourceTree, InsertResourceAdoptsContainedChildrenAndRefusesPartialOverlap) {
  ResourceTree t;
  ResId root = t.make_root("r", {0, 0xffff});
  ResId a = t.make("a", {0x1000, 0x1fff});
  ResId b = t.make("b", {0x3000, 0x3fff});
  ASSERT_EQ(t.request(root, a), 0);
  ASSERT_EQ(t.request(root, b), 0);
  ResId big = t.make("big", {0x0800, 0x4fff});
  ASSERT_EQ(t.insert(root, big), 0);
  EXPECT_EQ(t.children(root), std::vector<ResId>{big});
  EXPECT_EQ(t.children(big), (std::vector<ResId>{a, b}));
  ResId partial = t.make("partial", {0x4000, 0x5fff});  // straddles big's end
  EXPECT_EQ(t.insert(root, partial), -err::ebusy);
}

TEST(ResourceTree, AllocateResourceTakesLowestAlignedGap) {
  ResourceTree t;
  ResId root = t.make_root("xen_resource", {0x40400000, 0xbfffffff});
  ResId hole = t.make("Unavailable space", {0x60000000, 0x7fffffff});
  ASSERT_EQ(t.insert(root, hole), 0);
  const std::uint64_t sec = 128ull << 20;
  ResId r1 = t.make("Xen scratch");
  // ALIGN(0x40400000, 128M) = 0x48000000: the first fit in the first gap.
  ASSERT_EQ(t.allocate(root, r1, sec, 0, ~0ull, sec), 0);
  EXPECT_EQ(t.get(r1).range, (Range{0x48000000, 0x4fffffff}));
  // 384 MiB does not fit in [0x50000000, 0x5fffffff] (256 MiB): the next gap after the hole.
  ResId r2 = t.make("Xen scratch");
  ASSERT_EQ(t.allocate(root, r2, 3 * sec, 0, ~0ull, sec), 0);
  EXPECT_EQ(t.get(r2).range, (Range{0x80000000, 0x97ffffff}));
  // Clipped by [min, max] (resource_clip): nothing fits below 0x50000000 any more.
  ResId r3 = t.make("Xen scratch");
  EXPECT_EQ(t.allocate(root, r3, sec, 0, 0x4fffffff, sec), -err::ebusy);
}

TEST(ResourceTree, AllocateFailsWhenNothingFitsAndReleaseFreesTheGap) {
  ResourceTree t;
  ResId root = t.make_root("r", {0, 0x3fff});
  ResId a = t.make("a");
  ASSERT_EQ(t.allocate(root, a, 0x4000, 0, ~0ull, 0x1000), 0);
  ResId b = t.make("b");
  EXPECT_EQ(t.allocate(root, b, 0x1000, 0, ~0ull, 0x1000), -err::ebusy);
  t.release(a);  // release_resource()
  EXPECT_EQ(t.allocate(root, b, 0x1000, 0, ~0ull, 0x1000), 0);
  EXPECT_EQ(t.get(b).range, (Range{0, 0xfff}));
}

TEST(ResourceTree, GapsWalkBetweenChildrenIncludingTopOfRoot) {
  ResourceTree t;
  ResId root = t.make_root("r", {0, ~0ull});
  ASSERT_EQ(t.request(root, t.make("a", {0x1000, 0x1fff})), 0);
  auto g = t.gaps(root, 0, ~0ull);
  ASSERT_EQ(g.size(), 2u);
  EXPECT_EQ(g[0], (Range{0, 0xfff}));
  EXPECT_EQ(g[1], (Range{0x2000, ~0ull}));
}

// Found by `unpopcheck conform` (resource component): __insert_resource() goes down into a
// child that contains the new range and inserts it there; the model used to refuse (-EBUSY).
TEST(ResourceTree, InsertGoesDownIntoAContainingChild) {
  ResourceTree t;
  ResId root = t.make_root("root", {0, 0xffff});
  ResId r1 = t.make("r1", {0xae00, 0xc0ff});
  ASSERT_EQ(t.request(root, r1), 0);
  ResId r2 = t.make("r2", {0xae00, 0xaeff});
  EXPECT_EQ(t.insert(root, r2), 0);
  EXPECT_EQ(t.get(r2).parent, r1);
  EXPECT_EQ(t.children(root), std::vector<ResId>{r1});
  // The same range as an existing child is adopted-under, not descended into.
  ResId r3 = t.make("r3", {0xae00, 0xc0ff});
  EXPECT_EQ(t.insert(root, r3), 0);
  EXPECT_EQ(t.get(r1).parent, r3);
  // A partial overlap inside the child it went down into is still a conflict.
  ResId r4 = t.make("r4", {0xaf00, 0xc1ff});
  EXPECT_EQ(t.insert(root, r4), -err::ebusy);
}

// Found by `unpopcheck conform` (resource component): a released resource keeps its children;
// allocated again elsewhere, its old child lies outside it. __find_resource_space() then walks
// from that child's end + 1, finds room below the parent's start, and the request fails: -EBUSY.
// The model used to skip the stray child and succeed.
TEST(ResourceTree, AllocateWalksChildrenAsTheKernelDoes) {
  ResourceTree t;
  ResId root = t.make_root("root", {0, 0xffff});
  ResId r1 = t.make("r1", {0x4000, 0x7aff});
  ASSERT_EQ(t.request(root, r1), 0);
  ResId r2 = t.make("r2", {0x4000, 0x40ff});
  ASSERT_EQ(t.insert(root, r2), 0);  // goes down into r1
  t.release(r1);                      // r1 leaves with r2 still under it
  ASSERT_EQ(t.allocate(root, r1, 0x1100, 0x5169, 0x6268, 1), 0);
  EXPECT_EQ(t.get(r1).range, (Range{0x5169, 0x6268}));
  ResId r3 = t.make("r3", {0, 0xff});
  EXPECT_EQ(t.allocate(r1, r3, 0x100, 1, 0x5268, 1), -err::ebusy);
}

}  // namespace
}  // namespace unpop
