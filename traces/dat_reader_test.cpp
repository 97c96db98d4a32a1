#include "traces/dat_reader.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "traces/dat_layout.h"
#include "traces/text_reader.h"

using namespace unpop::traces;
namespace fs = std::filesystem;

namespace {

const fs::path kRec = fs::path(UNPOP_TRACES_FIXTURES) / "recorded";

struct All {
  std::vector<Record> records;  // comments dropped
  std::vector<ReadError> errors;
  bool opened = false;
};

All read_all(const std::string& path, bool dat_only = false) {
  All a;
  ReadError err;
  std::unique_ptr<RecordReader> r;
  if (dat_only) r = DatReader::open(path, err);
  else r = open_trace(path, err);
  if (!r) {
    a.errors.push_back(err);
    return a;
  }
  a.opened = true;
  for_each_record(
      *r,
      [&](const Record& rec) {
        if (rec.kind != RecordKind::comment) a.records.push_back(rec);
        return true;
      },
      [&](const ReadError& e) {
        a.errors.push_back(e);
        return true;
      });
  return a;
}

std::string errors_of(const All& a) {
  std::string s;
  for (const auto& e : a.errors) s += e.message() + "\n";
  return s;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Same value whatever its notation (0x hex / decimal / negative / quoted).
bool same_value(const std::string& a, const std::string& b) {
  if (a == b) return true;
  if (auto x = parse_u64(a), y = parse_u64(b); x && y) return *x == *y;
  if (auto x = parse_s64(a), y = parse_s64(b); x && y) return *x == *y;
  return false;
}

void expect_same(const Record& dat, const Record& txt) {
  SCOPED_TRACE(dat.where() + " vs " + txt.where());
  ASSERT_EQ(dat.kind, txt.kind);
  if (dat.kind == RecordKind::lost_events) {
    EXPECT_EQ(dat.cpu, txt.cpu);
    EXPECT_EQ(dat.lost, txt.lost);
    return;
  }
  EXPECT_EQ(dat.name, txt.name);
  EXPECT_EQ(dat.system, "xen_unpop");
  EXPECT_EQ(dat.comm, txt.comm);
  EXPECT_EQ(dat.pid, txt.pid);
  EXPECT_EQ(dat.cpu, txt.cpu);
  EXPECT_EQ(dat.timestamp, txt.timestamp);
  EXPECT_EQ(dat.ts_ns / 1000 + (dat.ts_ns % 1000 >= 500), txt.ts_ns / 1000);
  ASSERT_EQ(dat.fields.size(), txt.fields.size()) << dat.body << " | " << txt.body;
  for (std::size_t i = 0; i < dat.fields.size(); ++i) {
    EXPECT_EQ(dat.fields[i].key, txt.fields[i].key);
    EXPECT_TRUE(same_value(dat.fields[i].value, txt.fields[i].value))
        << dat.fields[i].key << ": " << dat.fields[i].value << " vs " << txt.fields[i].value;
  }
  EXPECT_EQ(dat.probe.present, txt.probe.present);
  EXPECT_EQ(dat.probe.is_return, txt.probe.is_return);
  EXPECT_EQ(dat.probe.location_address, txt.probe.location_address);
  EXPECT_EQ(dat.probe.function_address, txt.probe.function_address);
  EXPECT_EQ(dat.body, txt.body);
}

}  // namespace

TEST(DatReader, RecordsEqualTraceCmdReportOfTheSameFile) {
  // Each report_*.txt is `trace-cmd report` of the .dat beside it (scripts/record-trace-fixtures).
  for (auto [dat, rep] : std::vector<std::pair<const char*, const char*>>{
           {"record_ok_v7.dat", "report_ok.txt"},
           {"record_double_free_v7.dat", "report_double_free.txt"},
           {"record_probes_ok_v7.dat", "report_probes_ok.txt"},
           {"extract_lost_v7.dat", "report_lost.txt"}}) {
    SCOPED_TRACE(dat);
    All d = read_all((kRec / dat).string());
    All t = read_all((kRec / rep).string());
    ASSERT_TRUE(d.errors.empty()) << errors_of(d);
    ASSERT_TRUE(t.errors.empty()) << errors_of(t);
    ASSERT_EQ(d.records.size(), t.records.size());
    ASSERT_GT(d.records.size(), 10u);
    for (std::size_t i = 0; i < d.records.size(); ++i) expect_same(d.records[i], t.records[i]);
    for (std::size_t i = 0; i < d.records.size(); ++i)
      if (d.records[i].kind == RecordKind::event) {
        EXPECT_EQ(d.records[i].line, i + 1 - [&] {  // index among events (markers share it)
          std::size_t m = 0;
          for (std::size_t j = 0; j <= i; ++j) m += d.records[j].kind == RecordKind::lost_events;
          return m;
        }());
      }
  }
}

TEST(DatReader, MissedEventsBecomeLostMarkers) {
  All d = read_all((kRec / "extract_lost_v7.dat").string());
  ASSERT_TRUE(d.errors.empty()) << errors_of(d);
  ASSERT_FALSE(d.records.empty());
  EXPECT_EQ(d.records[0].kind, RecordKind::lost_events);
  EXPECT_FALSE(d.records[0].lost.has_value());  // the ring buffer says "some", not how many
  EXPECT_EQ(d.records[0].text, "CPU:0 [EVENTS DROPPED]");
  EXPECT_EQ(d.records[1].kind, RecordKind::event);
  EXPECT_EQ(d.records[1].line, d.records[0].line);
}

TEST(DatReader, VersionsAndCompressionGiveTheSameEvents) {
  std::map<std::string, std::map<std::string, int>> counts;
  for (const char* f : {"record_ok_v7.dat", "record_ok_v7_none.dat", "record_ok_v6.dat",
                        "extract_ok_v7.dat"}) {
    All d = read_all((kRec / f).string());
    ASSERT_TRUE(d.errors.empty()) << f << ": " << errors_of(d);
    DatLayout l;
    std::string what;
    std::uint64_t off;
    ASSERT_TRUE(check_dat_file((kRec / f).string(), l, what, off)) << what;
    EXPECT_EQ(l.version, std::string(f).find("v6") != std::string::npos ? 6 : 7) << f;
    for (const Record& r : d.records) ++counts[f][r.name];
  }
  EXPECT_EQ(counts["record_ok_v7.dat"], counts["record_ok_v7_none.dat"]);
  EXPECT_EQ(counts["record_ok_v7.dat"], counts["record_ok_v6.dat"]);
  EXPECT_EQ(counts["record_ok_v7.dat"], counts["extract_ok_v7.dat"]);
  EXPECT_EQ(counts["record_ok_v7.dat"]["xen_unpop_region"], 3);
  EXPECT_EQ(counts["record_ok_v7.dat"]["xen_unpop_dma_alloc_page"], 4);
}

TEST(DatReader, ProbeAddressesAndStringFields) {
  All d = read_all((kRec / "record_ok_v7.dat").string());
  ASSERT_TRUE(d.errors.empty()) << errors_of(d);
  bool saw_init = false, saw_dma = false;
  for (const Record& r : d.records) {
    EXPECT_TRUE(r.probe.present) << r.where();
    EXPECT_TRUE(r.probe.location_address.has_value()) << r.where();
    if (r.name == "xen_unpop_init") {
      saw_init = true;
      EXPECT_EQ(r.fields.str("target"), "xen_resource");
      EXPECT_EQ(r.fields.s64("ret"), 0);
    }
    if (r.name == "xen_unpop_dma_alloc") {
      saw_dma = true;
      EXPECT_EQ(r.fields.str("dev"), "xen-grant-dma");
      EXPECT_EQ(r.fields.u64("nr_pages"), 4u);
    }
  }
  EXPECT_TRUE(saw_init && saw_dma);
  All p = read_all((kRec / "record_probes_ok_v7.dat").string());
  int returns = 0;
  for (const Record& r : p.records)
    if (r.name == "xen_unpop_alloc") {
      ++returns;
      EXPECT_TRUE(r.probe.is_return);
      EXPECT_TRUE(r.probe.function_address && r.probe.location_address);
      EXPECT_FALSE(r.fields.has("nr_pages"));  // uretprobes cannot fetch arguments
    }
  EXPECT_GT(returns, 0);
}

TEST(DatReader, EveryCutErrorsOrIsProvablyComplete) {
  // Cut real files at many offsets: the reader must report an error naming the file, or
  // return exactly the records of the whole file.
  for (const char* f : {"record_ok_v7.dat", "record_ok_v7_none.dat", "record_ok_v6.dat",
                        "extract_lost_v7.dat"}) {
    SCOPED_TRACE(f);
    std::string data = slurp(kRec / f);
    All full = read_all((kRec / f).string());
    ASSERT_TRUE(full.errors.empty());
    std::vector<std::size_t> cuts;
    std::size_t stride = std::max<std::size_t>(1, data.size() / 150);
    for (std::size_t c = 0; c < data.size(); c += stride) cuts.push_back(c);
    for (std::size_t k = 1; k <= 48 && k <= data.size(); ++k) cuts.push_back(data.size() - k);
    char tmpl[] = "/tmp/unpop_cut_XXXXXX";
    int fd = mkstemp(tmpl);
    ASSERT_GE(fd, 0);
    close(fd);
    int errored = 0;
    for (std::size_t c : cuts) {
      {
        std::ofstream out(tmpl, std::ios::binary | std::ios::trunc);
        out.write(data.data(), static_cast<std::streamsize>(c));
      }
      All a = read_all(tmpl, /*dat_only=*/true);
      if (!a.errors.empty()) {
        ++errored;
        EXPECT_NE(a.errors[0].message().find(tmpl), std::string::npos);
        continue;
      }
      ASSERT_EQ(a.records.size(), full.records.size()) << "cut at " << c << " read silently short";
      for (std::size_t i = 0; i < a.records.size(); ++i)
        ASSERT_EQ(a.records[i].body, full.records[i].body) << "cut at " << c;
    }
    unlink(tmpl);
    EXPECT_EQ(errored, static_cast<int>(cuts.size())) << "every cut of these files is detected";
  }
}

TEST(DatReader, ALibtraceeventCrashIsAnErrorNotACrash) {
  // A fuzzer input that makes libtraceevent dereference NULL while parsing event formats.
  const fs::path p = fs::path(UNPOP_FUZZ_DIR) / "regressions" / "dat" / "libtraceevent-segv-strcmp";
  All a = read_all(p.string());
  ASSERT_EQ(a.errors.size(), 1u);
  EXPECT_TRUE(a.errors[0].fatal);
  EXPECT_NE(a.errors[0].message().find("crashed (SIGSEGV) while opening"), std::string::npos)
      << a.errors[0].message();
  EXPECT_TRUE(a.records.empty());
}

TEST(DatReader, NotATraceDatOrMissing) {
  ReadError err;
  EXPECT_FALSE(DatReader::open((fs::path(UNPOP_TRACES_FIXTURES) / "text" / "trace_pipe.txt").string(), err));
  EXPECT_NE(err.message().find("magic"), std::string::npos);
  EXPECT_FALSE(DatReader::open("/nonexistent.dat", err));
  EXPECT_NE(err.message().find("/nonexistent.dat"), std::string::npos);
  EXPECT_TRUE(is_trace_dat((kRec / "record_ok_v6.dat").string()));
  EXPECT_FALSE(is_trace_dat((kRec / "report_ok.txt").string()));
}

TEST(DatLayout, RejectsNonTraceDat) {
  DatLayout l;
  std::string what;
  std::uint64_t off = 0;
  EXPECT_FALSE(check_dat_layout("not a trace", l, what, off));
  EXPECT_NE(what.find("magic"), std::string::npos);
  EXPECT_FALSE(check_dat_layout(std::string_view("\x17\x08\x44tracing9\0", 12), l, what, off));
  EXPECT_NE(what.find("version 6 or 7"), std::string::npos);
  EXPECT_FALSE(check_dat_layout(std::string_view("\x17\x08\x44tracing6\0\0\x08", 14), l, what, off));
  EXPECT_NE(what.find("truncated"), std::string::npos);
}

TEST(DatLayout, MemoryAndFileAgreeOnRealFiles) {
  for (const auto& e : fs::directory_iterator(kRec)) {
    if (e.path().extension() != ".dat") continue;
    std::string data = slurp(e.path());
    DatLayout a, b;
    std::string wa, wb;
    std::uint64_t oa = 0, ob = 0;
    EXPECT_TRUE(check_dat_layout(data, a, wa, oa)) << e.path() << ": " << wa;
    EXPECT_TRUE(check_dat_file(e.path().string(), b, wb, ob)) << e.path() << ": " << wb;
    EXPECT_EQ(a.data_end, b.data_end);
    EXPECT_EQ(a.data_end, data.size()) << e.path();
  }
}
