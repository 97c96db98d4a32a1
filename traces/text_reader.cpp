#include "traces/text_reader.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace unpop::traces {

namespace {

constexpr std::size_t npos = std::string_view::npos;

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_space(char c) { return c == ' ' || c == '\t'; }

std::size_t skip_spaces(std::string_view s, std::size_t i) {
  while (i < s.size() && is_space(s[i])) ++i;
  return i;
}

std::size_t token_end(std::string_view s, std::size_t i) {
  while (i < s.size() && !is_space(s[i])) ++i;
  return i;
}

std::string_view trim(std::string_view s) {
  std::size_t b = skip_spaces(s, 0);
  std::size_t e = s.size();
  while (e > b && is_space(s[e - 1])) --e;
  return s.substr(b, e - b);
}

std::string_view excerpt(std::string_view s, std::size_t from, std::size_t n = 40) {
  if (from >= s.size()) return "end of line";
  return s.substr(from, n);
}

// Small helper that fills a ReadError and returns false.
struct Fail {
  ReadError& err;
  std::string_view line;
  bool operator()(std::size_t col0, std::string_view expected) const {
    err.column = col0 + 1;
    err.expected.assign(expected);
    err.found.assign(excerpt(line, col0));
    err.fatal = false;
    return false;
  }
};

std::optional<std::uint64_t> parse_dec(std::string_view s) {
  if (s.size() > 20) return std::nullopt;
  return parse_dec_u64(s);
}

// `12345.678901` -> ns; also integer timestamps (counter clocks).
bool parse_timestamp(std::string_view s, std::uint64_t& ns) {
  std::size_t dot = s.find('.');
  std::string_view sec = s.substr(0, dot);
  auto secv = parse_dec(sec);
  if (!secv) return false;
  if (dot == npos) {
    ns = *secv;
    return true;
  }
  std::string_view frac = s.substr(dot + 1);
  if (frac.empty() || frac.size() > 9) return false;
  auto fv = parse_dec(frac);
  if (!fv) return false;
  std::uint64_t scale = 1;
  for (std::size_t i = frac.size(); i < 9; ++i) scale *= 10;
  if (*secv > (UINT64_MAX - 999999999ULL) / 1000000000ULL) return false;
  ns = *secv * 1000000000ULL + *fv * scale;
  return true;
}

bool is_flag_char(char c) {
  // irqs-off: d D b X . ; need-resched: N n p P l L B b . ; hardirq/softirq: Z z H h s S . ;
  // preempt-depth: 0-9 a-f . ; migrate-disable: 0-9 . ; `+` appears in some kernels' delay
  switch (c) {
    case '.': case 'd': case 'D': case 'b': case 'X': case 'N': case 'n': case 'p':
    case 'P': case 'l': case 'L': case 'B': case 'Z': case 'z': case 'H': case 'h':
    case 's': case 'S': case 'a': case 'c': case 'e': case 'f': case '+': case '!':
      return true;
    default:
      return is_digit(c);
  }
}

bool looks_like_flags(std::string_view t) {
  if (t.size() != 4 && t.size() != 5) return false;
  for (char c : t)
    if (!is_flag_char(c)) return false;
  return true;
}

bool all_hex(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!(is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  return true;
}

bool is_key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' ||
         c == '.' || c == '-' || c == '[' || c == ']' || c == '>' || c == '$';
}

// One side of a probe prefix: `sym+0xoff/0xsize [mod]`, `sym`, `sym <ffff..>`, `0x55ae..`,
// `ffff8000..` (trace-cmd raw). Returns false if it is none of these.
bool parse_probe_side(std::string_view s, std::string& sym, std::optional<std::uint64_t>& off,
                      std::optional<std::uint64_t>& size, std::optional<std::uint64_t>& addr,
                      std::string& mod) {
  s = trim(s);
  if (s.empty()) return false;
  // trailing ` [module]`
  if (s.back() == ']') {
    std::size_t lb = s.rfind(" [");
    if (lb == npos) return false;
    std::string_view m = s.substr(lb + 2, s.size() - lb - 3);
    if (m.empty() || m.find_first_of(" []") != npos) return false;
    mod.assign(m);
    s = trim(s.substr(0, lb));
  }
  // trailing ` <ffffffff81234567>` (sym-addr option)
  if (s.back() == '>') {
    std::size_t lb = s.rfind(" <");
    if (lb == npos) return false;
    auto a = parse_hex_u64(s.substr(lb + 2, s.size() - lb - 3));
    if (!a) return false;
    addr = a;
    s = trim(s.substr(0, lb));
  }
  if (s.find(' ') != npos) return false;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    auto a = parse_hex_u64(s);
    if (!a) return false;
    addr = a;
    return true;
  }
  if (s.size() >= 8 && all_hex(s)) {  // trace-cmd report: raw `%lx` address
    addr = parse_hex_u64(s);
    return addr.has_value();
  }
  std::size_t plus = s.find('+');
  std::string_view name = s.substr(0, plus);
  if (name.empty()) return false;
  for (char c : name)
    if (c == '(' || c == ')' || c == '=' || c == '"' || c == '/') return false;
  sym.assign(name);
  if (plus == npos) return true;
  std::string_view rest = s.substr(plus + 1);
  std::size_t slash = rest.find('/');
  off = parse_u64(rest.substr(0, slash));
  if (!off) return false;
  if (slash != npos) {
    size = parse_u64(rest.substr(slash + 1));
    if (!size) return false;
  }
  return true;
}

// `ffff800080957a78`: the raw `%lx` of trace-cmd report (not `0x...`, not a symbol).
bool is_bare_address(std::string_view s) { return s.size() >= 8 && all_hex(s); }

bool parse_probe_prefix(std::string_view inner, ProbePrefix& p) {
  p.clear();
  p.text.assign(inner);
  std::size_t arrow = inner.find(" <- ");
  if (arrow == npos) {
    if (!parse_probe_side(inner, p.location, p.location_offset, p.location_size,
                          p.location_address, p.location_module))
      return false;
  } else {
    p.is_return = true;
    std::optional<std::uint64_t> foff, fsize;
    std::string_view left = trim(inner.substr(0, arrow)), right = trim(inner.substr(arrow + 4));
    // The kernel's own text output prints the caller first: kretprobes `(caller+off/size <-
    // func)`, uretprobes `(0xCALLER <- 0xFUNC)`. `trace-cmd report` prints the event's print
    // fmt instead, `"(%lx <- %lx)", REC->__probe_func, REC->__probe_ret_ip`: bare hex, the
    // probed function first (verified on real captures, traces/fixtures/recorded/).
    if (is_bare_address(left) && is_bare_address(right)) std::swap(left, right);
    if (!parse_probe_side(left, p.location, p.location_offset, p.location_size,
                          p.location_address, p.location_module) ||
        !parse_probe_side(right, p.function, foff, fsize, p.function_address, p.function_module))
      return false;
  }
  p.present = true;
  return true;
}

// Body after `name: `. Strict: only key=value tokens. Returns false (err filled) on error.
bool parse_body(std::string_view line, std::size_t pos, Record& rec, bool strict,
                const Fail& fail) {
  std::string_view s = line;
  // trailing whitespace is not part of the body
  std::size_t end = s.size();
  while (end > pos && is_space(s[end - 1])) --end;
  s = s.substr(0, end);
  rec.body.assign(s.substr(pos));
  std::size_t i = pos;
  if (i < s.size() && s[i] == '(') {
    std::size_t close = s.find(')', i);
    bool ok = close != npos && (close + 1 == s.size() || is_space(s[close + 1])) &&
              parse_probe_prefix(s.substr(i + 1, close - i - 1), rec.probe);
    if (ok) {
      i = close + 1;
    } else {
      rec.probe.clear();
      if (strict)
        return fail(i, "probe prefix '(sym+0xOFF/0xSIZE)', '(caller+0xOFF/0xSIZE <- func)', "
                       "'(0xADDR)' or '(ADDR <- ADDR)' followed by a space");
      rec.fields_complete = false;
      i = token_end(s, i);
    }
  }
  while (true) {
    i = skip_spaces(s, i);
    if (i >= s.size()) break;
    std::size_t k = i;
    while (k < s.size() && is_key_char(s[k])) ++k;
    if (k == i || k >= s.size() || s[k] != '=') {
      if (strict) return fail(i, "key=value");
      rec.fields_complete = false;
      i = token_end(s, i);
      continue;
    }
    std::string_view key = s.substr(i, k - i);
    std::size_t v = k + 1, ve;
    if (v < s.size() && s[v] == '"') {
      ve = v + 1;
      while (ve < s.size() && s[ve] != '"') ve += (s[ve] == '\\' && ve + 1 < s.size()) ? 2 : 1;
      if (ve >= s.size()) {
        if (strict) return fail(v, "closing '\"' of the quoted value");
        rec.fields_complete = false;
        break;
      }
      ++ve;
    } else if (v < s.size() && s[v] == '{') {  // kprobe array fetch: {0x1,0x2}
      ve = s.find('}', v);
      if (ve == npos) {
        if (strict) return fail(v, "closing '}' of the array value");
        rec.fields_complete = false;
        break;
      }
      ++ve;
    } else {
      ve = token_end(s, v);
    }
    if (ve < s.size() && !is_space(s[ve])) {
      if (strict) return fail(ve, "a space after the value of '" + std::string(key) + "'");
      rec.fields_complete = false;
      i = token_end(s, ve);
      continue;
    }
    rec.fields.add(key, s.substr(v, ve - v));
    i = ve;
  }
  return true;
}

// `CPU:2 [LOST 123 EVENTS]`, `CPU:2 [LOST EVENTS]` (kernel, count unknown),
// `CPU:2 [123 EVENTS DROPPED]`, `CPU:2 [EVENTS DROPPED]` (trace-cmd report).
bool parse_lost(std::string_view s, Record& rec, const Fail& fail) {
  std::size_t i = 4, j = i;
  while (j < s.size() && is_digit(s[j])) ++j;
  auto cpu = parse_dec(s.substr(i, j - i));
  if (!cpu || *cpu > INT32_MAX) return fail(i, "CPU number after 'CPU:'");
  rec.cpu = static_cast<std::int32_t>(*cpu);
  std::string_view rest = trim(s.substr(j));
  if (rest == "[EVENTS DROPPED]" || rest == "[LOST EVENTS]") {  // count unknown
    rec.lost.reset();
  } else {
    std::string_view num;
    if (rest.starts_with("[LOST ") && rest.ends_with(" EVENTS]"))
      num = rest.substr(6, rest.size() - 6 - 8);
    else if (rest.starts_with("[") && rest.ends_with(" EVENTS DROPPED]"))
      num = rest.substr(1, rest.size() - 1 - 16);
    else
      return fail(j, "'[LOST N EVENTS]', '[LOST EVENTS]', '[N EVENTS DROPPED]' or "
                     "'[EVENTS DROPPED]'");
    auto n = parse_dec(num);
    if (!n) return fail(j, "a decimal event count in the lost-events marker");
    rec.lost = *n;
  }
  rec.kind = RecordKind::lost_events;
  return true;
}

// `# entries-in-buffer/entries-written: 16/20   #P:8`: 4 events were overwritten.
void parse_header_stats(std::string_view s, Record& rec) {
  constexpr std::string_view key = "entries-in-buffer/entries-written:";
  std::size_t k = s.find(key);
  if (k == npos) return;
  std::size_t i = skip_spaces(s, k + key.size());
  std::size_t slash = s.find('/', i);
  if (slash == npos) return;
  std::size_t e = token_end(s, slash);
  auto in_buf = parse_dec(s.substr(i, slash - i));
  auto written = parse_dec(s.substr(slash + 1, e - slash - 1));
  if (!in_buf || !written) return;
  rec.fields.add("entries_in_buffer", s.substr(i, slash - i));
  rec.fields.add("entries_written", s.substr(slash + 1, e - slash - 1));
  std::size_t p = s.find("#P:", e);
  if (p != npos) rec.fields.add("cpus", s.substr(p + 3, token_end(s, p + 3) - p - 3));
  if (*written > *in_buf) {
    rec.kind = RecordKind::lost_events;
    rec.lost = *written - *in_buf;
  }
}

bool is_report_header(std::string_view s) {
  // trace-cmd report: `version = 6`, `cpus=2`, `CPU 0 is empty`, `CPU 3 [EVENTS DROPPED]`-less
  if (s.starts_with("version = ")) return parse_dec(trim(s.substr(10))).has_value();
  if (s.starts_with("cpus=")) return parse_dec(trim(s.substr(5))).has_value();
  if (s.starts_with("CPU ") && s.ends_with(" is empty"))
    return parse_dec(s.substr(4, s.size() - 4 - 9)).has_value();
  return false;
}

// Tries to read the event header with the CPU column's '[' at `lb`. On success fills rec and
// sets `pos` to the start of the body.
bool parse_event_at(std::string_view s, std::size_t start, std::size_t lb, Record& rec,
                    std::size_t& pos, const Fail& fail) {
  // --- before '[': comm-pid [ (tgid) ] ---
  if (lb == 0 || !is_space(s[lb - 1])) return fail(lb, "a space before '[' CPU ']'");
  std::size_t e = lb;
  while (e > start && is_space(s[e - 1])) --e;
  if (e > start && s[e - 1] == ')') {
    std::size_t op = s.rfind('(', e - 1);
    if (op == npos || op < start) return fail(e - 1, "'(' opening the TGID column");
    std::string_view t = trim(s.substr(op + 1, e - 1 - op - 1));
    if (t.find_first_not_of('-') == npos && !t.empty()) {
      rec.tgid.reset();
    } else {
      auto tg = parse_dec(t);
      if (!tg) return fail(op, "TGID column '(  1234)' or '(-------)'");
      rec.tgid = static_cast<std::int64_t>(*tg);
    }
    e = op;
    while (e > start && is_space(s[e - 1])) --e;
  }
  std::size_t d = e;
  while (d > start && is_digit(s[d - 1])) --d;
  if (d == e || d == start || s[d - 1] != '-')
    return fail(start, "'comm-pid' before the CPU column");
  auto pid = parse_dec(s.substr(d, e - d));
  if (!pid || *pid > INT32_MAX) return fail(d, "a pid (decimal) after 'comm-'");
  if (d - 1 == start) return fail(start, "a non-empty comm before '-pid'");
  rec.comm.assign(s.substr(start, d - 1 - start));
  rec.pid = static_cast<std::int64_t>(*pid);

  // --- [cpu] ---
  std::size_t rb = lb + 1;
  while (rb < s.size() && is_digit(s[rb])) ++rb;
  if (rb == lb + 1 || rb >= s.size() || s[rb] != ']') return fail(lb, "'[' CPU number ']'");
  auto cpu = parse_dec(s.substr(lb + 1, rb - lb - 1));
  if (!cpu || *cpu > INT32_MAX) return fail(lb + 1, "a CPU number");
  rec.cpu = static_cast<std::int32_t>(*cpu);

  // --- [flags] timestamp: ---
  std::size_t i = skip_spaces(s, rb + 1);
  if (i == rb + 1) return fail(i, "a space after the CPU column");
  std::size_t te = token_end(s, i);
  std::string_view tok = s.substr(i, te - i);
  if (tok.empty()) return fail(i, "irq-flags or timestamp after the CPU column");
  if (tok.back() != ':') {
    if (!looks_like_flags(tok))
      return fail(i, "irq-flags column of 4 or 5 characters ('d..1', '.....') or "
                     "'SECONDS.FRACTION:' timestamp");
    rec.flags.assign(tok);
    i = skip_spaces(s, te);
    te = token_end(s, i);
    tok = s.substr(i, te - i);
  }
  if (tok.size() < 2 || tok.back() != ':' ||
      !parse_timestamp(tok.substr(0, tok.size() - 1), rec.ts_ns))
    return fail(i, "timestamp 'SECONDS.FRACTION:' (1 to 9 fractional digits)");
  rec.timestamp.assign(tok.substr(0, tok.size() - 1));

  // --- event name: ---
  i = skip_spaces(s, te);
  std::size_t ne = i;
  while (ne < s.size() && s[ne] != ':' && !is_space(s[ne])) ++ne;
  if (ne == i || ne >= s.size() || s[ne] != ':' ||
      (ne + 1 < s.size() && !is_space(s[ne + 1])))
    return fail(i, "event name followed by ':'");
  rec.name.assign(s.substr(i, ne - i));
  pos = skip_spaces(s, ne + 1);
  return true;
}

}  // namespace

bool TextReader::parse_line(std::string_view s, Record& rec, ReadError& err,
                            const TextReaderOptions& opt) {
  Fail fail{err, s};
  if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
  std::size_t start = skip_spaces(s, 0);
  if (start == s.size() || s[start] == '#' || is_report_header(s)) {
    rec.kind = RecordKind::comment;
    rec.text.assign(s);
    if (start < s.size() && s[start] == '#') parse_header_stats(s, rec);
    return true;
  }
  if (s.starts_with("CPU:")) {
    rec.text.assign(s);
    return parse_lost(s, rec, fail);
  }
  rec.kind = RecordKind::event;
  // The CPU column is the first `[digits]` after which the rest of the header parses; a comm
  // may itself contain '[' or " [1]", so try each candidate and keep the first error.
  ReadError first;
  bool have_first = false;
  std::size_t lb = s.find('[', start);
  if (lb == npos)
    return fail(start, "an event line 'comm-pid [cpu] flags timestamp: event: fields', "
                       "a '#' comment or 'CPU:N [LOST M EVENTS]'");
  for (; lb != npos; lb = s.find('[', lb + 1)) {
    std::size_t pos = 0;
    ReadError e2;
    Fail f2{e2, s};
    rec.tgid.reset();
    rec.flags.clear();
    if (parse_event_at(s, start, lb, rec, pos, f2)) {
      bool strict = false;
      for (const auto& p : opt.strict_prefixes)
        if (rec.name.starts_with(p)) strict = true;
      rec.fields.clear();
      rec.probe.clear();
      rec.fields_complete = true;
      return parse_body(s, pos, rec, strict, fail);
    }
    if (!have_first) {
      first = std::move(e2);
      have_first = true;
    }
  }
  err.column = first.column;
  err.expected = std::move(first.expected);
  err.found = std::move(first.found);
  err.fatal = false;
  return false;
}

TextReader::TextReader(std::string name, TextReaderOptions options)
    : name_(std::move(name)), opt_(std::move(options)) {
  if (opt_.chunk_size < 4096) opt_.chunk_size = 4096;
  if (opt_.max_line < 256) opt_.max_line = 256;
}

TextReader::~TextReader() {
  if (own_fd_ && fd_ >= 0) ::close(fd_);
}

std::unique_ptr<TextReader> TextReader::open(const std::string& path, ReadError& err,
                                             TextReaderOptions options) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    err = ReadError{};
    err.file = path;
    err.expected = "a readable file";
    err.found = std::strerror(errno);
    err.fatal = true;
    return nullptr;
  }
#ifdef POSIX_FADV_SEQUENTIAL
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
  std::unique_ptr<TextReader> r(new TextReader(path, std::move(options)));
  r->fd_ = fd;
  r->own_fd_ = true;
  return r;
}

std::unique_ptr<TextReader> TextReader::from_memory(std::string name, std::string_view data,
                                                    TextReaderOptions options) {
  std::unique_ptr<TextReader> r(new TextReader(std::move(name), std::move(options)));
  r->mem_ = data;
  return r;
}

std::unique_ptr<TextReader> TextReader::from_fd(std::string name, int fd,
                                                TextReaderOptions options) {
  std::unique_ptr<TextReader> r(new TextReader(std::move(name), std::move(options)));
  r->fd_ = fd;
  return r;
}

bool TextReader::fill(ReadError& err) {
  // Move the unconsumed tail to the front, then read one chunk after it.
  if (begin_ > 0) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (buf_.size() < end_ + opt_.chunk_size) buf_.resize(end_ + opt_.chunk_size);
  while (true) {
    ssize_t n = ::read(fd_, buf_.data() + end_, opt_.chunk_size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      err = ReadError{};
      err.file = name_;
      err.line = line_no_ + 1;
      err.expected = "readable data";
      err.found = std::strerror(errno);
      err.fatal = true;
      return false;
    }
    if (n == 0) eof_ = true;
    end_ += static_cast<std::size_t>(n);
    return true;
  }
}

// next() reads only when no newline is buffered (a line it is discarding may need more).
bool TextReader::ready() const {
  if (fd_ < 0 || done_ || eof_ || pending_truncation_) return true;
  return !discarding_ && end_ > begin_ && std::memchr(buf_.data() + begin_, '\n', end_ - begin_) != nullptr;
}

ReadStatus TextReader::next(Record& out, ReadError& err) {
  auto error = [&](std::uint64_t column, std::string expected, std::string_view found,
                   bool fatal) {
    err = ReadError{};
    err.file = name_;
    err.line = line_no_;
    err.column = column;
    err.expected = std::move(expected);
    err.found.assign(found.substr(0, 40));
    err.fatal = fatal;
    if (fatal) done_ = true;
    return ReadStatus::error;
  };
  // A literal, not a std::string: this runs for every line.
  static constexpr const char* truncated =
      "a newline: the file ends in the middle of a line (truncated trace)";
  if (pending_truncation_) {  // an over-long last line without its newline
    pending_truncation_ = false;
    return error(0, truncated, {}, true);
  }
  while (!done_) {
    // 1. Find the next line: `line` is all of it, or (fd input, over-long line) a piece.
    std::string_view line;
    bool complete = false;
    bool piece = false;  // fd input: the start of a line longer than the buffer allows
    if (fd_ < 0) {
      if (mem_pos_ >= mem_.size()) {
        done_ = true;
        break;
      }
      const char* b = mem_.data() + mem_pos_;
      const void* nl = std::memchr(b, '\n', mem_.size() - mem_pos_);
      std::size_t len = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - b)
                           : mem_.size() - mem_pos_;
      line = std::string_view(b, len);
      complete = nl != nullptr;
      mem_pos_ += len + (nl ? 1 : 0);
    } else {
      const void* nl = nullptr;
      while (true) {
        nl = end_ > begin_ ? std::memchr(buf_.data() + begin_, '\n', end_ - begin_) : nullptr;
        if (nl || eof_ || end_ - begin_ > opt_.max_line) break;
        if (!fill(err)) {
          done_ = true;
          return ReadStatus::error;
        }
      }
      const char* b = buf_.data() + begin_;
      if (nl) {
        std::size_t len = static_cast<std::size_t>(static_cast<const char*>(nl) - b);
        line = std::string_view(b, len);
        begin_ += len + 1;
        complete = true;
      } else {
        if (end_ == begin_) {  // clean end of input
          done_ = true;
          if (discarding_) return error(0, truncated, {}, true);
          break;
        }
        line = std::string_view(b, end_ - begin_);
        begin_ = end_;
        piece = !eof_;
      }
      if (discarding_) {  // the rest of an over-long line, already reported
        if (complete) discarding_ = false;
        else if (!piece) return error(0, truncated, {}, true);
        continue;
      }
      if (piece) discarding_ = true;
    }
    // 2. Check it.
    ++line_no_;
    if (line.size() > opt_.max_line) {
      if (!complete && !piece) pending_truncation_ = true;
      return error(0, "a line of at most " + std::to_string(opt_.max_line) + " bytes", line,
                   false);
    }
    if (!complete) return error(line.size() + 1, truncated, line, true);
    // 3. Parse it.
    out.clear();
    out.file.assign(name_);
    out.line = line_no_;
    err.file.assign(name_);
    err.line = line_no_;
    if (parse_line(line, out, err, opt_)) return ReadStatus::record;
    return ReadStatus::error;
  }
  return ReadStatus::end;
}

}  // namespace unpop::traces
