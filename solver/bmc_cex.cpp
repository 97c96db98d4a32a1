// A satisfying assignment turned back into a Case the model replays, and the growths in words.
#include "solver/bmc_impl.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace unpop::solver {

using z3::expr;

namespace {

// A model's value of an Int term (0 if it has none).
std::int64_t value(const z3::model& m, const expr& e) {
  expr v = m.eval(e, true);
  std::int64_t out = 0;
  if (v.is_numeral_i64(out)) return out;
  return 0;
}

}  // namespace

// The operation a step starts, as the model chose it; a free names the op that made its record
// (rec_op), a wrong-size DMA free its raw pages.
Op Bmc::Impl::case_op(const z3::model& m, int t, const std::map<int, int>& rec_op) {
  auto val = [&](const expr& e) { return value(m, e); };
  const int k = static_cast<int>(val(kind[t]));
  Op op;
  op.caller = static_cast<int>(val(who[t]));
  switch (k) {
    case k_alloc: op.kind = Op::Kind::alloc; op.nr = static_cast<std::uint64_t>(val(nr[t])); break;
    case k_dma_alloc: op.kind = Op::Kind::dma_alloc; op.nr = static_cast<std::uint64_t>(val(nr[t])); break;
    case k_free:
    case k_dma_free: {
      op.kind = k == k_free ? Op::Kind::free : Op::Kind::dma_free;
      int j = static_cast<int>(val(ref[t]));
      op.ref = rec_op.count(j) ? rec_op.at(j) : -1;
      if (k == k_dma_free && val(misuse_kind[t]) == misuse_wrong_size) {  // raw pages
        op.kind = Op::Kind::dma_free_pfn;
        op.ref = -1;
        op.pfn = static_cast<Pfn>(val(recs[static_cast<std::size_t>(j)].s));
        op.nr = static_cast<std::uint64_t>(val(misuse_nr[t]));
      }
      break;
    }
    case k_drain: op.kind = Op::Kind::drain; break;
  }
  return op;
}

// The run up to step `last` as a Case: each step's injected fault (a `fail` op before it) and
// operation, and with two callers the schedule (a caller continuing its DMA allocation is a
// schedule entry without an op).
Case Bmc::Impl::extract(const z3::model& m, int last) {
  Case cs = cfg.base;
  cs.ops.clear();
  cs.schedule.clear();
  cs.origin = "prove";
  auto val = [&](const expr& e) { return value(m, e); };
  auto tru = [&](const expr& e) { return m.eval(e, true).is_true(); };
  std::map<int, int> rec_op;  // record (step) -> case op index
  int pending[2] = {-1, -1};  // two callers: the op index of a DMA allocation in progress
  for (int t = 0; t <= last; ++t) {
    int k = static_cast<int>(val(kind[t]));
    int f = static_cast<int>(val(fault[t]));
    int wh = static_cast<int>(val(who[t]));
    bool cont = two && val(wh == 0 ? st[t].pc[0] : st[t].pc[1]) != 0;
    if (cont) {
      cs.schedule.push_back(wh);
      if (tru(recs[t].made)) {
        rec_op[t] = pending[wh];
        pending[wh] = -1;
      }
      continue;
    }
    if (f != f_none) {
      Op fo = parse_op(fault_op(f, arm, static_cast<int>(val(fault_at[t]))));
      fo.caller = wh;
      cs.ops.push_back(fo);
      if (two) cs.schedule.push_back(wh);
    }
    int idx = static_cast<int>(cs.ops.size());
    cs.ops.push_back(case_op(m, t, rec_op));
    if (two) cs.schedule.push_back(wh);
    if (tru(recs[t].made)) {
      rec_op[t] = idx;
    } else if (two && k == k_dma_alloc) {
      pending[wh] = idx;
    }
  }
  cs.extra = nlohmann::json{{"tracked_pfn", val(p)}, {"depth", last + 1}};
  return cs;
}

std::string Bmc::Impl::describe(const z3::model& m, int last) {
  std::string out;
  auto val = [&](const expr& e) -> std::int64_t {
    std::int64_t o = 0;
    m.eval(e, true).is_numeral_i64(o);
    return o;
  };
  for (std::size_t j = 0; j < slots.size() && j <= static_cast<std::size_t>(last); ++j)
    if (m.eval(slots[j].pooled, true).is_true())
      out += fmt::format("growth {}; ", to_string(Range{static_cast<Addr>(val(slots[j].s)), static_cast<Addr>(val(slots[j].e))}));
  out += fmt::format("tracked pfn {:#x}", val(p));
  return out;
}

}  // namespace unpop::solver
