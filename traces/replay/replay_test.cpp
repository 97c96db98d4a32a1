// Library-level tests of the replayer (the CLI and the fixtures are tested in fixtures_test.cpp).
#include "traces/replay/replay.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "model/layout/loaders.h"
#include "traces/replay/report.h"

namespace unpop::replay {
namespace {

const char* kInit =
    "       swapper/0-1       [000] .....     1.000000: xen_unpop_region: kind=ext start=0x40400000 end=0x5fffffff\n"
    "       swapper/0-1       [000] .....     1.000001: xen_unpop_region: kind=unavailable start=0x60000000 end=0x7fffffff\n"
    "       swapper/0-1       [000] .....     1.000002: xen_unpop_region: kind=ext start=0x80000000 end=0xbfffffff\n"
    "       swapper/0-1       [000] .....     1.000003: xen_unpop_init: target=xen_resource start=0x40400000 end=0xbfffffff ret=0\n"
    "          gntdev-212     [001] .....     2.000000: xen_unpop_fill_list: nr_pages=1 start=0x48000000 end=0x4fffffff ret=0\n";

std::string line(const char* task, int pid, int cpu, std::uint64_t us, const std::string& ev) {
  return fmt::format("{:>16}-{:<7} [{:03}] ..... {:5}.{:06}: {}\n", task, pid, cpu, us / 1000000, us % 1000000, ev);
}

Result replay_text(const std::string& text, Options o = {}) {
  Layout l = load_preset("qemu-virt-dom0");
  Geometry g;
  Geometry::make(l.arch, 4096, g);
  Replayer rep(l, g, o);
  return replay::replay_text("mem.txt", text, rep);
}

// replay_text(): a line the text reader cannot read ends the replay as a file's would.
TEST(Replayer, TextThatCannotBeReadIsUnreadable) {
  Layout l = load_preset("qemu-virt-dom0");
  Geometry g;
  Geometry::make(l.arch, 4096, g);
  Replayer rep(l, g, Options{});
  std::string t = kInit;
  t += "this is not a trace line\n";
  const Result r = replay_text("bad.txt", t, rep);
  ASSERT_EQ(r.verdict, Verdict::unreadable);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->file, "bad.txt");
  EXPECT_EQ(r.error->line, 6u);
}

TEST(Replayer, CleanTraceIsOk) {
  std::string t = kInit;
  t += line("gntdev", 212, 1, 3000000, "xen_unpop_alloc_page: pfn=0x4ffff");
  t += line("gntdev", 212, 1, 3000001, "xen_unpop_alloc: nr_pages=1 ret=0");
  t += line("gntdev", 212, 1, 3000002, "xen_unpop_free_page: pfn=0x4ffff");
  t += line("gntdev", 212, 1, 3000003, "xen_unpop_free: nr_pages=1");
  Options o;
  o.drained = true;
  Result r = replay_text(t, o);
  EXPECT_EQ(r.verdict, Verdict::ok);
  EXPECT_EQ(r.events, 9u);
  EXPECT_TRUE(r.violations.empty());
  EXPECT_EQ(r.exit_code(), 0);
}

TEST(Replayer, DoubleFreeNamesEventAndContext) {
  std::string t = kInit;
  t += line("gntdev", 212, 1, 3000000, "xen_unpop_alloc_page: pfn=0x4ffff");
  t += line("gntdev", 212, 1, 3000001, "xen_unpop_alloc: nr_pages=1 ret=0");
  t += line("gntdev", 212, 1, 3000002, "xen_unpop_free_page: pfn=0x4ffff");
  t += line("gntdev", 212, 1, 3000003, "xen_unpop_free: nr_pages=1");
  t += line("qemu", 340, 2, 3000004, "xen_unpop_free_page: pfn=0x4ffff");
  t += line("qemu", 340, 2, 3000005, "xen_unpop_free: nr_pages=1");
  Result r = replay_text(t);
  ASSERT_EQ(r.verdict, Verdict::violation);
  const auto& v = r.violations.front();
  EXPECT_EQ(v.finding.rule, "double-free");
  EXPECT_EQ(v.at.line, 11u);
  EXPECT_EQ(v.at.task, "qemu");
  EXPECT_EQ(v.at.pid, 340);
  EXPECT_EQ(v.at.cpu, 2);
  EXPECT_EQ(v.at.timestamp, "3.000005");
  ASSERT_GE(v.context.size(), 3u);
  EXPECT_NE(v.context.front().find("xen_unpop_fill_list"), std::string::npos);
  EXPECT_NE(v.context.back().find("qemu-340"), std::string::npos);
  auto j = to_json(r);
  EXPECT_EQ(j["violations"][0]["rule"], "double-free");
  EXPECT_FALSE(j.contains("error"));
}

TEST(Replayer, AllGoesOnAfterTheFirstViolation) {
  std::string t = kInit;
  t += line("gntdev", 212, 1, 3000000, "xen_unpop_free_page: pfn=0x48000");
  t += line("gntdev", 212, 1, 3000001, "xen_unpop_free: nr_pages=1");
  t += line("gntdev", 212, 1, 3000002, "xen_unpop_free_page: pfn=0x48001");
  t += line("gntdev", 212, 1, 3000003, "xen_unpop_free: nr_pages=1");
  EXPECT_EQ(replay_text(t).violations.size(), 1u);
  Options o;
  o.all = true;
  EXPECT_EQ(replay_text(t, o).violations.size(), 2u);
}

TEST(Replayer, LostEventsTurnHistoryFindingsIntoWarnings) {
  std::string t = kInit;
  t += "CPU:1 [LOST 12 EVENTS]\n";
  t += line("gntdev", 212, 1, 3000000, "xen_unpop_free_page: pfn=0x48000");
  t += line("gntdev", 212, 1, 3000001, "xen_unpop_free: nr_pages=1");
  Result r = replay_text(t);
  EXPECT_EQ(r.verdict, Verdict::ok);
  bool marker = false, downgraded = false;
  for (const auto& w : r.warnings) {
    marker |= w.kind == "lost-events";
    downgraded |= w.kind == "unknown-free" && w.message.find("LOST 12 EVENTS") != std::string::npos;
  }
  EXPECT_TRUE(marker);
  EXPECT_TRUE(downgraded);
}

TEST(Replayer, AnonymousPagesAreCountedAndListed) {
  std::string t = kInit;
  t += line("gntdev", 212, 1, 3000000, "xen_unpop_alloc: nr_pages=4 ret=0");
  t += line("gntdev", 212, 1, 3000001, "xen_unpop_free: nr_pages=3");
  Options o;
  o.drained = true;
  Result r = replay_text(t, o);
  ASSERT_EQ(r.verdict, Verdict::violation);
  EXPECT_EQ(r.violations.front().finding.rule, "leak");
  EXPECT_NE(r.violations.front().finding.message.find("1 anonymous pages"), std::string::npos);
  EXPECT_FALSE(r.unchecked.empty());
}

// Streaming: the context ring and the per-task state stay bounded however long the trace.
TEST(Replayer, LongTraceKeepsBoundedState) {
  std::string t = kInit;
  std::uint64_t us = 3000000;
  for (int i = 0; i < 20000; ++i) {
    t += line("gntdev", 212, 1, us++, "xen_unpop_alloc_page: pfn=0x4ffff");
    t += line("gntdev", 212, 1, us++, "xen_unpop_alloc: nr_pages=1 ret=0");
    t += line("gntdev", 212, 1, us++, "xen_unpop_free_page: pfn=0x4ffff");
    t += line("gntdev", 212, 1, us++, "xen_unpop_free: nr_pages=1");
  }
  t += line("gntdev", 212, 1, us++, "xen_unpop_free_page: pfn=0x4ffff");
  t += line("gntdev", 212, 1, us++, "xen_unpop_free: nr_pages=1");
  Options o;
  o.ring_size = 16;
  Result r = replay_text(t, o);
  ASSERT_EQ(r.verdict, Verdict::violation);
  EXPECT_EQ(r.violations.front().finding.rule, "double-free");
  EXPECT_LE(r.violations.front().context.size(), o.context_lines);
  EXPECT_EQ(r.events, 5u + 80002u);
}

TEST(Replayer, UnknownVariantThrows) {
  Layout l = load_preset("qemu-virt-dom0");
  Geometry g;
  Geometry::make(l.arch, 4096, g);
  Options o;
  o.variant = "nope";
  EXPECT_THROW(Replayer(l, g, o), LoadError);
}

TEST(ReplayFiles, MergesInputsByTimestamp) {
  namespace fs = std::filesystem;
  fs::path a = fs::temp_directory_path() / "unpop_replay_merge_a.txt";
  fs::path b = fs::temp_directory_path() / "unpop_replay_merge_b.txt";
  {
    std::ofstream fa(a), fb(b);
    fa << kInit << line("gntdev", 212, 1, 3000000, "xen_unpop_alloc_page: pfn=0x4ffff")
       << line("gntdev", 212, 1, 3000001, "xen_unpop_alloc: nr_pages=1 ret=0");
    // CPU 2's file: the free comes after the allocation in time, though this file is listed first.
    fb << line("gntdev", 212, 2, 3000010, "xen_unpop_free_page: pfn=0x4ffff")
       << line("gntdev", 212, 2, 3000011, "xen_unpop_free: nr_pages=1");
  }
  Layout l = load_preset("qemu-virt-dom0");
  Geometry g;
  Geometry::make(l.arch, 4096, g);
  Options o;
  o.drained = true;
  Replayer rep(l, g, o);
  Result r = replay_files({b.string(), a.string()}, rep);
  EXPECT_EQ(r.verdict, Verdict::ok) << to_text(r, {});
  fs::remove(a);
  fs::remove(b);
}

// Random event soup (valid lines, arbitrary order, pfns, counts, lost markers, probe forms):
// the replay always ends with a verdict, never throws or crashes, whatever the variant.
TEST(Replayer, RandomTracesAlwaysGiveAVerdict) {
  std::uint64_t seed = 12345;
  auto rnd = [&](std::uint64_t n) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    return (seed >> 33) % n;
  };
  const char* variants[] = {"upstream", "rfc", "v1", "x86", "proposed"};
  for (int round = 0; round < 60; ++round) {
    std::string t = rnd(2) ? kInit : "";
    std::uint64_t us = 3000000;
    for (int i = 0; i < 300; ++i) {
      int pid = 200 + static_cast<int>(rnd(3));
      std::string pfn = fmt::format("pfn={:#x}", 0x4fff0 + rnd(24));
      std::string ev;
      switch (rnd(14)) {
        case 0: ev = "xen_unpop_alloc_page: " + pfn; break;
        case 1: ev = "xen_unpop_free_page: " + pfn; break;
        case 2: ev = "xen_unpop_dma_alloc_page: " + pfn; break;
        case 3: ev = "xen_unpop_dma_free_page: " + pfn; break;
        case 4: ev = fmt::format("xen_unpop_alloc: nr_pages={} ret={}", rnd(4), rnd(4) ? 0 : -12); break;
        case 5: ev = fmt::format("xen_unpop_free: nr_pages={}", rnd(4)); break;
        case 6: ev = fmt::format("xen_unpop_dma_alloc: dev=gntdev nr_pages={} ret={}", rnd(4), rnd(4) ? 0 : -12); break;
        case 7: ev = fmt::format("xen_unpop_dma_free: dev=gntdev nr_pages={}", rnd(4)); break;
        case 8:
          ev = fmt::format("xen_unpop_fill_list: nr_pages=1 start={:#x} end={:#x} ret=0", 0x48000000 + rnd(3) * 0x8000000,
                           0x4fffffff + rnd(3) * 0x8000000);
          break;
        case 9: ev = "xen_unpop_free: (xen_free_unpopulated_pages+0x0/0xb0) nr_pages=" + std::to_string(rnd(3)); break;
        case 10: ev = "xen_unpop_alloc: (g+0x28/0x98 <- xen_alloc_unpopulated_pages) nr_pages=1 ret=0"; break;
        case 11: ev = "xen_unpop_fill_list: (request_resource+0x0/0x50) start=0x50000000 end=0x57ffffff"; break;
        case 12: t += "CPU:1 [LOST 3 EVENTS]\n"; continue;
        default: ev = "xen_unpop_free: nr_pages=0"; break;
      }
      t += line("task", pid, static_cast<int>(rnd(4)), us++, ev);
    }
    Options o;
    o.variant = variants[round % 5];
    o.drained = rnd(2);
    o.all = rnd(2);
    o.build_cex = true;
    Layout l = load_preset("qemu-virt-dom0");
    Geometry g;
    Geometry::make(l.arch, 4096, g);
    Replayer rep(l, g, o);
    const Result r = replay_text("rnd.txt", t, rep);
    EXPECT_NE(r.verdict, Verdict::unreadable) << (r.error ? r.error->message : "");
    if (r.verdict == Verdict::violation) {
      EXPECT_NO_THROW(rep.counterexample());
    }
    EXPECT_NO_THROW(to_json(r).dump());
  }
}

TEST(Report, UsageErrorJsonHasTheContractKeys) {
  auto j = usage_error_json("(options)", 0, "no layout given");
  for (const char* k : {"verdict", "events", "violations", "warnings", "unchecked", "findings", "other_events", "error"})
    EXPECT_TRUE(j.contains(k)) << k;
  EXPECT_EQ(j["verdict"], "unreadable");
}

}  // namespace
}  // namespace unpop::replay
