// The help-walking test (issue 16): every subcommand's shared options are there, with the one
// text cli/common.cpp gives them; every --help states the one exit-code policy; the README's
// command table names only options the subcommand has, and its exit-code paragraph is the
// policy word for word.
#include <cctype>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include <CLI/CLI.hpp>
#include <gtest/gtest.h>

#include "cli/app.h"
#include "cli/common.h"

namespace unpop::cli {
namespace {

struct Walk {
  CLI::App app;
  Walk() { build_app(app); }
  CLI::App* sub(const std::string& name) { return app.get_subcommand(name); }
  // Options of a subcommand, option groups included, by long name.
  std::map<std::string, const CLI::Option*> options(const std::string& name) {
    std::map<std::string, const CLI::Option*> out;
    const CLI::App* s = sub(name);
    for (const CLI::Option* o : s->get_options())
      for (const auto& l : o->get_lnames()) out["--" + l] = o;
    for (const CLI::App* g : s->get_subcommands([](const CLI::App* a) { return a->get_name().empty(); }))
      for (const CLI::Option* o : g->get_options())
        for (const auto& l : o->get_lnames()) out["--" + l] = o;
    return out;
  }
};

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

std::vector<std::string> subcommands(Walk& w) {
  std::vector<std::string> out;
  for (const CLI::App* s : w.app.get_subcommands([](const CLI::App* a) { return !a->get_name().empty(); }))
    out.push_back(s->get_name());
  return out;
}

// Which subcommands must have each shared option (the list; conform and mutants, which
// also run the model, take the model options too).
const std::map<std::string, std::set<std::string>>& must_have() {
  static const std::map<std::string, std::set<std::string>> m{
      {"--variant", {"simulate", "check", "prove", "replay", "scenario", "explore", "mutants", "conform"}},
      {"--mutant", {"simulate", "check", "prove", "scenario", "explore", "mutants", "conform"}},
      {"--cex", {"simulate", "check", "prove", "replay", "mutants", "conform"}},
      {"--fail-on", {"simulate", "check", "replay", "scenario", "explore"}},
      {"--seed", {"check", "mutants", "scenario", "conform"}},
      {"--preset", {"layout", "simulate", "check", "prove", "replay", "scenario"}},
      {"--dtb", {"layout", "simulate", "check", "prove", "replay", "scenario"}},
      {"--iomem", {"layout", "simulate", "check", "prove", "replay", "scenario"}},
      {"--layout", {"layout", "simulate", "check", "prove", "replay", "scenario"}},
      {"--page-size", {"layout", "simulate", "check", "prove", "replay", "scenario"}},
  };
  return m;
}

// The shared text each option's description starts with.
std::map<std::string, std::string> shared_texts(Walk& w) {
  auto lay = w.options("layout");
  return {{"--variant", opt::variant_text()},       {"--mutant", opt::mutant_text()},
          {"--cex", opt::cex_text()},               {"--json", opt::json_text()},
          {"--fail-on", opt::fail_on_text()},       {"--seed", opt::seed_text()},
          {"--page-size", opt::page_size_text()},   {"--preset", lay.at("--preset")->get_description()},
          {"--dtb", lay.at("--dtb")->get_description()}, {"--iomem", lay.at("--iomem")->get_description()},
          {"--layout", lay.at("--layout")->get_description()}};
}

TEST(Help, SharedOptionsArePresentWithTheSameText) {
  Walk w;
  const auto texts = shared_texts(w);
  for (const auto& [name, subs] : must_have())
    for (const auto& s : subs) EXPECT_TRUE(w.options(s).count(name)) << s << " lacks " << name;
  for (const auto& s : subcommands(w)) {
    const auto opts = w.options(s);
    EXPECT_TRUE(opts.count("--json")) << s << " lacks --json";
    for (const auto& [name, o] : opts) {
      auto it = texts.find(name);
      if (it == texts.end()) continue;
      EXPECT_TRUE(starts_with(o->get_description(), it->second))
          << s << " " << name << ": '" << o->get_description() << "' does not start with '" << it->second << "'";
    }
  }
}

TEST(Help, EveryHelpStatesTheExitPolicy) {
  Walk w;
  for (const auto& s : subcommands(w)) {
    const std::string help = w.sub(s)->help();
    EXPECT_NE(help.find(exit_policy_text()), std::string::npos) << s << " --help lacks the exit-code policy";
  }
}

std::string readme() {
  std::ifstream in(std::string(UNPOP_SOURCE_DIR) + "/README.md");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(Help, ReadmeStatesThePolicyWordForWord) {
  // The README wraps lines; compare with runs of whitespace made one space. (No std::regex
  // here: GCC 12 warns inside <regex> under -fsanitize, and warnings are errors.)
  auto flat = [](const std::string& in) {
    std::string out;
    for (char ch : in) {
      const bool space = ch == ' ' || ch == '\n' || ch == '\t' || ch == '\r';
      if (!space) out += ch;
      else if (!out.empty() && out.back() != ' ') out += ' ';
    }
    return out;
  };
  EXPECT_NE(flat(readme()).find(flat(exit_policy_text())), std::string::npos)
      << "README.md must contain the exit-code policy:\n" << exit_policy_text();
}

TEST(Help, ReadmeCommandTableMatchesHelp) {
  Walk w;
  const std::string text = readme();
  // Rows of the command table: | `unpopcheck NAME ...` | what |; the usage cell ends at "` |".
  std::set<std::string> listed;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    const std::string head = "| `unpopcheck ";
    if (line.rfind(head, 0) != 0) continue;
    const std::size_t name_end = line.find_first_of(" `", head.size());
    const std::string name = line.substr(head.size(), name_end - head.size());
    const std::string usage = line.substr(name_end, line.find("` |", name_end) - name_end);
    listed.insert(name);
    ASSERT_NO_THROW(w.sub(name)) << "README lists `unpopcheck " << name << "`, which is no subcommand";
    const auto opts = w.options(name);
    for (std::size_t at = usage.find("--"); at != std::string::npos; at = usage.find("--", at + 2)) {
      std::size_t e = at + 2;
      while (e < usage.size() && (std::islower(static_cast<unsigned char>(usage[e])) ||
                                  std::isdigit(static_cast<unsigned char>(usage[e])) || usage[e] == '-'))
        ++e;
      const std::string flag = usage.substr(at, e - at);
      EXPECT_TRUE(opts.count(flag)) << "README row of " << name << " names " << flag << ", which --help lacks";
      at = e - 2;
    }
  }
  for (const auto& s : subcommands(w))
    if (s != "rules") {  // `variants` / `rules` share one row
      EXPECT_TRUE(listed.count(s)) << "README's command table lacks `unpopcheck " << s << "`";
    }
}

// A usage error with --json is JSON on stdout (the shape input_error writes), exit 2.
TEST(Help, UsageErrorsWithJsonAreJson) {
  for (const char* sub : {"check", "simulate", "layout", "scenario", "prove", "explore", "mutants"}) {
    const char* argv[] = {"unpopcheck", sub, "--json", "--no-such-option"};
    testing::internal::CaptureStdout();
    const int rc = run_cli(4, argv);
    const std::string out = testing::internal::GetCapturedStdout();
    EXPECT_EQ(rc, kBadInput) << sub;
    EXPECT_NE(out.find("\"error\""), std::string::npos) << sub << ": " << out;
    // (simulate, scenario and explore first say their required argument is missing)
    if (std::string(sub) != "simulate" && std::string(sub) != "scenario" && std::string(sub) != "explore") {
      EXPECT_NE(out.find("--no-such-option"), std::string::npos) << sub << ": " << out;
    }
  }
}

TEST(Help, SeedIsParsedAsGiven) {
  EXPECT_EQ(parse_seed("0x10"), 16u);
  EXPECT_EQ(parse_seed("16"), 16u);
  EXPECT_THROW(parse_seed("1x"), LoadError);
  EXPECT_THROW(parse_seed("-1"), LoadError);
  EXPECT_THROW(parse_seed(""), LoadError);
}

TEST(Help, ExitPolicy) {
  EXPECT_EQ(exit_for({false, false}, "violations"), kClean);
  EXPECT_EQ(exit_for({false, true}, "violations"), kClean);
  EXPECT_EQ(exit_for({false, true}, "findings"), kFindings);
  EXPECT_EQ(exit_for({true, false}, "violations"), kFindings);
}

}  // namespace
}  // namespace unpop::cli
