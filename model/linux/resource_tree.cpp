#include "model/linux/resource_tree.h"

#include <algorithm>

#include "model/core/errno.h"
#include "model/spec/alloc_spec.h"

namespace unpop {

ResId ResourceTree::make_root(const std::string& name, Range r) {
  ResId id = make(name, r);
  get(id).linked = true;
  return id;
}

ResId ResourceTree::make(const std::string& name, Range r) {
  nodes_.push_back(Resource{name, r, kNoRes, false, {}});
  return static_cast<ResId>(nodes_.size() - 1);
}

ResId ResourceTree::first_overlap(ResId parent, Range r) const {
  const auto& kids = get(parent).children;
  // The child that starts at or before r.start may reach into r; then any child starting in r.
  auto it = kids.upper_bound(r.start);
  if (it != kids.begin()) {
    auto prev = std::prev(it);
    if (get(prev->second).range.overlaps(r)) return prev->second;
  }
  if (it != kids.end() && it->first <= r.end) return it->second;
  return kNoRes;
}

ResId ResourceTree::request_conflict(ResId root, ResId node) {
  const Range r = get(node).range;
  const Range rr = get(root).range;
  // kernel/resource.c __request_resource: end < start, or outside root -> conflict is root.
  if (!r.valid() || r.start < rr.start || r.end > rr.end) return root;
  ResId c = first_overlap(root, r);
  if (c != kNoRes) return c;
  link(root, node);
  return kNoRes;
}

int ResourceTree::request(ResId root, ResId node) {
  return request_conflict(root, node) == kNoRes ? 0 : -err::ebusy;
}

int ResourceTree::insert(ResId parent, ResId node) {
  const Range r = get(node).range;
  // __insert_resource(): request it; if the conflicting child contains it (and is not the same
  // range), go down into that child and try again (found by conformance against
  // kernel/resource.c: conform/harness/solo.cpp, docs/conformance.md).
  for (;;) {
    if (!r.valid() || !get(parent).range.contains(r)) return -err::ebusy;  // conflict is the parent
    ResId first = first_overlap(parent, r);
    if (first == kNoRes) {
      link(parent, node);
      return 0;
    }
    if (first == node) return -err::ebusy;  // WARN_ON(first == new): duplicated insertion
    const Range fr = get(first).range;
    if (fr.start > r.start || fr.end < r.end || fr == r) break;
    parent = first;
  }
  // Children of parent that overlap r must lie wholly inside r: they move under `node`.
  std::vector<ResId> adopt;
  auto& kids = get(parent).children;
  for (ResId c = first_overlap(parent, r); c != kNoRes;) {
    const Range cr = get(c).range;
    if (!r.contains(cr)) return -err::ebusy;
    adopt.push_back(c);
    auto it = kids.upper_bound(cr.start);
    c = (it != kids.end() && it->first <= r.end) ? it->second : kNoRes;
  }
  for (ResId c : adopt) {
    kids.erase(get(c).range.start);
    get(c).linked = false;
    link(node, c);
  }
  link(parent, node);
  return 0;
}

std::vector<Range> ResourceTree::gaps(ResId root, Addr min, Addr max) const {
  // __find_resource_space()'s walk, step for step: the space before each child, then after the
  // last, each clipped to [min, max] (resource_clip). A child starting at the root's start is
  // skipped first (the kernel's underflow guard); the walk stops after a child that ends where
  // the root ends. tmp.start is set to each child's end + 1 even where that goes backwards: a
  // tree whose children lie outside their parent (a released resource keeps its children and
  // can be allocated elsewhere) is walked as the kernel walks it (found by conformance,
  // docs/conformance.md).
  std::vector<Range> out;
  const Resource& rt = get(root);
  auto it = rt.children.begin();
  const auto end = rt.children.end();
  Addr tmp_start = rt.range.start;
  if (it != end && get(it->second).range.start == rt.range.start) {
    tmp_start = get(it->second).range.end + 1;
    ++it;
  }
  for (;;) {
    const Resource* child = it != end ? &get(it->second) : nullptr;
    Addr tmp_end = child ? child->range.start - 1 : rt.range.end;
    if (tmp_end >= tmp_start) {
      Addr s = std::max(tmp_start, min), e = std::min(tmp_end, max);
      if (s <= e) out.push_back({s, e});
    }
    if (!child || child->range.end == rt.range.end) break;
    tmp_start = child->range.end + 1;
    ++it;
  }
  return out;
}

int ResourceTree::allocate(ResId root, ResId node, std::uint64_t size, Addr min, Addr max,
                           std::uint64_t align, bool ignore_children) {
  if (size == 0) return -err::einval;
  std::vector<Range> spaces;
  if (ignore_children) {
    auto r = get(root).range.intersect(Range{min, max});
    if (r) spaces.push_back(*r);
  } else {
    spaces = gaps(root, min, max);
  }
  for (const Range& gap : spaces) {
    // ALIGN(avail.start, align) with the overflow check of __find_resource_space.
    auto fit = spec::fit_in_gap(spec::U64{}, gap.start, gap.end, size, align);
    if (!fit.fits) continue;
    Addr start = fit.start;
    get(node).range = Range::from_size(start, size);
    if (ignore_children) {
      // Mutant: link without the conflict check (the kernel would refuse).
      auto& n = get(node);
      n.parent = root;
      n.linked = true;
      get(root).children.emplace(start, node);  // keeps the first child at an equal start
      return 0;
    }
    return request(root, node);
  }
  return -err::ebusy;
}

void ResourceTree::release(ResId node) {
  Resource& n = get(node);
  if (!n.linked || n.parent == kNoRes) return;
  auto& kids = get(n.parent).children;
  auto it = kids.find(n.range.start);
  if (it != kids.end() && it->second == node) kids.erase(it);
  n.linked = false;
  n.parent = kNoRes;
}

void ResourceTree::link(ResId parent, ResId node) {
  Resource& n = get(node);
  n.parent = parent;
  n.linked = true;
  get(parent).children.emplace(n.range.start, node);
}

std::vector<ResId> ResourceTree::children(ResId parent) const {
  std::vector<ResId> out;
  for (const auto& [s, id] : get(parent).children) out.push_back(id);
  return out;
}

}  // namespace unpop
