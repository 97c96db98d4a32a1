#include "conform/harness/suites.h"

#include <fmt/format.h>
#include <rapidcheck.h>

#include <iostream>

#include "conform/harness/lockstep.h"
#include "conform/harness/solo.h"
#include "kapi.h"
#include "model/variants/registry.h"
#include "properties/gen.h"
#include "properties/rc_run.h"

namespace unpop::conform {
namespace {

using props::pick;
using props::pick_weighted;

/// What the last failing property run saw (RapidCheck calls the property again while
/// shrinking; the last failure is the minimal one).
struct Last {
  bool set = false;
  std::string failure;
  Case cs;
  std::string text;
};
Last g_last;

struct Counts {
  std::uint64_t ops = 0, comparisons = 0;
  std::map<std::string, std::uint64_t> seen;
};

/// A free of an earlier allocation's pages: the whole of it, or a part (the rest stays out).
Op gen_free(const std::vector<Op>& ops, std::size_t ref, Op::Kind kind) {
  Op op;
  op.kind = kind;
  op.ref = static_cast<int>(ref);
  op.dev = ops[ref].dev;  // a DMA free names the device the buffer was for
  if (props::coin()) {
    std::uint64_t nr = std::max<std::uint64_t>(ops[ref].nr, 1);
    op.offset = pick(0, nr - 1);
    op.count = pick(1, nr - op.offset);
  }
  return op;
}

/// A contiguous allocation (patched builds): a buffer's pages for gntdev (64-bit mask) or for a
/// device with a 32- or 40-bit mask.
Op gen_dma_alloc(std::uint64_t page_size) {
  Op op;
  op.kind = Op::Kind::dma_alloc;
  op.nr = *props::genPages(page_size);
  switch (pick_weighted({6, 1, 1})) {
    case 1: op.mask_bits = 32; op.dev = "dev32"; break;
    case 2: op.mask_bits = 40; op.dev = "dev40"; break;
    default: break;
  }
  return op;
}

/// Ops of one unpopulated-alloc case: allocations (realistic sizes), frees of live
/// allocations (whole, or a part), faults at the points upstream's code has, and now and then a
/// run-time user of iomem_resource (a driver's MMIO, memory hot-plug) in or near the regions.
/// With `contiguous` (a patched build): contiguous allocations and their frees too, and frees
/// through the wrong call or of pages already given back, which the patch must refuse.
std::vector<Op> gen_unpop_ops(const Layout& layout, std::uint64_t page_size, bool contiguous) {
  Geometry geo;
  Geometry::make(layout.arch, page_size, geo);
  std::vector<Op> ops;
  std::vector<std::size_t> live;  // alloc op indexes not yet freed
  std::vector<std::size_t> allocs;  // every alloc and dma_alloc op
  const std::size_t n = pick(1, 25);
  static const std::vector<FaultPoint> points = {FaultPoint::kzalloc, FaultPoint::allocate_resource,
                                                 FaultPoint::request_resource, FaultPoint::memremap_pages,
                                                 FaultPoint::balloon};
  for (std::size_t i = 0; i < n; ++i) {
    Op op;
    const std::uint32_t dma = contiguous ? 4 : 0, misuse = contiguous && !allocs.empty() ? 1 : 0;
    std::size_t kind = pick_weighted({6, live.empty() ? 0u : 4u, 1, 1, dma, misuse});
    if (kind == 0 || kind == 4) {
      op = kind == 0 ? Op{} : gen_dma_alloc(page_size);
      if (kind == 0) op.nr = *props::genPages(page_size);
      live.push_back(ops.size());
      allocs.push_back(ops.size());
    } else if (kind == 1) {
      std::size_t at = pick(0, live.size() - 1);
      const bool was_dma = ops[live[at]].kind == Op::Kind::dma_alloc;
      op = gen_free(ops, live[at], was_dma ? Op::Kind::dma_free : Op::Kind::free);
      live.erase(live.begin() + static_cast<std::ptrdiff_t>(at));
    } else if (kind == 5) {  // any allocation, live or not, through either free
      op = gen_free(ops, allocs[pick(0, allocs.size() - 1)], props::coin() ? Op::Kind::dma_free : Op::Kind::free);
    } else if (kind == 3) {
      const bool ram = props::coin();
      op.kind = ram ? Op::Kind::hotplug : Op::Kind::claim;
      op.range = *props::genClaimRange(layout, geo.section_size(), ram);
      op.name = "driver-mmio";
    } else {
      op.kind = Op::Kind::fail;
      op.point = points.at(pick(0, points.size() - 1));
      op.nth = static_cast<unsigned>(pick(1, 3));
    }
    ops.push_back(op);
  }
  return ops;
}

void unpop_property(const KernelBuild& b, const SuiteConfig& cfg, Counts& counts) {
  Case c;
  if (b.arch == Arch::x86_64) {
    c.layout = *props::genX86Layout();
    c.page_size = 4096;
  } else {
    props::SetupOptions so;
    so.page_size = cfg.page_size;
    const auto setup = *rc::gen::suchThat(props::genSetup(so), [](const props::Setup& s) {
      return s.layout.arch == Arch::arm64;
    });
    c.layout = setup.layout;
    c.preset = setup.preset;
    c.page_size = setup.page_size;
    // Now and then a boot the Arm arch init refuses (-ENODEV): an ACPI boot, or a device tree
    // without the hypervisor node. Every call then takes the balloon.
    switch (pick_weighted({18, 1, 1})) {
      case 1: c.layout.acpi = true; c.preset.clear(); break;
      case 2: c.layout.hypervisor_node = false; c.preset.clear(); break;
      default: break;
    }
  }
  // Before v6.10 x86 had no arch init of its own: the __weak default takes iomem_resource and
  // seeds nothing, so the model's `x86` (which cites the v6.10 seeding) runs such a kernel only
  // without xen_extra_mem (docs/conformance.md).
  if (b.arch == Arch::x86_64 && b.kernel == "6.1") c.layout.extra_mem.clear();
  c.variant = variant_for(b);
  c.mutant = cfg.mutant;
  c.origin = "conform";
  c.ops = gen_unpop_ops(c.layout, c.page_size, b.api->dma_alloc != nullptr);
  LockstepResult r = run_lockstep(c, b);
  if (r.mismatch) {
    g_last = Last{true, describe(*r.mismatch), c, {}};
    g_last.cs.failing_step = r.mismatch->step;
    RC_FAIL(describe(*r.mismatch));
  }
  counts.ops += r.ops;
  counts.comparisons += r.comparisons;
  for (const auto& [k, v] : r.seen) counts.seen[k] += v;
  ++counts.seen[fmt::format("page size {}K", c.page_size / 1024)];
}

template <typename Solo>
void solo_property(const KernelBuild& b, const SuiteConfig& cfg, Counts& counts) {
  Solo s(b.api, cfg.mutant);
  s.run();  // generates and runs op by op; RC_FAILs at the first difference
  if (s.failed()) {
    g_last = Last{true, s.failure(), {}, s.script()};
    RC_FAIL(s.failure());
  }
  counts.ops += s.ops();
  counts.comparisons += s.comparisons();
}

class Listener : public rc::detail::TestListener {
 public:
  explicit Listener(const std::function<void()>& f) : f_(f) {}
  void onTestCaseFinished(const rc::detail::CaseDescription&) override {
    if (f_) f_();
  }
  void onShrinkTried(const rc::detail::CaseDescription&, bool) override {}
  void onTestFinished(const rc::detail::TestMetadata&, const rc::detail::TestResult&) override {}

 private:
  const std::function<void()>& f_;
};

}  // namespace

std::vector<std::string> component_names() { return {"unpopulated-alloc", "genalloc", "resource"}; }

bool runs_on(const std::string& component, const KernelBuild& b) {
  return component == "unpopulated-alloc" || (b.arch == Arch::arm64 && !b.patched);
}

bool mutant_in_scope(Mutant m, const std::string& component) {
  if (m == Mutant::none) return true;
  if (component == "resource") return m == Mutant::overlapping_growth;
  if (component == "genalloc") return false;  // no mutant changes GenPool itself
  for (const auto& info : mutant_table())
    if (info.id == m)
      return info.scope == MutantScope::growth || info.scope == MutantScope::lifo_list ||
             info.scope == MutantScope::arm_holes;
  return false;
}

SuiteResult run_suite(const std::string& component, const KernelBuild& b, const SuiteConfig& cfg) {
  SuiteResult out;
  out.component = component;
  out.build = &b;
  Counts counts;
  std::function<void()> prop;
  if (component == "unpopulated-alloc")
    prop = [&] { unpop_property(b, cfg, counts); };
  else if (component == "genalloc")
    prop = [&] { solo_property<GenallocSolo>(b, cfg, counts); };
  else if (component == "resource")
    prop = [&] { solo_property<ResourceSolo>(b, cfg, counts); };
  else
    throw std::invalid_argument("unknown component " + component);

  const std::string id = fmt::format("conform/{}/{}/{}", component, b.name(), to_string(cfg.mutant));
  g_last = Last{};
  Listener listener(cfg.progress);
  props::RcRun run = props::rc_run(id, cfg.seed, cfg.runs, cfg.max_size, prop, listener);
  const auto& res = run.result;
  const auto& params = run.params;
  rc::detail::SuccessResult sr;
  rc::detail::FailureResult fr;
  rc::detail::GaveUpResult gr;
  rc::detail::Error er;
  out.ops = counts.ops;
  out.comparisons = counts.comparisons;
  out.seen = counts.seen;
  if (res.match(sr)) {
    out.cases = sr.numSuccess;
    return out;
  }
  if (res.match(gr)) out.error = "gave up: " + gr.description;
  if (res.match(er)) out.error = "error: " + er.description;
  if (!res.match(fr)) return out;
  out.cases = fr.numSuccess + 1;
  out.failed = true;
  out.failure = g_last.set ? g_last.failure : fr.description;
  if (g_last.set && component == "unpopulated-alloc") {
    out.cex = g_last.cs;
    out.cex->seed = cfg.seed;
    rc::detail::Configuration conf;
    conf.testParams = params;
    conf.reproduce[id] = fr.reproduce;
    out.cex->reproduce = rc::detail::configToMinimalString(conf);
    out.cex->rule = "conform";
    out.cex->extra = nlohmann::json{{"kernel", b.kernel}, {"arch", to_string(b.arch)}, {"difference", out.failure}};
  }
  out.cex_text = g_last.text;
  return out;
}

}  // namespace unpop::conform
