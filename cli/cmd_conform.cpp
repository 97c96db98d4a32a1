// unpopcheck conform: the kernel's own unpopulated-alloc.c, resource.c and genalloc.c (built from
// the installed linux-source packages, conform/) run beside the model in lockstep over generated
// cases. A table of component x kernel with the operations compared and the verdict.
// Exit 0 when all conform, 1 on a conformance failure, 2 when a source package is missing or
// the options are wrong.
#include <chrono>
#include <optional>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "conform/harness/lockstep.h"
#include "conform/harness/suites.h"
#include "model/linux/mutants.h"
#include "model/variants/registry.h"
#include "report/table.h"

namespace unpop::cli {
namespace {

struct ConformCmd {
  std::string kernel = "all";
  int runs = 200;
  std::string seed = "1";
  std::string mutant = "none";
  std::string component = "all";
  std::string cex_dir;
  std::string variant = "all";
  std::string patches;
  bool json = false;
};

struct Row {
  conform::SuiteResult r;
  double seconds = 0;
};

std::string component_label(const std::string& comp, const conform::KernelBuild& b) {
  if (comp != "unpopulated-alloc") return comp;
  return fmt::format("unpopulated-alloc ({}, vs {})", b.arch == Arch::arm64 ? "Arm xen_resource" : "x86 iomem",
                     conform::variant_for(b));
}


std::string patched_variant() {
  const VariantInfo* v = kernel_patches_variant();
  return v ? v->name : "(none)";
}

/// --patches DIR: the series in DIR must be the one this binary's patched build applied (the
/// build copied it; editing kernel/patches needs a rebuild, which applies and compiles it again).
std::optional<std::string> check_patches(const std::string& dir) {
  std::string what;
  const conform::Series given = conform::read_series(dir, what);
  if (!what.empty()) return "--patches " + what;
  if (given.empty()) return fmt::format("--patches {}: no *.patch files there", dir);
  const auto built = conform::applied_series(what);
  if (!what.empty()) return fmt::format("cannot read the series this binary was built with ({})", what);
  if (built.empty()) return std::string("this binary has no patched build (Linux 6.12's source package or kernel/patches was missing at build time)");
  if (given != built)
    return fmt::format("the series in {} is not the one this binary was built with ({} patches built, {} given, or "
                       "their contents differ): rebuild (cmake --build build) to apply and compile it",
                       dir, built.size(), given.size());
  return std::nullopt;
}

int usage(const ConformCmd& c, const std::string& msg) { return input_error("conform", "(options)", 0, msg, c.json); }

std::string verdict(const Row& row) {
  if (!row.r.error.empty()) return "ERROR";
  return row.r.failed ? "DIFFERS" : "conforms";
}

int run(const ConformCmd& c) {
  Mutant mutant = Mutant::none;
  try {
    mutant = mutant_option(c.mutant);
  } catch (const LoadError& e) {
    return input_error("conform", e, c.json);
  }
  const auto comps = conform::component_names();
  if (c.component != "all" && std::find(comps.begin(), comps.end(), c.component) == comps.end())
    return usage(c, fmt::format("unknown component '{}' (unpopulated-alloc, genalloc, resource or all)", c.component));
  std::vector<std::string> wanted;  // the variants whose builds run (all: every build)
  std::uint64_t seed = 0;
  try {
    wanted = parse_variants(c.variant);
    seed = parse_seed(c.seed);
  } catch (const LoadError& e) {
    return input_error("conform", e, c.json);
  }
  if (!c.patches.empty()) {
    if (c.variant != "all" && (wanted.size() != 1 || !find_variant(wanted.front())->kernel_patches))
      return usage(c, fmt::format("--patches checks the patched kernel, which is compared with --variant {}",
                                  patched_variant()));
    if (auto bad = check_patches(c.patches)) return usage(c, *bad);
    wanted = {patched_variant()};
  }
  const std::string want = c.variant == "all" && c.patches.empty() ? "all" : fmt::format("{}", fmt::join(wanted, ","));
  std::vector<std::string> kernels = conform::configured_kernels();
  if (c.kernel != "all") {
    if (std::find(kernels.begin(), kernels.end(), c.kernel) == kernels.end())
      return usage(c, fmt::format("unknown kernel '{}' (this build knows: {})", c.kernel, fmt::join(kernels, ", ")));
    kernels = {c.kernel};
  }
  for (const auto& m : conform::missing_kernels())
    if (std::find(kernels.begin(), kernels.end(), m.kernel) != kernels.end())
      return usage(c, fmt::format("Linux {} was not built: its source package is missing (install it with "
                                  "`sudo apt-get install {}`, then run scripts/setup again)",
                                  m.kernel, m.package));
  conform::SuiteConfig cfg;
  cfg.seed = seed;
  cfg.runs = c.runs;
  cfg.mutant = mutant;
  const bool progress = !c.json && stderr_is_terminal();
  std::vector<Row> rows;
  for (const auto& b : conform::kernel_builds()) {
    if (std::find(kernels.begin(), kernels.end(), b.kernel) == kernels.end()) continue;
    if (want != "all" && std::find(wanted.begin(), wanted.end(), conform::variant_for(b)) == wanted.end()) continue;
    for (const auto& comp : comps) {
      if ((c.component != "all" && comp != c.component) || !conform::runs_on(comp, b)) continue;
      if (mutant != Mutant::none && !conform::mutant_in_scope(mutant, comp)) continue;
      int done = 0;
      cfg.progress = [&] {
        if (progress && ++done % 10 == 0)
          std::cerr << fmt::format("\r  {} on Linux {}: {} cases{:20}", comp, b.name(), done, "") << std::flush;
      };
      const auto t0 = std::chrono::steady_clock::now();
      Row row{conform::run_suite(comp, b, cfg), 0};
      row.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      rows.push_back(std::move(row));
    }
  }
  if (progress) std::cerr << "\r" << std::string(70, ' ') << "\r";
  if (rows.empty() && want != "all" && mutant == Mutant::none)
    return usage(c, fmt::format("no kernel build is compared with '{}' (each mainline build is compared with its "
                                "arch's mainline variant; 6.12 with kernel/patches with {})",
                                want, patched_variant()));
  if (rows.empty()) return usage(c, fmt::format("mutant '{}' changes no code a conformance component covers", c.mutant));
  bool differs = false, error = false;
  for (auto& row : rows) {
    differs |= row.r.failed;
    error |= !row.r.error.empty();
    if (row.r.failed && row.r.cex && !c.cex_dir.empty()) {
      row.r.cex->extra["saved_to"] = save_case_in(
          c.cex_dir, fmt::format("conform-{}-{}-{}.json", row.r.build->label(), to_string(row.r.build->arch), c.mutant),
          *row.r.cex);
    }
  }
  if (c.json) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& row : rows) {
      nlohmann::json e{{"component", row.r.component}, {"kernel", row.r.build->kernel},
                       {"arch", to_string(row.r.build->arch)}, {"variant", conform::variant_for(*row.r.build)},
                       {"patched", row.r.build->patched}, {"cases", row.r.cases}, {"ops", row.r.ops},
                       {"comparisons", row.r.comparisons}, {"seconds", row.seconds}, {"verdict", verdict(row)}};
      if (row.r.failed) e["difference"] = row.r.failure;
      if (row.r.cex) e["case"] = case_to_json(*row.r.cex);
      if (!row.r.error.empty()) e["error"] = row.r.error;
      j.push_back(e);
    }
    std::cout << nlohmann::json{{"seed", seed}, {"runs", c.runs}, {"mutant", c.mutant}, {"results", j}}.dump(
                     2, ' ', false, nlohmann::json::error_handler_t::replace)
              << "\n";
  } else {
    report::Table t({"component", "kernel", "cases", "ops compared", "comparisons", "ops/s", "verdict"});
    for (const auto& row : rows)
      t.add({component_label(row.r.component, *row.r.build), row.r.build->label(), std::to_string(row.r.cases),
             std::to_string(row.r.ops), std::to_string(row.r.comparisons),
             fmt::format("{:.0f}", row.seconds > 0 ? static_cast<double>(row.r.ops) / row.seconds : 0.0),
             verdict(row)});
    std::cout << t.render();
    std::cout << fmt::format("seed {}, {} cases per component and kernel\n", c.seed, c.runs);
    if (mutant != Mutant::none) std::cout << fmt::format("(model mutated: {}; the kernel code is never mutated)\n", c.mutant);
    for (const auto& row : rows) {
      if (!row.r.error.empty()) std::cout << fmt::format("\n{} on Linux {}: {}\n", row.r.component, row.r.build->name(), row.r.error);
      if (!row.r.failed) continue;
      std::cout << fmt::format("\n{} on Linux {}: {}\n", row.r.component, row.r.build->name(), row.r.failure);
      if (row.r.cex && row.r.cex->extra.contains("saved_to"))
        std::cout << fmt::format("  case: {} (unpopcheck explore {})\n", row.r.cex->extra["saved_to"].get<std::string>(),
                                 row.r.cex->extra["saved_to"].get<std::string>());
      else if (row.r.cex)
        std::cout << "  (--cex DIR saves the case for `unpopcheck explore`)\n";
    }
  }
  if (error) return kBadInput;
  return differs ? kFindings : kClean;
}

}  // namespace

void register_conform(CLI::App& app) {
  auto cmd = std::make_shared<ConformCmd>();
  auto* sub = app.add_subcommand(
      "conform",
      "Run the kernel's own unpopulated-alloc.c, resource.c and genalloc.c (from the installed linux-source "
      "packages) beside the model over generated cases, comparing every step");
  sub->add_option("--kernel", cmd->kernel, "Kernel version: 6.12, 6.1 or all (default: all)");
  opt::variant(sub, cmd->variant,
               ": only the kernel builds compared with these (mainline Arm: upstream, mainline x86: x86, 6.12 with "
               "kernel/patches: the variant it implements)");
  sub->add_option("--patches", cmd->patches,
                  "Directory of the kernel patch series (kernel/patches): checks it is the series this binary "
                  "applied and compiled, and runs the patched build only");
  sub->add_option("--component", cmd->component, "unpopulated-alloc, genalloc, resource or all (default: all)");
  sub->add_option("--runs", cmd->runs, "Generated cases per component and kernel (default: 200)")->check(CLI::PositiveNumber);
  opt::seed(sub, cmd->seed, "RapidCheck's");
  opt::mutant(sub, cmd->mutant, " (never the kernel code): the run must then find a difference")
      ->capture_default_str();
  opt::cex(sub, cmd->cex_dir, "DIR/conform-KERNEL-ARCH-MUTANT.json: a failing unpopulated-alloc case");
  opt::json(sub, cmd->json);
  sub->footer("A kernel whose linux-source package was missing at build time is a usage error (exit 2).");
  sub->callback([cmd] { exit_code = run(*cmd); });
}

}  // namespace unpop::cli
