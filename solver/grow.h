#pragma once
/// The growth step (fill_list / fill_dma_pool / fill_pool = Kernel::grow) as a Z3 relation
/// over a World whose ranges may be constants (a loaded layout) or unknowns (every layout Xen
/// can emit). Placement, rounding and the rule predicates come from model/spec/alloc_spec.h.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <z3++.h>

#include "model/core/geometry.h"
#include "model/layout/layout.h"
#include "model/linux/mutants.h"
#include "solver/z3_domain.h"

namespace unpop::solver {

struct ZRange {
  z3::expr s, e;  // inclusive byte range
};

/// What a growth sees. For a loaded layout every range is a numeral, computed by the model's
/// own Kernel (its resource tree after init), so the solver never re-derives the world.
struct World {
  bool arm = true;                   // target xen_resource (mirror into iomem) or iomem itself
  bool has_target = true;
  ZRange target;                     // xen_resource span or iomem span
  std::vector<ZRange> target_children;  // "Unavailable space" holes, or iomem top level
  std::vector<ZRange> iomem_children;   // iomem top level (the Arm mirror's conflicts)
  ZRange iomem_span;
  std::vector<ZRange> ram;           // System RAM (memremap's -ENXIO; rule ram-overlap)
  std::vector<ZRange> devices;       // reserved, MMIO, grant table (rule device-overlap)
  std::vector<ZRange> regions;       // extended regions (rule outside-ext-region)
  ZRange plug;                       // mhp_get_pluggable_range(true)
};

World world_from_layout(z3::context& c, const Layout& l, const Geometry& g, bool use_iomem, Mutant m);

/// Fault points a single growth can hit, in the order Kernel::grow reaches them.
enum Fault : int {
  f_none = 0,
  f_kz_res,      // kzalloc(res)
  f_alloc_res,   // allocate_resource
  f_kz_tmp,      // kzalloc(tmp_res) (Arm mirror)
  f_req_res,     // request_resource(&iomem_resource, tmp_res)
  f_kz_pgmap,    // kzalloc(pgmap)
  f_memremap,    // memremap_pages
  f_gp_add,      // gen_pool_add_virt
  f_balloon,     // xen_alloc_ballooned_pages
  f_cma,         // dma_alloc_coherent
  f_count
};
const char* fault_name(int f);
/// The `fail POINT NTH` op that makes fault f fire at the growth-th growth (0-based) of an
/// operation (Arm: three kzallocs per growth).
std::string fault_op(int f, bool arm, int growth = 0);

/// A growth made earlier (or a resource a failed growth left behind: mutant no-rollback).
struct Slot {
  z3::expr intree;    // res linked under the target
  z3::expr mirrored;  // tmp_res linked under iomem (Arm)
  z3::expr mapped;    // memremap'ed (a pgmap exists)
  z3::expr pooled;    // a successful growth: its pages joined the pool
  z3::expr s, e;      // the range as the growth uses it (end off by one under the mutant)
  z3::expr tree_e;    // the range's end as allocate_resource linked it
  z3::expr pool;      // Int: 0 main pool, 1 RFC DMA pool
};

struct GrowOut {
  z3::expr ok;     // the growth succeeded
  z3::expr ret;    // 0 or -errno
  z3::expr oops;   // the RFC tmp_res slip dereferenced NULL
  Slot slot;       // the new slot (flags false unless something was linked)
  z3::expr fired;  // an injected fault fired in it
};

struct GrowParams {
  const World* w = nullptr;
  Geometry geo;
  Mutant mutant = Mutant::none;
  bool tmp_res_slip = false;      // RFC fill_dma_pool
  bool gen_pool_add = false;      // finish() adds a genpool chunk (RFC DMA, V1) and may fail
  int pool = 0;
  /// Proposed: the growth is placed in an explicit window (spec.window) of exactly its size;
  /// otherwise the pluggable range.
  bool windowed = false;
};

/// One Kernel::grow() call with `alloc_pages` pages, if `active`. `fault` is the Int fault
/// choice of this operation; `prior` the slots made before.
GrowOut encode_grow(Z3Domain& d, const GrowParams& p, const z3::expr& active, const z3::expr& alloc_pages,
                    const z3::expr& fault, const std::vector<Slot>& prior, const std::string& tag,
                    const z3::expr* win_s = nullptr, const z3::expr* win_e = nullptr);

/// The growth part of Inv for one slot: a successful growth is whole sections, in the target,
/// off its children, RAM and devices, inside the pluggable range, linked (and mirrored on Arm,
/// inside one region) and memremap'ed; a failed one left nothing behind.
z3::expr slot_invariant(Z3Domain& d, const World& w, const Slot& x, bool arm, std::uint64_t section);

/// Two earlier growths assumed to satisfy the growth part of Inv (or rolled back), the second
/// disjoint from the first, asserted in `s`: the pre-state of every inductive step. Constants
/// are named `<prefix>intree0`, ...; `pool(j)` is slot j's pool.
std::vector<Slot> assume_inv_growths(Z3Domain& d, z3::solver& s, const World& w, bool arm, std::uint64_t section,
                                     const std::function<z3::expr(int)>& pool, const std::string& prefix = "");
/// Two pooled slots share a byte.
z3::expr slots_overlap(Z3Domain& d, const Slot& a, const Slot& b);
/// What breaks `rule` when growth `g` follows `prior`: a placement rule (placement_broken),
/// growth-overlap (pages as the checker counts them) or inv-preserved (the new slot satisfies
/// the growth part of Inv and is disjoint from the earlier ones).
z3::expr growth_step_broken(Z3Domain& d, const World& w, const std::string& rule, const GrowOut& g,
                            const std::vector<Slot>& prior, bool arm, std::uint64_t section, std::uint64_t page);
/// A counterexample to induction of a growth step, in words.
std::string growth_cti(const z3::model& m, const std::vector<Slot>& prior, const z3::expr& nr, const z3::expr& fault,
                       const GrowOut& g);

/// Rule predicates on a growth range, from model/spec (the checker's growth() in Z3 terms).
z3::expr misaligned(Z3Domain& d, const z3::expr& s, const z3::expr& e, std::uint64_t section);
/// The checker's placement rules on one growth [s, e] in `w`: ram-overlap, device-overlap,
/// outside-ext-region, growth-misaligned (false for any other rule name).
z3::expr placement_broken(Z3Domain& d, const World& w, const std::string& rule, const z3::expr& s, const z3::expr& e,
                          std::uint64_t section);
z3::expr hits_any(Z3Domain& d, const z3::expr& s, const z3::expr& e, const std::vector<ZRange>& list);
z3::expr inside_one(Z3Domain& d, const z3::expr& s, const z3::expr& e, const std::vector<ZRange>& list);

}  // namespace unpop::solver
