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
#include "traces/text_reader.h"

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
  auto reader = traces::TextReader::from_memory("mem.txt", text);
  traces::Record rec;
  traces::ReadError err;
  while (reader->next(rec, err) == traces::ReadStatus::record)
    if (!rep.feed(rec)) break;
  rep.finish();
  return rep.result();
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

TEST(Report, UsageErrorJsonHasTheContractKeys) {
  auto j = usage_error_json("(options)", 0, "no layout given");
  for (const char* k : {"verdict", "events", "violations", "warnings", "unchecked", "findings", "other_events", "error"})
    EXPECT_TRUE(j.contains(k)) << k;
  EXPECT_EQ(j["verdict"], "unreadable");
}

}  // namespace
}  // namespace unpop::replay
