#pragma once
/// The property suites and the engine that runs them.
///
///  - `stateful`: rc::state commands (alloc, free in any order, DMA alloc/free, faults at every
///    failure point, a driver claiming MMIO, memory hot-plug, drain) over a generated layout;
///    after every step every rule of docs/rules.md (liveness included) and the
///    model-vs-reference property must hold.
///  - `race`: a sequential prefix, then two callers with one or two operations each; every
///    interleaving of their atomic steps (all of them when short, an even sample otherwise)
///    must keep every safety rule; a liveness finding counts only if neither sequential order
///    (A then B, B then A) shows it (a race). RapidCheck has no parallel mode: this is
///    built on Case.schedule, the way PropEr/QuickCheck statem build parallel tests.
///
/// A rule that a variant breaks by design is a finding: the engine records its minimal
/// counterexample (a Case, replayed through Runner to confirm the rule), ignores that rule
/// and runs the suite again until it passes, so one run yields every finding of a variant.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "model/case/case.h"
#include "model/linux/mutants.h"

namespace unpop::props {

std::vector<std::string> suite_names();  // stateful, race

struct RunConfig {
  std::uint64_t seed = 1;
  int runs = 100;           // test cases per suite (RapidCheck max_success)
  int max_size = 40;        // RapidCheck max_size: at most max_size+1 commands
  std::optional<std::uint64_t> page_size;
  /// The user's layout (check --preset/--dtb/--iomem/--layout): cases run on it and on its
  /// neighbours (the same layout with extended regions dropped or cut), not on generated ones.
  std::optional<Layout> layout;
  std::string preset;  // the preset it was loaded from, if any (cases then name it)
  Mutant mutant = Mutant::none;
  std::set<std::string> ignore;  // rules already known for this variant
  /// Mutant runs: a finding of one of these rules counts only if the unmutated model, run on
  /// the same case, does not show it at the same step (the mutant caused it).
  std::set<std::string> differential;
  int max_interleavings = 64;
  std::vector<std::string> suites;  // empty: every suite
  /// Called after each test case and each shrink step (progress display).
  std::function<void(const std::string& what)> progress;
};

/// A minimal counterexample.
struct Counterexample {
  std::string suite, variant, rule, message;
  Case cs;                  // seed, reproduce, rule, failing_step filled in
  std::size_t ops = 0;      // size: number of ops
  bool verified = false;    // Runner replay of cs shows the same rule
  int tests_before = 0;     // test cases that passed before this one failed
};

struct SuiteResult {
  bool failed = false;
  Counterexample cex;
  int tests = 0;
  std::string error;        // RapidCheck gave up or errored
};

/// The properties themselves, to call inside rc::check / RC_GTEST_PROP (they use RapidCheck's
/// generators and RC_FAIL); run_suite wraps them with seed, runs and counterexample capture.
struct SetupOptions;
void stateful_property(const std::string& variant, const RunConfig& cfg, const SetupOptions& so);
void race_property(const std::string& variant, const RunConfig& cfg, const SetupOptions& so);

/// Runs one suite once against one variant (stops at the first rule not ignored).
SuiteResult run_suite(const std::string& suite, const std::string& variant, const RunConfig& cfg);

/// Every finding of a variant: runs each suite, records the rule, ignores it, runs again.
struct VariantReport {
  std::string variant;
  std::map<std::string, Counterexample> findings;  // rule -> smallest counterexample over the suites
  std::vector<Counterexample> all;                 // every (suite, rule) counterexample
  int tests = 0;
  std::vector<std::string> errors;
};
VariantReport check_variant(const std::string& variant, const RunConfig& cfg);

/// The findings a variant has by design (its registry record; pinned by properties_test;
/// docs/findings.md).
std::set<std::string> expected_findings(const std::string& variant);

/// Does the mutated code exist in this variant? (mutant_table()'s `variants` column)
bool mutant_applies(Mutant m, const std::string& variant);

/// Mutants whose code exists in a variant but cannot change what it does there (equivalent
/// mutants): the reason, or nullptr.
const char* equivalent_mutant(Mutant m, const std::string& variant);

struct MutantKill {
  Mutant mutant = Mutant::none;
  std::string variant;
  bool killed = false;
  Counterexample cex;  // suite and rule that killed it
};
/// Runs the suites against `m` in `variant`. The mutant is killed when a rule breaks that the
/// variant does not break by design, or when one of its by-design findings shows up where the
/// unmutated model does not have it (differential: same case, same step, mutant `none`).
MutantKill run_mutant(Mutant m, const std::string& variant, RunConfig cfg);

/// Replays a case with Runner and returns the first non-warning finding's rule ("" if none);
/// `reference` is replayed with the Driver.
std::string replay_rule(const Case& c, std::size_t* step = nullptr);
/// Does replaying `c` (Runner; the Driver for `reference`) show `rule`? Sets the step.
bool replay_shows(const Case& c, const std::string& rule, std::size_t* step = nullptr);

}  // namespace unpop::props
