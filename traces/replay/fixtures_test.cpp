// Runs `unpopcheck replay --json` on every fixture (fixtures/rules, fixtures/cases) and checks
// the expectations written in its `#` header (see fixtures/make_fixtures.py).
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {
namespace fs = std::filesystem;
const fs::path kDir = fs::path(UNPOP_REPLAY_FIXTURES).parent_path();  // traces/replay

struct Expect {
  std::string args;
  int exit = -1;
  std::vector<std::string> violations, no_violations, findings, warnings, unchecked;
  std::string divergence, divergence_text;  // expect-divergence: KIND; expect-divergence-text: part of its message
  std::string chosen, fits, dropped;        // --variant auto: expect-chosen, expect-fits (a,b), expect-dropped
  long error_line = -1;
};

Expect read_expect(const fs::path& p) {
  Expect e;
  std::ifstream in(p);
  std::string line;
  auto val = [&](const char* key, std::string& out) {
    std::string k = std::string("# ") + key + ": ";
    if (line.rfind(k, 0) != 0) return false;
    out = line.substr(k.size());
    return true;
  };
  while (std::getline(in, line)) {
    if (line.empty() || line[0] != '#') break;
    std::string v;
    if (val("replay-args", v)) e.args = v;
    else if (val("expect-exit", v)) e.exit = std::stoi(v);
    else if (val("expect-violation", v)) e.violations.push_back(v);
    else if (val("expect-no-violation", v)) e.no_violations.push_back(v);
    else if (val("expect-finding", v)) e.findings.push_back(v);
    else if (val("expect-warning", v)) e.warnings.push_back(v);
    else if (val("expect-unchecked", v)) e.unchecked.push_back(v);
    else if (val("expect-error-line", v)) e.error_line = std::stol(v);
    else if (val("expect-divergence", v)) e.divergence = v;
    else if (val("expect-divergence-text", v)) e.divergence_text = v;
    else if (val("expect-chosen", v)) e.chosen = v;
    else if (val("expect-fits", v)) e.fits = v;
    else if (val("expect-dropped", v)) e.dropped = v;
  }
  return e;
}

struct CliRun {
  int exit = -1;
  std::string out;
};

CliRun run(const std::string& cmd) {
  CliRun r;
  FILE* f = popen(("cd " + kDir.string() + " && " + cmd + " 2>/dev/null").c_str(), "r");
  if (!f) return r;
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) r.out.append(buf, n);
  int st = pclose(f);
  r.exit = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

std::vector<fs::path> fixtures() {
  std::vector<fs::path> out;
  for (const char* sub : {"rules", "cases"})
    for (const auto& e : fs::directory_iterator(kDir / "fixtures" / sub))
      if (e.path().extension() == ".txt" && read_expect(e.path()).exit >= 0) out.push_back(e.path());
  // (files without expectations are the second input of another fixture, e.g. percpu_a.txt)
  std::sort(out.begin(), out.end());
  return out;
}

class Fixture : public ::testing::TestWithParam<fs::path> {};

// Candidates sharing one state until a DMA call splits them (traces/replay/lockstep.h) report
// exactly what one state per variant reports: the whole JSON, byte for byte.
void expect_same_separately(const std::string& args, const CliRun& shared) {
  const CliRun sep = run(std::string(UNPOP_CLI) + " replay --separate-states " + args);
  EXPECT_EQ(sep.exit, shared.exit) << args;
  EXPECT_EQ(sep.out, shared.out) << args;
}

TEST_P(Fixture, MatchesItsHeader) {
  const fs::path p = GetParam();
  Expect e = read_expect(p);
  std::string rel = fs::relative(p, kDir).string();
  CliRun r = run(std::string(UNPOP_CLI) + " replay --json " + e.args + " " + rel);
  SCOPED_TRACE(rel + "\n" + r.out);
  expect_same_separately("--json " + e.args + " " + rel, r);
  EXPECT_EQ(r.exit, e.exit);
  auto j = nlohmann::json::parse(r.out);
  for (const char* k : {"verdict", "events", "violations", "warnings", "unchecked", "findings", "other_events"})
    EXPECT_TRUE(j.contains(k)) << k;
  EXPECT_EQ(j.contains("error"), e.exit == 2);
  EXPECT_EQ(j["verdict"], e.exit == 0 ? "ok" : e.exit == 1 ? "violation" : e.exit == 3 ? "divergent" : "unreadable");
  // A violating trace may diverge too (a violation wins the verdict); an ok one never does.
  if (e.exit == 0) {
    EXPECT_FALSE(j.contains("divergence"));
  }
  if (!e.divergence.empty()) {
    ASSERT_TRUE(j.contains("divergence"));
    const auto& d = j["divergence"];
    EXPECT_EQ(d["kind"], e.divergence);
    for (const char* k : {"variant", "kind", "file", "line", "timestamp", "task", "pid", "cpu", "model", "kernel",
                          "message", "context"})
      EXPECT_TRUE(d.contains(k)) << k;
    if (!e.divergence_text.empty()) {
      EXPECT_NE(d["message"].get<std::string>().find(e.divergence_text), std::string::npos) << e.divergence_text;
    }
  }
  auto has = [&](const char* arr, const char* key, const std::string& v) {
    for (const auto& x : j[arr])
      if (x[key] == v) return true;
    return false;
  };
  for (const auto& v : e.violations) {
    // The first violating event lists the rule (an event that breaks several lists each).
    ASSERT_FALSE(j["violations"].empty());
    bool first_event = false;
    for (const auto& x : j["violations"])
      if (x["line"] == j["violations"][0]["line"] && x["rule"] == v) first_event = true;
    EXPECT_TRUE(first_event) << v;
    for (const auto& x : j["violations"]) {
      for (const char* k : {"rule", "file", "line", "timestamp", "task", "pid", "cpu", "message", "ranges", "context"})
        EXPECT_TRUE(x.contains(k)) << k;
    }
  }
  if (!e.chosen.empty()) {
    ASSERT_TRUE(j.contains("variant"));
    EXPECT_EQ(j["variant"]["asked"], "auto");
    EXPECT_EQ(j["variant"]["chosen"], e.chosen);
    std::string fits;
    for (const auto& f : j["variant"]["fits"]) fits += (fits.empty() ? "" : ",") + f.get<std::string>();
    if (!e.fits.empty()) {
      EXPECT_EQ(fits, e.fits);
    }
    if (!e.dropped.empty()) {
      EXPECT_TRUE(j["variant"]["dropped"].contains(e.dropped)) << j["variant"].dump();
    }
  }
  for (const auto& v : e.no_violations) EXPECT_FALSE(has("violations", "rule", v)) << v;
  for (const auto& v : e.findings) EXPECT_TRUE(has("findings", "rule", v)) << v;
  for (const auto& v : e.warnings) EXPECT_TRUE(has("warnings", "kind", v)) << v;
  for (const auto& v : e.unchecked) {
    bool found = false;
    for (const auto& u : j["unchecked"]) found |= u.get<std::string>().find(v) != std::string::npos;
    EXPECT_TRUE(found) << v;
  }
  if (e.error_line >= 0) {
    EXPECT_EQ(j["error"]["line"], e.error_line);
  }
}

std::string name_of(const ::testing::TestParamInfo<fs::path>& i) {
  std::string s = i.param.parent_path().filename().string() + "_" + i.param.stem().string();
  for (char& c : s)
    if (!isalnum(static_cast<unsigned char>(c))) c = '_';
  return s;
}

INSTANTIATE_TEST_SUITE_P(Replay, Fixture, ::testing::ValuesIn(fixtures()), name_of);

// Every rule id of invariants.md has a violating and a clean fixture (kernel-bug cannot come
// from a trace: it is the model's own BUG()).
TEST(Fixtures, CoverEveryRule) {
  for (const char* rule : {"ram-overlap", "device-overlap", "outside-ext-region", "region-overlap", "region-mismatch",
                           "growth-misaligned", "not-in-pool", "double-alloc", "not-contiguous", "unknown-free",
                           "double-free", "mixed-free", "dma-free-mismatch", "count-mismatch", "leak",
                           "spurious-enomem", "ram-stolen", "growth-overlap", "order-mismatch"}) {
    EXPECT_TRUE(fs::exists(kDir / "fixtures/rules" / (std::string(rule) + ".bad.txt"))) << rule;
    EXPECT_TRUE(fs::exists(kDir / "fixtures/rules" / (std::string(rule) + ".ok.txt"))) << rule;
  }
}

// Issue 16: with the default options (--variant auto) the two DMA rule fixtures, written for
// a kernel with a DMA pool, fail with their rule: the RFC is chosen, not upstream (which took
// their DMA pages for CMA RAM and said ok).
TEST(DefaultOptions, DmaRuleFixturesFailWithTheirRule) {
  for (const char* rule : {"not-contiguous", "dma-free-mismatch"}) {
    CliRun r = run(std::string(UNPOP_CLI) + " replay --json --preset qemu-virt-dom0 fixtures/rules/" + rule + ".bad.txt");
    EXPECT_EQ(r.exit, 1) << rule << "\n" << r.out;
    auto j = nlohmann::json::parse(r.out);
    ASSERT_FALSE(j["violations"].empty()) << rule;
    EXPECT_EQ(j["violations"][0]["rule"], rule);
    EXPECT_NE(j["variant"]["chosen"], "upstream") << rule;
    EXPECT_TRUE(j["variant"]["dropped"].contains("upstream")) << rule;
  }
}

// Usage errors: exit 2 and, with --json, the object with `error`.
TEST(Usage, NoLayoutIsExit2WithJsonError) {
  CliRun r = run(std::string(UNPOP_CLI) + " replay --json fixtures/rules/leak.ok.txt");
  EXPECT_EQ(r.exit, 2);
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["verdict"], "unreadable");
  EXPECT_NE(j["error"]["message"].get<std::string>().find("no layout"), std::string::npos);
}

TEST(Usage, UnknownOptionIsExit2WithJsonError) {
  CliRun r = run(std::string(UNPOP_CLI) + " replay --json --preset qemu-virt-dom0 --frobnicate fixtures/rules/leak.ok.txt");
  EXPECT_EQ(r.exit, 2);
  auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j.contains("error"));
}

TEST(Usage, UnknownVariantIsExit2) {
  CliRun r = run(std::string(UNPOP_CLI) + " replay --json --preset qemu-virt-dom0 --variant nope fixtures/rules/leak.ok.txt");
  EXPECT_EQ(r.exit, 2);
  EXPECT_TRUE(nlohmann::json::parse(r.out).contains("error"));
}

TEST(Usage, MissingTraceFileIsExit2) {
  CliRun r = run(std::string(UNPOP_CLI) + " replay --json --preset qemu-virt-dom0 fixtures/no-such-file.txt");
  EXPECT_EQ(r.exit, 2);
  EXPECT_TRUE(nlohmann::json::parse(r.out).contains("error"));
}

// The counterexample opens in explore; caller-side rules show again there.
TEST(Cex, CallerSideRulesReplayInExplore) {
  for (const char* rule : {"double-free", "unknown-free", "mixed-free", "dma-free-mismatch", "leak"}) {
    fs::path fx = kDir / "fixtures/rules" / (std::string(rule) + ".bad.txt");
    Expect e = read_expect(fx);
    const fs::path dir = fs::temp_directory_path() / (std::string("unpop_replay_cex_") + rule);
    fs::remove_all(dir);
    CliRun r = run(std::string(UNPOP_CLI) + " replay " + e.args + " --cex " + dir.string() + " " +
                   fs::relative(fx, kDir).string());
    EXPECT_EQ(r.exit, 1) << rule;
    // --cex DIR: one file, named after the chosen variant and the rule.
    ASSERT_TRUE(fs::is_directory(dir)) << rule;
    fs::path out;
    for (const auto& f : fs::directory_iterator(dir)) out = f.path();
    ASSERT_FALSE(out.empty()) << rule;
    auto c = nlohmann::json::parse(std::ifstream(out));
    // named after the variant and the rule the case shows (its first violation)
    EXPECT_EQ(out.filename().string(), c["variant"].get<std::string>() + "-" + c["rule"].get<std::string>() + ".json");
    EXPECT_EQ(c["origin"], "replay");
    EXPECT_TRUE(c.contains("rule"));
    CliRun x = run(std::string(UNPOP_CLI) + " explore --json " + out.string());
    EXPECT_EQ(x.exit, 1) << rule << x.out;
    EXPECT_NE(x.out.find(std::string("\"rule\": \"") + rule + "\""), std::string::npos) << rule << x.out;
    fs::remove_all(dir);
  }
}

// --cex on a divergent trace: the calls up to the divergent one, the kernel's choice kept beside
// the model's; explore shows both.
TEST(Cex, DivergenceOpensInExplore) {
  const fs::path dir = fs::temp_directory_path() / "unpop_replay_cex_divergence";
  fs::remove_all(dir);
  CliRun r = run(std::string(UNPOP_CLI) + " replay --preset qemu-virt-dom0 --cex " + dir.string() +
                 " fixtures/cases/divergence_growth_swapped.txt");
  EXPECT_EQ(r.exit, 3) << r.out;
  const fs::path out = dir / "upstream-divergence-growth-placement.json";
  ASSERT_TRUE(fs::exists(out)) << r.out;
  EXPECT_NE(r.out.find("unpopcheck explore " + out.string()), std::string::npos) << r.out;
  auto c = nlohmann::json::parse(std::ifstream(out));
  EXPECT_EQ(c["extra"]["divergence"]["kernel"], "growth 0x50000000-0x57ffffff");
  EXPECT_EQ(c["ops"].size(), 1u);
  CliRun x = run(std::string(UNPOP_CLI) + " explore " + out.string());
  EXPECT_EQ(x.exit, 0) << x.out;
  EXPECT_NE(x.out.find("model:  growth 0x48000000-0x4fffffff"), std::string::npos) << x.out;
  EXPECT_NE(x.out.find("kernel: growth 0x50000000-0x57ffffff"), std::string::npos) << x.out;
  EXPECT_NE(x.out.find("+ Xen scratch 0x48000000-0x4fffffff"), std::string::npos) << x.out;  // the model's choice
  fs::remove_all(dir);
}

// The human-readable report names the rule, the event, the context and the explore hint.
TEST(Text, ViolationReport) {
  CliRun r = run(std::string(UNPOP_CLI) + " replay --preset qemu-virt-dom0 fixtures/rules/double-free.bad.txt");
  EXPECT_EQ(r.exit, 1);
  EXPECT_NE(r.out.find("VIOLATION double-free at fixtures/rules/double-free.bad.txt:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("preceding events of the same pages"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("unpopcheck explore"), std::string::npos) << r.out;
}

}  // namespace

namespace {
// The real captures of the traces branch (uprobe recordings: tracefs text, trace_pipe,
// trace-cmd report, trace.dat v6/v7, lost events) replay: the double-free and unknown-free
// recordings are violations; the others diverge from upstream at their first growth, since the
// user-space target (traces/fixtures/uprobe_target.c) grows at 0x40000000, below the arm64 linear
// map of this layout (RAM from 0x80000000), where upstream's allocate_resource cannot: exit 3.
// Where the growth comes after a lost-events marker, or there is none (enomem), they are clean.
TEST(Recorded, CapturesReplay) {
  fs::path dir = kDir.parent_path() / "fixtures" / "recorded";
  if (!fs::exists(dir)) GTEST_SKIP() << "no recorded captures";
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string name = e.path().filename().string();
    if (e.path().extension() != ".txt" && e.path().extension() != ".dat") continue;
    if (name == "RECORDING.txt") continue;
    const auto has = [&](const char* s) { return name.find(s) != std::string::npos; };
    const int want = has("double_free") || has("unknown_free") ? 1 : has("lost") || has("enomem") ? 0 : 3;
    const std::string args = "--json --iomem fixtures/recorded_guest_iomem.txt " + e.path().string();
    CliRun r = run(std::string(UNPOP_CLI) + " replay " + args);
    EXPECT_EQ(r.exit, want) << name << "\n" << r.out;
    expect_same_separately(args, r);
    if (want == 3 && r.exit == 3) {
      auto j = nlohmann::json::parse(r.out);
      EXPECT_EQ(j["divergence"]["kind"], "growth-placement") << name;
      EXPECT_EQ(j["divergence"]["kernel"], "growth 0x40000000-0x47ffffff") << name;
    }
    ++n;
  }
  EXPECT_GT(n, 10);
}
}  // namespace

// Inputs that once crashed the whole-replay fuzzer (fuzz/fuzz_replay.cpp: the first byte picks
// the variant, the rest is the trace): the CLI must print valid JSON with a verdict for each.
TEST(ReplayFuzzRegressions, CliPrintsValidJson) {
  static const char* const kVariants[] = {"upstream", "rfc", "v1", "x86", "proposed", "auto"};
  const fs::path dir = fs::path(UNPOP_FUZZ_DIR) / "regressions" / "replay";
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::ifstream in(e.path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    if (bytes.empty()) continue;
    const fs::path trace = fs::temp_directory_path() / ("unpop_fuzz_regression_" + e.path().filename().string());
    std::ofstream(trace, std::ios::binary) << bytes.substr(1);
    const std::string args = std::string("--json --all --drained --preset qemu-virt-dom0 --variant ") +
                             kVariants[(static_cast<unsigned char>(bytes[0]) & 0x7f) % 6] + " " + trace.string();
    CliRun r = run(std::string(UNPOP_CLI) + " replay " + args);
    SCOPED_TRACE(e.path().filename().string() + "\n" + r.out);
    expect_same_separately(args, r);
    fs::remove(trace);
    EXPECT_TRUE(r.exit == 0 || r.exit == 1 || r.exit == 2 || r.exit == 3);
    nlohmann::json j;
    ASSERT_NO_THROW(j = nlohmann::json::parse(r.out));
    EXPECT_TRUE(j.contains("verdict"));
    ++n;
  }
  EXPECT_GT(n, 0);
}
