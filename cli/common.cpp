#include "cli/common.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "model/case/case.h"
#include "model/layout/loaders.h"
#include "model/variants/registry.h"

namespace unpop::cli {

int exit_code = kClean;

std::string count_of(std::uint64_t n, const std::string& noun) {
  return fmt::format("{} {}{}", n, noun, n == 1 ? "" : "s");
}

bool stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

int exit_for(const Outcome& o, const std::string& fail_on) {
  if (o.violation) return kFindings;
  return o.liveness && fail_on == "findings" ? kFindings : kClean;
}

std::string exit_policy_text() {
  return "Exit codes: 0 clean; 1 findings: a rule violated (liveness findings - spurious-enomem, ram-stolen - "
         "count only with --fail-on findings), for conform a difference between the model and the kernel's code, "
         "for mutants a mutant no suite killed, for prove a verdict other than the expected one; 2 unreadable "
         "input or a usage error (with --json as JSON on stdout); replay also 3: divergent (no rule broke, but "
         "the kernel did what no candidate variant can do).";
}

namespace opt {
std::string variant_text() {
  return "a variant (" + variant_list_text() + "), a comma-separated list, or all";
}
CLI::Option* variant(CLI::App* app, std::string& v, const std::string& extra) {
  return app->add_option("--variant", v, variant_text() + extra)->capture_default_str();
}
std::string mutant_text() { return "run the model with this seeded bug (`unpopcheck mutants --list`)"; }
CLI::Option* mutant(CLI::App* app, std::string& m, const std::string& extra) {
  return app->add_option("--mutant", m, mutant_text() + extra);
}
std::string cex_text() { return "DIR: write one case file per finding, for `unpopcheck explore`"; }
CLI::Option* cex(CLI::App* app, std::string& dir, const std::string& naming) {
  // DIR is made when the option is read: a DIR that cannot be a directory is a usage error at
  // once (exit 2), not a crash after the run's work.
  auto make = [](std::string& d) -> std::string {
    std::error_code ec;
    std::filesystem::create_directories(d, ec);
    if (!ec && std::filesystem::is_directory(d, ec)) return {};
    return fmt::format("{}: cannot make it a directory ({})", d,
                       ec ? ec.message() : std::string("it exists and is not a directory"));
  };
  return app->add_option("--cex", dir, cex_text() + " (" + naming + ")")->check(CLI::Validator(make, "", "cex-dir"));
}
std::string json_text() { return "the report as JSON on stdout (usage and input errors too)"; }
CLI::Option* json(CLI::App* app, bool& j) { return app->add_flag("--json", j, json_text()); }
std::string fail_on_text() {
  return "violations (exit 1 when a rule is violated) or findings (liveness findings too)";
}
CLI::Option* fail_on(CLI::App* app, std::string& f) {
  return app->add_option("--fail-on", f, fail_on_text())
      ->check(CLI::IsMember({"violations", "findings"}))
      ->capture_default_str();
}
std::string seed_text() { return "decimal or 0x hex, printed as given; same seed, same result"; }
CLI::Option* seed(CLI::App* app, std::string& s, const std::string& what) {
  return app->add_option("--seed", s, seed_text() + " (" + what + ")")->capture_default_str();
}
std::string page_size_text() { return "4K, 16K or 64K"; }
CLI::Option* page_size(CLI::App* app, std::string& p, bool all_default) {
  return app->add_option("--page-size", p,
                         page_size_text() + (all_default ? " (default: each the layout's arch has: 4K, 16K and 64K "
                                                           "on Arm, 4K on x86)"
                                                         : " (default: the layout's)"));
}
}  // namespace opt

Mutant mutant_option(const std::string& text, bool allow_none) {
  Mutant m = Mutant::none;
  if (!parse_mutant(text, m) || (m == Mutant::none && !allow_none))
    throw LoadError{"--mutant", 0, "unknown mutant '" + text + "' (`unpopcheck mutants --list`)"};
  return m;
}

std::uint64_t parse_seed(const std::string& text) {
  std::size_t used = 0;
  std::uint64_t v = 0;
  try {
    if (!text.empty() && text[0] != '-') v = std::stoull(text, &used, 0);
  } catch (const std::exception&) {
    used = 0;
  }
  if (text.empty() || used != text.size())
    throw LoadError{"--seed", 0, fmt::format("expected a number (decimal or 0x hex), got '{}'", text)};
  return v;
}

int input_error(const std::string& command, const std::string& file, std::size_t line, const std::string& message,
                bool json, const nlohmann::json& output) {
  if (json) {
    nlohmann::json e{{"command", command}, {"file", file}, {"message", message}};
    if (line) e["line"] = line;
    nlohmann::json doc{{"error", e}, {"exit", kBadInput}};
    if (!output.is_null()) doc["output"] = output;
    std::cout << doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    std::cerr << "unpopcheck " << command << ": " << LoadError{file, line, message}.what() << "\n";
  }
  return kBadInput;
}

int input_error(const std::string& command, const LoadError& e, bool json, const nlohmann::json& output) {
  return input_error(command, e.file, e.line, e.message, json, output);
}

std::string save_case_in(const std::string& dir, const std::string& name, const Case& c) {
  std::string path = dir + "/" + name;
  for (std::size_t i = dir.size() + 1; i < path.size(); ++i)  // names carry variant and rule names
    if (path[i] == ' ' || path[i] == '/' || path[i] == '@' || path[i] == '(' || path[i] == ')') path[i] = '_';
  save_case(path, c);
  return path;
}

namespace {
// A case file (check/prove/replay --cex, simulate --save-case) carries its layout: `--layout
// CASE.json` takes it, with the case's page size as the default.
Layout load_layout_or_case(const std::string& path) {
  std::ifstream in(path);
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (!j.is_object() || !j.contains("ops") || !j.contains("layout")) return load_layout_file(path);
  Case cs = load_case(path);
  cs.layout.default_page_size = cs.page_size;
  return cs.layout;
}
}  // namespace

void LayoutOptions::add_to(CLI::App* app, bool required, bool all_pages) {
  auto* g = app->add_option_group("layout", "where the guest's layout comes from (--dtb and --iomem combine)");
  g->add_option("--preset", preset, "a shipped preset (`unpopcheck layout --list`)");
  g->add_option("--dtb", dtb, "a device-tree blob (/sys/firmware/fdt): memory, MMIO, the hypervisor node");
  g->add_option("--iomem", iomem, "a /proc/iomem dump (RAM, reserved, MMIO; no extended regions)");
  g->add_option("--layout", layout_file, "a layout file (JSON, docs/layout-file.md) or a case file");
  (void)required;  // load() names the options when none is given
  opt::page_size(app, page_size, all_pages);
}

Layout LayoutOptions::load() const {
  const int given_n = !preset.empty() + !dtb.empty() + !iomem.empty() + !layout_file.empty();
  if (given_n > 1 && (!preset.empty() || !layout_file.empty()))
    throw LoadError{"(options)", 0, "--preset and --layout each give the whole layout: use one of them alone "
                                    "(only --dtb and --iomem combine)"};
  if (!preset.empty()) return load_preset(preset);
  if (!layout_file.empty()) return load_layout_or_case(layout_file);
  if (!dtb.empty() && !iomem.empty()) return merge_layouts(load_dtb(dtb), load_iomem(iomem));
  if (!dtb.empty()) return load_dtb(dtb);
  if (!iomem.empty()) return load_iomem(iomem);
  throw LoadError{"(options)", 0, "no layout given: use --preset, --dtb, --iomem or --layout"};
}

std::uint64_t LayoutOptions::page_size_bytes(const Layout& l) const {
  if (page_size.empty()) return l.default_page_size;
  std::uint64_t p = parse_page_size(page_size);
  if (!p) throw LoadError{"--page-size", 0, "expected 4K, 16K or 64K, got '" + page_size + "'"};
  return p;
}

Geometry LayoutOptions::geometry(const Layout& l) const {
  Geometry g;
  std::string why;
  if (!Geometry::make(l.arch, page_size_bytes(l), g, &why)) throw LoadError{"--page-size", 0, why};
  return g;
}

}  // namespace unpop::cli
