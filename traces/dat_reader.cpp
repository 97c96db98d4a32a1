// trace.dat reading. libtracecmd/libtraceevent are not hardened against malformed files (the
// fuzzer crashed libtraceevent within seconds: NULL strcmp while parsing event formats), so
// every call into them runs in a forked child process that streams the decoded records back
// through a pipe. A crash, hang or non-zero exit of the child is a ReadError naming the file and
// the record index reached; the calling process never executes libtracecmd code.
#include "traces/dat_reader.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "traces/dat_backend.h"
#include "traces/dat_layout.h"

// Under a sanitizer, a failure in the decoder child must not run the parent's death callback
// (libFuzzer's writes a "crash" artifact for an input that did not crash the caller).
#if defined(__SANITIZE_ADDRESS__)
#define UNPOP_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define UNPOP_SANITIZED 1
#endif
#endif
#ifdef UNPOP_SANITIZED
#include <sanitizer/common_interface_defs.h>
#endif

namespace unpop::traces {

namespace {

// ---- wire format: u8 type, u32 payload length, payload --------------------------------------
enum : char {
  kOpened = 'O',  // empty
  kOpenFailed = 'F',  // string
  kRecord = 'R',  // see put_record
  kError = 'E',   // string
  kEnd = 'Z',     // empty
};
constexpr std::uint32_t kMaxMessage = 64u << 20;

// Messages are built in place in one output buffer (not zero-filled as it grows: no
// std::vector), written in writes of 256 KiB or more.
class Writer {
 public:
  explicit Writer(int fd) : fd_(fd) {}
  ~Writer() { std::free(p_); }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;
  void begin(char type) {
    start_ = n_;
    grow(5);
    p_[start_] = type;
  }
  void u32(std::uint32_t v) { raw(&v, sizeof v); }
  void u64(std::uint64_t v) { raw(&v, sizeof v); }
  void str(const char* s) {  // length + bytes + NUL (so the reader can hand out C strings)
    std::uint32_t n = s ? static_cast<std::uint32_t>(std::strlen(s)) : 0;
    char* at = grow(4 + std::size_t{n} + 1);
    std::memcpy(at, &n, 4);
    if (n) std::memcpy(at + 4, s, n);
    at[4 + n] = '\0';
  }
  bool end() {
    std::uint32_t n = static_cast<std::uint32_t>(n_ - start_ - 5);
    std::memcpy(p_ + start_ + 1, &n, 4);
    return n_ < kFlushAt || flush();
  }
  bool flush() {
    std::size_t off = 0;
    while (off < n_) {
      ssize_t w = ::write(fd_, p_ + off, n_ - off);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return false;
      off += static_cast<std::size_t>(w);
    }
    n_ = 0;
    return true;
  }

 private:
  static constexpr std::size_t kFlushAt = 256u << 10;
  char* grow(std::size_t k) {  // k more bytes at the end; returns where they start
    if (k > cap_ - n_) {
      std::size_t cap = cap_ ? cap_ : kFlushAt + (64u << 10);
      while (k > cap - n_) cap *= 2;
      char* p = static_cast<char*>(std::realloc(p_, cap));
      if (!p) _exit(1);  // the parent reports "the decoder exited with status 1"
      p_ = p;
      cap_ = cap;
    }
    char* at = p_ + n_;
    n_ += k;
    return at;
  }
  void raw(const void* p, std::size_t n) { std::memcpy(grow(n), p, n); }
  int fd_;
  char* p_ = nullptr;
  std::size_t n_ = 0, cap_ = 0, start_ = 0;
};

// "%PRIx64" into a, returns the end (no NUL).
char* put_hex(char* a, std::uint64_t v) {
  char tmp[16];
  int n = 0;
  do {
    tmp[n++] = "0123456789abcdef"[v & 15];
    v >>= 4;
  } while (v);
  while (n) *a++ = tmp[--n];
  return a;
}

constexpr std::uint32_t kHasIp = 1, kHasFunc = 2, kHasRetIp = 4, kUnknown = 8, kIpSym = 16,
                        kFuncSym = 32, kRetSym = 64, kNone = 0;

[[noreturn]] void child_main(const std::string& path, int fd) {
  Writer w(fd);
  char buf[512] = "";
  unpop_dat* d = unpop_dat_open(path.c_str(), buf, sizeof buf);
  if (!d) {
    w.begin(kOpenFailed);
    w.str(buf);
    w.end();
    w.flush();
    _exit(0);
  }
  w.begin(kOpened);
  w.end();
  w.flush();
  while (true) {
    unpop_dat_record r;
    int rc = unpop_dat_next(d, &r, buf, sizeof buf);
    if (rc == 0) break;
    if (rc < 0) {
      w.begin(kError);
      w.str(buf);
      w.end();
      w.flush();
      _exit(0);
    }
    std::uint32_t flags =
        (r.has_probe_ip ? kHasIp : kNone) | (r.has_probe_func ? kHasFunc : kNone) |
        (r.has_probe_ret_ip ? kHasRetIp : kNone) | (r.unknown_event ? kUnknown : kNone) |
        (r.probe_ip_sym ? kIpSym : kNone) | (r.probe_func_sym ? kFuncSym : kNone) |
        (r.probe_ret_ip_sym ? kRetSym : kNone);
    w.begin(kRecord);
    w.u32(static_cast<std::uint32_t>(r.cpu));
    w.u64(r.ts);
    w.u32(static_cast<std::uint32_t>(r.pid));
    w.u64(static_cast<std::uint64_t>(r.missed_events));
    w.u32(flags);
    w.u64(r.probe_ip);
    w.u64(r.probe_func);
    w.u64(r.probe_ret_ip);
    w.u64(r.probe_ip_off);
    w.u64(r.probe_ret_ip_off);
    w.str(r.comm);
    w.str(r.system);
    w.str(r.name);
    w.str(r.flags);
    w.str(r.info);
    w.str(r.probe_ip_sym);
    w.str(r.probe_func_sym);
    w.str(r.probe_ret_ip_sym);
    w.u32(static_cast<std::uint32_t>(r.nr_fields));
    for (std::size_t i = 0; i < r.nr_fields; ++i) {
      w.str(r.keys[i]);
      w.str(r.values[i]);
    }
    if (!w.end()) _exit(0);  // the reader went away
  }
  w.begin(kEnd);
  w.end();
  w.flush();
  unpop_dat_close(d);
  _exit(0);
}

// Reads one message payload field by field; every access is bounds-checked.
class Cursor {
 public:
  Cursor(const char* p, std::size_t n) : p_(p), n_(n) {}
  bool u32(std::uint32_t& v) { return raw(&v, 4); }
  bool u64(std::uint64_t& v) { return raw(&v, 8); }
  bool str(const char*& s) {
    std::uint32_t n;
    if (!u32(n) || n > n_ - i_ || n_ - i_ - n < 1 || p_[i_ + n] != '\0') return false;
    s = p_ + i_;
    i_ += n + 1;
    return true;
  }
  bool done() const { return i_ == n_; }

 private:
  bool raw(void* v, std::size_t k) {
    if (k > n_ - i_) return false;
    std::memcpy(v, p_ + i_, k);
    i_ += k;
    return true;
  }
  const char* p_;
  std::size_t n_, i_ = 0;
};

std::string signal_name(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

}  // namespace

bool is_trace_dat(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char b[10];
  ssize_t n = ::pread(fd, b, sizeof b, 0);
  ::close(fd);
  return n == 10 && std::memcmp(b, "\x17\x08\x44tracing", 10) == 0;
}

std::unique_ptr<DatReader> DatReader::open(const std::string& path, ReadError& err,
                                           DatReaderOptions options) {
  err = ReadError{};
  err.file = path;
  err.fatal = true;
  DatLayout layout;
  std::string expected;
  std::uint64_t offset = 0;
  if (!check_dat_file(path, layout, expected, offset)) {
    err.expected = expected;
    err.byte_offset = offset;
    return nullptr;
  }
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    err.expected = std::string("a pipe to the trace.dat decoder (") + std::strerror(errno) + ")";
    return nullptr;
  }
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    err.expected = std::string("a trace.dat decoder process (fork: ") + std::strerror(errno) + ")";
    return nullptr;
  }
  if (pid == 0) {
    ::close(fds[0]);
    // Die of the signal itself: the parent's handlers (sanitizers, libFuzzer, the
    // application's) must not run for a crash inside libtracecmd.
    for (int sig : {SIGPIPE, SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE}) ::signal(sig, SIG_DFL);
#ifdef UNPOP_SANITIZED
    __sanitizer_set_death_callback(nullptr);
#endif
    child_main(path, fds[1]);
  }
  ::close(fds[1]);
  // A larger pipe (if the system allows it) and non-blocking reads: the records arrive in
  // large chunks, and poll() is only called when no data is waiting (see read_message).
  (void)::fcntl(fds[0], F_SETPIPE_SZ, 1 << 20);
  ::fcntl(fds[0], F_SETFL, ::fcntl(fds[0], F_GETFL) | O_NONBLOCK);
  std::unique_ptr<DatReader> r(new DatReader());
  r->name_ = path;
  r->child_ = pid;
  r->fd_ = fds[0];
  r->opt_ = options;
  // The first message says whether libtracecmd could open the file.
  char type;
  if (!r->read_message(type, err)) return nullptr;
  if (type == kOpenFailed) {
    Cursor c(r->msg_, r->msg_len_);
    const char* what = "";
    c.str(what);
    err = ReadError{};
    err.file = path;
    err.expected = what;
    err.fatal = true;
    return nullptr;
  }
  if (type != kOpened) {
    err.expected = "the decoder's first message";
    return nullptr;
  }
  r->opened_ = true;
  return r;
}

DatReader::~DatReader() {
  if (fd_ >= 0) ::close(fd_);
  if (child_ > 0) {
    ::kill(child_, SIGKILL);
    int st;
    while (::waitpid(child_, &st, 0) < 0 && errno == EINTR) {
    }
  }
}

// Reads the next message into msg_. On failure (EOF, child death, timeout, garbage) fills a
// fatal err and reaps the child.
bool DatReader::read_message(char& type, ReadError& err) {
  // Makes `n` bytes available at in_[pos_, end_): 1 ok, 0 EOF, -1 error/timeout.
  auto want = [&](std::size_t n) -> int {
    while (end_ - pos_ < n) {
      if (in_.size() - pos_ < n || end_ == in_.size()) {  // move the unread part to the front
        std::memmove(in_.data(), in_.data() + pos_, end_ - pos_);
        end_ -= pos_;
        pos_ = 0;
        if (in_.size() < n) in_.resize(std::max<std::size_t>(n, 2 * in_.size()));
      }
      ssize_t k = ::read(fd_, in_.data() + end_, in_.size() - end_);
      if (k > 0) {
        end_ += static_cast<std::size_t>(k);
        continue;
      }
      if (k == 0) return 0;
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
      pollfd p{fd_, POLLIN, 0};
      int pr = ::poll(&p, 1, opt_.timeout_ms > 0 ? opt_.timeout_ms : -1);
      if (pr < 0 && errno == EINTR) continue;
      if (pr < 0) return -1;
      if (pr == 0) return -1;
    }
    return 1;
  };
  if (in_.empty()) in_.resize(1u << 20);
  int rc = want(5);
  std::uint32_t len = 0;
  char t = 0;
  if (rc == 1) {
    t = in_[pos_];
    std::memcpy(&len, in_.data() + pos_ + 1, 4);
    if (len > kMaxMessage) rc = -2;
  }
  if (rc == 1) rc = want(5 + static_cast<std::size_t>(len));
  if (rc == 1) {
    type = t;
    msg_ = in_.data() + pos_ + 5;  // valid until the next read_message
    msg_len_ = len;
    pos_ += 5 + static_cast<std::size_t>(len);
    return true;
  }
  // The decoder died, hung or spoke nonsense: say how, then reap it.
  err = ReadError{};
  err.file = name_;
  err.line = opened_ ? index_ + 1 : 0;
  err.fatal = true;
  bool timed_out = rc == -1;
  if (timed_out) ::kill(child_, SIGKILL);
  int st = 0;
  while (::waitpid(child_, &st, 0) < 0 && errno == EINTR) {
  }
  child_ = -1;
  std::string how;
  if (timed_out && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
    how = "no record for " + std::to_string(opt_.timeout_ms) + " ms (libtracecmd hung)";
  else if (WIFSIGNALED(st))
    how = "libtracecmd/libtraceevent crashed (" + signal_name(WTERMSIG(st)) + ")";
  else if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
    how = "the decoder exited with status " + std::to_string(WEXITSTATUS(st));
  else
    how = "the decoder stopped without an end marker";
  err.expected = opened_ ? "a well-formed trace.dat record; " + how + " after " +
                               std::to_string(index_) + " records"
                         : "a trace.dat libtracecmd can open; " + how + " while opening it";
  return false;
}

ReadStatus DatReader::next(Record& out, ReadError& err) {
  if (have_held_) {
    have_held_ = false;
    std::swap(out, held_);
    return ReadStatus::record;
  }
  if (done_) return ReadStatus::end;
  char type;
  if (!read_message(type, err)) {
    done_ = true;
    return ReadStatus::error;
  }
  auto fail = [&](std::string what) {
    done_ = true;
    err = ReadError{};
    err.file = name_;
    err.line = index_;
    err.expected = std::move(what);
    err.fatal = true;
    return ReadStatus::error;
  };
  if (type == kEnd) {
    done_ = true;
    int st = 0;
    while (::waitpid(child_, &st, 0) < 0 && errno == EINTR) {
    }
    child_ = -1;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
      return fail("a clean end of the trace.dat decoder (status " + std::to_string(st) + ")");
    return ReadStatus::end;
  }
  ++index_;
  if (type == kError) {
    Cursor c(msg_, msg_len_);
    const char* what = "";
    c.str(what);
    return fail(what);
  }
  if (type != kRecord) return fail("a record message from the trace.dat decoder");

  Cursor c(msg_, msg_len_);
  std::uint32_t cpu, pid, flags, nr;
  std::uint64_t ts, missed_u, ip, func, ret_ip, ip_off, ret_off;
  const char *comm, *system, *name, *lat, *info, *ip_sym, *func_sym, *ret_sym;
  bool ok = c.u32(cpu) && c.u64(ts) && c.u32(pid) && c.u64(missed_u) && c.u32(flags) &&
            c.u64(ip) && c.u64(func) && c.u64(ret_ip) && c.u64(ip_off) && c.u64(ret_off) &&
            c.str(comm) && c.str(system) && c.str(name) && c.str(lat) && c.str(info) &&
            c.str(ip_sym) && c.str(func_sym) && c.str(ret_sym) && c.u32(nr);
  if (!ok) return fail("a complete record message from the trace.dat decoder");
  const auto missed = static_cast<std::int64_t>(missed_u);

  Record& ev = missed != 0 ? held_ : out;
  ev.clear();
  ev.file.assign(name_);
  ev.line = index_;
  ev.kind = RecordKind::event;
  ev.comm.assign(*comm ? comm : "<...>");
  ev.pid = static_cast<std::int32_t>(pid);
  ev.cpu = static_cast<std::int32_t>(cpu);
  ev.ts_ns = ts;
  // Microseconds rounded to nearest, as the kernel (ns2usecs) and trace-cmd report print.
  char tsbuf[48];
  const std::uint64_t us = (ts + 500) / 1000;
  {  // "%llu.%06llu" of seconds and microseconds
    char* e = tsbuf + sizeof tsbuf;
    char* q = e;
    std::uint64_t frac = us % 1000000, sec = us / 1000000;
    for (int i = 0; i < 6; ++i, frac /= 10) *--q = static_cast<char>('0' + frac % 10);
    *--q = '.';
    do {
      *--q = static_cast<char>('0' + sec % 10);
      sec /= 10;
    } while (sec);
    ev.timestamp.assign(q, static_cast<std::size_t>(e - q));
  }
  std::string_view fl = lat;
  while (!fl.empty() && fl.back() == ' ') fl.remove_suffix(1);
  while (!fl.empty() && fl.front() == ' ') fl.remove_prefix(1);
  ev.flags.assign(fl);
  ev.system.assign(system);
  ev.name.assign(name);
  ev.body.assign(info);
  if (flags & kUnknown)
    return fail("an event id with a format in the file (the record's event is unknown)");
  for (std::uint32_t i = 0; i < nr; ++i) {
    const char *k, *v;
    if (!c.str(k) || !c.str(v)) return fail("a complete record message from the trace.dat decoder");
    ev.fields.add(k, v);
  }
  if (!c.done()) return fail("a record message of the announced size");
  if (flags & (kHasIp | kHasFunc | kHasRetIp)) {
    ProbePrefix& p = ev.probe;
    p.present = true;
    char a[64];
    if (flags & (kHasFunc | kHasRetIp)) {
      p.is_return = true;
      if (flags & kHasRetIp) {
        p.location_address = ret_ip;
        if (flags & kRetSym) {
          p.location = ret_sym;
          p.location_offset = ret_off;
        }
      }
      if (flags & kHasFunc) {
        p.function_address = func;
        if (flags & kFuncSym) p.function = func_sym;
      }
      // as trace-cmd report prints it (print fmt order: function first)
      char* e = put_hex(a, func);
      std::memcpy(e, " <- ", 4);
      e = put_hex(e + 4, ret_ip);
      *e = '\0';
    } else {
      p.location_address = ip;
      if (flags & kIpSym) {
        p.location = ip_sym;
        p.location_offset = ip_off;
      }
      *put_hex(a, ip) = '\0';
    }
    p.text = a;
  }
  if (missed == 0) return ReadStatus::record;
  // A lost-events marker first, then the held event.
  have_held_ = true;
  out.clear();
  out.kind = RecordKind::lost_events;
  out.file.assign(name_);
  out.line = index_;
  out.cpu = static_cast<std::int32_t>(cpu);
  out.ts_ns = ts;
  out.timestamp = held_.timestamp;
  if (missed > 0) {
    out.lost = static_cast<std::uint64_t>(missed);
    out.text = "CPU:" + std::to_string(cpu) + " [" + std::to_string(missed) + " EVENTS DROPPED]";
  } else {
    out.text = "CPU:" + std::to_string(cpu) + " [EVENTS DROPPED]";
  }
  return ReadStatus::record;
}

}  // namespace unpop::traces
