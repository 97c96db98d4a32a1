#include "solver/check.h"

#include <chrono>

namespace unpop::solver {

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Z3 reads both limits at each check (api_solver.cpp: scoped_timer, scoped_rlimit), so setting
// them right before it makes them this check's limits whatever the solver was given before.
template <class S>
void set_limits(S& s, const Limits& lim) {
  z3::params p(s.ctx());
  p.set("rlimit", lim.rlimit);
  p.set("timeout", lim.timeout_ms);
  s.set(p);
}

}  // namespace

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
  if (a.result == z3::unknown) a.why = s.reason_unknown();
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
  if (a.result == z3::unknown) a.why = Z3_optimize_get_reason_unknown(s.ctx(), s);
  return a;
}

void account(QueryResult& q, const Answer& a) {
  q.seconds += a.seconds;
  q.rlimit = std::max(q.rlimit, a.used);
  q.rlimit_total += a.used;
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

z3::model model_of(z3::solver& s, const Answer& a) { return a.fresh ? a.fresh->get_model() : s.get_model(); }

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
