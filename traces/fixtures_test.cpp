// Every fixture file through the readers: hand-written text forms, real recorded captures, and
// the fuzzers' regression inputs (which must read without crashing, whatever they report).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "traces/reader.h"
#include "traces/text_reader.h"

using namespace unpop::traces;
namespace fs = std::filesystem;

namespace {

const fs::path kText = fs::path(UNPOP_TRACES_FIXTURES) / "text";

struct Result {
  std::vector<Record> records;
  std::vector<ReadError> errors;
  std::map<std::string, int> names;
  int events = 0, lost = 0, comments = 0;
};

Result read_file(const fs::path& p) {
  Result res;
  ReadError err;
  auto r = open_trace(p.string(), err);
  if (!r) {
    res.errors.push_back(err);
    return res;
  }
  for_each_record(
      *r,
      [&](const Record& rec) {
        res.records.push_back(rec);
        if (rec.kind == RecordKind::event) {
          ++res.events;
          ++res.names[rec.name];
        } else if (rec.kind == RecordKind::lost_events) {
          ++res.lost;
        } else {
          ++res.comments;
        }
        return true;
      },
      [&](const ReadError& e) {
        res.errors.push_back(e);
        return true;
      });
  return res;
}

std::string errors_of(const Result& r) {
  std::string s;
  for (const auto& e : r.errors) s += e.message() + "\n";
  return s;
}

}  // namespace

TEST(TextFixtures, CleanFilesReadWithoutErrors) {
  struct Expect {
    const char* file;
    int events, lost, comments;
  };
  for (const Expect& x : std::vector<Expect>{{"tracefs_5col.txt", 14, 0, 12},
                                             {"tracefs_4col.txt", 4, 0, 11},
                                             {"tracefs_noirqinfo.txt", 3, 0, 6},
                                             {"tracefs_tgid.txt", 3, 0, 12},
                                             {"trace_pipe.txt", 4, 1, 0},
                                             {"report_v6.txt", 5, 0, 2},
                                             {"report_plain.txt", 3, 2, 2},
                                             {"kprobes.txt", 9, 0, 12},
                                             {"comms.txt", 5, 0, 0},
                                             {"lost.txt", 3, 2, 6},
                                             {"other_events.txt", 6, 0, 0}}) {
    Result r = read_file(kText / x.file);
    EXPECT_TRUE(r.errors.empty()) << x.file << ": " << errors_of(r);
    EXPECT_EQ(r.events, x.events) << x.file;
    EXPECT_EQ(r.lost, x.lost) << x.file;
    EXPECT_EQ(r.comments, x.comments) << x.file;
  }
}

TEST(TextFixtures, ContractFieldsOfTheFiveColumnTrace) {
  Result r = read_file(kText / "tracefs_5col.txt");
  ASSERT_TRUE(r.errors.empty()) << errors_of(r);
  EXPECT_EQ(r.names["xen_unpop_region"], 3);
  EXPECT_EQ(r.names["xen_unpop_alloc_page"], 2);
  const Record* dma = nullptr;
  const Record* fill = nullptr;
  for (const Record& rec : r.records) {
    if (rec.name == "xen_unpop_dma_alloc") dma = &rec;
    if (rec.name == "xen_unpop_fill_list") fill = &rec;
  }
  ASSERT_TRUE(dma && fill);
  EXPECT_EQ(dma->comm, "qemu-system-aar");
  EXPECT_EQ(dma->pid, 340);
  EXPECT_EQ(dma->fields.str("dev"), "xen-grant-dma");
  EXPECT_EQ(fill->fields.u64("end"), 0x47ffffffu);
  EXPECT_EQ(fill->line, 17u);
}

TEST(TextFixtures, MalformedLinesMatchTheirExpectations) {
  Result r = read_file(kText / "malformed.txt");
  std::ifstream exp(kText / "malformed.expected");
  std::string line;
  std::vector<std::tuple<std::uint64_t, std::uint64_t, std::string>> want;
  while (std::getline(exp, line)) {
    std::istringstream is(line);
    std::uint64_t l, c;
    std::string what;
    is >> l >> c;
    is.get();
    std::getline(is, what);
    want.emplace_back(l, c, what);
  }
  ASSERT_EQ(r.errors.size(), want.size()) << errors_of(r);
  for (std::size_t i = 0; i < want.size(); ++i) {
    const auto& [l, c, what] = want[i];
    EXPECT_EQ(r.errors[i].file, (kText / "malformed.txt").string());
    EXPECT_EQ(r.errors[i].line, l) << r.errors[i].message();
    EXPECT_EQ(r.errors[i].column, c) << r.errors[i].message();
    EXPECT_NE(r.errors[i].expected.find(what), std::string::npos) << r.errors[i].message();
    EXPECT_FALSE(r.errors[i].fatal);
  }
  ASSERT_EQ(r.events, 1);  // the last, valid line is still read
}

TEST(TextFixtures, TruncatedFileEndsWithAFatalError) {
  Result r = read_file(kText / "truncated.txt");
  ASSERT_EQ(r.events, 1);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_TRUE(r.errors[0].fatal);
  EXPECT_EQ(r.errors[0].line, 2u);
  EXPECT_NE(r.errors[0].message().find("truncated"), std::string::npos);
}

TEST(TextFixtures, ProbePrefixesOfEveryKind) {
  Result r = read_file(kText / "kprobes.txt");
  ASSERT_TRUE(r.errors.empty()) << errors_of(r);
  std::vector<const Record*> ev;
  for (const Record& rec : r.records)
    if (rec.kind == RecordKind::event) ev.push_back(&rec);
  ASSERT_EQ(ev.size(), 9u);
  for (const Record* e : ev) EXPECT_TRUE(e->probe.present) << e->line;
  EXPECT_EQ(ev[0]->probe.probed_function(), "xen_alloc_unpopulated_pages");
  EXPECT_EQ(ev[1]->fields.str("name"), "Xen scratch");
  EXPECT_EQ(ev[2]->probe.probed_function(), "request_resource");
  EXPECT_EQ(ev[4]->probe.location_module, "xen_privcmd");
  EXPECT_EQ(ev[5]->fields.raw("pages"), "{0xfffffc0001fffc0,0xfffffc0001fff80}");
  EXPECT_EQ(ev[6]->probe.location_address, 0x55aedf02c149u);
  EXPECT_TRUE(ev[7]->probe.is_return);
  EXPECT_EQ(ev[8]->probe.function_address, 0xffff800080957a78u);  // trace-cmd order
}

namespace {
std::vector<std::string> summary(RecordReader& r) {
  std::vector<std::string> out;
  Record rec;
  ReadError err;
  while (true) {
    ReadStatus s = r.next(rec, err);
    if (s == ReadStatus::end) break;
    if (s == ReadStatus::error)
      out.push_back("E" + std::to_string(err.line) + ":" + std::to_string(err.column) + err.expected);
    else
      out.push_back("R" + std::to_string(rec.line) + rec.name + "|" + rec.body);
  }
  return out;
}
}  // namespace

TEST(FuzzRegressions, TextInputsReadTheSameFromMemoryAndFromAFile) {
  // The text fuzzer's differential, on the inputs it once failed.
  fs::path d = fs::path(UNPOP_FUZZ_DIR) / "regressions" / "text";
  int n = 0;
  for (const auto& entry : fs::directory_iterator(d)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)), {});
    TextReaderOptions opt;
    opt.chunk_size = 4096;
    opt.max_line = 512;
    auto mem = TextReader::from_memory("x", data, opt);
    ReadError err;
    auto file = TextReader::open(entry.path().string(), err, opt);
    ASSERT_TRUE(file) << err.message();
    EXPECT_EQ(summary(*mem), summary(*file)) << entry.path();
    ++n;
  }
  EXPECT_GE(n, 2);
}

TEST(FuzzRegressions, EveryInputReadsWithoutCrashing) {
  // Inputs that once crashed or hung a fuzzer: they must now read to the end (errors allowed).
  for (const char* dir : {"text", "dat"}) {
    fs::path d = fs::path(UNPOP_FUZZ_DIR) / "regressions" / dir;
    if (!fs::exists(d)) continue;
    for (const auto& entry : fs::directory_iterator(d)) {
      if (!entry.is_regular_file()) continue;
      Result r = read_file(entry.path());
      SUCCEED() << entry.path() << ": " << r.records.size() << " records, " << r.errors.size()
                << " errors";
    }
  }
}
