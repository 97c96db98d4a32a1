#include "traces/replay/decode.h"

#include <fmt/format.h>

#include "traces/replay/cursor.h"

namespace unpop::replay {

namespace {
constexpr std::string_view kEvNames[] = {"",
                                         "",
                                         "xen_unpop_region",
                                         "xen_unpop_init",
                                         "xen_unpop_alloc_page",
                                         "xen_unpop_free_page",
                                         "xen_unpop_dma_alloc_page",
                                         "xen_unpop_dma_free_page",
                                         "xen_unpop_fill_list",
                                         "xen_unpop_alloc",
                                         "xen_unpop_free",
                                         "xen_unpop_dma_alloc",
                                         "xen_unpop_dma_free"};
}  // namespace

std::string_view event_name(Ev e) { return kEvNames[static_cast<int>(e)]; }

Ev event_kind(std::string_view name) {
  // Called for every event: candidates by length (one or three per length), then one compare.
  Ev hit = Ev::other;
  switch (name.size()) {
    case 14: hit = name[10] == 'i' ? Ev::init : Ev::free; break;
    case 15: hit = Ev::alloc; break;
    case 16: hit = Ev::region; break;
    case 18: hit = Ev::dma_free; break;
    case 19: hit = name[10] == 'f' ? (name[11] == 'r' ? Ev::free_page : Ev::fill_list) : Ev::dma_alloc; break;
    case 20: hit = Ev::alloc_page; break;
    case 23: hit = Ev::dma_free_page; break;
    case 24: hit = Ev::dma_alloc_page; break;
    default: break;
  }
  if (hit != Ev::other && name == event_name(hit)) return hit;
  return name.size() >= 10 && name.compare(0, 10, "xen_unpop_") == 0 ? Ev::unknown : Ev::other;
}

// ---------------------------------------------------------------------------------------------
// Decoding: every field of the kind, no exception

Event::Num<std::uint64_t> Event::read_u64(const traces::Record& r, std::string_view key) {
  Num<std::uint64_t> n;
  if (auto raw = r.fields.raw(key)) {
    n.value = traces::parse_u64(*raw);
    n.malformed = !n.value;
  }
  return n;
}

Event::Num<std::int64_t> Event::read_s64(const traces::Record& r, std::string_view key) {
  Num<std::int64_t> n;
  if (auto raw = r.fields.raw(key)) {
    n.value = traces::parse_s64(*raw);
    n.malformed = !n.value;
  }
  return n;
}

// `pages={0xfffffc..,...}`: comma-separated struct page pointers, 0x hex, decimal or bare hex
// (kprobe fetch args print either).
void Event::read_pages(std::string_view raw) {
  pages_braced_ = raw.size() >= 2 && raw.front() == '{' && raw.back() == '}';
  if (!pages_braced_) return;
  std::string_view body = raw.substr(1, raw.size() - 2);
  while (!body.empty()) {
    auto comma = body.find(',');
    std::string_view tok = body.substr(0, comma);
    auto v = traces::parse_u64(tok);
    if (!v) v = traces::parse_hex_u64(tok);
    pages_.push_back(PagePointer{v, tok});
    if (comma == std::string_view::npos) break;
    body.remove_prefix(comma + 1);
  }
}

void decode(const traces::Record& r, Event& out) {
  out.kind = event_kind(r.name);
  out.rec = &r;
  out.nr_pages_ = out.start_ = out.end_ = out.list_count_ = out.pfn_ = out.page_ = {};
  out.ret_ = {};
  out.name_.reset();
  out.pool_.reset();
  out.label_.reset();
  out.has_pool_ = out.has_pages_ = out.pages_braced_ = false;
  out.dev_.clear();
  out.pages_.clear();
  switch (out.kind) {
    case Ev::region:
    case Ev::init:
      out.label_ = r.fields.str(out.kind == Ev::region ? "kind" : "target");
      out.start_ = Event::read_u64(r, "start");
      out.end_ = Event::read_u64(r, "end");
      if (out.kind == Ev::init) out.ret_ = Event::read_s64(r, "ret");
      break;
    case Ev::alloc_page:
    case Ev::free_page:
    case Ev::dma_alloc_page:
    case Ev::dma_free_page:
      // pfn= wins; page= is read only without it (a malformed pfn= is the error).
      out.pfn_ = Event::read_u64(r, "pfn");
      if (!out.pfn_.value && !out.pfn_.malformed) out.page_ = Event::read_u64(r, "page");
      break;
    case Ev::fill_list:
      out.nr_pages_ = Event::read_u64(r, "nr_pages");
      out.start_ = Event::read_u64(r, "start");
      out.end_ = Event::read_u64(r, "end");
      out.ret_ = Event::read_s64(r, "ret");
      out.list_count_ = Event::read_u64(r, "list_count");
      out.name_ = r.fields.str("name");
      out.pool_ = r.fields.str("pool");
      out.has_pool_ = r.fields.has("pool");
      break;
    case Ev::alloc:
    case Ev::dma_alloc:
    case Ev::free:
    case Ev::dma_free: {
      const bool alloc = out.kind == Ev::alloc || out.kind == Ev::dma_alloc;
      out.nr_pages_ = Event::read_u64(r, "nr_pages");
      if (alloc) out.ret_ = Event::read_s64(r, "ret");
      out.list_count_ = Event::read_u64(r, "list_count");
      if (out.kind == Ev::dma_alloc || out.kind == Ev::dma_free) {
        auto dev = r.fields.str("dev");
        out.dev_ = dev ? std::move(*dev) : std::string("dma");
      }
      if (!alloc) {
        auto raw = r.fields.raw("pages");
        out.has_pages_ = raw.has_value();
        if (raw) out.read_pages(*raw);
      }
      break;
    }
    case Ev::other:
    case Ev::unknown: break;
  }
}

// ---------------------------------------------------------------------------------------------
// Accessors and the contract's errors

Path Event::path() const {
  switch (kind) {
    case Ev::dma_alloc_page:
    case Ev::dma_free_page:
    case Ev::dma_alloc:
    case Ev::dma_free: return Path::dma;
    default: return Path::plain;
  }
}

Where Event::where() const { return where_of(*rec); }

void Event::fail(std::string message) const { throw InputError{rec->file, rec->line, std::move(message)}; }

void Event::malformed_u64(std::string_view key) const {
  fail(fmt::format("{}: expected {}=NUMBER (0x hex or decimal), found {}={}", rec->name, key, key,
                   *rec->fields.raw(key)));
}

void Event::malformed_s64(std::string_view key) const {
  fail(fmt::format("{}: expected {}=INTEGER, found {}={}", rec->name, key, key, *rec->fields.raw(key)));
}

std::uint64_t Event::required(const Num<std::uint64_t>& n, std::string_view key) const {
  auto v = u64(n, key);
  if (!v) fail(fmt::format("{}: expected a {}= field", rec->name, key));
  return *v;
}

RegionFields Event::region() const {
  RegionFields f;
  f.range.start = required(start_, "start");
  f.range.end = required(end_, "end");
  if (!label_ || (*label_ != "ext" && *label_ != "unavailable"))
    fail("xen_unpop_region: expected kind=ext or kind=unavailable");
  f.ext = *label_ == "ext";
  return f;
}

InitFields Event::init() const {
  InitFields f;
  if (label_ == "xen_resource") f.target = Target::xen_resource;
  else if (label_ == "iomem_resource") f.target = Target::iomem;
  else if (label_ == "none") f.target = Target::none;
  else fail("xen_unpop_init: expected target=xen_resource|iomem_resource|none");
  f.start = required(start_, "start");
  f.end = required(end_, "end");
  auto ret = this->ret();
  if (!ret) fail("xen_unpop_init: expected a ret= field");
  f.ret = *ret;
  return f;
}

void Event::require_alloc_fields() const {
  if (!probe() && (!nr_pages_.value || !ret_.value))
    fail(fmt::format("{}: expected nr_pages= and ret= fields", rec->name));
}

void Event::require_free_fields() const {
  if (!probe() && !nr_pages_.value) fail(fmt::format("{}: expected a nr_pages= field", rec->name));
}

void Event::require_growth_fields() const {
  if (!probe() && (!nr_pages_.value || !start_.value || !end_.value || !ret_.value))
    fail("xen_unpop_fill_list: expected nr_pages=, start=, end= and ret= fields");
}

void Event::missing_page() const { fail(fmt::format("{}: expected a pfn= or page= field", rec->name)); }

}  // namespace unpop::replay
