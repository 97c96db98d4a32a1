#pragma once
/// What every subcommand shares: the layout options, page size, exit codes.
#include <string>

#include <CLI/CLI.hpp>

#include "model/core/geometry.h"
#include "model/layout/layout.h"

namespace unpop::cli {

/// Exit codes: 0 clean, 1 findings, 2 unreadable input or usage error.
inline constexpr int kClean = 0;
inline constexpr int kFindings = 1;
inline constexpr int kBadInput = 2;

struct LayoutOptions {
  std::string preset, dtb, iomem, layout_file, page_size;
  void add_to(CLI::App* app, bool required = true);
  bool given() const { return !preset.empty() || !dtb.empty() || !iomem.empty() || !layout_file.empty(); }
  /// Throws LoadError. DTB + iomem together are merged.
  Layout load() const;
  /// The page size option, or the layout's default.
  Geometry geometry(const Layout& l) const;
  std::uint64_t page_size_bytes(const Layout& l) const;
};

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
