// Replay benchmark driver: one pass over a trace, either reading only (the reader's share) or
// the whole replay (reader + every invariant check), so bench/replay_bench.sh can time both
// beside awk with /usr/bin/time.
//
//   replay_throughput read   TRACE
//   replay_throughput replay TRACE LAYOUT_IOMEM [VARIANT]
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

#include "model/layout/loaders.h"
#include "traces/reader.h"
#include "traces/replay/replay.h"

int main(int argc, char** argv) {
  using namespace unpop;
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s read TRACE | replay TRACE IOMEM [VARIANT]\n", argv[0]);
    return 2;
  }
  const std::string mode = argv[1], path = argv[2];
  auto t0 = std::chrono::steady_clock::now();
  std::uint64_t events = 0;
  int rc = 0;
  if (mode == "read") {
    traces::ReadError err;
    auto r = traces::open_trace(path, err);
    if (!r) {
      std::fprintf(stderr, "%s\n", err.message().c_str());
      return 2;
    }
    traces::Record rec;
    for (;;) {
      auto st = r->next(rec, err);
      if (st == traces::ReadStatus::end) break;
      if (st == traces::ReadStatus::error) {
        std::fprintf(stderr, "%s\n", err.message().c_str());
        return 2;
      }
      events += rec.kind == traces::RecordKind::event;
    }
  } else if (mode == "replay" && argc >= 4) {
    Layout l = load_iomem(argv[3]);
    Geometry g;
    Geometry::make(l.arch, l.default_page_size, g);
    replay::Options o;
    if (argc >= 5) o.variant = argv[4];
    replay::Replayer rep(l, g, o);
    const auto& res = replay::replay_files({path}, rep);
    events = res.events;
    rc = res.exit_code();
  } else {
    std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
    return 2;
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // CPU time of this thread (a regular file is parsed and replayed on it).
  timespec cpu{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
  std::printf("%s: %llu events in %.3f s (%.2f M events/s), main thread CPU %.3f s, exit %d\n", mode.c_str(),
              static_cast<unsigned long long>(events), s, events / s / 1e6, cpu.tv_sec + cpu.tv_nsec / 1e9, rc);
  return rc;
}
