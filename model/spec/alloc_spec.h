#pragma once
/// The allocator's arithmetic written once, generic over a value domain.
///
/// Every function here is a template over a *domain* `D` that supplies the value type
/// (`typename D::V`), the truth type (`typename D::B`) and a handful of primitives. The model
/// instantiates it with `U64` below (plain `uint64_t` / `bool`, the kernel's arithmetic); the
/// solver (solver/z3_domain.h) instantiates the same templates with `z3::expr`, so the
/// constraint Z3 reasons about is the code the model runs, not a second hand-written copy.
/// docs/solver.md lists which model functions call which spec function, and the differential
/// tests (model/spec/alloc_spec_test.cpp) run the spec against the model where the model keeps
/// its own data structures (genpool best fit, resource-tree placement).
///
/// A domain D provides:
///   V lit(uint64_t)                  a constant
///   V ite(B, V, V)                   if-then-else
///   V floor_div(V x, uint64_t m)     floor(x / m) for x >= 0 (the solver defines it with a fresh
///                                    integer q: q*m <= x < q*m + m, i.e. `x = k*section` with an
///                                    integer k, never `mod`)
///   V mul(V x, uint64_t m)           x * m (linear: m is a constant)
///   B both(B, B), either(B, B), negate(B)
/// and the ordinary operators + - < <= == on V.
#include <cstdint>

namespace unpop::spec {

/// The model's domain: the kernel's unsigned 64-bit arithmetic.
struct U64 {
  using V = std::uint64_t;
  using B = bool;
  static V lit(std::uint64_t x) { return x; }
  static V ite(B c, V a, V b) { return c ? a : b; }
  static V floor_div(V x, std::uint64_t m) { return x / m; }
  static V mul(V x, std::uint64_t m) { return x * m; }
  static B both(B a, B b) { return a && b; }
  static B either(B a, B b) { return a || b; }
  static B negate(B a) { return !a; }
};

// ---- rounding and alignment (include/linux/math.h, include/linux/align.h) ------------------

/// round_up(n, m) / ALIGN(x, m): the smallest multiple of m that is >= x.
template <class D>
typename D::V align_up(const D& d, const typename D::V& x, std::uint64_t m) {
  // ceil(x / m) * m, written with floor_div of x + m - 1 so both domains agree for x >= 0.
  return d.mul(d.floor_div(x + d.lit(m - 1), m), m);
}

/// ALIGN_DOWN(x, m).
template <class D>
typename D::V align_down(const D& d, const typename D::V& x, std::uint64_t m) {
  return d.mul(d.floor_div(x, m), m);
}

/// IS_ALIGNED(x, m): x = k * m for an integer k.
template <class D>
typename D::B is_aligned(const D& d, const typename D::V& x, std::uint64_t m) {
  return x == align_down(d, x, m);
}

// ---- growth sizing (fill_list / fill_dma_pool / fill_pool) --------------------------------

/// Upstream xen_alloc_unpopulated_pages(): `if (list_count < nr_pages) fill_list(nr_pages -
/// list_count)`. Returns whether it grows and by how many pages it asks.
template <class D>
typename D::B list_needs_fill(const D&, const typename D::V& list_count, const typename D::V& nr) {
  return list_count < nr;
}
template <class D>
typename D::V list_fill_request(const D&, const typename D::V& list_count, const typename D::V& nr) {
  return nr - list_count;
}

/// `alloc_pages = round_up(nr_pages, PAGES_PER_SECTION)`: every growth is whole sections.
template <class D>
typename D::V fill_pages(const D& d, const typename D::V& nr_pages, std::uint64_t pages_per_section) {
  return align_up(d, nr_pages, pages_per_section);
}

// ---- ranges (inclusive ends, as struct resource) ------------------------------------------

template <class D>
typename D::B overlaps(const D& d, const typename D::V& as, const typename D::V& ae, const typename D::V& bs,
                       const typename D::V& be) {
  return d.both(as <= be, bs <= ae);
}

template <class D>
typename D::B contains(const D& d, const typename D::V& outer_s, const typename D::V& outer_e,
                       const typename D::V& inner_s, const typename D::V& inner_e) {
  return d.both(outer_s <= inner_s, inner_e <= outer_e);
}

/// Rule `growth-misaligned`: a growth [s, e] starts on a section boundary and spans whole
/// sections (e + 1 is a boundary too, and the range is not empty).
template <class D>
typename D::B growth_whole_sections(const D& d, const typename D::V& s, const typename D::V& e,
                                    std::uint64_t section) {
  return d.both(d.both(is_aligned(d, s, section), is_aligned(d, e + d.lit(1), section)), s <= e);
}

/// Pages a byte range [s, e] touches: PFN_DOWN(e) - PFN_DOWN(s) + 1.
template <class D>
typename D::V pages_touched(const D& d, const typename D::V& s, const typename D::V& e, std::uint64_t page) {
  return d.floor_div(e, page) - d.floor_div(s, page) + d.lit(1);
}

// ---- allocate_resource() placement (kernel/resource.c __find_resource_space) ---------------

/// One gap [gap_s, gap_e] (already clipped to [min, max]): the candidate start is
/// ALIGN(gap_s, align) and the range fits if it ends inside the gap. `start >= gap_s` is the
/// kernel's overflow check (only the 64-bit domain can wrap; the solver's check is separate).
template <class D>
struct GapFit {
  typename D::V start;
  typename D::B fits;
};
template <class D>
GapFit<D> fit_in_gap(const D& d, const typename D::V& gap_s, const typename D::V& gap_e, const typename D::V& size,
                     std::uint64_t align) {
  typename D::V start = align_up(d, gap_s, align);
  typename D::B fits = d.both(d.both(start >= gap_s, start <= gap_e), gap_e - start >= size - d.lit(1));
  return {start, fits};
}

// ---- which part of a range whole sections can use (model/linux/sections.cpp) ---------------

/// The whole, aligned sections inside [lo, hi]: [s, e) with s = ALIGN(lo), e = ALIGN_DOWN(hi+1),
/// usable iff s >= lo (no wrap) and e > s.
template <class D>
struct SectionWindow {
  typename D::V start;  // first byte of the first whole section
  typename D::V end;    // one past the last whole section
  typename D::B usable;
};
template <class D>
SectionWindow<D> section_window(const D& d, const typename D::V& lo, const typename D::V& hi, std::uint64_t section) {
  typename D::V s = align_up(d, lo, section);
  typename D::V e = align_down(d, hi + d.lit(1), section);
  return {s, e, d.both(s >= lo, e > s)};
}

// ---- gen_pool_best_fit (lib/genalloc.c) ----------------------------------------------------

/// A free run of `len` pages can serve a request of n pages.
template <class D>
typename D::B run_fits(const D&, const typename D::V& len, const typename D::V& n) {
  return len >= n;
}
/// Best fit's order: the smaller run wins, on equal length the lower start (the model's
/// (length, start) index; the kernel's scan keeps the first smallest run).
template <class D>
typename D::B better_fit(const D& d, const typename D::V& len_a, const typename D::V& start_a,
                         const typename D::V& len_b, const typename D::V& start_b) {
  return d.either(len_a < len_b, d.both(len_a == len_b, start_a < start_b));
}
/// gen_pool_alloc() skips a chunk whose avail is below the request before running the
/// algorithm on it.
template <class D>
typename D::B chunk_may_serve(const D&, const typename D::V& avail, const typename D::V& n) {
  return n <= avail;
}

// ---- proposed's placement (model/variants/proposed.cpp) ------------------------------------
// Page runs are half-open here, [s, end), as proposed's pfn intervals are.

/// Pages of [as, ae) that lie in [bs, be): max(0, min(ae, be) - max(as, bs)).
template <class D>
typename D::V shared_pages(const D& d, const typename D::V& as, const typename D::V& ae, const typename D::V& bs,
                           const typename D::V& be) {
  typename D::V lo = d.ite(as < bs, bs, as);
  typename D::V hi = d.ite(ae < be, ae, be);
  return d.ite(lo < hi, hi - lo, d.lit(0));
}

/// A window [c, c + n) lies inside the run [lo, end).
template <class D>
typename D::B window_inside(const D& d, const typename D::V& lo, const typename D::V& end, const typename D::V& c,
                            const typename D::V& n) {
  return d.both(lo <= c, c + n <= end);
}

/// grow_for_window's choice: the window needing fewer new (growable) pages, then the lower
/// start. The same lexicographic order as best fit's (shorter, then lower).
template <class D>
typename D::B cheaper_window(const D& d, const typename D::V& cost_a, const typename D::V& start_a,
                             const typename D::V& cost_b, const typename D::V& start_b) {
  return better_fit(d, cost_a, start_a, cost_b, start_b);
}

/// take_scattered: runs are used smallest first (then lowest); a run of `len` pages, reached
/// when `before` of the `nr` pages are taken already, gives min(len, nr - before) pages.
template <class D>
typename D::V scatter_take(const D& d, const typename D::V& nr, const typename D::V& before,
                           const typename D::V& len) {
  typename D::V left = d.ite(before < nr, nr - before, d.lit(0));
  return d.ite(len < left, len, left);
}

/// The whole sections a piece [first, end) of a window touches (pfns): the growth that makes
/// the piece pool pages.
template <class D>
struct SectionCover {
  typename D::V first;  // first pfn of the first section
  typename D::V end;    // one past the last section
};
template <class D>
SectionCover<D> section_cover(const D& d, const typename D::V& first, const typename D::V& end,
                              std::uint64_t pages_per_section) {
  return {align_down(d, first, pages_per_section), align_up(d, end, pages_per_section)};
}

}  // namespace unpop::spec
