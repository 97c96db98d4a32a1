#include "properties/driver.h"

#include <algorithm>

#include <fmt/format.h>

#include "model/core/errno.h"

namespace unpop::props {

namespace icl = boost::icl;
using PfnIv = PfnSet::interval_type;

Driver::Driver(const Case& base) : case_(base) {
  case_.ops.clear();
  case_.schedule.clear();
  Geometry g = case_geometry(case_);
  Checker::Options o = checker_options(case_.variant);
  o.steps_are_ops = true;
  checker_ = std::make_unique<Checker>(case_.layout, g, o);
  init_ = checker_->layout_findings();
  model_ = std::make_unique<Model>(ModelConfig{case_.layout, g, case_.variant, case_.mutant}, checker_.get());
  for (auto& f : checker_->take()) init_.push_back(std::move(f));
}

std::vector<Finding> Driver::step(Op op) {
  std::vector<Finding> out;
  step_counting(std::move(op), &out);
  return out;
}

std::size_t Driver::step_counting(Op op, std::vector<Finding>* findings) {
  const std::size_t i = case_.ops.size();
  op.caller = 0;
  case_.ops.push_back(op);
  results_.emplace_back();
  checker_->set_step(i);
  OpResult r;
  std::size_t steps = 0;
  if (op.kind == Op::Kind::fail) {
    model_->kernel().faults().arm(op.point, op.nth);
    steps = 0;
  } else if (op.kind == Op::Kind::drain) {
    checker_->drained();
  } else {
    auto run = model_->start(call_for(op, results_), 0);
    do ++steps;
    while (!run->step());
    r = run->result();
  }
  last_ret_ = r.ret;
  if (op.is_alloc() && r.ret == 0) results_[i] = r.pages;
  std::vector<Finding> fs = checker_->take();
  reference_check(i, op, r, fs);
  if (findings) *findings = std::move(fs);
  return steps;
}

void Driver::reference_check(std::size_t i, const Op& op, const OpResult& r, std::vector<Finding>& out) {
  if (model_->kernel().oopsed()) return;  // a dead kernel: the checker already said why
  auto bad = [&](std::string msg) {
    Finding f;
    f.rule = kReferenceRule;
    f.severity = Severity::violation;
    f.message = std::move(msg);
    f.step = i;
    out.push_back(std::move(f));
  };
  // What the reference expects of this step.
  if (op.is_alloc()) {
    if (r.ret == 0) {
      if (r.pages.size() != op.nr)
        bad(fmt::format("allocation of {} pages returned {} pages", op.nr, r.pages.size()));
      if (r.source == Source::pool) {
        PfnSet got;
        for (const auto& run : r.pages.runs()) got += PfnIv::closed(run.lo(), run.hi());
        if (icl::intersects(got, ref_pool_live_))
          bad(fmt::format("allocation handed out pfn {:#x}, which the reference says a caller still holds",
                          icl::first(*(got & ref_pool_live_).begin())));
        if (icl::cardinality(got) != r.pages.size()) bad("allocation handed out the same page twice");
        ref_pool_live_ += got;
        ref_live_[i] = r.pages;
      }
    } else if (!r.pages.empty()) {
      bad(fmt::format("failed allocation ({}) still returned {} pages", err::name(r.ret), r.pages.size()));
    }
  } else if ((op.kind == Op::Kind::free || op.kind == Op::Kind::dma_free) && r.source == Source::pool) {
    auto it = ref_live_.find(static_cast<std::size_t>(op.ref));
    if (it != ref_live_.end() && !op.count) {
      for (const auto& run : it->second.runs()) ref_pool_live_ -= PfnIv::closed(run.lo(), run.hi());
      ref_live_.erase(it);
    }
  }
  // What the variant and the checker say is live / free must agree with the reference.
  if (checker_->live() != ref_pool_live_) {
    PfnSet diff = (checker_->live() - ref_pool_live_) + (ref_pool_live_ - checker_->live());
    bad(fmt::format("live pages differ from the reference at pfn {:#x} ({} live, reference {})",
                    icl::first(*diff.begin()), checker_->live_pages(), icl::cardinality(ref_pool_live_)));
  }
  // The address space: the pool's resources in the target (and the Arm mirror in iomem) are
  // exactly the growths that succeeded; a failed growth leaves nothing behind.
  std::vector<Range> grown;
  for (const auto& g : checker_->growths()) grown.push_back({icl::first(g), icl::last(g)});
  const Kernel& k = model_->kernel();
  auto pool_resources = [&](ResId root) {
    std::vector<Range> out;
    for (ResId id : k.tree().children(root)) {
      const Resource& r = k.tree().get(id);
      if (r.name == "Xen scratch" || r.name == "Xen DMA pool") out.push_back(r.range);
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  if (k.has_target()) {
    std::vector<ResId> roots{k.target()};
    if (k.target() != k.iomem()) roots.push_back(k.iomem());
    for (ResId root : roots) {
      auto have = pool_resources(root);
      if (have != grown) {
        std::size_t j = 0;
        while (j < have.size() && j < grown.size() && have[j] == grown[j]) ++j;
        bad(fmt::format("{} holds {} pool resources, the pool grew {} times{}", k.tree().get(root).name, have.size(),
                        grown.size(),
                        j < have.size() ? fmt::format(": {} is not a growth", to_string(have[j]))
                                        : fmt::format(": growth {} has no resource", to_string(grown[j]))));
        break;
      }
    }
  }
  std::uint64_t pool = checker_->pool_pages(), live = icl::cardinality(ref_pool_live_ & checker_->pool());
  std::uint64_t free = model_->variant().free_pages();
  if (free + live != pool)
    bad(fmt::format("the variant holds {} free pages; the reference expects {} (pool {} - live {})", free,
                    pool - std::min(pool, live), pool, live));
}

}  // namespace unpop::props
