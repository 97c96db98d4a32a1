#include "model/case/runner.h"

#include <deque>

#include <fmt/format.h>

#include "model/core/errno.h"

namespace unpop {

Checker::Options checker_options(const std::string& variant) {
  Checker::Options o;
  o.expect_lifo = variant_info(variant, "variant").traits.pool == PoolKind::lifo_list;
  return o;
}

Geometry case_geometry(const Case& c) {
  Geometry g;
  std::string why;
  if (!Geometry::make(c.layout.arch, c.page_size, g, &why)) throw LoadError{"case", 0, why};
  return g;
}

Runner::Runner(const Case& c, bool liveness) : case_(c) {
  if (!find_variant(c.variant))
    throw LoadError{"case", 0, fmt::format("unknown variant '{}': expected one of {}", c.variant, variant_list_text())};
  Geometry g = case_geometry(c);
  Checker::Options o = checker_options(c.variant);
  o.liveness = liveness;
  o.steps_are_ops = true;
  checker_ = std::make_unique<Checker>(c.layout, g, o);
  init_findings_ = checker_->layout_findings();
  model_ = std::make_unique<Model>(ModelConfig{c.layout, g, c.variant, c.mutant}, checker_.get());
  for (auto& f : checker_->take()) init_findings_.push_back(std::move(f));
  results_.resize(c.ops.size());
  rets_.assign(c.ops.size(), std::nullopt);
  check_references(c.ops, "case");
}

Call call_for(const Op& op, const std::vector<PageSeq>& results) {
  Call c;
  c.owner = op.kind == Op::Kind::dma_alloc || op.kind == Op::Kind::dma_free ? op.dev : fmt::format("caller {}", op.caller);
  c.dev.name = op.dev;
  c.dev.dma_mask_bits = op.mask_bits;
  auto pages_of = [&]() {
    const PageSeq& all = results.at(static_cast<std::size_t>(op.ref));
    if (!op.count) return all;
    return all.slice(op.offset, *op.count);
  };
  switch (op.kind) {
    case Op::Kind::alloc: c.kind = Call::Kind::alloc; c.nr = op.nr; break;
    case Op::Kind::dma_alloc: c.kind = Call::Kind::dma_alloc; c.nr = op.nr; break;
    case Op::Kind::free: c.kind = Call::Kind::free; c.pages = pages_of(); break;
    case Op::Kind::dma_free: c.kind = Call::Kind::dma_free; c.pages = pages_of(); break;
    case Op::Kind::free_pfn: c.kind = Call::Kind::free; c.pages = PageSeq::ascending(op.pfn, op.nr); break;
    case Op::Kind::dma_free_pfn: c.kind = Call::Kind::dma_free; c.pages = PageSeq::ascending(op.pfn, op.nr); break;
    case Op::Kind::claim: c.kind = Call::Kind::claim; c.range = op.range; c.name = op.name; break;
    case Op::Kind::hotplug: c.kind = Call::Kind::hotplug; c.range = op.range; break;
    default: break;
  }
  return c;
}

StepRecord Runner::finish(std::size_t i, const OpResult& r) {
  StepRecord s;
  s.index = i;
  s.op = case_.ops[i];
  s.ret = r.ret;
  s.pages = r.pages;
  s.source = r.source;
  s.fault_fired = r.fault_fired;
  s.fault_point = r.fault_point;
  s.note = r.note;
  const Op& op = case_.ops[i];
  if (op.is_alloc()) {
    rets_[i] = r.ret;
    if (r.ret == 0) results_[i] = r.pages;
  }
  if (op.kind == Op::Kind::free || op.kind == Op::Kind::dma_free) {
    const auto k = static_cast<std::size_t>(op.ref);
    const Op& a = case_.ops[k];
    auto add_note = [&](const std::string& n) { s.note += (s.note.empty() ? "" : "; ") + n; };
    if (rets_[k] != 0) {
      s.bad_reference = fmt::format("#{} (`{}`) {}: it has no pages to give back", k, a.text(),
                                    !rets_[k] ? std::string("has not run yet") : std::string("failed with ") + err::name(*rets_[k]));
      add_note(s.bad_reference);
    } else if (op.count && *op.count < a.nr) {
      // Plain pages may go back in parts (xen_free_unpopulated_pages takes any of them); a DMA
      // buffer must go back whole, so a part is the misuse dma-free-mismatch is about.
      add_note(fmt::format("gives back pages {}..{} of the {} #{} got{}", op.offset, op.offset + *op.count - 1, a.nr, k,
                           op.kind == Op::Kind::dma_free ? " (a caller misuse: a DMA buffer goes back whole; the "
                                                           "rule dma-free-mismatch)"
                                                         : ""));
    }
  }
  s.findings = checker_->take();
  s.state = model_->describe();
  return s;
}

StepRecord Runner::run_one(std::size_t i) {
  const Op& op = case_.ops[i];
  checker_->set_step(i);
  OpResult r;
  if (op.kind == Op::Kind::fail) {
    model_->kernel().faults().arm(op.point, op.nth);
  } else if (op.kind == Op::Kind::drain) {
    checker_->drained();
  } else {
    r = model_->run(call_for(op, results_), op.caller);
  }
  return finish(i, r);
}

std::vector<StepRecord> Runner::run(bool stop_at_first) {
  std::vector<StepRecord> out;
  auto stop = [&](const StepRecord& s) { return stop_at_first && !s.findings.empty(); };
  if (case_.schedule.empty()) {
    for (std::size_t i = 0; i < case_.ops.size(); ++i) {
      out.push_back(run_one(i));
      if (stop(out.back())) break;
    }
    return out;
  }
  // Two callers: each runs its own ops in order; the schedule says who takes the next step.
  std::deque<std::size_t> queue[2];
  for (std::size_t i = 0; i < case_.ops.size(); ++i) queue[case_.ops[i].caller == 1 ? 1 : 0].push_back(i);
  std::unique_ptr<Running> cur[2];
  auto advance = [&](int who) -> bool {  // true if it made progress
    if (!cur[who]) {
      if (queue[who].empty()) return false;
      std::size_t i = queue[who].front();
      const Op& op = case_.ops[i];
      if (op.kind == Op::Kind::fail || op.kind == Op::Kind::drain) {
        queue[who].pop_front();
        interleaving_.push_back({who, i, "", true});
        out.push_back(run_one(i));
        return true;
      }
      checker_->set_step(i);
      cur[who] = model_->start(call_for(op, results_), who);
    }
    std::size_t i = queue[who].front();
    checker_->set_step(i);
    const bool returned = cur[who]->step();
    interleaving_.push_back({who, i, cur[who]->last_step_name(), returned});
    if (returned) {
      queue[who].pop_front();
      out.push_back(finish(i, cur[who]->result()));
      cur[who].reset();
    }
    return true;
  };
  for (int who : case_.schedule) {
    if (!advance(who == 1 ? 1 : 0)) continue;
    if (!out.empty() && stop(out.back())) return out;
  }
  for (int who : {0, 1})
    while (advance(who))
      if (!out.empty() && stop(out.back())) return out;
  return out;
}

}  // namespace unpop
