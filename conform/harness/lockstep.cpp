#include "conform/harness/lockstep.h"

#include <fmt/format.h>

#include <vector>

#include "conform/harness/world.h"
#include "kapi.h"
#include "model/core/errno.h"
#include "model/case/runner.h"
#include "model/model.h"
#include "model/variants/registry.h"

namespace unpop::conform {
namespace {

using Pfns = std::vector<unsigned long long>;

Pfns expand(const PageSeq& s) {
  Pfns out;
  out.reserve(s.size());
  for (const auto& r : s.runs())
    for (std::uint64_t i = 0; i < r.count; ++i) out.push_back(r.at(i));
  return out;
}

std::string show_pfns(const Pfns& p) {
  PageSeq s;
  for (auto x : p) s.push_back(x);
  return fmt::format("{} pages: {}", p.size(), s.describe(6));
}

struct Node {
  unsigned depth;
  std::string name;
  Addr start, end;
  bool operator==(const Node&) const = default;
};
using Tree = std::vector<Node>;

void dump_model(const ResourceTree& t, ResId parent, unsigned depth, Tree& out) {
  for (ResId c : t.children(parent)) {
    const Resource& r = t.get(c);
    out.push_back({depth, r.name, r.range.start, r.range.end});
    dump_model(t, c, depth + 1, out);
  }
}

Tree dump_kernel(const kapi* k, int which) {
  std::vector<kapi_res> buf(64);
  unsigned n = k->tree(which, buf.data(), static_cast<unsigned>(buf.size()));
  if (n > buf.size()) {
    buf.resize(n);
    n = k->tree(which, buf.data(), n);
  }
  Tree out;
  for (unsigned i = 0; i < n; ++i) out.push_back({buf[i].depth, buf[i].name ? buf[i].name : "(null)", buf[i].start, buf[i].end});
  return out;
}

std::string show_tree(const Tree& t) {
  std::string s;
  for (const auto& n : t) s += fmt::format("\n  {:{}}{:#x}-{:#x} : {}", "", 2 * n.depth, n.start, n.end, n.name);
  return s.empty() ? "\n  (empty)" : s;
}

/// Compares one thing; records a mismatch on the first difference.
class Compare {
 public:
  Compare(const kapi* k, LockstepResult& res) : k_(k), res_(res) {}
  std::size_t step = 0;
  std::string op = "boot";

  template <typename T>
  bool same(const std::string& what, const T& model, const T& kernel, auto&& show) {
    if (res_.mismatch) return false;
    if (model == kernel) {
      ++res_.comparisons;
      return true;
    }
    res_.mismatch = Mismatch{step, op, what, show(model), show(kernel), k_->log()};
    return false;
  }
  bool ok() const { return !res_.mismatch; }

 private:
  const kapi* k_;
  LockstepResult& res_;
};

auto as_int = [](int v) { return fmt::format("{}", v); };
auto as_u64 = [](std::uint64_t v) { return fmt::format("{}", v); };
auto as_bool = [](bool v) { return std::string(v ? "yes" : "no"); };

void compare_state(Compare& cmp, Model& m, const kapi* k) {
  const Kernel& kern = m.kernel();
  cmp.same("list_count", std::uint64_t{m.variant().free_pages()}, std::uint64_t{k->list_count()}, as_u64);
  Tree mi, ki = dump_kernel(k, 0);
  dump_model(kern.tree(), kern.iomem(), 0, mi);
  cmp.same("iomem_resource tree", mi, ki, show_tree);
  if (kern.has_target() && kern.target() != kern.iomem()) {
    Tree mt, kt = dump_kernel(k, 1);
    dump_model(kern.tree(), kern.target(), 0, mt);
    cmp.same("target resource tree", mt, kt, show_tree);
  }
}

void compare_boot(Compare& cmp, Model& m, const kapi* k, int kret) {
  cmp.same("unpopulated_init() return", m.init_ret(), kret, as_int);
  const Kernel& kern = m.kernel();
  cmp.same("has a target resource", kern.has_target(), k->has_target() != 0, as_bool);
  if (!kern.has_target() || !cmp.ok()) return;
  cmp.same("target is iomem_resource", kern.target() == kern.iomem(), k->target_is_iomem() != 0, as_bool);
  if (kern.target() != kern.iomem()) {
    Range mr = kern.tree().get(kern.target()).range;
    kapi_range kr = k->target_span();
    cmp.same("target span", mr, Range{kr.start, kr.end}, [](Range r) { return to_string(r); });
  }
}

Pfns slice_of(const Op& op, const std::vector<Pfns>& kernel_pages) {
  const Pfns& all = kernel_pages.at(static_cast<std::size_t>(op.ref));
  std::size_t off = op.count ? std::min<std::size_t>(op.offset, all.size()) : 0;
  std::size_t n = op.count ? std::min<std::size_t>(*op.count, all.size() - off) : all.size();
  return Pfns(all.begin() + static_cast<std::ptrdiff_t>(off), all.begin() + static_cast<std::ptrdiff_t>(off + n));
}

/// xen_alloc_unpopulated_contiguous_pages(): -ENODEV where the model takes CMA RAM (no target:
/// the grant table then falls back to dma_alloc_coherent), else return code and pages compared.
bool run_dma_alloc(Compare& cmp, Model& m, const kapi* k, const Op& op, const Call& call, LockstepResult& res,
                   PageSeq& model_out, Pfns& kernel_out) {
  OpResult r = m.run(call);
  Pfns got(op.nr);
  int kr = k->dma_alloc(static_cast<unsigned>(op.nr), op.mask_bits, op.dev.c_str(), got.data());
  res.rets.push_back(kr);
  const bool ram = r.source == Source::ram;
  if (!cmp.same("falls back to RAM (no unpopulated space)", ram, kr == -err::enodev, as_bool)) return false;
  ++res.seen[ram ? "dma ram" : fmt::format("dma_alloc {}", r.ret)];
  if (ram) {  // the kernel side's pages stay empty: its free goes to dma_free_coherent
    model_out = r.pages;
    k->ram_left(m.kernel().ram().free_pages());
    return true;
  }
  if (r.fault_fired) ++res.seen["fault fired"];
  if (!cmp.same("return code", r.ret, kr, as_int)) return false;
  if (r.ret == 0 && !cmp.same("pages handed out", expand(r.pages), got, show_pfns)) return false;
  if (r.ret == 0) {
    model_out = r.pages;
    kernel_out = got;
  }
  return true;
}

/// xen_free_unpopulated_contiguous_pages() of the kernel's own pages (a slice too: the patch
/// refuses it, as the model does). Skipped on the kernel side where the pages came from RAM.
bool run_dma_free(Compare& cmp, Model& m, const kapi* k, const Op& op, const Call& call, LockstepResult& res,
                  const std::vector<PageSeq>& model_pages, const std::vector<Pfns>& kernel_pages) {
  const auto ref = static_cast<std::size_t>(op.ref);
  const bool from_ram = !model_pages.at(ref).empty() && kernel_pages.at(ref).empty();
  Pfns give = slice_of(op, kernel_pages);
  OpResult r = m.run(call);
  if (from_ram) {
    k->ram_left(m.kernel().ram().free_pages());
    return true;
  }
  int kr = k->dma_free(static_cast<unsigned>(give.size()), op.dev.c_str(), give.data());
  res.rets.push_back(kr);
  ++res.seen[r.note.empty() ? "dma_free" : "dma_free refused"];
  return cmp.same("free completed (no BUG)", r.ret == kOops, kr == KAPI_OOPS, as_bool);
}

}  // namespace

std::string variant_for(const KernelBuild& b) {
  if (b.patched) {
    if (const VariantInfo* v = kernel_patches_variant()) return v->name;
    throw std::logic_error("no registered variant says kernel/patches implements it");
  }
  for (const auto& v : variants())
    if (v.mainline_arch_init == b.arch) return v.name;
  throw std::logic_error("no registered variant is mainline's arch init for " + std::string(to_string(b.arch)));
}

std::optional<std::string> unsupported_op(const Case& c, const KernelBuild& b) {
  for (const Op& op : c.ops) {
    switch (op.kind) {
      case Op::Kind::dma_alloc:
      case Op::Kind::dma_free:
        if (!b.api->dma_alloc)
          return fmt::format("'{}': Linux {} has no contiguous allocations (the patched build has)", op.text(), b.name());
        [[fallthrough]];
      case Op::Kind::alloc:
      case Op::Kind::free:
      case Op::Kind::fail:
      case Op::Kind::drain:
      case Op::Kind::claim:
      case Op::Kind::hotplug:
        if (op.caller != 0) return fmt::format("'{}': two-caller schedules are not run by conform", op.text());
        continue;
      default:
        return fmt::format("'{}': conform runs alloc, free, dma_alloc, dma_free, fail, claim, hotplug and drain",
                           op.text());
    }
  }
  if (!c.schedule.empty()) return std::string("two-caller schedules are not run by conform");
  return std::nullopt;
}

LockstepResult run_lockstep(const Case& c, const KernelBuild& b) {
  LockstepResult res;
  const kapi* k = b.api;
  ModelConfig cfg{c.layout, case_geometry(c), c.variant, c.mutant};
  Model m(cfg, nullptr);
  World world(cfg.layout, cfg.geo);
  Compare cmp(k, res);
  int kret = k->boot(&world.get());
  compare_boot(cmp, m, k, kret);
  ++res.seen[kret == 0 ? "boot ok" : fmt::format("boot {}", kret)];
  if (cmp.ok()) compare_state(cmp, m, k);
  std::vector<PageSeq> model_pages(c.ops.size());
  std::vector<Pfns> kernel_pages(c.ops.size());
  for (std::size_t i = 0; i < c.ops.size() && cmp.ok(); ++i) {
    const Op& op = c.ops[i];
    cmp.step = i + 1;
    cmp.op = op.text();
    ++res.ops;
    if (op.kind == Op::Kind::fail) {
      m.kernel().faults().arm(op.point, op.nth);
      k->arm_fault(static_cast<int>(op.point), op.nth);
      continue;
    }
    if (op.kind == Op::Kind::drain) continue;
    Call call = call_for(op, model_pages);
    if (op.kind == Op::Kind::claim || op.kind == Op::Kind::hotplug) {
      const bool ram = op.kind == Op::Kind::hotplug;
      OpResult r = m.run(call);
      int kr = k->claim(op.range.start, op.range.end, ram ? "System RAM" : op.name.c_str(), ram);
      res.rets.push_back(kr);
      if (!cmp.same("return code", r.ret, kr, as_int)) break;
      ++res.seen[fmt::format("{} {}", ram ? "hotplug" : "claim", r.ret)];
      compare_state(cmp, m, k);
      continue;
    }
    if (op.kind == Op::Kind::dma_alloc) {
      if (!run_dma_alloc(cmp, m, k, op, call, res, model_pages[i], kernel_pages[i])) break;
    } else if (op.kind == Op::Kind::dma_free) {
      if (!run_dma_free(cmp, m, k, op, call, res, model_pages, kernel_pages)) break;
    } else if (op.kind == Op::Kind::alloc) {
      unsigned balloon_before = k->balloon_calls();
      const std::uint64_t count_before = k->list_count();
      OpResult r = m.run(call);
      Pfns got(op.nr);
      int kr = k->alloc(static_cast<unsigned>(op.nr), got.data());
      res.rets.push_back(kr);
      if (!cmp.same("return code", r.ret, kr, as_int)) break;
      if (r.ret == kOops) {
        res.oops = true;
        break;
      }
      bool ballooned = k->balloon_calls() != balloon_before;
      ++res.seen[ballooned ? "balloon" : fmt::format("alloc {}", r.ret)];
      if (r.ret == 0 && !ballooned && count_before < op.nr) ++res.seen["growth"];
      if (r.fault_fired) ++res.seen["fault fired"];
      if (!cmp.same("served by the balloon", r.source == Source::ram, ballooned, as_bool)) break;
      if (r.ret == 0 && !ballooned && !cmp.same("pages handed out", expand(r.pages), got, show_pfns)) break;
      if (r.ret == 0) {
        model_pages[i] = r.pages;
        kernel_pages[i] = got;
      }
    } else {  // free: each side gives back the pages it handed out
      Pfns give = slice_of(op, kernel_pages);
      OpResult r = m.run(call);
      int kr = k->free(static_cast<unsigned>(give.size()), give.data());
      res.rets.push_back(kr);
      if (!cmp.same("free completed (no BUG)", r.ret == kOops, kr == KAPI_OOPS, as_bool)) break;
    }
    compare_state(cmp, m, k);
  }
  return res;
}

std::string describe(const Mismatch& m) {
  std::string s = fmt::format("{} differs at step {} ({})\n  model: {}\n  linux: {}", m.what, m.step, m.op,
                              m.model, m.kernel);
  if (!m.kernel_log.empty()) s += "\n  kernel log:\n    " + m.kernel_log;
  return s;
}

}  // namespace unpop::conform
