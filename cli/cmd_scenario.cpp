// unpopcheck scenario: run the realistic workloads of issue 6 through the variants and measure
// the RFC's claimed benefits (RAM/CMA, P2M superpages, balloon hypercalls) and their price.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "cli/common.h"
#include "model/layout/loaders.h"
#include "model/variants/variant.h"
#include "scenarios/chart.h"
#include "scenarios/scenario.h"
#include "scenarios/table.h"

namespace unpop::cli {
namespace {

struct ScenarioCmd {
  std::string name;
  std::string variant = "all";
  LayoutOptions lo;
  std::string seed = fmt::format("{:#x}", scen::kDefaultSeed);
  std::string mutant;
  std::string fail_on = "violations";
  bool json = false;
  bool markdown = false;
  std::string svg;
};

std::vector<std::string> split_list(const std::string& s, const std::vector<std::string>& all,
                                    const char* what) {
  if (s == "all") return all;
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (std::find(all.begin(), all.end(), item) != all.end())
      out.push_back(item);
    else
      throw LoadError{what, 0, fmt::format("unknown {} '{}'", what, item)};
  return out;
}

std::string ps_name(std::uint64_t ps) { return fmt::format("{}K", ps / 1024); }

void write_file(const std::filesystem::path& p, const std::string& text) {
  std::ofstream out(p);
  if (!out) throw LoadError{p.string(), 0, "cannot write"};
  out << text;
}

int run(const ScenarioCmd& c) {
  try {
    auto t0 = std::chrono::steady_clock::now();
    auto scenarios = split_list(c.name, scen::scenario_names(), "scenario");
    auto variants = parse_variants(c.variant);
    const std::uint64_t seed = parse_seed(c.seed);
    const Mutant mutant = c.mutant.empty() ? Mutant::none : mutant_option(c.mutant);
    std::vector<Layout> layouts;
    if (c.lo.given()) {
      layouts.push_back(c.lo.load());
    } else {
      auto known = preset_names();
      for (const auto& p : scen::default_presets())
        if (std::find(known.begin(), known.end(), p) != known.end()) layouts.push_back(load_preset(p));
    }
    const bool series = !c.svg.empty();
    // Grouped by (layout, page size), in order.
    std::vector<std::pair<std::string, std::vector<scen::RunResult>>> groups;
    std::vector<std::vector<std::string>> summaries;  // per group: "name: what the workload does"
    Outcome outcome;
    for (const auto& l : layouts) {
      std::vector<std::uint64_t> sizes;
      if (!c.lo.page_size.empty())
        sizes.push_back(c.lo.page_size_bytes(l));
      else
        sizes = scen::page_sizes(l.arch);
      for (std::uint64_t ps : sizes) {
        Geometry g;
        std::string why;
        if (!Geometry::make(l.arch, ps, g, &why)) throw LoadError{"--page-size", 0, why};
        auto& grp = groups.emplace_back(fmt::format("{}, {} pages", l.name, ps_name(ps)),
                                        std::vector<scen::RunResult>{});
        auto& sums = summaries.emplace_back();
        for (const auto& s : scenarios) {
          scen::Workload w = scen::make_workload(s, g, seed);
          sums.push_back(
              fmt::format("{}: {} ({} events, {:.0f} s)", s, w.summary, w.events.size(), w.duration));
          for (const auto& v : variants) {
            if (c.variant == "all" && all_leaves_out(v, l.arch)) continue;
            auto r = scen::run_workload(w, l, g, v, series, mutant);
            r.seed = seed;
            outcome.violation |= r.c.violations > 0 || r.oopsed;
            outcome.liveness |= r.c.liveness > 0;
            grp.second.push_back(std::move(r));
          }
        }
      }
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::size_t nruns = 0;
    for (const auto& g : groups) nruns += g.second.size();

    if (c.json) {
      nlohmann::json j = nlohmann::json::array();
      for (const auto& g : groups)
        for (const auto& r : g.second) j.push_back(scen::to_json(r));
      std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    } else {
      for (std::size_t i = 0; i < groups.size(); ++i) {
        const auto& g = groups[i];
        if (c.markdown) {
          std::cout << "#### " << g.first << "\n\n" << scen::results_table(g.second, true) << "\n";
        } else {
          std::cout << "== " << g.first << "\n" << scen::results_table(g.second);
          for (const auto& line : summaries[i]) std::cout << "  " << line << "\n";
          std::cout << "\n";
        }
      }
      std::cout << scen::column_legend();
      std::cout << fmt::format("{} runs in {:.2f} s (seed {}{}); exit {}{}\n", nruns, secs, c.seed,
                               mutant == Mutant::none ? "" : ", mutant " + c.mutant, exit_for(outcome, c.fail_on),
                               outcome.liveness && !outcome.violation && c.fail_on != "findings"
                                   ? " (liveness findings only; --fail-on findings counts them)"
                                   : "");
    }

    if (!c.svg.empty()) {
      std::filesystem::path out(c.svg);
      std::size_t charts = 0;
      bool single = groups.size() == 1 && scenarios.size() == 1;
      if (!single) std::filesystem::create_directories(out);
      for (const auto& [label, runs] : groups) {
        for (const auto& s : scenarios) {
          std::vector<scen::RunResult> rs;
          for (const auto& r : runs)
            if (r.scenario == s) rs.push_back(r);
          if (rs.empty()) continue;
          std::string title =
              fmt::format("{} on {}, {} pages", s, rs.front().layout, ps_name(rs.front().page_size));
          auto path =
              single ? out
                     : out / fmt::format("{}-{}-{}.svg", s, rs.front().layout, ps_name(rs.front().page_size));
          write_file(path, scen::timeline_svg(rs, title));
          ++charts;
        }
        if (scenarios.size() > 1 && !runs.empty()) {
          std::string title = fmt::format("all scenarios on {}, {} pages", runs.front().layout,
                                          ps_name(runs.front().page_size));
          write_file(
              out / fmt::format("summary-{}-{}.svg", runs.front().layout, ps_name(runs.front().page_size)),
              scen::summary_svg(runs, title));
          ++charts;
        }
      }
      std::cerr << fmt::format("wrote {} chart{} to {}\n", charts, charts == 1 ? "" : "s", c.svg);
    }
    return exit_for(outcome, c.fail_on);
  } catch (const LoadError& e) {
    return input_error("scenario", e, c.json);
  } catch (const std::invalid_argument& e) {
    return input_error("scenario", "(options)", 0, e.what(), c.json);
  } catch (const std::filesystem::filesystem_error& e) {
    return input_error("scenario", e.path1().string(), 0, e.what(), c.json);
  }
}

}  // namespace

void register_scenario(CLI::App& app) {
  auto c = std::make_shared<ScenarioCmd>();
  auto* sub = app.add_subcommand("scenario",
                                 "run realistic workloads (pv-display, pv-display-churn, virtio-backends, "
                                 "domain-build, mixed) through the "
                                 "variants and measure RAM/CMA taken, P2M superpages broken, balloon "
                                 "hypercalls, pool growth, idle space and "
                                 "failures (docs/scenarios.md)");
  sub->add_option("name", c->name, "a scenario, a comma-separated list, or `all`")->required();
  opt::variant(sub, c->variant);
  c->lo.add_to(sub, false, true);
  opt::seed(sub, c->seed, "the workloads' std::mt19937_64");
  opt::mutant(sub, c->mutant);
  opt::json(sub, c->json);
  opt::fail_on(sub, c->fail_on);
  sub->add_flag("--markdown", c->markdown, "print the tables as markdown (docs/scenarios.md)");
  sub->add_option(
      "--svg", c->svg,
      "write charts: one file for one scenario on one layout and page size, else a directory with a "
      "timeline per scenario and a summary per layout and page size");
  sub->callback([c]() { exit_code = run(*c); });
}

}  // namespace unpop::cli
