#pragma once
/// `struct resource` trees with kernel/resource.c semantics: request, insert, allocate, release.
///
/// A forest of nodes owned by one arena; roots are `iomem_resource` and, on Arm, `xen_resource`
/// (which Linux never inserts into iomem). Children are kept sorted by start in a std::map so
/// conflict checks and gap walks are O(log n + gaps), not a rescan of every resource.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/core/range.h"

namespace unpop {

using ResId = int;
inline constexpr ResId kNoRes = -1;

struct Resource {
  std::string name;
  Range range;
  ResId parent = kNoRes;
  bool linked = false;                 // in its parent's child list (or a root)
  std::map<Addr, ResId> children;      // by start; siblings never overlap
};

class ResourceTree {
 public:
  ResId make_root(const std::string& name, Range r);
  /// A detached node, as kzalloc'ed `struct resource` before it is requested.
  ResId make(const std::string& name, Range r = {});

  /// __request_resource(): conflicts if `r` is invalid, outside the root, or overlaps a direct
  /// child of `root` (only the top level is checked). Returns the conflicting resource or
  /// kNoRes on success; request() wraps it as 0 / -EBUSY.
  ResId request_conflict(ResId root, ResId node);
  int request(ResId root, ResId node);

  /// insert_resource(): like request, but when a child of `parent` contains `node` (and is not
  /// the same range) it goes down into that child and tries there; where it settles, `node`
  /// adopts the children it fully contains; a partial overlap is a conflict (-EBUSY).
  int insert(ResId parent, ResId node);

  /// allocate_resource(root, new, size, min, max, align, NULL, NULL): walks the gaps between
  /// root's children in ascending order (__find_resource_space), clips each to [min, max],
  /// aligns the start up to `align` (absolute alignment, with the kernel's overflow check) and
  /// takes the first gap the aligned range fits in: the lowest address. -EBUSY if none fits.
  /// `ignore_children` exists only for the `overlapping-growth` mutant.
  int allocate(ResId root, ResId node, std::uint64_t size, Addr min, Addr max, std::uint64_t align,
               bool ignore_children = false);

  /// release_resource(): unlinks the node (its children go with it, as in the kernel).
  void release(ResId node);

  const Resource& get(ResId id) const { return nodes_.at(static_cast<std::size_t>(id)); }
  Resource& get(ResId id) { return nodes_.at(static_cast<std::size_t>(id)); }
  std::vector<ResId> children(ResId parent) const;
  /// The direct child of `parent` overlapping `r`, lowest first (kNoRes if none).
  ResId first_overlap(ResId parent, Range r) const;
  /// The free gaps between `root`'s children inside [min, max] (what allocate() walks).
  std::vector<Range> gaps(ResId root, Addr min, Addr max) const;

 private:
  void link(ResId parent, ResId node);
  std::vector<Resource> nodes_;
};

}  // namespace unpop
