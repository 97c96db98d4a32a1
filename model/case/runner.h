#pragma once
/// Replays a Case through the model with the invariant checker attached, one StepRecord per
/// operation: what ran, what it returned, what changed, which rules broke.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/case/case.h"
#include "model/invariants/checker.h"
#include "model/model.h"

namespace unpop {

struct StepRecord {
  std::size_t index = 0;  // op index in the case
  Op op;
  int ret = 0;
  PageSeq pages;
  Source source = Source::pool;
  bool fault_fired = false;
  std::string fault_point;  // which injected failure fired (kzalloc, allocate_resource, ...)
  std::string note;
  /// Set when a free names an allocation that failed (it got no pages, so the call gives back
  /// none): a script mistake that `simulate` reports with the script's file and line.
  std::string bad_reference;
  std::vector<Finding> findings;
  std::vector<std::string> state;  // model state after the step
};

/// One atomic step of a two-caller case, in the order the schedule ran them.
struct AtomicStep {
  int caller = 0;
  std::size_t op = 0;     // the op it belongs to
  std::string what;       // what the step did (Task::last_step_name)
  bool returned = false;  // the call returned with this step
};

class Runner {
 public:
  /// Throws LoadError for a bad case (unknown variant, page size, or reference).
  explicit Runner(const Case& c, bool liveness = true);

  /// Findings before the first op: layout rules and unpopulated_init.
  const std::vector<Finding>& init_findings() const { return init_findings_; }
  /// Runs every op (sequentially, or per the schedule) and returns one record per op, in the
  /// order they completed. With stop_at_first, stops after the first step with a violation
  /// or finding.
  std::vector<StepRecord> run(bool stop_at_first = false);
  /// A two-caller case (a schedule): every atomic step run() took, in order.
  const std::vector<AtomicStep>& interleaving() const { return interleaving_; }

  Model& model() { return *model_; }
  Checker& checker() { return *checker_; }
  const Case& the_case() const { return case_; }

 private:
  StepRecord run_one(std::size_t i);
  StepRecord finish(std::size_t i, const OpResult& r);
  Case case_;
  std::unique_ptr<Checker> checker_;
  std::unique_ptr<Model> model_;
  std::vector<PageSeq> results_;  // pages each op got (allocs)
  std::vector<std::optional<int>> rets_;  // what each alloc returned (nullopt: not run yet)
  std::vector<AtomicStep> interleaving_;  // the atomic steps in the order they ran
  std::vector<Finding> init_findings_;
};

/// The kernel call an op stands for; `results[K]` are the pages op K got (for `free #K`).
Call call_for(const Op& op, const std::vector<PageSeq>& results);

/// Checker options a variant needs (LIFO order for the list-based ones).
Checker::Options checker_options(const std::string& variant);
/// Builds the Geometry of a case (arch of the layout, page size of the case).
Geometry case_geometry(const Case& c);

}  // namespace unpop
