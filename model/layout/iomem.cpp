// /proc/iomem dump -> Layout. The format is kernel/resource.c:r_show(): per resource,
// `depth * 2` spaces, "%0*llx-%0*llx : %s" (no 0x), children after their parent.
#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "model/layout/loaders.h"

namespace unpop {
namespace {

struct Entry {
  Range range;
  std::string name;
  std::size_t level = 0;
  std::size_t line = 0;
};

bool parse_hex(const std::string& s, Addr& out) {
  if (s.empty() || s.size() > 16) return false;
  Addr v = 0;
  for (char c : s) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
    v = (v << 4) | static_cast<Addr>(
                       std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : (std::tolower(c) - 'a' + 10));
  }
  out = v;
  return true;
}

class Parser {
 public:
  explicit Parser(const std::string& file) : file_(file) {}

  [[noreturn]] void fail(std::size_t line, const std::string& msg) const {
    throw LoadError{file_, line, msg};
  }

  // One "  start-end : name" line at 1-based `lineno`.
  Entry parse_line(const std::string& text, std::size_t lineno) const {
    std::size_t spaces = text.find_first_not_of(' ');
    if (text[spaces] == '\t') fail(lineno, "tab character: /proc/iomem indents with two spaces per level");
    if (spaces % 2)
      fail(lineno,
           fmt::format("indentation of {} spaces: expected a multiple of 2 (two per nesting level)", spaces));
    const std::size_t sep = text.find(" : ", spaces);
    if (sep == std::string::npos) fail(lineno, "expected `start-end : name` (missing \" : \")");
    const std::string span = text.substr(spaces, sep - spaces);
    const std::size_t dash = span.find('-');
    if (dash == std::string::npos)
      fail(lineno, fmt::format("expected `start-end` before \" : \", got `{}`", span));
    Entry e;
    if (!parse_hex(span.substr(0, dash), e.range.start))
      fail(lineno, fmt::format("start `{}` is not a hex address (expected up to 16 hex digits, no 0x)",
                               span.substr(0, dash)));
    if (!parse_hex(span.substr(dash + 1), e.range.end))
      fail(lineno, fmt::format("end `{}` is not a hex address (expected up to 16 hex digits, no 0x)",
                               span.substr(dash + 1)));
    if (e.range.end < e.range.start)
      fail(lineno, fmt::format("end {} is below start {}", hex(e.range.end), hex(e.range.start)));
    e.name = text.substr(sep + 3);
    while (!e.name.empty() && (e.name.back() == '\r' || e.name.back() == ' ')) e.name.pop_back();
    if (e.name.empty()) fail(lineno, "missing resource name after \" : \"");
    e.level = spaces / 2;
    e.line = lineno;
    return e;
  }

  // Nesting: a line is at most one level deeper than the previous one, and lies inside its
  // parent (kernel/resource.c never lets a child stick out of its parent).
  void nest(const Entry& e) {
    if (e.level > parents_.size())
      fail(e.line,
           fmt::format("indented {} levels but the previous entry is at level {}: expected at most {} spaces",
                       e.level, parents_.size() ? parents_.size() - 1 : 0, 2 * parents_.size()));
    parents_.resize(e.level);
    if (!parents_.empty() && !parents_.back().range.contains(e.range))
      fail(e.line,
           fmt::format("{} `{}` is not inside its parent {} `{}` (line {})", to_string(e.range), e.name,
                       to_string(parents_.back().range), parents_.back().name, parents_.back().line));
    parents_.push_back(e);
  }

 private:
  const std::string& file_;
  std::vector<Entry> parents_;
};

bool is_reserved_name(std::string n) {
  std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return std::tolower(c); });
  // x86 e820 types show up as "Reserved", "ACPI Tables", "ACPI Non-volatile Storage".
  return n == "reserved" || n == "acpi tables" || n == "acpi non-volatile storage";
}

void classify(Layout& l, const Entry& e) {
  if (e.level != 0) return;  // nested entries (Kernel code, rtc-pl031, ...) are informational
  if (e.name == "System RAM") {
    l.ram.push_back({e.range, e.name});
  } else if (is_reserved_name(e.name)) {
    l.reserved.push_back({e.range, e.name});
  } else if (e.name == "Xen scratch" || e.name == "Xen DMA pool") {
    l.preexisting_pool.push_back({e.range, e.name});
  } else if (e.name != "Unavailable space") {  // arch/arm/xen hole child: never top level really
    l.mmio.push_back({e.range, e.name});
  }
}

std::string basename(const std::string& path) {
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

Layout load_iomem_text(const std::string& name, const std::string& text, Arch arch) {
  Parser p(name);
  std::vector<Entry> entries;
  std::istringstream in(text);
  std::string line;
  for (std::size_t lineno = 1; std::getline(in, line); ++lineno) {
    if (line.find_first_not_of(" \r") == std::string::npos) continue;  // empty lines are fine
    entries.push_back(p.parse_line(line, lineno));
    p.nest(entries.back());
  }
  if (entries.empty()) throw LoadError{name, 0, "no `start-end : name` lines: not a /proc/iomem dump"};
  // Without CAP_SYS_ADMIN, /proc/iomem prints every address as zero (kernel/resource.c
  // r_show(): `if (file_ns_capable(..., CAP_SYS_ADMIN)) {start, end} else start = end = 0`).
  if (std::all_of(entries.begin(), entries.end(),
                  [](const Entry& e) { return e.range.start == 0 && e.range.end == 0; }))
    throw LoadError{name, entries.front().line,
                    "addresses are all zero: /proc/iomem was read without CAP_SYS_ADMIN (read it as root)"};
  Layout l;
  l.name = basename(name);
  l.source = "iomem " + name;
  l.arch = arch;
  // MAX_PHYSMEM_BITS: x86_64 46 (4-level paging); arm64 CONFIG_ARM64_PA_BITS, 48 by default.
  l.pa_bits = arch == Arch::x86_64 ? 46 : 48;
  for (const auto& e : entries) classify(l, e);
  return l;
}

Layout load_iomem(const std::string& path, Arch arch) {
  std::ifstream in(path);
  if (!in) throw LoadError{path, 0, "cannot open the /proc/iomem dump"};
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return load_iomem_text(path, text, arch);
}

}  // namespace unpop
