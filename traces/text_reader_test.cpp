#include "traces/text_reader.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <unistd.h>
#include <vector>

using namespace unpop::traces;

namespace {

Record parse_ok(std::string_view line) {
  Record r;
  ReadError e;
  EXPECT_TRUE(TextReader::parse_line(line, r, e, TextReaderOptions{})) << e.message();
  return r;
}

ReadError parse_bad(std::string_view line) {
  Record r;
  ReadError e;
  EXPECT_FALSE(TextReader::parse_line(line, r, e, TextReaderOptions{})) << line;
  return e;
}

struct Collected {
  std::vector<Record> records;
  std::vector<ReadError> errors;
};

Collected read_all(RecordReader& r) {
  Collected c;
  Record rec;
  ReadError err;
  while (true) {
    ReadStatus s = r.next(rec, err);
    if (s == ReadStatus::end) break;
    if (s == ReadStatus::record) c.records.push_back(rec);
    else c.errors.push_back(err);
  }
  return c;
}

Collected read_mem(std::string_view text, TextReaderOptions opt = {}) {
  auto r = TextReader::from_memory("mem.txt", text, opt);
  return read_all(*r);
}

}  // namespace

TEST(TextLine, CurrentTracefsFiveFlagColumns) {
  Record r = parse_ok("          gntdev-212     [001] d.h2.    52.000100: xen_unpop_alloc_page: pfn=0x8000a");
  EXPECT_EQ(r.kind, RecordKind::event);
  EXPECT_EQ(r.comm, "gntdev");
  EXPECT_EQ(r.pid, 212);
  EXPECT_EQ(r.cpu, 1);
  EXPECT_EQ(r.flags, "d.h2.");
  EXPECT_EQ(r.timestamp, "52.000100");
  EXPECT_EQ(r.ts_ns, 52000100000u);
  EXPECT_EQ(r.name, "xen_unpop_alloc_page");
  EXPECT_EQ(r.system, "");
  ASSERT_EQ(r.fields.size(), 1u);
  EXPECT_EQ(r.fields.u64("pfn"), 0x8000au);
  EXPECT_EQ(r.body, "pfn=0x8000a");
  EXPECT_FALSE(r.probe.present);
  EXPECT_TRUE(r.fields_complete);
}

TEST(TextLine, FourColumnsAndNoColumn) {
  Record a = parse_ok("  gntdev-212   [003] d..1   152.000100: xen_unpop_alloc_page: pfn=0x107fff");
  EXPECT_EQ(a.flags, "d..1");
  EXPECT_EQ(a.cpu, 3);
  Record b = parse_ok("  gntdev-212   [003]   152.000100: xen_unpop_alloc_page: pfn=0x107fff");
  EXPECT_EQ(b.flags, "");
  EXPECT_EQ(b.ts_ns, 152000100000u);
  Record c = parse_ok("  gntdev-212   [003] .... 1.5: xen_unpop_free: nr_pages=0");
  EXPECT_EQ(c.ts_ns, 1500000000u);
}

TEST(TextLine, TimestampPrecisions) {
  EXPECT_EQ(parse_ok("a-1 [0] 1.000000001: e: x=1").ts_ns, 1000000001u);
  EXPECT_EQ(parse_ok("a-1 [0] 12345: e: x=1").ts_ns, 12345u);  // counter clock
  EXPECT_EQ(parse_ok("a-1 [0] 0.1: e: x=1").ts_ns, 100000000u);
  EXPECT_NE(parse_bad("a-1 [0] 1.0000000001: e: x=1").expected.find("timestamp"),
            std::string::npos);
  EXPECT_NE(parse_bad("a-1 [0] 1.: e: x=1").expected.find("timestamp"), std::string::npos);
  EXPECT_NE(parse_bad("a-1 [0] 99999999999999999999.0: e: x=1").expected.find("timestamp"),
            std::string::npos);
}

TEST(TextLine, Comms) {
  EXPECT_EQ(parse_ok("   <...>-4102    [000] ..... 1.0: e: a=1").comm, "<...>");
  EXPECT_EQ(parse_ok("  <idle>-0       [001] d.h1. 1.0: e: a=1").pid, 0);
  Record k = parse_ok(" kworker/0:1-events-77    [000] ..... 1.0: e: a=1");
  EXPECT_EQ(k.comm, "kworker/0:1-events");
  EXPECT_EQ(k.pid, 77);
  Record s = parse_ok("  my prog [x] 2-1234    [001] ..... 1.0: e: a=1");
  EXPECT_EQ(s.comm, "my prog [x] 2");
  EXPECT_EQ(s.pid, 1234);
  Record t = parse_ok(" kworker/u4:2-ev [1]-88    [000] ..... 1.0: e: a=1");
  EXPECT_EQ(t.comm, "kworker/u4:2-ev [1]");
  EXPECT_EQ(t.pid, 88);
  Record d = parse_ok("a--5 [0] 1.0: e: a=1");
  EXPECT_EQ(d.comm, "a-");
  EXPECT_EQ(d.pid, 5);
}

TEST(TextLine, TgidColumn) {
  Record r = parse_ok("  gntdev-213     (    212) [001] .....    52.000100: xen_unpop_alloc_page: pfn=0x1");
  EXPECT_EQ(r.tgid, 212);
  EXPECT_EQ(r.pid, 213);
  Record u = parse_ok("  <...>-999     (-------) [000] .....    52.1: xen_unpop_free: nr_pages=0");
  EXPECT_FALSE(u.tgid.has_value());
  EXPECT_EQ(u.comm, "<...>");
}

TEST(TextLine, KprobeEntry) {
  Record r = parse_ok("  gntdev-212 [001] ..... 60.25: xen_unpop_free: (xen_free_unpopulated_pages+0x0/0xb0) nr_pages=8");
  ASSERT_TRUE(r.probe.present);
  EXPECT_FALSE(r.probe.is_return);
  EXPECT_EQ(r.probe.location, "xen_free_unpopulated_pages");
  EXPECT_EQ(r.probe.location_offset, 0u);
  EXPECT_EQ(r.probe.location_size, 0xb0u);
  EXPECT_EQ(r.probe.probed_function(), "xen_free_unpopulated_pages");
  EXPECT_EQ(r.probe.text, "xen_free_unpopulated_pages+0x0/0xb0");
  EXPECT_EQ(r.fields.u64("nr_pages"), 8u);
  EXPECT_EQ(r.fields.size(), 1u);
}

TEST(TextLine, KretprobeCallerFirst) {
  Record r = parse_ok("  gntdev-212 [001] ..... 52.1: xen_unpop_alloc: (gnttab_alloc_pages+0x28/0x98 <- xen_alloc_unpopulated_pages) nr_pages=2 ret=0");
  ASSERT_TRUE(r.probe.present);
  EXPECT_TRUE(r.probe.is_return);
  EXPECT_EQ(r.probe.location, "gnttab_alloc_pages");
  EXPECT_EQ(r.probe.location_offset, 0x28u);
  EXPECT_EQ(r.probe.function, "xen_alloc_unpopulated_pages");
  EXPECT_EQ(r.probe.probed_function(), "xen_alloc_unpopulated_pages");
  EXPECT_EQ(r.fields.s64("ret"), 0);
}

TEST(TextLine, ModuleSuffixes) {
  Record r = parse_ok("  x-55 [000] ..... 55.0: xen_unpop_alloc: (privcmd_ioctl_mmap_resource+0x1a4/0x3f0 [xen_privcmd] <- xen_alloc_unpopulated_pages) nr_pages=4 ret=-12");
  EXPECT_EQ(r.probe.location, "privcmd_ioctl_mmap_resource");
  EXPECT_EQ(r.probe.location_module, "xen_privcmd");
  EXPECT_EQ(r.probe.function, "xen_alloc_unpopulated_pages");
  EXPECT_EQ(r.fields.s64("ret"), -12);
  Record m = parse_ok("  x-55 [000] ..... 55.0: xen_unpop_alloc: (gntdev_ioctl+0x10/0x200 [xen_gntdev]) nr_pages=1");
  EXPECT_EQ(m.probe.location_module, "xen_gntdev");
}

TEST(TextLine, UprobeAndRawAddresses) {
  Record u = parse_ok("  t-4102 [000] ..... 401.5: xen_unpop_alloc_page: (0x55aedf02c149) pfn=0x47fff");
  EXPECT_EQ(u.probe.location_address, 0x55aedf02c149u);
  EXPECT_EQ(u.probe.location, "");
  Record ur = parse_ok("  t-4102 [000] ..... 401.5: xen_unpop_alloc: (0x55aedf02c2a0 <- 0x55aedf02c149) ret=0");
  EXPECT_TRUE(ur.probe.is_return);
  EXPECT_EQ(ur.probe.function_address, 0x55aedf02c149u);
  // trace-cmd report: print fmt order, probed function first
  Record raw = parse_ok("  g-212 [001] 61.0: xen_unpop_free: (ffff800080957a78 <- ffff8000809414a0) nr_pages=1");
  EXPECT_EQ(raw.probe.function_address, 0xffff800080957a78u);
  EXPECT_EQ(raw.probe.location_address, 0xffff8000809414a0u);
  Record raw1 = parse_ok("  g-212 [001] 61.0: xen_unpop_free: (ffff800080957a78) nr_pages=1");
  EXPECT_EQ(raw1.probe.location_address, 0xffff800080957a78u);
  Record symaddr = parse_ok("  g-212 [001] 61.0: xen_unpop_free: (xen_free_unpopulated_pages+0x0/0xb0 <ffffffff81234567>) nr_pages=1");
  EXPECT_EQ(symaddr.probe.location, "xen_free_unpopulated_pages");
  EXPECT_EQ(symaddr.probe.location_address, 0xffffffff81234567u);
}

TEST(TextLine, ValuesQuotedArraysFaults) {
  Record r = parse_ok(R"(  g-1 [0] 1.0: xen_unpop_fill_list: (request_resource+0x0/0x50) name="Xen scratch" s="a \"q\" b" pages={0x1,0x2} bad=(fault) empty=)");
  EXPECT_EQ(r.fields.str("name"), "Xen scratch");
  EXPECT_EQ(r.fields.str("s"), "a \"q\" b");
  EXPECT_EQ(r.fields.raw("pages"), "{0x1,0x2}");
  EXPECT_EQ(r.fields.raw("bad"), "(fault)");
  EXPECT_EQ(r.fields.raw("empty"), "");
  EXPECT_EQ(r.fields.size(), 5u);
}

TEST(TextLine, OtherEventsAreLenient) {
  Record m = parse_ok("  g-1 [0] 1.0: tracing_mark_write: phase=start of test run");
  EXPECT_EQ(m.name, "tracing_mark_write");
  EXPECT_FALSE(m.fields_complete);
  EXPECT_EQ(m.fields.raw("phase"), "start");
  EXPECT_EQ(m.body, "phase=start of test run");
  Record s = parse_ok("  g-1 [0] d..2. 1.0: sched_switch: prev_comm=bash prev_state=R+ ==> next_comm=x");
  EXPECT_FALSE(s.fields_complete);
  EXPECT_EQ(s.fields.raw("next_comm"), "x");
  Record p = parse_ok("  g-1 [0] 1.0: foo: (not a prefix) x=1");
  EXPECT_FALSE(p.probe.present);
  Record e = parse_ok("  g-1 [0] 1.0: foo:");
  EXPECT_EQ(e.body, "");
}

TEST(TextLine, StrictForContractEvents) {
  ReadError e = parse_bad("  g-1 [0] 1.0: xen_unpop_alloc_page: pfn 0x1");
  EXPECT_NE(e.expected.find("key=value"), std::string::npos);
  EXPECT_EQ(e.column, 38u);
  EXPECT_NE(parse_bad("  g-1 [0] 1.0: xen_unpop_free: (xen_free_unpopulated_pages+0x0 nr_pages=1")
                .expected.find("probe prefix"),
            std::string::npos);
  EXPECT_NE(parse_bad("  g-1 [0] 1.0: xen_unpop_dma_free: dev=\"x nr_pages=1").expected.find("closing"),
            std::string::npos);
  EXPECT_NE(parse_bad("  g-1 [0] 1.0: xen_unpop_dma_free: dev=\"x\"y nr_pages=1").expected.find("space after"),
            std::string::npos);
}

TEST(TextLine, StrictPrefixesConfigurable) {
  TextReaderOptions opt;
  opt.strict_prefixes = {};
  Record r;
  ReadError e;
  EXPECT_TRUE(TextReader::parse_line("  g-1 [0] 1.0: xen_unpop_alloc_page: pfn 0x1", r, e, opt));
  EXPECT_FALSE(r.fields_complete);
  opt.strict_prefixes = {"sched_"};
  EXPECT_FALSE(TextReader::parse_line("  g-1 [0] 1.0: sched_switch: a ==> b", r, e, opt));
}

TEST(TextLine, HeaderErrors) {
  EXPECT_NE(parse_bad("garbage").expected.find("an event line"), std::string::npos);
  EXPECT_NE(parse_bad("  gntdev [001] ..... 1.0: e: a=1").expected.find("comm-pid"), std::string::npos);
  EXPECT_NE(parse_bad("  g-1 [0x1] ..... 1.0: e: a=1").expected.find("CPU"), std::string::npos);
  EXPECT_NE(parse_bad("  g-1 [1] ....... 1.0: e: a=1").expected.find("irq-flags"), std::string::npos);
  EXPECT_NE(parse_bad("  g-1 [1] ..... 1.0 e: a=1").expected.find("timestamp"), std::string::npos);
  EXPECT_NE(parse_bad("  g-1 [1] ..... 1.0:").expected.find("event name"), std::string::npos);
  EXPECT_NE(parse_bad("  g-1 [1] ..... 1.0: e:x").expected.find("event name"), std::string::npos);
  EXPECT_NE(parse_bad("  -1 [1] 1.0: e: x=1").expected.find("comm"), std::string::npos);
  EXPECT_NE(parse_bad("  g-99999999999 [1] 1.0: e: x=1").expected.find("pid"), std::string::npos);
  EXPECT_NE(parse_bad("g-1[1] 1.0: e: x=1").expected.find("space"), std::string::npos);
}

TEST(TextLine, CommentsAndReportHeaders) {
  for (const char* s : {"# tracer: nop", "#", "", "   ", "version = 6", "cpus=2", "CPU 0 is empty",
                        "##### CPU 1 buffer started ####"}) {
    Record r = parse_ok(s);
    EXPECT_EQ(r.kind, RecordKind::comment) << s;
    EXPECT_EQ(r.text, s);
  }
  Record h = parse_ok("# entries-in-buffer/entries-written: 16/16   #P:8");
  EXPECT_EQ(h.kind, RecordKind::comment);
  EXPECT_EQ(h.fields.u64("entries_in_buffer"), 16u);
  EXPECT_EQ(h.fields.u64("cpus"), 8u);
  EXPECT_NE(parse_bad("cpus=two").expected.find("an event line"), std::string::npos);
}

TEST(TextLine, LostEvents) {
  Record a = parse_ok("CPU:2 [LOST 123 EVENTS]");
  EXPECT_EQ(a.kind, RecordKind::lost_events);
  EXPECT_EQ(a.cpu, 2);
  EXPECT_EQ(a.lost, 123u);
  Record b = parse_ok("CPU:0 [3 EVENTS DROPPED]");
  EXPECT_EQ(b.lost, 3u);
  Record k = parse_ok("CPU:3 [LOST EVENTS]");  // kernel: count unknown
  EXPECT_EQ(k.kind, RecordKind::lost_events);
  EXPECT_FALSE(k.lost.has_value());
  Record c = parse_ok("CPU:7 [EVENTS DROPPED]");
  EXPECT_EQ(c.kind, RecordKind::lost_events);
  EXPECT_FALSE(c.lost.has_value());
  Record h = parse_ok("# entries-in-buffer/entries-written: 3/1027   #P:2");
  EXPECT_EQ(h.kind, RecordKind::lost_events);
  EXPECT_EQ(h.lost, 1024u);
  EXPECT_EQ(h.cpu, -1);
  EXPECT_NE(parse_bad("CPU:1 [LOST many EVENTS]").expected.find("count"), std::string::npos);
  EXPECT_NE(parse_bad("CPU:x [LOST 1 EVENTS]").expected.find("CPU number"), std::string::npos);
  EXPECT_NE(parse_bad("CPU:1 LOST").expected.find("[LOST"), std::string::npos);
}

TEST(TextLine, CarriageReturnStripped) {
  Record r = parse_ok("  g-1 [0] 1.0: xen_unpop_free: nr_pages=1\r");
  EXPECT_EQ(r.fields.raw("nr_pages"), "1");
}

TEST(TextReaderStream, LineNumbersAndContinueAfterError) {
  Collected c = read_mem("# c\n  g-1 [0] 1.0: xen_unpop_free: nr_pages=1\nbad\n  g-1 [0] 2.0: xen_unpop_free: nr_pages=2\n");
  ASSERT_EQ(c.records.size(), 3u);
  ASSERT_EQ(c.errors.size(), 1u);
  EXPECT_EQ(c.records[0].line, 1u);
  EXPECT_EQ(c.records[1].line, 2u);
  EXPECT_EQ(c.records[2].line, 4u);
  EXPECT_EQ(c.records[2].file, "mem.txt");
  EXPECT_EQ(c.errors[0].line, 3u);
  EXPECT_EQ(c.errors[0].file, "mem.txt");
  EXPECT_FALSE(c.errors[0].fatal);
  EXPECT_EQ(c.errors[0].message().rfind("mem.txt:3:1: expected", 0), 0u);
}

TEST(TextReaderStream, TruncationIsFatal) {
  Collected c = read_mem("  g-1 [0] 1.0: xen_unpop_free: nr_pages=1\n  g-1 [0] 2.0: xen_unpo");
  ASSERT_EQ(c.records.size(), 1u);
  ASSERT_EQ(c.errors.size(), 1u);
  EXPECT_TRUE(c.errors[0].fatal);
  EXPECT_EQ(c.errors[0].line, 2u);
  EXPECT_NE(c.errors[0].expected.find("truncated"), std::string::npos);
}

TEST(TextReaderStream, EmptyInputIsEmpty) {
  Collected c = read_mem("");
  EXPECT_TRUE(c.records.empty());
  EXPECT_TRUE(c.errors.empty());
}

namespace {
std::string temp_file(const std::string& content) {
  char path[] = "/tmp/unpop_text_XXXXXX";
  int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
  close(fd);
  return path;
}
}  // namespace

TEST(TextReaderStream, FileChunkBoundariesEverywhere) {
  // Lines straddle every possible chunk boundary: compare with the in-memory reading.
  std::string text;
  for (int i = 0; i < 300; ++i)
    text += "  gntdev-212 [001] ..... " + std::to_string(52 + i) + ".000100: xen_unpop_alloc_page: pfn=0x" +
            std::to_string(1000 + i) + "\n";
  text += "CPU:1 [LOST 3 EVENTS]\n";
  std::string path = temp_file(text);
  Collected mem = read_mem(text);
  for (std::size_t chunk : {4096u, 4097u, 5000u}) {
    TextReaderOptions opt;
    opt.chunk_size = chunk;
    ReadError err;
    auto r = TextReader::open(path, err, opt);
    ASSERT_TRUE(r) << err.message();
    Collected f = read_all(*r);
    ASSERT_EQ(f.records.size(), mem.records.size());
    EXPECT_TRUE(f.errors.empty());
    for (std::size_t i = 0; i < f.records.size(); ++i) {
      EXPECT_EQ(f.records[i].line, mem.records[i].line);
      EXPECT_EQ(f.records[i].body, mem.records[i].body);
      EXPECT_EQ(f.records[i].ts_ns, mem.records[i].ts_ns);
    }
  }
  unlink(path.c_str());
}

TEST(TextReaderStream, OverlongLineReportedOnceThenContinues) {
  std::string text = "  g-1 [0] 1.0: xen_unpop_free: nr_pages=1\n";
  text += std::string(20000, 'x') + "\n";
  text += "  g-1 [0] 2.0: xen_unpop_free: nr_pages=2\n";
  std::string path = temp_file(text);
  TextReaderOptions opt;
  opt.chunk_size = 4096;
  opt.max_line = 1000;
  ReadError err;
  auto r = TextReader::open(path, err, opt);
  ASSERT_TRUE(r);
  Collected f = read_all(*r);
  ASSERT_EQ(f.records.size(), 2u);
  ASSERT_EQ(f.errors.size(), 1u);
  EXPECT_EQ(f.errors[0].line, 2u);
  EXPECT_NE(f.errors[0].expected.find("at most 1000 bytes"), std::string::npos);
  EXPECT_EQ(f.records[1].line, 3u);
  Collected m = read_mem(text, opt);
  ASSERT_EQ(m.records.size(), 2u);
  ASSERT_EQ(m.errors.size(), 1u);
  unlink(path.c_str());
}

TEST(TextReaderStream, OverlongTruncatedTail) {
  std::string text = "  g-1 [0] 1.0: xen_unpop_free: nr_pages=1\n" + std::string(9000, 'x');
  std::string path = temp_file(text);
  TextReaderOptions opt;
  opt.chunk_size = 4096;
  opt.max_line = 1000;
  ReadError err;
  auto r = TextReader::open(path, err, opt);
  ASSERT_TRUE(r);
  Collected f = read_all(*r);
  ASSERT_EQ(f.records.size(), 1u);
  ASSERT_EQ(f.errors.size(), 2u);
  EXPECT_TRUE(f.errors[1].fatal);
  unlink(path.c_str());
}

TEST(TextReaderStream, ReadsFromAPipe) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  std::string text = "  g-1 [0] 1.0: xen_unpop_free: nr_pages=1\nCPU:0 [LOST 1 EVENTS]\n";
  ASSERT_EQ(write(fds[1], text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fds[1]);
  auto r = TextReader::from_fd("trace_pipe", fds[0]);
  Collected c = read_all(*r);
  close(fds[0]);
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.records[1].kind, RecordKind::lost_events);
}

TEST(TextReaderStream, MissingFile) {
  ReadError err;
  auto r = TextReader::open("/nonexistent/trace", err);
  EXPECT_FALSE(r);
  EXPECT_TRUE(err.fatal);
  EXPECT_NE(err.message().find("/nonexistent/trace"), std::string::npos);
}
