#pragma once
/// The workloads of the scenarios: time-stamped allocations and frees of named buffers, as the
/// real users of the allocator make them (docs/scenarios.md says where each number comes from).
/// A workload is generated once per (scenario, page size, seed) and is the same for every
/// variant, so the variants are compared on identical demand.
#include <cstdint>
#include <string>
#include <vector>

#include "model/core/geometry.h"

namespace unpop::scen {

inline constexpr std::uint64_t kDefaultSeed = 0x5ce7a7105eedULL;

struct Event {
  enum class Kind { alloc, dma_alloc, free };
  double t = 0;  // simulated seconds since the start
  Kind kind = Kind::alloc;
  std::uint64_t nr = 0;   // alloc / dma_alloc: pages
  int handle = 0;         // alloc: the buffer it creates; free: the buffer it gives back
  std::string owner;      // "pv-display conn2 buf1", for leak reports
  bool teardown = false;  // part of the final "all users gone" phase
};

struct Workload {
  std::string name;
  std::string summary;        // one line: what it does, with its sizes in pages
  double duration = 0;        // end of the workload proper; the teardown runs at this time
  int handles = 0;            // buffer handles used: 0 .. handles-1
  std::vector<Event> events;  // sorted by t (stable)
};

/// Bytes of one 32 bpp frame buffer: Full HD 1920x1080, 4K UHD 3840x2160.
inline constexpr std::uint64_t kFullHdBytes = 1920ull * 1080 * 4;
inline constexpr std::uint64_t kUhdBytes = 3840ull * 2160 * 4;
/// DIV_ROUND_UP(bytes, PAGE_SIZE): 2025/507/127 pages for Full HD at 4K/16K/64K; 8100/2025/507 for UHD.
std::uint64_t pages_for(std::uint64_t bytes, const Geometry& g);

/// pv-display pv-display-churn virtio-backends domain-build mixed
std::vector<std::string> scenario_names();
/// One line per scenario for --help and the docs.
std::string scenario_summary(const std::string& name, const Geometry& g);
/// Throws std::invalid_argument for an unknown name.
Workload make_workload(const std::string& name, const Geometry& g, std::uint64_t seed = kDefaultSeed);

/// Builds workloads: hands out handles, remembers which are live, appends the teardown.
class WorkloadBuilder {
 public:
  explicit WorkloadBuilder(std::string name) { w_.name = std::move(name); }
  int alloc(double t, std::uint64_t nr, std::string owner, bool dma);
  void free(double t, int handle);
  /// Frees every live buffer at `duration` (teardown) and returns the workload, sorted by time.
  Workload finish(double duration, std::string summary);
  std::vector<int> live() const;

 private:
  Workload w_;
  std::vector<bool> live_;
  std::vector<std::string> owners_;
};

/// Merges workloads on one timeline: handles renumbered, owners kept, one common teardown at
/// the latest duration (the teardowns of the parts are dropped and redone there).
Workload merge_workloads(const std::string& name, const std::vector<Workload>& parts);

}  // namespace unpop::scen
