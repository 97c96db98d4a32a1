#pragma once
/// Incremental replay: a Case that grows one op at a time, run through the Model with the
/// invariant Checker attached (what Runner does for a whole case, step by step), plus the
/// model-vs-reference property: a plain reference (the set of pages each caller holds)
/// compared with what the variant hands out and takes back after every step.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "model/case/case.h"
#include "model/case/runner.h"
#include "model/invariants/checker.h"
#include "model/model.h"

namespace unpop::props {

/// The rule id the model-vs-reference property reports under (a project rule, docs/properties.md).
inline constexpr const char* kReferenceRule = "reference";

class Driver {
 public:
  /// `base` gives layout, variant, page size and mutant; its ops are ignored.
  explicit Driver(const Case& base);

  const std::vector<Finding>& init_findings() const { return init_; }
  /// Appends `op` to the case, runs it to completion, returns the findings of this step
  /// (checker rules and `reference`).
  std::vector<Finding> step(Op op);
  /// How many atomic steps `op` takes when run now (the model advances as with step()).
  std::size_t step_counting(Op op, std::vector<Finding>* findings = nullptr);

  const Case& the_case() const { return case_; }
  std::size_t size() const { return case_.ops.size(); }
  /// The op index of the last step and whether it succeeded (allocations: ret == 0).
  bool last_ok() const { return last_ret_ == 0; }
  int last_ret() const { return last_ret_; }
  const PageSeq& pages_of(std::size_t op) const { return results_.at(op); }
  Model& model() { return *model_; }
  Checker& checker() { return *checker_; }

 private:
  void reference_check(std::size_t i, const Op& op, const OpResult& r, std::vector<Finding>& out);
  Case case_;
  std::unique_ptr<Checker> checker_;
  std::unique_ptr<Model> model_;
  std::vector<Finding> init_;
  std::vector<PageSeq> results_;
  int last_ret_ = 0;
  // Reference: pages each live allocation holds (pool pages only; RAM pages apart).
  std::map<std::size_t, PageSeq> ref_live_;
  PfnSet ref_pool_live_;
};

}  // namespace unpop::props
