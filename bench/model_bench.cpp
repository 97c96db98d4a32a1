// Model operation cost at 10^3, 10^5 and 10^6 live pages: a steady churn of grant-map sized
// allocations (16 pages) where each step frees the oldest allocation and allocates a new one.
// The per-operation cost must stay flat (within 2x) across the live sizes (README table).
#include <benchmark/benchmark.h>

#include <deque>

#include "model/case/runner.h"
#include "model/invariants/checker.h"
#include "model/model.h"

namespace unpop {
namespace {

Layout big_layout() {
  Layout l;
  l.name = "bench";
  l.ram = {{{0x40000000, 0x7fffffff}, "System RAM"}};
  l.hypervisor_node = true;
  l.grant_table = Range{0x38000000, 0x38ffffff};
  l.ext_regions = {{0x100000000, 0x10ffffffff}};  // 64 GiB: room for 2^24 pages
  return l;
}

void churn(benchmark::State& state, const std::string& variant, bool with_checker, bool dma) {
  const std::uint64_t live = static_cast<std::uint64_t>(state.range(0));
  const std::uint64_t per = 16;
  Geometry g;
  Geometry::make(Arch::arm64, 4096, g);
  Layout l = big_layout();
  Checker checker(l, g, checker_options(variant));
  Model m(ModelConfig{l, g, variant, Mutant::none}, with_checker ? &checker : nullptr);
  std::deque<PageSeq> ring;
  Call a;
  a.kind = dma ? Call::Kind::dma_alloc : Call::Kind::alloc;
  a.nr = per;
  Call f;
  f.kind = dma ? Call::Kind::dma_free : Call::Kind::free;
  for (std::uint64_t i = 0; i < live / per; ++i) ring.push_back(m.run(a).pages);
  bool do_free = true;
  for (auto _ : state) {
    if (do_free) {
      f.pages = std::move(ring.front());
      ring.pop_front();
      m.run(f);
    } else {
      ring.push_back(m.run(a).pages);
    }
    do_free = !do_free;
  }
  state.counters["live_pages"] = static_cast<double>(live);
  if (with_checker && !checker.all().empty()) state.SkipWithError("the checker reported a finding");
}

}  // namespace

// The default variant without the checker (the model's own cost), then every registered variant
// with the checker, and its DMA path where that path uses unpopulated space.
void register_benchmarks() {
  auto add = [](const std::string& name, std::string v, bool checked, bool dma) {
    benchmark::RegisterBenchmark(name.c_str(), [v, checked, dma](benchmark::State& s) { churn(s, v, checked, dma); })
        ->Arg(1000)->Arg(100000)->Arg(1000000)->Iterations(1000000)->Unit(benchmark::kNanosecond);
  };
  add(default_variant(), default_variant(), false, false);
  for (const auto& v : variants()) {
    add(v.name + "Checked", v.name, true, false);
    if (v.traits.dma != DmaSource::cma_ram) add(v.name + "DmaChecked", v.name, true, true);
  }
}

}  // namespace unpop

int main(int argc, char** argv) {
  unpop::register_benchmarks();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
