// The query driver: is there a run of the encoding whose last step breaks a rule? Proofs,
// the shortest counterexample, and whether the answer is what the variant's design says.
#include "solver/bmc_impl.h"

#include <algorithm>

#include <fmt/format.h>

#include "model/case/runner.h"

namespace unpop::solver {

using z3::expr;

QueryResult Bmc::query(const std::string& rule, int kind) {
  Impl& m = *impl_;
  QueryResult q;
  q.group = m.two ? "bmc-2" : "bmc";
  q.variant = m.variant;
  q.mutant = to_string(m.mut);
  q.rule = rule;
  q.op = m.two ? "race" : op_kind_name(kind);
  auto at = [&](int t) {
    expr e = m.viol.at(rule)[static_cast<std::size_t>(t)];
    if (kind >= 0 && !m.two) e = e && m.step_kind[static_cast<std::size_t>(t)] == m.I(kind);
    return e;
  };
  if (m.cfg.inductive && !m.not_vacuous(kind, q)) return q;
  expr any = m.B(false);
  for (int t = 0; t < m.depth; ++t) any = any || at(t);
  const std::string proved_detail =
      fmt::format("no run of up to {} {} breaks it", m.depth, m.two ? "atomic steps of two callers" : "operations");
  z3::check_result r = z3::unsat;
  if (m.cfg.misuse) {
    // Misuse queries are refutation hunts, with genpool's acceptance under-approximated (gp_over
    // false) so that each is a run the model repeats: step by step right away (the shortest
    // counterexample search below repeats the first sat step only). The proof is asked with it
    // over-approximated, below.
    m.s.push();
    m.s.add(!m.gp_over);
    for (int t = 0; t < m.depth && r == z3::unsat; ++t)
      r = prove(m.s, at(t), Scope::push, m.cfg.limits, q, proved_detail, nullptr, m.how()).result;
  } else {
    r = prove(m.s, any, Scope::push, m.cfg.limits, q, proved_detail, nullptr, m.how()).result;
  }
  if (r == z3::unsat) q.depth = m.depth;
  if (r == z3::sat) m.shortest(q, at, rule);
  if (m.cfg.misuse) {
    m.s.pop();
    if (q.verdict == Verdict::proved && (m.gp_dma || m.gp_plain)) {
      // No refutation where genpool surely takes the free; a proof needs none where it may.
      const std::string surely = q.detail + " (a free genpool would BUG() on never reaches the checker)";
      prove(m.s, m.gp_over && any, Scope::push, m.cfg.limits, q, surely, [&](const z3::model&) {
        q.verdict = Verdict::unknown;
        q.detail = "no misuse found where genpool surely takes the free, but one where it may: not a proof";
      }, m.how());
    }
  }
  q.detail += moved_note(q);
  if (q.cex && m.cfg.replay) {
    std::string note;
    q.replayed = replay_shows(*q.cex, rule, &note);
    q.replay_note = note;
  }
  q.expected_ok = m.as_designed(q, rule, kind);
  return q;
}

// Inductive mode: Inv and a step of this kind must be satisfiable together, or every "proof"
// would be empty. A sat answer is kept for the later queries of the same kind.
bool Bmc::Impl::not_vacuous(int kind, QueryResult& q) {
  if (vacuity.count(kind)) return true;
  s.push();
  if (kind >= 0) s.add(step_kind[0] == I(kind));
  Answer a = check_now();
  s.pop();
  account(q, a);
  if (a.result == z3::sat) {
    vacuity.emplace(kind, a.result);
    return true;
  }
  if (a.result == z3::unsat) q.detail = "vacuous: no state satisfies Inv with this step";
  q.verdict = Verdict::unknown;
  q.expected_ok = false;
  return false;
}

// The shortest counterexample: the first step at which the rule can break, with its run as a
// Case (not yet replayed).
void Bmc::Impl::shortest(QueryResult& q, const std::function<expr(int)>& at, const std::string& rule) {
  for (int t = 0; t < depth; ++t) {
    QueryResult step;
    Answer a = prove(s, at(t), Scope::push, cfg.limits, step, "", [&](const z3::model& mdl) {
      if (mdl.eval(bound_hit[static_cast<std::size_t>(t)], true).is_true()) {
        // The run needs more growths or runs than the encoding holds: no verdict.
        step.verdict = Verdict::unknown;
        step.detail = fmt::format("encoding bound reached at step {} (more than {} growths or {} runs per operation)",
                                  t + 1, growths_per_op, runs_per_alloc);
        return;
      }
      step.depth = t + 1;
      Case cs = extract(mdl, t);
      cs.rule = rule;
      step.detail = describe(mdl, t);
      step.cex = cs;
    }, how());
    q.seconds += step.seconds;
    q.rlimit = std::max(q.rlimit, step.rlimit);
    q.rlimit_total += step.rlimit_total;
    q.moved += step.moved;
    if (a.result == z3::unsat) continue;
    q.verdict = step.verdict;
    q.detail = step.detail;
    q.depth = step.depth;
    q.cex = step.cex;
    return;
  }
  // Every step unsat although the whole run was sat: no verdict to give.
  q.verdict = Verdict::unknown;
  q.detail = "the per-step checks found no step the whole-run check found";
}

// Whether the verdict is what the design says. Safety rules must be proved. Liveness rules
// depend on the layout and the bound: on a preset they are informational; the design findings
// are asserted on the small layout. The x86 variant's device-overlap depends on where the
// layout puts its grant table (not an iomem resource): informational too. The RFC's slip
// needs the Arm mirror. Caller rules and mutants: any answer but unknown (and a replay).
bool Bmc::Impl::as_designed(const QueryResult& q, const std::string& rule, int kind) {
  const auto& cr = misuse_rules();
  if (cfg.misuse || std::find(cr.begin(), cr.end(), rule) != cr.end())
    return q.verdict != Verdict::unknown && (!q.cex || q.replayed.value_or(true));
  if (mut != Mutant::none) return q.verdict != Verdict::unknown;
  const Expect e = design_expectation(variant, rule, kind, cfg.base.layout);
  const bool informational = find_rule(rule)->liveness() || e == Expect::either;
  return q.verdict != Verdict::unknown && (informational || (q.verdict == Verdict::proved) == (e == Expect::holds));
}

}  // namespace unpop::solver
