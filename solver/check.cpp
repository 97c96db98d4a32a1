#include "solver/check.h"

#include <atomic>
#include <chrono>

namespace unpop::solver {

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// The largest number of units an answered check took, process-wide (every thread's checks).
std::atomic<std::uint64_t> largest{0};

void note_need(const Answer& a) {
  if (a.result == z3::unknown) return;  // a cut first try or a real unknown: not a need
  std::uint64_t seen = largest.load();
  while (a.used > seen && !largest.compare_exchange_weak(seen, a.used)) {
  }
}

// Z3 reads both limits at each check (api_solver.cpp: scoped_timer, scoped_rlimit), so setting
// them right before it makes them this check's limits whatever the solver was given before.
template <class S>
void set_limits(S& s, const Limits& lim) {
  z3::params p(s.ctx());
  p.set("rlimit", lim.rlimit);
  p.set("timeout", lim.timeout_ms);
  s.set(p);
}

// Z3's reason, and whether the budget ran out: its tactics (a solver asked once, a fresh
// solver) say only "unknown" when they stop at the resource limit.
std::string why_unknown(const std::string& z3_reason, const Answer& a, const Limits& lim) {
  if (lim.rlimit == 0 || a.used < lim.rlimit) return z3_reason;
  return "resource limit reached (" + std::to_string(lim.rlimit) + " units; Z3: " + z3_reason + ")";
}

}  // namespace

std::uint64_t largest_need() { return largest.load(); }

std::uint64_t rlimit_count(const z3::stats& st) {
  for (unsigned i = 0; i < st.size(); ++i)
    if (st.key(i) == "rlimit count")
      return st.is_uint(i) ? st.uint_value(i) : static_cast<std::uint64_t>(st.double_value(i));
  return 0;
}

Answer check(z3::solver& s, const Limits& lim) {
  set_limits(s, lim);
  Answer a;
  const std::uint64_t before = rlimit_count(s.statistics());
  const auto t0 = Clock::now();
  a.result = s.check();
  a.seconds = since(t0);
  a.used = rlimit_count(s.statistics()) - before;
  if (a.result == z3::unknown) a.why = why_unknown(s.reason_unknown(), a, lim);
  note_need(a);
  return a;
}

Answer check(z3::optimize& s, const Limits& lim) {
  set_limits(s, lim);
  Answer a;
  const std::uint64_t before = rlimit_count(s.statistics());
  const auto t0 = Clock::now();
  a.result = s.check();
  a.seconds = since(t0);
  a.used = rlimit_count(s.statistics()) - before;
  if (a.result == z3::unknown) a.why = why_unknown(Z3_optimize_get_reason_unknown(s.ctx(), s), a, lim);
  note_need(a);
  return a;
}

void tune(z3::solver& s, const Tuning& t) {
  z3::params p(s.ctx());
  p.set("random_seed", t.seed);
  if (t.arith_solver) p.set("arith.solver", *t.arith_solver);
  s.set(p);
}

Answer check_or_move(z3::solver& s, const Limits& lim, const Tuning& fresh) {
  const unsigned first = lim.first_try ? lim.first_try : lim.rlimit / 4;
  if (first == 0 || (lim.rlimit && first >= lim.rlimit)) return check(s, lim);
  Limits one = lim;
  one.rlimit = first;
  Answer a = check(s, one);
  // Only running out of the first try's units moves the check; the wall-clock guard is final.
  if (a.result != z3::unknown || a.used < first) return a;
  // A context of its own: in the asking one, the terms the first try made would change the
  // fresh solver's term ids and so its search.
  z3::context c2;
  z3::solver s2(c2);
  tune(s2, fresh);
  for (const z3::expr& e : z3::expr_vector(c2, s.assertions())) s2.add(e);
  Answer b = check(s2, lim);
  b.moved = true;
  b.fresh_used = b.used;
  b.used += a.used;
  b.seconds += a.seconds;
  if (b.result == z3::sat) {
    z3::model m2 = s2.get_model();
    b.model = z3::model(m2, s.ctx(), z3::model::translate{});
  }
  return b;
}

void account(QueryResult& q, const Answer& a) {
  q.seconds += a.seconds;
  // The need is what the answering solver used: a moved check's first try is spent, not needed.
  q.rlimit = std::max(q.rlimit, a.moved ? a.fresh_used : a.used);
  q.rlimit_total += a.used;
  q.moved += a.moved ? 1 : 0;
  if (a.result == z3::unknown) {
    q.verdict = Verdict::unknown;
    q.detail = "solver: " + a.why;
  }
}

z3::expr with_defs(const z3::expr& broken, const Z3Domain& d) {
  z3::expr all = broken;
  for (const auto& def : d.defs()) all = all && def;
  return all;
}

std::string moved_note(const QueryResult& q) {
  if (q.moved == 0) return "";
  return " (" + std::to_string(q.moved) + (q.moved > 1 ? " checks" : " check") + " moved to a fresh solver)";
}

z3::model model_of(z3::solver& s, const Answer& a) { return a.model ? *a.model : s.get_model(); }

Answer prove(z3::solver& s, const z3::expr& broken, Scope scope, const Limits& lim, QueryResult& q,
             const std::string& proved_detail, const std::function<void(const z3::model&)>& on_sat,
             const CheckFn& how) {
  if (scope == Scope::push) s.push();
  s.add(broken);
  Answer a = how ? how(s, lim) : check(s, lim);
  account(q, a);
  if (a.result == z3::unsat) {
    q.verdict = Verdict::proved;
    q.detail = proved_detail;
  } else if (a.result == z3::sat) {
    q.verdict = Verdict::refuted;
    const auto t0 = Clock::now();
    if (on_sat) on_sat(model_of(s, a));
    q.seconds += since(t0);
  }
  if (scope == Scope::push) s.pop();
  return a;
}

}  // namespace unpop::solver
