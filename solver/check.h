#pragma once
/// What every query does with Z3, written once: check within limits, measure what the check
/// cost, and turn the answer into the query's verdict.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <z3++.h>

#include "solver/result.h"
#include "solver/z3_domain.h"

namespace unpop::solver {

/// Z3 resource units a check may use by default: 4x the largest need measured (docs/solver.md,
/// "Resource budgets").
constexpr unsigned kDefaultRlimit = 400'000'000;
/// The wall-clock guard of a check by default: far beyond what the budget takes on a slow or busy
/// machine (about 40 s idle here), so that it only stops a check that would never end.
constexpr unsigned kGuardMs = 600'000;

/// The limits of one satisfiability check. The verdict is decided by the resource budget: Z3
/// counts its own steps (rlimit), the same count on every machine and under any load, so a
/// verdict does not depend on the machine's speed. The wall clock is only a guard.
struct Limits {
  /// Z3 resource units one check may use (Z3's `rlimit` parameter, per check: Z3 stops at the
  /// count before the check plus this; 0: none).
  unsigned rlimit = kDefaultRlimit;
  /// Wall-clock guard of one check in ms (Z3's `timeout` parameter; 0: none).
  unsigned timeout_ms = kGuardMs;
  /// Incremental solvers (Bmc): the units a check gets on the solver that answered the earlier
  /// queries before it moves to a fresh solver with the whole budget (0: a quarter of rlimit;
  /// never with no budget).
  unsigned first_try = 0;
};

/// One answered check.
struct Answer {
  z3::check_result result = z3::unknown;
  std::string why;          // Z3's reason when the result is unknown
  std::uint64_t used = 0;   // resource units the check took (Z3's "rlimit count" before and after)
  double seconds = 0;
  bool moved = false;             // answered (or not) by a fresh solver (check_or_move)
  std::uint64_t fresh_used = 0;   // of `used`, the fresh solver's units
  std::optional<z3::model> model;  // a moved check's model (sat), in the asking solver's context
};

/// Z3's count of resource units so far in `s`'s context (the statistic "rlimit count").
std::uint64_t rlimit_count(const z3::stats& st);

/// The most resource units any check of this process took and answered with (sat or unsat; a
/// moved check counts with its fresh solver's units): what the budget's margin is measured
/// against (solver_test asserts it; prove prints it).
std::uint64_t largest_need();

/// Checks `s` within `lim` (set on `s` for this check) and measures it.
Answer check(z3::solver& s, const Limits& lim);
Answer check(z3::optimize& s, const Limits& lim);

/// Z3 parameters of a solver beside the limits: its random seed and, if not Z3's default, its
/// arithmetic solver.
struct Tuning {
  unsigned seed = 0;
  std::optional<unsigned> arith_solver;
};
/// Sets them on a solver.
void tune(z3::solver& s, const Tuning& t);

/// A check of an incremental solver that has answered earlier queries: if it has not answered
/// within `lim`'s first try, its assertions go to a fresh solver in a context of its own (tuned
/// as `fresh`: another random seed) with the whole budget. Measured: the slow checks are slow
/// because of the solver's history (docs/solver.md), and a fresh solver answers them in a
/// fraction of it. Decided by resource units, so which solver answers, and the model it gives,
/// is the same on every machine; and as the fresh context starts empty, what the fresh solver
/// does depends on the assertions only, not on how far the first try got.
Answer check_or_move(z3::solver& s, const Limits& lim, const Tuning& fresh);

/// How a check is made: check() above, or check_or_move().
using CheckFn = std::function<Answer(z3::solver&, const Limits&)>;

/// The model of a check that answered sat (the fresh solver's if it moved).
z3::model model_of(z3::solver& s, const Answer& a);

/// Adds what a check cost to q (time; resource units: the largest need of a solver that answered
/// is what the budget must cover; checks moved to a fresh solver) and, for an unknown, says why
/// in q's detail.
void account(QueryResult& q, const Answer& a);

/// `broken` and the definitions its encoding made (Z3Domain::defs), in that order: one formula
/// for prove() on a solver asked once.
z3::expr with_defs(const z3::expr& broken, const Z3Domain& d);

/// How prove() asserts the negation. A solver asked once takes it for good: a scope (push) would
/// switch Z3 from its preprocessing tactics to the incremental core, which is another search.
/// A solver asked again (Bmc) takes it in a scope.
enum class Scope { for_good, push };

/// " (N checks moved to a fresh solver)" when some did, for the detail; "" otherwise.
std::string moved_note(const QueryResult& q);

/// The pattern of the queries: is `broken` (the property's negation) satisfiable with what `s`
/// holds? Asserted (as `scope` says) and checked within `lim`: unsat proves (detail
/// `proved_detail`), sat refutes (`on_sat`, if any, words the model into q while `broken` is
/// still asserted), unknown leaves the verdict unknown with Z3's reason. `how` makes the check
/// (default: check()). Returns the answer.
Answer prove(z3::solver& s, const z3::expr& broken, Scope scope, const Limits& lim, QueryResult& q,
             const std::string& proved_detail, const std::function<void(const z3::model&)>& on_sat,
             const CheckFn& how = {});

}  // namespace unpop::solver
