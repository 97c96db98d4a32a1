#pragma once
/// Runs one workload through one variant on one layout and page size, with the invariant
/// checker attached (every scenario also proves the invariants hold), and returns the counters
/// of metrics.h plus, on request, their values over simulated time.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/core/geometry.h"
#include "model/layout/layout.h"
#include "model/linux/mutants.h"
#include "scenarios/metrics.h"
#include "scenarios/workload.h"

namespace unpop::scen {

/// The counters at one instant (after the last event at that simulated time).
struct Sample {
  double t = 0;
  std::uint64_t ram = 0, cma = 0, pool = 0, pool_live = 0, p2m_2m = 0, p2m_1g = 0, hypercalls = 0,
                failures = 0, growths = 0;
};

struct RunResult {
  std::string scenario, variant, layout;
  std::uint64_t page_size = 4096;
  std::uint64_t seed = kDefaultSeed;
  int init_ret = 0;
  std::size_t events = 0;
  double duration = 0;  // simulated seconds of the workload (before teardown)
  Counters c;
  std::vector<Sample> series;           // only when asked for
  std::vector<std::string> violations;  // the first few violation texts, if any
  bool oopsed = false;
  double wall_ms = 0;
};

/// `mutant`: the model's seeded bug to run with (scenario --mutant), none by default.
RunResult run_workload(const Workload& w, const Layout& layout, const Geometry& geo,
                       const std::string& variant, bool series = false, Mutant mutant = Mutant::none);

/// The presets the scenarios run on by default, and the page sizes of an arch.
std::vector<std::string> default_presets();
std::vector<std::uint64_t> page_sizes(Arch a);

nlohmann::json to_json(const RunResult& r);

}  // namespace unpop::scen
