#include "solver/page_runs.h"

#include "model/spec/alloc_spec.h"

namespace unpop::solver {

using z3::expr;

expr in_runs(z3::context& c, const std::vector<PageRun>& runs, const expr& q) {
  expr o = c.bool_val(false);
  for (const auto& r : runs) o = o || (r.on && r.s <= q && q < r.s + r.n);
  return o;
}

expr total_pages(z3::context& c, const std::vector<PageRun>& runs) {
  expr t = c.int_val(0);
  for (const auto& r : runs) t = t + z3::ite(r.on, r.n, c.int_val(0));
  return t;
}

std::vector<PageRun> maximal_runs(Z3Domain& d, const Member& in, const std::vector<expr>& starts,
                                  const std::vector<expr>& bounds, std::uint64_t unit) {
  z3::context& c = d.ctx();
  // A sentinel above every bound: the set is finite, so some bound ends each run.
  expr top = c.int_val(0);
  for (const auto& b : bounds) top = z3::ite(b > top, b, top);
  top = top + c.int_val(static_cast<std::uint64_t>(unit));
  std::vector<expr> out_b;
  for (const auto& b : bounds) out_b.push_back(d.name(!in(b), "out"));
  std::vector<PageRun> out;
  for (std::size_t i = 0; i < starts.size(); ++i) {
    const expr& s = starts[i];
    expr on = in(s) && !in(s - c.int_val(1));
    on = d.name(on, "run_on");
    for (std::size_t j = 0; j < i; ++j) on = on && starts[j] != s;  // one run per value
    expr end = top;
    for (std::size_t j = 0; j < bounds.size(); ++j) end = z3::ite(bounds[j] > s && out_b[j] && bounds[j] < end, bounds[j], end);
    out.push_back({s, d.name_multiple(end - s, unit, "run_n"), on});
  }
  return out;
}

Pick best_fit(Z3Domain& d, const std::vector<PageRun>& runs, const expr& n) {
  z3::context& c = d.ctx();
  expr found = c.bool_val(false), start = c.int_val(0), len = c.int_val(0);
  for (const auto& r : runs) {
    expr fits = r.on && spec::run_fits(d, r.n, n);
    expr take = fits && (!found || spec::better_fit(d, r.n, r.s, len, start));
    start = z3::ite(take, r.s, start);
    len = z3::ite(take, r.n, len);
    found = found || fits;
  }
  return {d.name(found, "bf_found"), d.name(start, "bf_start"), c.int_val(0)};
}

Pick cheapest_window(Z3Domain& d, const std::vector<PageRun>& combined, const std::vector<PageRun>& free,
                     const std::vector<PageRun>& growable, const expr& n) {
  z3::context& c = d.ctx();
  std::vector<expr> cands;
  for (const auto& r : combined) cands.push_back(r.s);
  for (const auto& f : free) {
    cands.push_back(f.s);
    cands.push_back(f.s + f.n - n);
  }
  // A free run's candidates only count when the run is present (the model walks free_).
  std::vector<expr> cand_on;
  for (std::size_t i = 0; i < combined.size(); ++i) cand_on.push_back(c.bool_val(true));
  for (const auto& f : free) {
    cand_on.push_back(f.on);
    cand_on.push_back(f.on);
  }
  expr found = c.bool_val(false), start = c.int_val(0), cost = c.int_val(0);
  for (std::size_t i = 0; i < cands.size(); ++i) {
    const expr& w = cands[i];
    expr inside = c.bool_val(false);
    for (const auto& r : combined) inside = inside || (r.on && spec::window_inside(d, r.s, r.s + r.n, w, n));
    expr ok = d.name(cand_on[i] && inside, "win_ok");
    expr k = c.int_val(0);
    for (const auto& g : growable) k = k + z3::ite(g.on, spec::shared_pages(d, w, w + n, g.s, g.s + g.n), c.int_val(0));
    k = d.name(k, "win_cost");
    expr take = d.name(ok && (!found || spec::cheaper_window(d, k, w, cost, start)), "win_take");
    start = d.name(z3::ite(take, w, start), "win_start");
    cost = d.name(z3::ite(take, k, cost), "win_best");
    found = d.name(found || ok, "win_found");
  }
  return {found, start, cost};
}

std::vector<PageRun> window_growths(Z3Domain& d, const std::vector<PageRun>& growable, const expr& start,
                                    const expr& n, std::uint64_t pps, std::size_t max, expr* overflow) {
  z3::context& c = d.ctx();
  const expr end = start + n;
  struct Piece {
    expr s, e, on;
  };
  std::vector<Piece> pieces;
  for (const auto& g : growable) {
    expr s = z3::ite(g.s > start, g.s, start);
    expr e = z3::ite(g.s + g.n < end, g.s + g.n, end);
    pieces.push_back({d.name(s, "pc_s"), d.name(e, "pc_e"), d.name(g.on && s < e, "pc_on")});
  }
  // Rank of each present piece in ascending order (growable runs are disjoint).
  std::vector<expr> rank;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    expr r = c.int_val(0);
    for (std::size_t j = 0; j < pieces.size(); ++j)
      if (j != i) r = r + z3::ite(pieces[j].on && pieces[j].s < pieces[i].s, c.int_val(1), c.int_val(0));
    rank.push_back(d.name(r, "pc_rank"));
  }
  std::vector<PageRun> out;
  *overflow = c.bool_val(false);
  for (std::size_t i = 0; i < pieces.size(); ++i)
    *overflow = *overflow || (pieces[i].on && rank[i] >= c.int_val(static_cast<int>(max)));
  for (std::size_t k = 0; k < max; ++k) {
    expr s = c.int_val(0), e = c.int_val(0), on = c.bool_val(false);
    for (std::size_t i = 0; i < pieces.size(); ++i) {
      expr here = pieces[i].on && rank[i] == c.int_val(static_cast<int>(k));
      auto cover = spec::section_cover(d, pieces[i].s, pieces[i].e, pps);
      s = z3::ite(here, cover.first, s);
      e = z3::ite(here, cover.end, e);
      on = on || here;
    }
    out.push_back({d.name_multiple(s, pps, "gr_s"), d.name_multiple(e - s, pps, "gr_n"), d.name(on, "gr_on")});
  }
  return out;
}

std::vector<PageRun> scattered_take(Z3Domain& d, const std::vector<PageRun>& free, const expr& n, std::size_t max,
                                    expr* overflow) {
  z3::context& c = d.ctx();
  Pick bf = best_fit(d, free, n);
  // Order of the runs: smallest first, then lowest (proposed sorts by that).
  std::vector<expr> before, rank, take;
  for (std::size_t i = 0; i < free.size(); ++i) {
    expr b = c.int_val(0), r = c.int_val(0);
    for (std::size_t j = 0; j < free.size(); ++j) {
      if (j == i) continue;
      expr earlier = free[j].on && spec::better_fit(d, free[j].n, free[j].s, free[i].n, free[i].s);
      b = b + z3::ite(earlier, free[j].n, c.int_val(0));
      r = r + z3::ite(earlier, c.int_val(1), c.int_val(0));
    }
    before.push_back(d.name(b, "sc_before"));
    rank.push_back(d.name(r, "sc_rank"));
    take.push_back(d.name(z3::ite(free[i].on, spec::scatter_take(d, n, before.back(), free[i].n), c.int_val(0)), "sc_take"));
  }
  *overflow = c.bool_val(false);
  for (std::size_t i = 0; i < free.size(); ++i)
    *overflow = *overflow || (!bf.found && take[i] > c.int_val(0) && rank[i] >= c.int_val(static_cast<int>(max)));
  std::vector<PageRun> out;
  for (std::size_t k = 0; k < max; ++k) {
    expr s = c.int_val(0), m = c.int_val(0), on = c.bool_val(false);
    for (std::size_t i = 0; i < free.size(); ++i) {
      expr here = take[i] > c.int_val(0) && rank[i] == c.int_val(static_cast<int>(k));
      s = z3::ite(here, free[i].s, s);
      m = z3::ite(here, take[i], m);
      on = on || here;
    }
    if (k == 0) {  // a best-fit run holds them all
      s = z3::ite(bf.found, bf.start, s);
      m = z3::ite(bf.found, n, m);
      on = bf.found || on;
    } else {
      on = on && !bf.found;
    }
    out.push_back({d.name(s, "tk_s"), d.name(m, "tk_n"), d.name(on, "tk_on")});
  }
  return out;
}

}  // namespace unpop::solver
