// The declarative layout file (docs/layout-file.md): JSON in, Layout out, and back.
// Every error names the JSON path of the offending value ("ram[2].end"), so a user can find it.
#include <algorithm>
#include <cctype>
#include <fstream>
#include <initializer_list>
#include <iterator>

#include <fmt/format.h>

#include "model/layout/layout_json.h"
#include "model/layout/loaders.h"
#include "model/xen/extended_regions.h"

namespace unpop {
namespace {

using nlohmann::json;

std::string join(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}
std::string index(const std::string& path, std::size_t i) { return fmt::format("{}[{}]", path, i); }

class Reader {
 public:
  explicit Reader(const std::string& file) : file_(file) {}

  [[noreturn]] void fail(const std::string& path, const std::string& msg) const {
    throw LoadError{file_, 0, path.empty() ? msg : path + ": " + msg};
  }

  // Typos must not silently drop a field: every object lists the keys it knows.
  void keys(const json& j, const std::string& path, std::initializer_list<const char*> allowed) const {
    if (!j.is_object()) fail(path, fmt::format("expected an object, got {}", j.type_name()));
    for (const auto& item : j.items()) {
      const std::string& k = item.key();  // not a structured binding: clang 14 cannot capture one
      if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return k == a; }))
        fail(join(path, k), fmt::format("unknown key (expected one of: {})", fmt::join(allowed, ", ")));
    }
  }

  std::uint64_t u64(const json& j, const std::string& path) const {
    if (j.is_number_unsigned()) return j.get<std::uint64_t>();
    if (j.is_number_integer())
      fail(path, fmt::format("{} is negative: expected an address or size", j.dump()));
    if (!j.is_string())
      fail(path, fmt::format("expected a number or a string like \"0x40000000\" or \"64M\", got {}",
                             j.type_name()));
    return parse_number(j.get<std::string>(), path);
  }

  unsigned bits(const json& j, const std::string& path, unsigned lo, unsigned hi) const {
    std::uint64_t v = u64(j, path);
    if (v < lo || v > hi) fail(path, fmt::format("{} is out of range: expected {}..{}", v, lo, hi));
    return static_cast<unsigned>(v);
  }

  bool boolean(const json& j, const std::string& path) const {
    if (!j.is_boolean()) fail(path, fmt::format("expected true or false, got {}", j.dump()));
    return j.get<bool>();
  }

  std::string string(const json& j, const std::string& path) const {
    if (!j.is_string()) fail(path, fmt::format("expected a string, got {}", j.type_name()));
    return j.get<std::string>();
  }

  // {start, end} or {start, size}, optionally with a name; ends are inclusive.
  NamedRange range(const json& j, const std::string& path, const std::string& default_name) const {
    keys(j, path, {"start", "end", "size", "name"});
    if (!j.contains("start")) fail(join(path, "start"), "missing: every range needs a start");
    const Addr start = u64(j["start"], join(path, "start"));
    const bool has_end = j.contains("end"), has_size = j.contains("size");
    if (has_end == has_size) fail(path, "give exactly one of `end` (inclusive) and `size`");
    Range r{start, 0};
    if (has_end) {
      r.end = u64(j["end"], join(path, "end"));
      if (r.end < start) fail(join(path, "end"), fmt::format("{} is below start {}", hex(r.end), hex(start)));
    } else {
      const std::uint64_t size = u64(j["size"], join(path, "size"));
      if (size == 0) fail(join(path, "size"), "0: a range holds at least one byte");
      if (start + (size - 1) < start)
        fail(join(path, "size"), fmt::format("{} from {} wraps past 2^64", hex(size), hex(start)));
      r = Range::from_size(start, size);
    }
    std::string name = j.contains("name") ? string(j["name"], join(path, "name")) : default_name;
    return {r, name};
  }

  std::vector<NamedRange> ranges(const json& j, const std::string& path,
                                 const std::string& default_name) const {
    if (!j.is_array()) fail(path, fmt::format("expected an array of ranges, got {}", j.type_name()));
    std::vector<NamedRange> out;
    for (std::size_t i = 0; i < j.size(); ++i) out.push_back(range(j[i], index(path, i), default_name));
    return out;
  }

  std::vector<Range> plain(const json& j, const std::string& path) const {
    std::vector<Range> out;
    for (const auto& n : ranges(j, path, "")) out.push_back(n.range);
    return out;
  }

 private:
  std::uint64_t parse_number(std::string s, const std::string& path) const {
    std::uint64_t mult = 1;
    const std::string orig = s;
    if (!s.empty()) {
      switch (std::toupper(static_cast<unsigned char>(s.back()))) {
        case 'K':
          mult = 1ull << 10;
          break;
        case 'M':
          mult = 1ull << 20;
          break;
        case 'G':
          mult = 1ull << 30;
          break;
        case 'T':
          mult = 1ull << 40;
          break;
        default:
          break;
      }
      if (mult != 1 && !(s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')))
        s.pop_back();
      else
        mult = 1;
    }
    const bool is_hex = s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
    const std::string digits = is_hex ? s.substr(2) : s;
    const int base = is_hex ? 16 : 10;
    std::uint64_t v = 0;
    bool ok = !digits.empty() && digits.size() <= (is_hex ? 16u : 20u);
    for (char c : digits) {
      if (!ok) break;
      int d = std::isdigit(static_cast<unsigned char>(c))              ? c - '0'
              : is_hex && std::isxdigit(static_cast<unsigned char>(c)) ? std::tolower(c) - 'a' + 10
                                                                       : -1;
      if (d < 0 || v > (~std::uint64_t{0} - static_cast<std::uint64_t>(d)) / static_cast<std::uint64_t>(base))
        ok = false;
      else
        v = v * static_cast<std::uint64_t>(base) + static_cast<std::uint64_t>(d);
    }
    if (!ok || v > ~std::uint64_t{0} / mult)
      fail(path,
           fmt::format("\"{}\" is not a 64-bit number: expected \"0x...\" hex, decimal, or a K/M/G/T size",
                       orig));
    return v * mult;
  }

  const std::string& file_;
};

// --- the "xen" block: regions computed as Xen computes them -------------------------------

xen::HostInput read_dom0(const Reader& rd, const json& j, const std::string& path) {
  rd.keys(j, path,
          {"host_ram", "dom0_ram", "reserved", "device_regs", "pci_windows", "static_shm", "xen_reg",
           "grant_table", "iommu", "p2m_ipa_bits", "is_32bit", "ext_regions", "size_bug_4_18"});
  xen::HostInput in;
  auto list = [&](const char* k, std::vector<Range>& out) {
    if (j.contains(k)) out = rd.plain(j[k], join(path, k));
  };
  list("host_ram", in.host_ram);
  list("dom0_ram", in.dom0_ram);
  list("reserved", in.reserved);
  list("device_regs", in.device_regs);
  list("pci_windows", in.pci_windows);
  list("static_shm", in.static_shm);
  list("xen_reg", in.xen_reg);
  if (in.host_ram.empty())
    rd.fail(join(path, "host_ram"), "missing or empty: Xen starts from the host RAM banks");
  if (in.dom0_ram.empty())
    rd.fail(join(path, "dom0_ram"), "missing or empty: dom0 has at least one RAM bank");
  if (j.contains("grant_table"))
    in.grant_table = rd.range(j["grant_table"], join(path, "grant_table"), "").range;
  if (j.contains("iommu")) in.iommu = rd.boolean(j["iommu"], join(path, "iommu"));
  if (j.contains("p2m_ipa_bits"))
    in.p2m_ipa_bits = rd.bits(j["p2m_ipa_bits"], join(path, "p2m_ipa_bits"), 32, 52);
  if (j.contains("is_32bit")) in.is_32bit = rd.boolean(j["is_32bit"], join(path, "is_32bit"));
  if (j.contains("ext_regions")) in.ext_regions_opt = rd.boolean(j["ext_regions"], join(path, "ext_regions"));
  if (j.contains("size_bug_4_18"))
    in.size_bug_4_18 = rd.boolean(j["size_bug_4_18"], join(path, "size_bug_4_18"));
  return in;
}

xen::DomUInput read_domu(const Reader& rd, const json& j, const std::string& path) {
  rd.keys(j, path, {"ram_size", "bank", "allocated", "iomem", "gpaddr_bits", "max_regions"});
  const unsigned bits =
      j.contains("gpaddr_bits") ? rd.bits(j["gpaddr_bits"], join(path, "gpaddr_bits"), 32, 64) : 40;
  xen::DomUInput in;
  if (j.contains("ram_size")) {
    if (j.contains("bank") || j.contains("allocated"))
      rd.fail(path, "give either ram_size or bank + allocated");
    in = xen::libxl_domu_input(rd.u64(j["ram_size"], join(path, "ram_size")), bits);
  } else {
    if (!j.contains("bank") || !j.contains("allocated")) rd.fail(path, "needs ram_size, or bank + allocated");
    in.bank = rd.plain(j["bank"], join(path, "bank"));
    const json& a = j["allocated"];
    if (!a.is_array() || a.size() != in.bank.size())
      rd.fail(join(path, "allocated"),
              fmt::format("expected an array of {} sizes (one per bank)", in.bank.size()));
    for (std::size_t i = 0; i < a.size(); ++i) {
      const std::string at = index(join(path, "allocated"), i);
      in.allocated.push_back(rd.u64(a[i], at));
      if (in.allocated[i] > in.bank[i].size())  // else ALIGN_UP_TO_2MB could wrap
        rd.fail(at, fmt::format("{} bytes do not fit in bank[{}] ({} bytes)", hex(in.allocated[i]), i,
                                hex(in.bank[i].size())));
    }
    in.gpaddr_bits = bits;
  }
  if (j.contains("iomem")) in.iomem = rd.plain(j["iomem"], join(path, "iomem"));
  if (j.contains("max_regions"))
    in.max_regions = rd.bits(j["max_regions"], join(path, "max_regions"), 1, 256);
  return in;
}

// A "xen" block gives the base layout; the file's own fields then override it.
Layout read_xen(const Reader& rd, const json& j, const std::string& path, const std::string& name) {
  rd.keys(j, path, {"dom0", "domu"});
  if (j.contains("dom0") == j.contains("domu")) rd.fail(path, "give exactly one of `dom0` and `domu`");
  if (j.contains("dom0")) return xen::dom0_layout(name, read_dom0(rd, j["dom0"], join(path, "dom0")), {});
  return xen::domu_layout(name, read_domu(rd, j["domu"], join(path, "domu")), {});
}

void read_hypervisor(const Reader& rd, const json& j, const std::string& path, Layout& l, bool computed) {
  if (j.is_null()) {
    l.hypervisor_node = false;
    return;
  }
  rd.keys(j, path, {"grant_table", "ext_regions"});
  l.hypervisor_node = true;
  if (j.contains("grant_table"))
    l.grant_table = rd.range(j["grant_table"], join(path, "grant_table"), "").range;
  if (j.contains("ext_regions")) {
    if (computed)
      rd.fail(join(path, "ext_regions"), "given together with `xen`, which computes them: drop one");
    l.ext_regions = rd.plain(j["ext_regions"], join(path, "ext_regions"));
  }
}

void read_geometry(const Reader& rd, const json& j, const std::string& path, Layout& l) {
  if (j.contains("arch")) {
    const std::string a = rd.string(j["arch"], join(path, "arch"));
    if (a == "arm64" || a == "aarch64")
      l.arch = Arch::arm64;
    else if (a == "x86_64" || a == "x86")
      l.arch = Arch::x86_64;
    else
      rd.fail(join(path, "arch"), fmt::format("\"{}\": expected \"arm64\" or \"x86_64\"", a));
    if (l.arch == Arch::x86_64 && !j.contains("pa_bits")) l.pa_bits = 46;
  }
  if (j.contains("page_size")) {
    const json& p = j["page_size"];
    std::uint64_t ps =
        p.is_string() ? parse_page_size(p.get<std::string>()) : rd.u64(p, join(path, "page_size"));
    Geometry g;
    std::string why;
    if (!Geometry::make(l.arch, ps, g, &why))
      rd.fail(join(path, "page_size"), fmt::format("{}: {}", p.dump(), ps ? why : "expected 4K, 16K or 64K"));
    l.default_page_size = ps;
  }
  if (j.contains("pa_bits")) l.pa_bits = rd.bits(j["pa_bits"], join(path, "pa_bits"), 32, 64);
  if (j.contains("va_bits")) l.va_bits = rd.bits(j["va_bits"], join(path, "va_bits"), 36, 52);
}

std::string basename(const std::string& path) {
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

std::uint64_t json_u64(const std::string& file, const json& j, const std::string& path) {
  return Reader(file).u64(j, path);
}

Layout layout_from_json_value(const std::string& file, const json& j, const std::string& path) {
  Reader rd(file);
  rd.keys(j, path,
          {"name", "source", "arch", "page_size", "pa_bits", "va_bits", "ram", "reserved", "mmio",
           "hypervisor", "acpi", "extra_mem", "preexisting_pool", "xen"});
  const std::string name = j.contains("name") ? rd.string(j["name"], join(path, "name")) : basename(file);
  const bool computed = j.contains("xen");
  Layout l = computed ? read_xen(rd, j["xen"], join(path, "xen"), name) : Layout{};
  l.name = name;
  l.source = j.contains("source") ? rd.string(j["source"], join(path, "source")) : "layout " + file;
  read_geometry(rd, j, path, l);
  if (j.contains("ram")) l.ram = rd.ranges(j["ram"], join(path, "ram"), "System RAM");
  if (j.contains("reserved")) l.reserved = rd.ranges(j["reserved"], join(path, "reserved"), "reserved");
  if (j.contains("mmio")) l.mmio = rd.ranges(j["mmio"], join(path, "mmio"), "mmio");
  if (j.contains("hypervisor")) read_hypervisor(rd, j["hypervisor"], join(path, "hypervisor"), l, computed);
  if (j.contains("acpi")) l.acpi = rd.boolean(j["acpi"], join(path, "acpi"));
  if (j.contains("extra_mem"))
    l.extra_mem = rd.ranges(j["extra_mem"], join(path, "extra_mem"), "xen_extra_mem");
  if (j.contains("preexisting_pool"))
    l.preexisting_pool = rd.ranges(j["preexisting_pool"], join(path, "preexisting_pool"), "Xen scratch");
  return l;
}

Layout load_layout_json(const std::string& name, const std::string& text) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    // e.byte is 1-based and points just past the offending character.
    const std::size_t at = e.byte ? std::min<std::size_t>(e.byte - 1, text.size()) : 0;
    const std::size_t line =
        1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + static_cast<long>(at), '\n'));
    throw LoadError{name, line, fmt::format("not valid JSON: {}", e.what())};
  }
  return layout_from_json_value(name, j);
}

Layout load_layout_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw LoadError{path, 0, "cannot open the layout file"};
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return load_layout_json(path, text);
}

// --- writing ------------------------------------------------------------------------------

namespace {

nlohmann::ordered_json range_json(const Range& r) { return {{"start", hex(r.start)}, {"end", hex(r.end)}}; }

nlohmann::ordered_json ranges_json(const std::vector<NamedRange>& rs) {
  auto a = nlohmann::ordered_json::array();
  for (const auto& r : rs) {
    auto o = range_json(r.range);
    o["name"] = r.name;
    a.push_back(o);
  }
  return a;
}

}  // namespace

nlohmann::ordered_json layout_to_json_value(const Layout& l) {
  nlohmann::ordered_json j;
  j["name"] = l.name;
  j["source"] = l.source;
  j["arch"] = to_string(l.arch);
  j["page_size"] = l.default_page_size;
  j["pa_bits"] = l.pa_bits;
  j["va_bits"] = l.va_bits;
  j["ram"] = ranges_json(l.ram);
  j["reserved"] = ranges_json(l.reserved);
  j["mmio"] = ranges_json(l.mmio);
  if (l.hypervisor_node) {
    nlohmann::ordered_json h = nlohmann::ordered_json::object();
    if (l.grant_table) h["grant_table"] = range_json(*l.grant_table);
    h["ext_regions"] = nlohmann::ordered_json::array();
    for (const auto& r : l.ext_regions) h["ext_regions"].push_back(range_json(r));
    j["hypervisor"] = h;
  } else {
    j["hypervisor"] = nullptr;
  }
  j["acpi"] = l.acpi;
  j["extra_mem"] = ranges_json(l.extra_mem);
  j["preexisting_pool"] = ranges_json(l.preexisting_pool);
  return j;
}

namespace {

bool flat(const nlohmann::ordered_json& j) {
  if (!j.is_structured() || j.empty()) return true;
  return j.is_object() && std::none_of(j.begin(), j.end(), [](const auto& v) { return v.is_structured(); });
}

// Like dump(2), but a range (an object of scalars) stays on one line: a layout with 40 MMIO
// ranges is then 40 lines a human can scan and diff, not 200.
std::string pretty(const nlohmann::ordered_json& j, int indent) {
  const std::string pad(static_cast<std::size_t>(indent) + 2, ' '),
      close(static_cast<std::size_t>(indent), ' ');
  if (flat(j) && !j.is_object()) return j.dump();
  if (flat(j)) {
    std::string out = "{";
    for (auto it = j.begin(); it != j.end(); ++it)
      out +=
          (it == j.begin() ? "" : ", ") + nlohmann::ordered_json(it.key()).dump() + ": " + it.value().dump();
    return out + "}";
  }
  std::string out = j.is_array() ? "[\n" : "{\n";
  for (auto it = j.begin(); it != j.end(); ++it) {
    out += pad;
    if (j.is_object()) out += nlohmann::ordered_json(it.key()).dump() + ": ";
    out += pretty(it.value(), indent + 2) + (std::next(it) == j.end() ? "\n" : ",\n");
  }
  return out + close + (j.is_array() ? "]" : "}");
}

}  // namespace

std::string layout_to_json(const Layout& l) { return pretty(layout_to_json_value(l), 0) + "\n"; }

}  // namespace unpop
