#pragma once
/// The spec's value domain over Z3 (model/spec/alloc_spec.h): values are Int terms, truths are
/// Bool terms. floor_div introduces a fresh integer q with q*m <= x < q*m + m, recorded as a
/// *definition* (it has exactly one solution), so the result may be used under any polarity,
/// negated goals included. Definitions accumulate in `defs` and must be asserted with the query.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <z3++.h>

namespace unpop::solver {

class Z3Domain {
 public:
  using V = z3::expr;
  using B = z3::expr;

  explicit Z3Domain(z3::context& c) : ctx_(&c), defs_(std::make_shared<std::vector<z3::expr>>()) {}

  z3::context& ctx() const { return *ctx_; }
  V lit(std::uint64_t x) const { return ctx_->int_val(static_cast<std::uint64_t>(x)); }
  V ite(const B& c, const V& a, const V& b) const { return z3::ite(c, a, b); }
  V mul(const V& x, std::uint64_t m) const { return x * lit(m); }
  B both(const B& a, const B& b) const { return a && b; }
  B either(const B& a, const B& b) const { return a || b; }
  B negate(const B& a) const { return !a; }
  V floor_div(const V& x, std::uint64_t m) const {
    if (m == 1) return x;
    std::int64_t v = 0;
    if (x.is_numeral_i64(v)) {  // floor division of a constant
      std::int64_t mm = static_cast<std::int64_t>(m);
      return ctx_->int_val(static_cast<int64_t>(v >= 0 ? v / mm : -((-v + mm - 1) / mm)));
    }
    if (auto q = quotient(x, m)) return *q;  // x is syntactically a multiple of m
    // (s + size - 1) + 1 and the like: Z3's simplifier cancels the constants and flattens
    // products, which often leaves a syntactic multiple.
    if (x.is_app() && (x.decl().decl_kind() == Z3_OP_ADD || x.decl().decl_kind() == Z3_OP_SUB)) {
      z3::expr xs = x.simplify();
      if (auto q = quotient(xs, m)) return *q;
    }
    // x = (multiples of m) + rest: floor((k*m + r) / m) = k + floor(r / m).
    if (x.is_app() && x.decl().decl_kind() == Z3_OP_ADD) {
      z3::expr known = lit(0), rest = lit(0);
      bool split = false;
      for (unsigned i = 0; i < x.num_args(); ++i) {
        if (auto q = quotient(x.arg(i), m)) {
          known = known + *q;
          split = true;
        } else {
          rest = rest + x.arg(i);
        }
      }
      if (split) return (known + floor_div(rest.simplify(), m)).simplify();
    }
    // One quotient per (term, divisor): the same pfn() asked twice is the same unknown.
    auto key = std::make_pair(Z3_get_ast_id(x.ctx(), x), m);
    auto it = memo_->find(key);
    if (it != memo_->end()) return it->second;
    z3::expr q = ctx_->int_const(fresh("q").c_str());
    defs_->push_back(lit(m) * q <= x && x < lit(m) * q + lit(m));
    memo_->emplace(key, q);
    return q;
  }

  /// x / m when x is syntactically a multiple of m (numerals, products with a constant factor,
  /// sums, differences and if-then-elses of multiples); nothing otherwise. Exact, no unknowns:
  /// this is what keeps `start = k * section` linear and cheap for Z3.
  std::optional<z3::expr> quotient(const z3::expr& x, std::uint64_t m) const {
    std::int64_t v = 0;
    if (x.is_numeral_i64(v)) {
      std::int64_t mm = static_cast<std::int64_t>(m);
      std::int64_t q = v >= 0 ? v / mm : -((-v + mm - 1) / mm);
      if (q * mm == v) return ctx_->int_val(static_cast<int64_t>(q));
      return std::nullopt;
    }
    if (!x.is_app()) return std::nullopt;
    switch (x.decl().decl_kind()) {
      case Z3_OP_MUL: {
        if (x.num_args() != 2) return std::nullopt;
        for (int i = 0; i < 2; ++i) {
          std::int64_t c = 0;
          if (!x.arg(i).is_numeral_i64(c) || c <= 0) continue;
          std::uint64_t cu = static_cast<std::uint64_t>(c);
          const z3::expr& other = x.arg(1 - i);
          if (cu % m == 0) return other * lit(cu / m);
          if (m % cu == 0)
            if (auto q = quotient(other, m / cu)) return *q;
        }
        return std::nullopt;
      }
      case Z3_OP_ADD:
      case Z3_OP_SUB: {
        std::vector<z3::expr> qs;
        for (unsigned i = 0; i < x.num_args(); ++i) {
          auto q = quotient(x.arg(i), m);
          if (!q) return std::nullopt;
          qs.push_back(*q);
        }
        z3::expr out = qs[0];
        for (std::size_t i = 1; i < qs.size(); ++i) out = x.decl().decl_kind() == Z3_OP_ADD ? out + qs[i] : out - qs[i];
        return out;
      }
      case Z3_OP_ITE: {
        auto a = quotient(x.arg(1), m), b = quotient(x.arg(2), m);
        if (a && b) return z3::ite(x.arg(0), *a, *b);
        return std::nullopt;
      }
      default: return std::nullopt;
    }
  }

  /// A fresh Int / Bool constant with a readable prefix.
  V int_var(const std::string& name) const { return ctx_->int_const(fresh(name).c_str()); }
  B bool_var(const std::string& name) const { return ctx_->bool_const(fresh(name).c_str()); }

  /// A fresh constant defined equal to e (recorded in defs): keeps large shared if-then-else
  /// terms from being copied into every use when Z3 preprocesses them.
  z3::expr name(const z3::expr& e, const std::string& prefix) const {
    if (e.is_numeral() || e.is_const()) return e;
    z3::expr v = e.is_bool() ? bool_var(prefix) : int_var(prefix);
    defs_->push_back(v == e);
    return v;
  }

  /// name() for a value that is syntactically a multiple of m: the fresh constant is the
  /// quotient, so the result stays `k * m` and later floor_div / is_aligned need no unknown.
  z3::expr name_multiple(const z3::expr& e, std::uint64_t m, const std::string& prefix) const {
    if (auto q = quotient(e, m)) return mul(name(q->simplify(), prefix), m);
    return name(e, prefix);
  }

  /// Records a definition of fresh terms (asserted with the query).
  void add_def(const z3::expr& e) const { defs_->push_back(e); }
  /// Definitions made so far (fresh quotients); assert them with every query.
  const std::vector<z3::expr>& defs() const { return *defs_; }
  std::size_t ndefs() const { return defs_->size(); }

 private:
  std::string fresh(const std::string& p) const { return p + "!" + std::to_string((*counter_)++); }
  z3::context* ctx_;
  std::shared_ptr<std::vector<z3::expr>> defs_;
  std::shared_ptr<std::map<std::pair<unsigned, std::uint64_t>, z3::expr>> memo_ =
      std::make_shared<std::map<std::pair<unsigned, std::uint64_t>, z3::expr>>();
  std::shared_ptr<std::uint64_t> counter_ = std::make_shared<std::uint64_t>(0);
};

/// Big-number helper: a Z3 numeral as uint64_t (values in our encodings are < 2^64).
inline std::uint64_t as_u64(const z3::expr& v) {
  std::uint64_t out = 0;
  if (v.is_numeral_u64(out)) return out;
  std::int64_t s = 0;
  if (v.is_numeral_i64(s)) return static_cast<std::uint64_t>(s);
  return std::stoull(v.get_decimal_string(0));
}

}  // namespace unpop::solver
