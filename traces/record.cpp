#include "traces/record.h"

#include <array>
#include <limits>

namespace unpop::traces {

std::string_view to_string(RecordKind k) {
  switch (k) {
    case RecordKind::event: return "event";
    case RecordKind::lost_events: return "lost-events";
    case RecordKind::comment: return "comment";
  }
  return "?";
}

namespace {

// Digit values for bases up to 16; 0xff for anything else.
constexpr auto kDigit = [] {
  std::array<unsigned char, 256> t{};
  for (auto& x : t) x = 0xff;
  for (int c = '0'; c <= '9'; ++c) t[static_cast<unsigned>(c)] = static_cast<unsigned char>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c) t[static_cast<unsigned>(c)] = static_cast<unsigned char>(c - 'a' + 10);
  for (int c = 'A'; c <= 'F'; ++c) t[static_cast<unsigned>(c)] = static_cast<unsigned char>(c - 'A' + 10);
  return t;
}();

int hex_digit(char c) {
  unsigned d = kDigit[static_cast<unsigned char>(c)];
  return d < 16 ? static_cast<int>(d) : -1;
}

// The base is a template parameter: the multiply is then a shift or a constant (every
// timestamp, pid and CPU column of a text trace comes through here).
template <unsigned base>
std::optional<std::uint64_t> parse_digits(std::string_view s) {
  if (s.empty()) return std::nullopt;
  // Up to 15 hex / 19 decimal digits cannot overflow: no checks in the common case.
  constexpr std::size_t safe = base == 16 ? 15 : 19;
  std::uint64_t v = 0;
  std::size_t i = 0;
  for (; i < s.size() && i < safe; ++i) {
    unsigned d = kDigit[static_cast<unsigned char>(s[i])];
    if (d >= base) return std::nullopt;
    v = v * base + d;
  }
  for (; i < s.size(); ++i) {
    unsigned d = kDigit[static_cast<unsigned char>(s[i])];
    if (d >= base) return std::nullopt;
    if (__builtin_mul_overflow(v, base, &v) || __builtin_add_overflow(v, d, &v))
      return std::nullopt;
  }
  return v;
}

}  // namespace

std::optional<std::uint64_t> parse_u64(std::string_view s) {
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    if (s.size() <= 17) {  // up to 15 digits: no overflow possible (the pfn= of every page event)
      std::uint64_t v = 0;
      for (std::size_t i = 2; i < s.size(); ++i) {
        unsigned d = kDigit[static_cast<unsigned char>(s[i])];
        if (d >= 16) return std::nullopt;
        v = v << 4 | d;
      }
      return v;
    }
    return parse_digits<16>(s.substr(2));
  }
  return parse_digits<10>(s);
}

std::optional<std::uint64_t> parse_hex_u64(std::string_view s) {
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s.remove_prefix(2);
  return parse_digits<16>(s);
}

std::optional<std::uint64_t> parse_dec_u64(std::string_view s) { return parse_digits<10>(s); }

std::optional<std::int64_t> parse_s64(std::string_view s) {
  bool neg = !s.empty() && s[0] == '-';
  if (neg) s.remove_prefix(1);
  auto u = parse_u64(s);
  if (!u) return std::nullopt;
  constexpr std::uint64_t max_pos = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (neg) {
    if (*u > max_pos + 1) return std::nullopt;
    if (*u == max_pos + 1) return std::numeric_limits<std::int64_t>::min();
    return -static_cast<std::int64_t>(*u);
  }
  if (*u > max_pos) return std::nullopt;
  return static_cast<std::int64_t>(*u);
}

std::optional<std::string> parse_quoted(std::string_view s) {
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') return std::nullopt;
  std::string out;
  out.reserve(s.size() - 2);
  for (std::size_t i = 1; i + 1 < s.size(); ++i) {
    char c = s[i];
    if (c == '"') return std::nullopt;  // unescaped quote inside
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;  // backslash escapes the closing quote
    char e = s[++i];
    switch (e) {
      case 'n': out.push_back('\n'); break;
      case 't': out.push_back('\t'); break;
      case 'r': out.push_back('\r'); break;
      case '\\': out.push_back('\\'); break;
      case '"': out.push_back('"'); break;
      case '\'': out.push_back('\''); break;
      case 'x': {
        int v = 0, n = 0;
        while (n < 2 && i + 2 < s.size() && hex_digit(s[i + 1]) >= 0) {
          v = v * 16 + hex_digit(s[++i]);
          ++n;
        }
        if (n == 0) return std::nullopt;
        out.push_back(static_cast<char>(v));
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          int v = e - '0', n = 1;
          while (n < 3 && i + 2 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '7') {
            v = v * 8 + (s[++i] - '0');
            ++n;
          }
          out.push_back(static_cast<char>(v & 0xff));
          break;
        }
        return std::nullopt;
    }
  }
  return out;
}

Field& FieldList::add(std::string_view key, std::string_view value) {
  if (n_ == items_.size()) items_.emplace_back();
  Field& f = items_[n_++];
  f.key.assign(key);
  f.value.assign(value);
  return f;
}


std::optional<std::uint64_t> FieldList::u64(std::string_view key) const {
  if (const Field* f = find(key)) return parse_u64(f->value);
  return std::nullopt;
}

std::optional<std::int64_t> FieldList::s64(std::string_view key) const {
  if (const Field* f = find(key)) return parse_s64(f->value);
  return std::nullopt;
}

std::optional<std::string> FieldList::str(std::string_view key) const {
  const Field* f = find(key);
  if (!f) return std::nullopt;
  if (!f->value.empty() && f->value.front() == '"') return parse_quoted(f->value);
  return f->value;
}

void ProbePrefix::clear() {
  present = false;
  is_return = false;
  text.clear();
  location.clear();
  location_offset.reset();
  location_size.reset();
  location_address.reset();
  location_module.clear();
  function.clear();
  function_address.reset();
  function_module.clear();
}

void Record::clear() {
  kind = RecordKind::event;
  line = 0;
  comm.clear();
  pid = -1;
  tgid.reset();
  cpu = -1;
  timestamp.clear();
  ts_ns = 0;
  flags.clear();
  system.clear();
  name.clear();
  probe.clear();
  fields.clear();
  body.clear();
  fields_complete = true;
  lost.reset();
  text.clear();
}

std::string Record::where() const { return file + ":" + std::to_string(line); }

std::string ReadError::message() const {
  std::string m = file;
  if (line != 0) {
    m += ':';
    m += std::to_string(line);
    if (column != 0) {
      m += ':';
      m += std::to_string(column);
    }
  }
  if (byte_offset) {
    m += ": at byte ";
    m += std::to_string(*byte_offset);
  }
  m += ": expected ";
  m += expected;
  if (!found.empty()) {
    m += "; found '";
    for (char c : found) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
        static const char hex[] = "0123456789abcdef";
        m += "\\x";
        m += hex[(static_cast<unsigned char>(c) >> 4) & 0xf];
        m += hex[static_cast<unsigned char>(c) & 0xf];
      } else {
        m += c;
      }
    }
    m += '\'';
  }
  return m;
}

}  // namespace unpop::traces
