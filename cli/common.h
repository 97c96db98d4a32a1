#pragma once
/// What every subcommand shares: the layout options, page size, exit codes.
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "model/case/case.h"
#include "model/core/geometry.h"
#include "model/invariants/finding.h"
#include "model/linux/mutants.h"
#include "model/layout/layout.h"

namespace unpop::cli {

/// Exit codes, one policy for every subcommand (exit_policy_text(); README "Exit codes"):
/// 0 clean, 1 findings, 2 unreadable input or usage error; replay also 3 (divergent).
inline constexpr int kClean = 0;
inline constexpr int kFindings = 1;
inline constexpr int kBadInput = 2;
inline constexpr int kDivergent = 3;

/// What a run found, for the exit code: a rule violated (any kind but liveness), a liveness
/// finding (spurious-enomem, ram-stolen: the design left space unused).
struct Outcome {
  bool violation = false;
  bool liveness = false;
  /// A finding of a run: a violation or a liveness finding (warnings count for neither).
  void add(Severity s) {
    violation |= s == Severity::violation;
    liveness |= s == Severity::liveness;
  }
  /// Another run's outcome (several runs, one exit code).
  void add(const Outcome& o) {
    violation |= o.violation;
    liveness |= o.liveness;
  }
};
/// --fail-on: "violations" (the default everywhere) or "findings" (liveness findings fail too).
int exit_for(const Outcome& o, const std::string& fail_on);
/// The policy in words: the README's "Exit codes" paragraph and every subcommand's --help footer.
std::string exit_policy_text();

/// The options every subcommand that has them spells, explains and parses the same way
/// (cli/help_test.cpp walks every --help and holds them to these texts).
namespace opt {
/// --variant: a name, a comma-separated list or all (parse_variants); `def` is the default shown.
/// replay adds its auto mode after the shared text.
std::string variant_text();
CLI::Option* variant(CLI::App* app, std::string& v, const std::string& extra = "");
/// --mutant NAME: a seeded bug of the model (mutants --list).
std::string mutant_text();
CLI::Option* mutant(CLI::App* app, std::string& m, const std::string& extra = "");
/// --cex DIR: one case file per finding, named after variant and rule.
std::string cex_text();
CLI::Option* cex(CLI::App* app, std::string& dir, const std::string& naming);
/// --json: the report as JSON on stdout, usage and input errors too.
std::string json_text();
CLI::Option* json(CLI::App* app, bool& j);
/// --fail-on violations|findings.
std::string fail_on_text();
CLI::Option* fail_on(CLI::App* app, std::string& f);
/// --seed: decimal or 0x hex, printed as given.
std::string seed_text();
CLI::Option* seed(CLI::App* app, std::string& s, const std::string& what);
/// --page-size: `all_default` for the commands that run every page size unless told.
std::string page_size_text();
CLI::Option* page_size(CLI::App* app, std::string& p, bool all_default);
}  // namespace opt

/// A --mutant value: a name from `unpopcheck mutants --list` (or "none" when `allow_none`);
/// LoadError naming --mutant otherwise.
Mutant mutant_option(const std::string& text, bool allow_none = true);
/// A --seed value (decimal or 0x hex); LoadError naming --seed otherwise.
std::uint64_t parse_seed(const std::string& text);
/// A bad-input or usage error: JSON {"error": {...}} on stdout with --json, else one line on
/// stderr. Returns kBadInput.
/// `output`: what the command did before it found the error (JSON: beside "error" under
/// "output"; text: the caller printed it already).
int input_error(const std::string& command, const std::string& file, std::size_t line, const std::string& message,
                bool json, const nlohmann::json& output = nullptr);
int input_error(const std::string& command, const LoadError& e, bool json, const nlohmann::json& output = nullptr);
/// --cex DIR: saves `c` as DIR/NAME (DIR was made when --cex was read; characters of NAME that
/// do not belong in a file name become '_'). Returns the path; LoadError if it cannot write.
std::string save_case_in(const std::string& dir, const std::string& name, const Case& c);

struct LayoutOptions {
  std::string preset, dtb, iomem, layout_file, page_size;
  /// The layout option group (the same four options and texts on every subcommand) and
  /// --page-size; `all_pages`: the command runs every page size unless --page-size is given.
  void add_to(CLI::App* app, bool required = true, bool all_pages = false);
  bool given() const { return !preset.empty() || !dtb.empty() || !iomem.empty() || !layout_file.empty(); }
  /// Throws LoadError. DTB + iomem together are merged.
  Layout load() const;
  /// The page size option, or the layout's default.
  Geometry geometry(const Layout& l) const;
  std::uint64_t page_size_bytes(const Layout& l) const;
};

/// `unpopcheck layout`'s report of a layout at a page size (also explore --layout-only).
/// `from_iomem_only`: the layout came from /proc/iomem alone (the hint about --dtb).
int print_layout(const Layout& l, const Geometry& g, bool json, bool from_iomem_only = false);

/// "1 op", "3 ops": a count with its noun in the right number.
std::string count_of(std::uint64_t n, const std::string& noun);

/// Whether stderr is a terminal (progress lines are printed only then).
bool stderr_is_terminal();

/// Each subcommand registers itself and sets `exit_code` in its callback.
extern int exit_code;
void register_layout(CLI::App& app);
void register_simulate(CLI::App& app);
void register_mutants(CLI::App& app);
void register_explore(CLI::App& app);
void register_rules(CLI::App& app);     // the rule table
void register_variants(CLI::App& app);  // the variant registry
// Registered when their libraries are built (cli/CMakeLists.txt defines HAVE_UNPOP_*):
void register_check(CLI::App& app);    // properties/: unpopcheck check (+ mutants run)
void register_prove(CLI::App& app);    // solver/: unpopcheck prove
void register_replay(CLI::App& app);   // traces/replay/: unpopcheck replay
void register_scenario(CLI::App& app); // scenarios/: unpopcheck scenario
void register_conform(CLI::App& app);  // conform/: unpopcheck conform

}  // namespace unpop::cli
