#pragma once
/// `unpopcheck prove`: every query of the solver for the chosen variants and layouts, as one
/// list of results (the CLI prints it as a table, JSON, and counterexample files).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "model/layout/layout.h"
#include "model/linux/mutants.h"
#include "solver/check.h"
#include "solver/result.h"

namespace unpop::solver {

/// A group of queries (QueryResult::group) whose last job has finished: its counts, and the
/// time since prove() started.
struct GroupDone {
  std::string group;
  int queries = 0, proved = 0, refuted = 0, unknown = 0;
  double seconds = 0;
};

struct ProveOptions {
  std::vector<std::string> variants;          // upstream rfc v1 x86 proposed
  struct Target {
    std::string preset;                       // empty: `layout` came from a file
    Layout layout;
  };
  std::vector<Target> layouts;
  std::uint64_t page_size = 0;                // 0: each layout's default
  int depth = 4;                              // BMC bound (operations)
  int race_depth = 6;                         // two-caller BMC bound (atomic steps)
  int proposed_depth = 2;                     // proposed's BMC bound: its run relations make
                                              // depth-3 queries time out (docs/solver.md)
  Limits limits;                              // per check; a check that runs out is `unknown`
  unsigned z3_seed = 0;                       // BMC: Z3's random seed (BmcConfig::z3_seed)
  std::optional<unsigned> arith_solver;       // BMC: Z3's arith.solver for every BMC (BmcConfig)
  bool layout_checks = true;                  // part 1 on each layout
  bool universal = true;                      // part 1, for every layout Xen can emit
  bool bmc = true;                            // parts 2-3 per variant
  bool mutants = true;                        // each mutant must be refuted by one query
  std::optional<Mutant> only_mutant;          // prove --mutant: that mutant's query alone
  bool replay = true;
  std::function<void(const QueryResult&)> progress;  // called after each query
  std::function<void(const GroupDone&)> group_done;  // called when a group's last job is done
};

std::vector<QueryResult> prove(const ProveOptions& o);

/// The small built-in layouts the liveness and mutant queries use where a preset is too
/// roomy to show a design limit within a few operations (docs/solver.md lists them).
Layout tiny_layout(const std::string& which);

}  // namespace unpop::solver
