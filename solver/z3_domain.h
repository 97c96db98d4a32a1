#pragma once
/// The spec's value domain over Z3 (model/spec/alloc_spec.h): values are Int terms, truths are
/// Bool terms. floor_div introduces a fresh integer q with q*m <= x < q*m + m, recorded as a
/// *definition* (it has exactly one solution), so the result may be used under any polarity,
/// negated goals included. Definitions accumulate in `defs` and must be asserted with the query.
#include <cstdint>
#include <map>
#include <memory>
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
    if (x.is_numeral()) {  // constants stay constants
      std::uint64_t v = 0;
      if (x.is_numeral_u64(v)) return lit(v / m);
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
  /// A fresh Int / Bool constant with a readable prefix.
  V int_var(const std::string& name) const { return ctx_->int_const(fresh(name).c_str()); }
  B bool_var(const std::string& name) const { return ctx_->bool_const(fresh(name).c_str()); }

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
