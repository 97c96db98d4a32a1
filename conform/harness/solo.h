#pragma once
/// Component conformance on its own: the model's GenPool against lib/genalloc.c and the
/// model's ResourceTree against kernel/resource.c. Each generates its operations one at a
/// time inside a RapidCheck property (the next operation depends on what is live), runs it on
/// both sides and compares everything observable after it.
#include <cstdint>
#include <string>
#include <vector>

#include "model/linux/genpool.h"
#include "model/linux/mutants.h"
#include "model/linux/resource_tree.h"

struct kapi;

namespace unpop::conform {

class SoloBase {
 public:
  bool failed() const { return !failure_.empty(); }
  const std::string& failure() const { return failure_; }
  std::uint64_t ops() const { return ops_; }
  std::uint64_t comparisons() const { return comparisons_; }
  /// The ops run so far, one per line (the failing sequence when failed()).
  std::string script() const;

 protected:
  explicit SoloBase(const kapi* k) : k_(k) {}
  /// Records the first difference; returns false when there is one.
  bool same(const std::string& what, const std::string& model, const std::string& kernel);
  void log(std::string line) { script_.push_back(std::move(line)); }
  const kapi* k_;
  std::uint64_t ops_ = 0, comparisons_ = 0;

 private:
  std::string failure_;
  std::vector<std::string> script_;
};

class GenallocSolo : public SoloBase {
 public:
  GenallocSolo(const kapi* k, Mutant m);
  void run();

 private:
  bool compare_pool();
  GenPool model_;
  std::vector<std::pair<Pfn, std::uint64_t>> live_;  // allocations (first pfn, pages)
  Pfn cursor_ = 1;                                     // next free address space for a chunk
};

class ResourceSolo : public SoloBase {
 public:
  ResourceSolo(const kapi* k, Mutant m);
  void run();

 private:
  bool compare_tree();
  ResourceTree model_;
  ResId root_;
  Mutant mutant_;
  int nodes_ = 1;  // ids 1..nodes_-1 made so far (0 is the root), the same on both sides
};

}  // namespace unpop::conform
