#pragma once
/// What every query does with Z3, written once: check within limits, measure what the check
/// cost, and turn the answer into the query's verdict.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <z3++.h>

#include "solver/result.h"
#include "solver/z3_domain.h"

namespace unpop::solver {

/// The limits of one satisfiability check.
struct Limits {
  /// Z3 resource units one check may use (Z3's `rlimit` parameter; 0: none).
  unsigned rlimit = 0;
  /// Wall-clock limit of one check in ms (Z3's `timeout` parameter; 0: none).
  unsigned timeout_ms = 0;
  /// Incremental solvers (Bmc): how long a check may take on the solver that answered the earlier
  /// queries before it moves to a fresh solver (0: a quarter of timeout_ms).
  unsigned first_try_ms = 0;
};

/// One answered check.
struct Answer {
  z3::check_result result = z3::unknown;
  std::string why;          // Z3's reason when the result is unknown
  std::uint64_t used = 0;   // resource units the check took (Z3's "rlimit count" before and after)
  double seconds = 0;
  /// The solver that answered when it is not the one asked (Bmc moves a slow check to a fresh
  /// solver); the model comes from it.
  std::shared_ptr<z3::solver> fresh;
};

/// Z3's count of resource units so far in `s`'s context (the statistic "rlimit count").
std::uint64_t rlimit_count(const z3::stats& st);

/// Checks `s` within `lim` (set on `s` for this check) and measures it.
Answer check(z3::solver& s, const Limits& lim);
Answer check(z3::optimize& s, const Limits& lim);

/// How a check is made: check() above, or Bmc's, which may move it to a fresh solver.
using CheckFn = std::function<Answer(z3::solver&, const Limits&)>;

/// The model of a check that answered sat: from the fresh solver if it moved there.
z3::model model_of(z3::solver& s, const Answer& a);

/// Adds what a check cost to q (time, resource units: the largest single check is what a budget
/// must cover) and, for an unknown, says why in q's detail.
void account(QueryResult& q, const Answer& a);

/// `broken` and the definitions its encoding made (Z3Domain::defs), in that order: one formula
/// for prove() on a solver asked once.
z3::expr with_defs(const z3::expr& broken, const Z3Domain& d);

/// How prove() asserts the negation. A solver asked once takes it for good: a scope (push) would
/// switch Z3 from its preprocessing tactics to the incremental core, which is another search.
/// A solver asked again (Bmc) takes it in a scope.
enum class Scope { for_good, push };

/// The pattern of the queries: is `broken` (the property's negation) satisfiable with what `s`
/// holds? Asserted (as `scope` says) and checked within `lim`: unsat proves (detail
/// `proved_detail`), sat refutes (`on_sat`, if any, words the model into q while `broken` is
/// still asserted), unknown leaves the verdict unknown with Z3's reason. `how` makes the check
/// (default: check()). Returns the answer.
Answer prove(z3::solver& s, const z3::expr& broken, Scope scope, const Limits& lim, QueryResult& q,
             const std::string& proved_detail, const std::function<void(const z3::model&)>& on_sat,
             const CheckFn& how = {});

}  // namespace unpop::solver
