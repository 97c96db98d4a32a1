#include "scenarios/workload.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>

#include <fmt/format.h>

namespace unpop::scen {
namespace {

// Portable draws (std::uniform_*_distribution differs between standard libraries).
std::uint64_t below(std::mt19937_64& rng, std::uint64_t n) { return rng() % n; }
double unit(std::mt19937_64& rng) { return static_cast<double>((rng() >> 11) + 1) * 0x1.0p-53; }  // (0, 1]
double exp_interval(std::mt19937_64& rng, double mean) { return -mean * std::log(unit(rng)); }

constexpr int kConnectors = 4;
constexpr double kDisplayResizeAt = 60;
constexpr double kDisplayEnd = 120;
constexpr double kChurnEnd = 3600;
constexpr double kChurnMeanInterval = 5;
constexpr int kNetbackQueues = 4;
constexpr std::uint64_t kNetbackPending = 256;  // MAX_PENDING_REQS per queue
constexpr int kVirtioBackends = 8;
constexpr int kVirtioMaxOutstanding = 32;
constexpr std::uint64_t kVirtioMaxGrants = 16;
constexpr double kVirtioEnd = 600;
constexpr double kVirtioMeanInterval = 0.15;
constexpr std::uint64_t kGuestBytes = 1ull << 30;
constexpr std::uint64_t kBatchBytes = 4ull << 20;
constexpr int kBatchWindow = 16;
constexpr double kBatchInterval = 0.04;
constexpr double kMixedBuildAt = 60;

std::vector<int> buffers_per_connector(std::mt19937_64& rng) {
  std::vector<int> n(kConnectors);
  for (auto& b : n) b = 2 + static_cast<int>(below(rng, 2));  // double or triple buffering
  return n;
}

std::string bufs_text(const std::vector<int>& n) {
  std::string s;
  for (std::size_t i = 0; i < n.size(); ++i) s += fmt::format("{}{}", i ? "+" : "", n[i]);
  return s;
}

Workload pv_display(const std::string& name, const Geometry& g, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto nbuf = buffers_per_connector(rng);
  const std::uint64_t fhd = pages_for(kFullHdBytes, g), uhd = pages_for(kUhdBytes, g);
  WorkloadBuilder b(name);
  std::vector<std::vector<int>> bufs(kConnectors);
  for (int c = 0; c < kConnectors; ++c)  // connectors come up one by one, Full HD
    for (int i = 0; i < nbuf[c]; ++i)
      bufs[c].push_back(b.alloc(10.0 * c, fhd, fmt::format("display conn{} buf{} FHD", c, i), true));
  for (int c = 0; c < kConnectors; ++c) {  // then each is resized to 4K UHD
    double t = kDisplayResizeAt + 10.0 * c;
    for (int h : bufs[c]) b.free(t, h);
    bufs[c].clear();
    for (int i = 0; i < nbuf[c]; ++i)
      bufs[c].push_back(b.alloc(t, uhd, fmt::format("display conn{} buf{} UHD", c, i), true));
  }
  return b.finish(
      kDisplayEnd,
      fmt::format("1 to 4 connectors come up with {} Full HD buffers ({} pages each), then are resized "
                  "to 4K UHD ({} pages each), gnttab_dma_alloc_pages",
                  bufs_text(nbuf), fhd, uhd));
}

Workload pv_display_churn(const std::string& name, const Geometry& g, std::uint64_t seed) {
  std::mt19937_64 rng(seed ^ 0xc4u);
  auto nbuf = buffers_per_connector(rng);
  const std::uint64_t fhd = pages_for(kFullHdBytes, g), uhd = pages_for(kUhdBytes, g);
  WorkloadBuilder b(name);
  struct Buf {
    int handle, conn;
  };
  std::vector<Buf> bufs;
  for (int c = 0; c < kConnectors; ++c)
    for (int i = 0; i < nbuf[c]; ++i)
      bufs.push_back({b.alloc(1.0 * c, fhd, fmt::format("display conn{} FHD", c), true), c});
  int reallocs = 0;
  for (double t = kConnectors + exp_interval(rng, kChurnMeanInterval); t < kChurnEnd;
       t += exp_interval(rng, kChurnMeanInterval)) {
    std::size_t i = below(rng, bufs.size());  // a random buffer goes, a new one of a random mode comes
    b.free(t, bufs[i].handle);
    bool big = below(rng, 2) == 1;
    bufs[i].handle = b.alloc(t, big ? uhd : fhd,
                             fmt::format("display conn{} {}", bufs[i].conn, big ? "UHD" : "FHD"), true);
    ++reallocs;
  }
  return b.finish(kChurnEnd,
                  fmt::format("{} buffers on 4 connectors ({}), then for one simulated hour a random "
                              "buffer is freed and reallocated as Full HD ({} pages) or 4K UHD ({} "
                              "pages) every {:.0f} s on average ({} reallocations)",
                              bufs.size(), bufs_text(nbuf), fhd, uhd, kChurnMeanInterval, reallocs));
}

Workload virtio_backends(const std::string& name, const Geometry&, std::uint64_t seed) {
  std::mt19937_64 rng(seed ^ 0x71u);
  WorkloadBuilder b(name);
  for (int q = 0; q < kNetbackQueues; ++q)
    b.alloc(0, kNetbackPending, fmt::format("netback vif1 queue{}", q), false);
  std::vector<std::vector<int>> out(kVirtioBackends);
  int maps = 0;
  for (double t = exp_interval(rng, kVirtioMeanInterval); t < kVirtioEnd;
       t += exp_interval(rng, kVirtioMeanInterval)) {
    std::size_t d = below(rng, kVirtioBackends);
    auto& o = out[d];
    bool map = o.empty() || (o.size() < kVirtioMaxOutstanding && below(rng, 2) == 0);
    if (map) {
      o.push_back(
          b.alloc(t, 1 + below(rng, kVirtioMaxGrants), fmt::format("virtio backend {} grant map", d), false));
      ++maps;
    } else {
      std::size_t i = below(rng, o.size());
      b.free(t, o[i]);
      o.erase(o.begin() + static_cast<std::ptrdiff_t>(i));
    }
  }
  return b.finish(kVirtioEnd,
                  fmt::format("netback: {} queues x {} pending pages for the whole run; {} user-space "
                              "virtio backends map 1-{} grants per request through gntdev (at most {} "
                              "mappings outstanding each): {} maps in {:.0f} s",
                              kNetbackQueues, kNetbackPending, kVirtioBackends, kVirtioMaxGrants,
                              kVirtioMaxOutstanding, maps, kVirtioEnd));
}

Workload domain_build(const std::string& name, const Geometry& g, std::uint64_t) {
  WorkloadBuilder b(name);
  const std::uint64_t per = std::max<std::uint64_t>(1, kBatchBytes / g.page_size());
  const int batches = static_cast<int>(kGuestBytes / kBatchBytes);
  std::vector<int> h(batches);
  for (int i = 0; i < batches; ++i) {
    double t = kBatchInterval * i;
    if (i >= kBatchWindow) b.free(t, h[i - kBatchWindow]);
    h[i] = b.alloc(t, per, fmt::format("privcmd mmapbatch {}", i), false);
  }
  double end = kBatchInterval * (batches + 1);
  return b.finish(end,
                  fmt::format("the toolstack maps a 1 GiB guest through privcmd in {} MiB batches ({} pages "
                              "each, {} batches, at most {} mapped at once)",
                              kBatchBytes >> 20, per, batches, kBatchWindow));
}

void shift(Workload& w, double dt) {
  for (auto& e : w.events) e.t += dt;
  w.duration += dt;
}

}  // namespace

std::uint64_t pages_for(std::uint64_t bytes, const Geometry& g) {
  return (bytes + g.page_size() - 1) / g.page_size();
}

std::vector<std::string> scenario_names() {
  return {"pv-display", "pv-display-churn", "virtio-backends", "domain-build", "mixed"};
}

std::string scenario_summary(const std::string& name, const Geometry& g) {
  return make_workload(name, g).summary;
}

Workload make_workload(const std::string& name, const Geometry& g, std::uint64_t seed) {
  if (name == "pv-display") return pv_display(name, g, seed);
  if (name == "pv-display-churn") return pv_display_churn(name, g, seed);
  if (name == "virtio-backends") return virtio_backends(name, g, seed);
  if (name == "domain-build") return domain_build(name, g, seed);
  if (name == "mixed") {
    std::vector<Workload> parts = {
        pv_display("pv-display", g, seed), pv_display_churn("pv-display-churn", g, seed),
        virtio_backends("virtio-backends", g, seed), domain_build("domain-build", g, seed)};
    shift(parts[3], kMixedBuildAt);
    for (auto& p : parts)
      for (auto& e : p.events) e.owner = p.name + ": " + e.owner;
    Workload w = merge_workloads(name, parts);
    w.summary = fmt::format(
        "all four at once on one dom0: pv-display and pv-display-churn (two display backends), "
        "virtio-backends, and domain-build starting at t={:.0f} s",
        kMixedBuildAt);
    return w;
  }
  throw std::invalid_argument(
      fmt::format("unknown scenario '{}' (known: pv-display, pv-display-churn, "
                  "virtio-backends, domain-build, mixed, all)",
                  name));
}

int WorkloadBuilder::alloc(double t, std::uint64_t nr, std::string owner, bool dma) {
  int h = w_.handles++;
  live_.push_back(true);
  owners_.push_back(owner);
  w_.events.push_back({t, dma ? Event::Kind::dma_alloc : Event::Kind::alloc, nr, h, std::move(owner), false});
  return h;
}

void WorkloadBuilder::free(double t, int handle) {
  if (handle < 0 || handle >= w_.handles || !live_[handle])
    throw std::logic_error("workload frees a dead handle");
  live_[handle] = false;
  w_.events.push_back({t, Event::Kind::free, 0, handle, owners_[handle], false});
}

std::vector<int> WorkloadBuilder::live() const {
  std::vector<int> out;
  for (int h = 0; h < w_.handles; ++h)
    if (live_[h]) out.push_back(h);
  return out;
}

Workload WorkloadBuilder::finish(double duration, std::string summary) {
  auto l = live();
  for (auto it = l.rbegin(); it != l.rend(); ++it) {
    free(duration, *it);
    w_.events.back().teardown = true;
  }
  w_.duration = duration;
  w_.summary = std::move(summary);
  std::stable_sort(w_.events.begin(), w_.events.end(),
                   [](const Event& a, const Event& b) { return a.t < b.t; });
  return w_;
}

Workload merge_workloads(const std::string& name, const std::vector<Workload>& parts) {
  Workload w;
  w.name = name;
  int base = 0;
  for (const auto& p : parts) {
    for (const auto& e : p.events) {
      if (e.teardown) continue;
      Event c = e;
      c.handle += base;
      w.events.push_back(std::move(c));
    }
    base += p.handles;
    w.duration = std::max(w.duration, p.duration);
  }
  w.handles = base;
  std::stable_sort(w.events.begin(), w.events.end(),
                   [](const Event& a, const Event& b) { return a.t < b.t; });
  std::vector<int> live(static_cast<std::size_t>(base), 0);
  std::vector<std::string> owner(static_cast<std::size_t>(base));
  std::vector<int> order;
  for (const auto& e : w.events) {
    if (e.kind == Event::Kind::free) {
      live[e.handle] = 0;
    } else {
      live[e.handle] = 1;
      owner[e.handle] = e.owner;
      order.push_back(e.handle);
    }
  }
  for (auto it = order.rbegin(); it != order.rend(); ++it)
    if (live[*it]) {
      live[*it] = 0;
      w.events.push_back({w.duration, Event::Kind::free, 0, *it, owner[*it], true});
    }
  return w;
}

}  // namespace unpop::scen
