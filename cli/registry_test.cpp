// A variant registered at run time (a copy of upstream under another name) appears in check,
// prove, replay and scenario, and in their help and error texts, without any other change: the
// commands enumerate the registry. The copy must also behave exactly as the original everywhere.
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/app.h"
#include "model/variants/registry.h"

namespace unpop {
namespace {

struct CliRun {
  int exit = -1;
  std::string out;
};

CliRun cli(std::vector<std::string> args) {
  args.insert(args.begin(), "unpopcheck");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  std::ostringstream out;
  std::streambuf* old = std::cout.rdbuf(out.rdbuf());
  CliRun r;
  r.exit = cli::run_cli(static_cast<int>(argv.size()), argv.data());
  std::cout.rdbuf(old);
  r.out = out.str();
  return r;
}

const std::string kName = "throwaway";

void register_throwaway() {
  static const bool once = [] {
    VariantInfo v = *find_variant(default_variant());
    v.name = kName;
    v.summary = "a copy of the default variant, registered by a test";
    v.colour = "#000000";
    register_variant(v);
    return true;
  }();
  (void)once;
}

class Throwaway : public ::testing::Test {
 protected:
  void SetUp() override { register_throwaway(); }
};

// The JSON of a run with every occurrence of one variant's name replaced by the other's.
std::string renamed(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t at = 0; (at = s.find(from, at)) != std::string::npos; at += to.size()) s.replace(at, from.size(), to);
  return s;
}

TEST_F(Throwaway, IsListedAndParsed) {
  EXPECT_EQ(variant_names().back(), kName);
  EXPECT_EQ(parse_variants("all").back(), kName);
  EXPECT_EQ(parse_variants(kName + "," + default_variant()), (std::vector<std::string>{kName, default_variant()}));
  CliRun help = cli({"check", "--help"});
  EXPECT_NE(help.out.find(kName), std::string::npos) << help.out;
  EXPECT_THROW(register_variant(*find_variant(kName)), std::invalid_argument);  // a name is registered once
}

TEST_F(Throwaway, UnknownNameIsAUsageErrorListingTheNames) {
  std::ostringstream err;
  std::streambuf* old = std::cerr.rdbuf(err.rdbuf());
  CliRun r = cli({"check", "--variant", "nope"});
  std::cerr.rdbuf(old);
  EXPECT_EQ(r.exit, 2);
  EXPECT_NE(err.str().find("unknown variant 'nope'"), std::string::npos) << err.str();
  EXPECT_NE(err.str().find(kName), std::string::npos) << err.str();
}

TEST_F(Throwaway, CheckRunsItAndFindsWhatTheOriginalFinds) {
  CliRun all = cli({"check", "--variant", "all", "--runs", "5", "--json"});
  ASSERT_TRUE(all.exit == 0 || all.exit == 1) << all.out;
  EXPECT_TRUE(nlohmann::json::parse(all.out)["variants"].contains(kName));
  CliRun mine = cli({"check", "--variant", kName, "--runs", "200", "--json"});
  CliRun orig = cli({"check", "--variant", default_variant(), "--runs", "200", "--json"});
  auto a = nlohmann::json::parse(mine.out)["variants"][kName];
  auto b = nlohmann::json::parse(orig.out)["variants"][default_variant()];
  ASSERT_FALSE(a.is_null());
  EXPECT_EQ(a["tests"], b["tests"]);
  for (const auto& [rule, st] : b["rules"].items()) EXPECT_EQ(a["rules"][rule]["status"], st["status"]) << rule;
}

TEST_F(Throwaway, ProveGivesTheOriginalsVerdicts) {
  const std::vector<std::string> opts = {"--no-mutants", "--no-universal", "--depth", "1", "--race-depth", "0", "--json"};
  auto run = [&](const std::string& v) {
    std::vector<std::string> args = {"prove", "--variant", v};
    args.insert(args.end(), opts.begin(), opts.end());
    return cli(args);
  };
  CliRun mine = run(kName), orig = run(default_variant());
  ASSERT_EQ(mine.exit, 0) << mine.out;
  ASSERT_EQ(orig.exit, 0) << orig.out;
  auto verdicts = [](const std::string& out) {
    std::vector<std::string> v;
    const auto j = nlohmann::json::parse(out);
    for (const auto& q : j["results"])
      v.push_back(q["group"].get<std::string>() + " " + q["variant"].get<std::string>() + " " +
                  q["rule"].get<std::string>() + " " + q["op"].get<std::string>() + " " + q["verdict"].get<std::string>());
    return v;
  };
  auto a = verdicts(mine.out), b = verdicts(renamed(orig.out, "\"variant\": \"" + default_variant() + "\"",
                                                     "\"variant\": \"" + kName + "\""));
  EXPECT_GT(a.size(), 20u);
  EXPECT_EQ(a, b);
}

TEST_F(Throwaway, ReplayChecksATraceAsTheOriginal) {
  const std::string trace = std::string(UNPOP_REPLAY_FIXTURES) + "/rules/order-mismatch.bad.txt";
  CliRun mine = cli({"replay", "--json", "--preset", "qemu-virt-dom0", "--variant", kName, trace});
  CliRun orig = cli({"replay", "--json", "--preset", "qemu-virt-dom0", "--variant", default_variant(), trace});
  EXPECT_EQ(mine.exit, 3) << mine.out;  // the page choice of a LIFO list: a divergence
  EXPECT_EQ(mine.out, renamed(orig.out, "\"variant\": \"" + default_variant() + "\"", "\"variant\": \"" + kName + "\""));
  EXPECT_NE(mine.out.find("page-choice"), std::string::npos);
}

TEST_F(Throwaway, ScenarioRunsIt) {
  CliRun mine = cli({"scenario", "pv-display", "--variant", kName, "--preset", "qemu-virt-dom0", "--json"});
  CliRun orig = cli({"scenario", "pv-display", "--variant", default_variant(), "--preset", "qemu-virt-dom0", "--json"});
  ASSERT_EQ(mine.exit, orig.exit) << mine.out;
  auto a = nlohmann::json::parse(mine.out), b = nlohmann::json::parse(orig.out);
  ASSERT_EQ(a.size(), b.size());
  ASSERT_FALSE(a.empty());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i]["variant"], kName);
    for (const char* k : {"ram_pages_peak", "pool_growths", "p2m_2m_broken", "allocs", "rules"}) EXPECT_EQ(a[i][k], b[i][k]) << k;
  }
}

}  // namespace
}  // namespace unpop
