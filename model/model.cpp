#include "model/model.h"

#include <stdexcept>

#include <fmt/format.h>

#include "model/core/errno.h"
#include "model/variants/list_pool.h"

namespace unpop {

Model::Model(const ModelConfig& cfg, Observer* obs)
    : cfg_(cfg), kernel_(cfg.layout, cfg.geo, cfg.mutant, obs), variant_(make_variant(cfg.variant)) {
  if (!variant_) throw std::invalid_argument(fmt::format("unknown variant '{}'", cfg.variant));
  init_ret_ = variant_->init(kernel_);
  variant_->report_counts(kernel_);
}

std::unique_ptr<Running> Model::start(const Call& call, int caller) {
  auto r = std::make_unique<Running>();
  r->model_ = this;
  r->call_ = call;
  r->caller_ = caller;
  CallCtx ctx{caller, call.owner};
  switch (call.kind) {
    case Call::Kind::alloc: r->task_ = variant_->alloc(kernel_, ctx, call.nr); break;
    case Call::Kind::free: r->task_ = variant_->free(kernel_, ctx, call.pages); break;
    case Call::Kind::dma_alloc: r->task_ = variant_->dma_alloc(kernel_, ctx, call.nr, call.dev); break;
    case Call::Kind::dma_free: r->task_ = variant_->dma_free(kernel_, ctx, call.pages, call.dev); break;
    case Call::Kind::claim:
    case Call::Kind::hotplug: {
      Kernel* k = &kernel_;
      Call c = call;
      r->task_ = one_step([k, c](OpResult& res) {
        res.ret = k->claim(c.range, c.kind == Call::Kind::hotplug ? "System RAM" : c.name,
                           c.kind == Call::Kind::hotplug);
      });
      break;
    }
  }
  return r;
}

std::string Running::last_step_name() const { return task_ ? task_->last_step_name() : ""; }

bool Running::step() {
  if (finished_) return true;
  if (model_->kernel().oopsed()) {  // a dead kernel runs nothing more
    result_.ret = kOops;
    finished_ = true;
    return true;
  }
  model_->kernel().faults().take_fired();
  bool done = task_->step();
  if (model_->kernel().faults().take_fired() > 0) {
    fault_ = true;
    fault_point_ = to_string(model_->kernel().faults().last_fired());
  }
  if (done) {
    result_ = task_->result();
    result_.fault_fired = fault_;
    result_.fault_point = fault_point_;
    model_->finish(*this);
    finished_ = true;
  }
  return done;
}

void Model::finish(Running& r) {
  if (r.result_.ret == kOops || kernel_.oopsed()) {
    r.result_.ret = kOops;
    return;
  }
  const Call& c = r.call_;
  CallCtx ctx{r.caller_, c.owner};
  switch (c.kind) {
    case Call::Kind::alloc: report_alloc(kernel_, ctx, Path::plain, c.nr, r.result_); break;
    case Call::Kind::dma_alloc: {
      Addr max = c.dev.dma_mask_bits >= 64 ? ~Addr{0} : (Addr{1} << c.dev.dma_mask_bits) - 1;
      report_alloc(kernel_, ctx, Path::dma, c.nr, r.result_, max);
      break;
    }
    case Call::Kind::free: report_free(kernel_, ctx, Path::plain, r.result_.source, c.pages); break;
    case Call::Kind::dma_free: report_free(kernel_, ctx, Path::dma, r.result_.source, c.pages); break;
    default: break;
  }
  variant_->report_counts(kernel_);
}

OpResult Model::run(const Call& call, int caller) {
  auto r = start(call, caller);
  while (!r->step()) {
  }
  return r->result();
}

std::vector<std::string> Model::describe() const {
  std::vector<std::string> out;
  const Kernel& k = kernel_;
  out.push_back(fmt::format("target {}{}", to_string(k.target_kind()),
                            k.has_target() ? " " + to_string(k.tree().get(k.target()).range) : ""));
  for (auto& line : variant_->describe()) out.push_back(std::move(line));
  if (k.ram().taken()) out.push_back(fmt::format("RAM taken from the guest: {} pages", k.ram().taken()));
  if (k.oopsed()) out.push_back("kernel: oopsed");
  return out;
}

}  // namespace unpop
