#include "model/case/op.h"

#include <charconv>
#include <sstream>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

namespace unpop {
namespace {

std::uint64_t num(const std::string& s, const char* what) {
  std::uint64_t v = 0;
  const char* b = s.data();
  const char* e = s.data() + s.size();
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    b += 2;
    base = 16;
  }
  auto [p, ec] = std::from_chars(b, e, v, base);
  if (ec != std::errc() || p != e || b == e)
    throw std::invalid_argument(fmt::format("expected {} (a number), got '{}'", what, s));
  return v;
}

int parse_ref(const std::string& s) {
  if (s.size() < 2 || s[0] != '#') throw std::invalid_argument(fmt::format("expected #K (an op index), got '{}'", s));
  return static_cast<int>(num(s.substr(1), "an op index after #"));
}

Range range(const std::string& s) {
  auto dash = s.find('-');
  if (dash == std::string::npos) throw std::invalid_argument(fmt::format("expected START-END, got '{}'", s));
  Range r{num(s.substr(0, dash), "a start address"), num(s.substr(dash + 1), "an end address")};
  if (r.end < r.start) throw std::invalid_argument(fmt::format("range {} ends before it starts", s));
  return r;
}

}  // namespace

Op parse_op(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> w;
  for (std::string t; in >> t;) w.push_back(t);
  if (w.empty()) throw std::invalid_argument("expected an operation");
  Op op;
  std::size_t i = 0;
  if (w[0].size() > 1 && w[0][0] == '@') {
    op.caller = static_cast<int>(num(w[0].substr(1), "a caller number after @"));
    if (op.caller > 1) throw std::invalid_argument("only callers @0 and @1 exist");
    ++i;
  }
  if (i >= w.size()) throw std::invalid_argument("expected an operation after the caller");
  const std::string verb = w[i++];
  auto need = [&](std::size_t n, const char* usage) {
    if (w.size() - i < n) throw std::invalid_argument(fmt::format("expected: {}", usage));
  };
  auto slice = [&]() {
    if (w.size() - i >= 2) {
      op.offset = num(w[i++], "a page offset");
      op.count = num(w[i++], "a page count");
    }
  };
  if (verb == "alloc") {
    need(1, "alloc N");
    op.kind = Op::Kind::alloc;
    op.nr = num(w[i++], "a page count");
  } else if (verb == "dma_alloc") {
    need(1, "dma_alloc N [DEV] [mask=BITS]");
    op.kind = Op::Kind::dma_alloc;
    op.nr = num(w[i++], "a page count");
    for (; i < w.size(); ++i) {
      if (w[i].rfind("mask=", 0) == 0) {
        op.mask_bits = static_cast<unsigned>(num(w[i].substr(5), "mask bits"));
        if (op.mask_bits < 12 || op.mask_bits > 64) throw std::invalid_argument("mask bits must be 12..64");
      } else {
        op.dev = w[i];
      }
    }
  } else if (verb == "free" || verb == "dma_free") {
    need(1, "free #K [OFFSET COUNT]");
    op.kind = verb == "free" ? Op::Kind::free : Op::Kind::dma_free;
    op.ref = parse_ref(w[i++]);
    slice();
  } else if (verb == "free_pfn" || verb == "dma_free_pfn") {
    need(2, "free_pfn PFN N");
    op.kind = verb == "free_pfn" ? Op::Kind::free_pfn : Op::Kind::dma_free_pfn;
    op.pfn = num(w[i++], "a pfn");
    op.nr = num(w[i++], "a page count");
  } else if (verb == "fail") {
    need(1, "fail POINT [NTH]");
    op.kind = Op::Kind::fail;
    if (!parse_fault_point(w[i], op.point)) {
      std::string names;
      for (const auto& n : fault_point_names()) names += " " + n;
      throw std::invalid_argument(fmt::format("unknown fault point '{}'; expected one of:{}", w[i], names));
    }
    ++i;
    if (i < w.size()) op.nth = static_cast<unsigned>(num(w[i++], "which hit (1 = the next)"));
  } else if (verb == "claim") {
    need(2, "claim START-END NAME");
    op.kind = Op::Kind::claim;
    op.range = range(w[i++]);
    op.name = w[i++];
  } else if (verb == "hotplug") {
    need(1, "hotplug START-END");
    op.kind = Op::Kind::hotplug;
    op.range = range(w[i++]);
  } else if (verb == "drain") {
    op.kind = Op::Kind::drain;
  } else {
    throw std::invalid_argument(fmt::format(
        "unknown operation '{}'; expected alloc, free, dma_alloc, dma_free, free_pfn, dma_free_pfn, fail, claim, "
        "hotplug or drain",
        verb));
  }
  if (i != w.size()) throw std::invalid_argument(fmt::format("unexpected '{}' at the end of the line", w[i]));
  return op;
}

std::string Op::text() const {
  std::string pre = caller ? fmt::format("@{} ", caller) : "";
  std::string sl = count ? fmt::format(" {} {}", offset, *count) : "";
  switch (kind) {
    case Kind::alloc: return fmt::format("{}alloc {}", pre, nr);
    case Kind::dma_alloc:
      return fmt::format("{}dma_alloc {} {}{}", pre, nr, dev, mask_bits != 64 ? fmt::format(" mask={}", mask_bits) : "");
    case Kind::free: return fmt::format("{}free #{}{}", pre, ref, sl);
    case Kind::dma_free: return fmt::format("{}dma_free #{}{}", pre, ref, sl);
    case Kind::free_pfn: return fmt::format("{}free_pfn {:#x} {}", pre, pfn, nr);
    case Kind::dma_free_pfn: return fmt::format("{}dma_free_pfn {:#x} {}", pre, pfn, nr);
    case Kind::fail: return fmt::format("{}fail {}{}", pre, to_string(point), nth != 1 ? fmt::format(" {}", nth) : "");
    case Kind::claim: return fmt::format("{}claim {:#x}-{:#x} {}", pre, range.start, range.end, name);
    case Kind::hotplug: return fmt::format("{}hotplug {:#x}-{:#x}", pre, range.start, range.end);
    case Kind::drain: return pre + "drain";
  }
  return "?";
}

}  // namespace unpop
