// Body templates (dat_body.h) against libtraceevent's own print: the same bytes for every
// value (a RapidCheck property over events parsed from format text, as a trace.dat holds
// them), no template for what the grammar leaves out, and equal bodies on every record of the
// recorded fixtures.
#include "traces/dat_body.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>
#include <traceevent/event-parse.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "traces/dat_backend.h"

namespace fs = std::filesystem;

namespace {

// A probe-like event: common fields, the probe address, a __data_loc string and scalars.
const char* kFields =
    "name: ev\nID: 7\nformat:\n"
    "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
    "\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
    "\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
    "\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n"
    "\tfield:unsigned long __probe_ip;\toffset:8;\tsize:8;\tsigned:0;\n"
    "\tfield:__data_loc char[] kind;\toffset:16;\tsize:4;\tsigned:1;\n"
    "\tfield:u64 start;\toffset:20;\tsize:8;\tsigned:0;\n"
    "\tfield:s32 ret;\toffset:28;\tsize:4;\tsigned:1;\n"
    "\tfield:u16 small;\toffset:32;\tsize:2;\tsigned:0;\n"
    "\tfield:s64 delta;\toffset:34;\tsize:8;\tsigned:1;\n\n";
constexpr int kFixed = 42;  // bytes before the string's data

struct Tep {
  tep_handle* tep = tep_alloc();
  tep_event* ev = nullptr;
  explicit Tep(const std::string& print_fmt) {
    tep_set_long_size(tep, 8);
    tep_set_file_bigendian(tep, TEP_LITTLE_ENDIAN);
    tep_set_local_bigendian(tep, TEP_LITTLE_ENDIAN);
    const std::string text = std::string(kFields) + "print fmt: " + print_fmt + "\n";
    if (tep_parse_format(tep, &ev, text.data(), text.size(), "unpop") != 0) ev = nullptr;
  }
  ~Tep() { tep_free(tep); }
  Tep(const Tep&) = delete;
  Tep& operator=(const Tep&) = delete;
};

struct Values {
  std::uint64_t ip = 0, start = 0;
  std::int32_t ret = 0;
  std::uint16_t small = 0;
  std::int64_t delta = 0;
  std::string kind;
};

std::vector<char> record_bytes(const Values& v) {
  std::vector<char> b(kFixed + v.kind.size() + 1, 0);
  const std::uint16_t type = 7;
  std::memcpy(&b[0], &type, 2);
  std::memcpy(&b[8], &v.ip, 8);
  const std::uint32_t loc = (static_cast<std::uint32_t>(v.kind.size() + 1) << 16) | kFixed;
  std::memcpy(&b[16], &loc, 4);
  std::memcpy(&b[20], &v.start, 8);
  std::memcpy(&b[28], &v.ret, 4);
  std::memcpy(&b[32], &v.small, 2);
  std::memcpy(&b[34], &v.delta, 8);
  std::memcpy(&b[kFixed], v.kind.c_str(), v.kind.size() + 1);
  return b;
}

// {template's body, libtraceevent's}
std::pair<std::string, std::string> both(Tep& t, const unpop_body_tmpl* tmpl, const Values& v) {
  std::vector<char> data = record_bytes(v);
  tep_record r{};
  r.data = data.data();
  r.size = static_cast<int>(data.size());
  unpop_body out{};
  std::string mine = unpop_body_format(tmpl, t.tep, &r, &out) == 0 ? out.p : "(format failed)";
  free(out.p);
  trace_seq s;
  trace_seq_init(&s);
  tep_print_event(t.tep, &s, &r, "%s", TEP_PRINT_INFO);
  trace_seq_terminate(&s);
  std::string theirs = s.buffer;
  trace_seq_destroy(&s);
  return {mine, theirs};
}

const char* kAccepted =
    R"f("(%lx) kind=\"%s\" start=0x%Lx ret=%d small=%u delta=%lld tab\there", )f"
    "REC->__probe_ip, __get_str(kind), REC->start, REC->ret, REC->small, REC->delta";

// kAccepted parsed and compiled (freed at the end of the case, whatever it asserts).
struct Accepted : Tep {
  unpop_body_tmpl* tmpl = ev ? unpop_body_compile(tep, ev) : nullptr;
  Accepted() : Tep(kAccepted) {}
  ~Accepted() { unpop_body_free(tmpl); }
};

}  // namespace

RC_GTEST_PROP(DatBody, TemplateEqualsLibtraceeventPrint, ()) {
  Accepted t;
  const bool compiled = t.tmpl != nullptr;
  RC_ASSERT(compiled);
  Values v;
  v.ip = *rc::gen::arbitrary<std::uint64_t>();
  v.start = *rc::gen::arbitrary<std::uint64_t>();
  v.ret = *rc::gen::arbitrary<std::int32_t>();
  v.small = *rc::gen::arbitrary<std::uint16_t>();
  v.delta = *rc::gen::arbitrary<std::int64_t>();
  // printable bytes with quotes and backslashes, and bytes above 0x7f (%s prints them as they are)
  v.kind = *rc::gen::container<std::string>(rc::gen::suchThat(rc::gen::arbitrary<char>(), [](char c) { return c != 0; }));
  auto [mine, theirs] = both(t, t.tmpl, v);
  RC_ASSERT(mine == theirs);
}

// Any bytes as the record (cut short, a __data_loc pointing anywhere): the template reads only
// inside the record (ASan/UBSan in CI) and refuses a record too short for its fields.
RC_GTEST_PROP(DatBody, MalformedRecordsStayInside, ()) {
  Accepted t;
  const bool compiled = t.tmpl != nullptr;
  RC_ASSERT(compiled);
  // (a vector of its own size: ASan sees a read past the record)
  std::vector<char> data = *rc::gen::container<std::vector<char>>(rc::gen::arbitrary<char>());
  tep_record r{};
  r.data = data.data();
  r.size = static_cast<int>(data.size());
  unpop_body out{};
  const int rc = unpop_body_format(t.tmpl, t.tep, &r, &out);
  free(out.p);
  if (data.size() < static_cast<std::size_t>(kFixed)) RC_ASSERT(rc == -1);
}

TEST(DatBody, NoTemplateOutsideTheGrammar) {
  const char* rejected[] = {
      R"f("ret=%5d", REC->ret)f",                        // width
      R"f("ret=%d%%", REC->ret)f",                       // %%
      R"f("small=%d", REC->small)f",                     // %d of an unsigned field
      R"f("ret=%u", REC->ret)f",                         // %u of a signed one
      R"f("start=%x", REC->start)f",                     // an 8-byte field printed as int
      R"f("start=0x%Lx", REC->start, REC->ret)f",        // an argument not printed
      R"f("start=0x%Lx ret=%d", REC->start)f",           // a conversion without argument
      R"f("s=%s", __print_symbolic(REC->ret, { 0, "ZERO" }))f",
      R"f("ret=%d", REC->ret + 1)f",                     // an expression
      R"f("start=%p", REC->start)f",
      R"f("x=%s", REC->ret)f",                           // %s of a number
      R"f("a\x41", REC->ret)f",                          // an escape outside \" \\ \n \t
  };
  for (const char* fmt : rejected) {
    Tep t(fmt);
    ASSERT_NE(t.ev, nullptr) << fmt;
    unpop_body_tmpl* tmpl = unpop_body_compile(t.tep, t.ev);
    EXPECT_TRUE(tmpl == nullptr) << fmt;
    unpop_body_free(tmpl);
  }
}

TEST(DatBody, LongIsTheFilesLong) {
  Tep t(R"f("(%lx)", REC->__probe_ip)f");
  ASSERT_NE(t.ev, nullptr);
  tep_set_long_size(t.tep, 4);  // a 32-bit kernel's trace: %lx prints 4 bytes
  EXPECT_TRUE(unpop_body_compile(t.tep, t.ev) == nullptr);
}

// Every record of one capture read with the bodies compared, in a forked child as the reader
// does it (libtracecmd leaks what it parses from a file; the child _exits without a leak check).
struct Scan {
  int rc = -2;  // unpop_dat_next's last answer (-2: the child died)
  unsigned long long records = 0, templated = 0;
  std::string error;
};

Scan scan_checked(const fs::path& file) {
  int fds[2];
  if (::pipe(fds) != 0) return {};
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    char err[512] = "";
    Scan s;
    if (unpop_dat* d = unpop_dat_open(file.c_str(), err, sizeof err)) {
      unpop_dat_check_bodies(d, 1);
      unpop_dat_record r;
      while ((s.rc = unpop_dat_next(d, &r, err, sizeof err)) == 1) ++s.records;
      s.templated = unpop_dat_templated(d);
    }
    const std::string out = std::to_string(s.rc) + " " + std::to_string(s.records) + " " +
                            std::to_string(s.templated) + " " + err;
    if (::write(fds[1], out.data(), out.size()) < 0) _exit(1);
    _exit(0);
  }
  ::close(fds[1]);
  std::string text;
  char buf[1024];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) text.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  ::waitpid(pid, nullptr, 0);
  Scan s;
  std::istringstream in(text);
  in >> s.rc >> s.records >> s.templated;
  std::getline(in, s.error);
  return s;
}

// Every record of the recorded captures: the template's body is libtraceevent's (the backend
// compares them on each record in this mode), and the probe captures do use templates.
TEST(DatBody, RecordedCapturesPrintTheSame) {
  const fs::path dir = fs::path(UNPOP_TRACES_FIXTURES) / "recorded";
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".dat") continue;
    const Scan s = scan_checked(e.path());
    EXPECT_EQ(s.rc, 0) << e.path() << " record " << s.records + 1 << ":" << s.error;
    if (e.path().filename().string().rfind("record_", 0) == 0) {
      EXPECT_GT(s.templated, s.records / 2) << e.path() << ": probe events print from templates";
    }
    ++files;
  }
  EXPECT_GE(files, 5);
}
