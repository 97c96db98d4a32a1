// Device-tree blob -> Layout, with libfdt. The rules mirror what Linux (drivers/of/address.c:
// of_translate_address) and Xen (dt_device_get_address, find_memory_holes) read from a DT:
// `reg` in the parent's #address-cells/#size-cells, translated up through `ranges`.
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <vector>

#include <fmt/format.h>

extern "C" {
#include <libfdt.h>
}

#include "model/layout/loaders.h"

namespace unpop {
namespace {

struct Dtb {
  const void* fdt;
  const std::string& file;

  [[noreturn]] void fail(const std::string& msg) const { throw LoadError{file, 0, msg}; }

  std::string name(int node) const {
    const char* n = fdt_get_name(fdt, node, nullptr);
    return node == 0 ? "/" : (n ? n : "?");
  }
  std::optional<std::string_view> prop(int node, const char* p) const {
    int len = 0;
    const void* v = fdt_getprop(fdt, node, p, &len);
    if (!v) return std::nullopt;
    return std::string_view(static_cast<const char*>(v), static_cast<std::size_t>(len));
  }
  bool string_is(int node, const char* p, const char* value) const {
    auto v = prop(node, p);
    return v && fdt_stringlist_contains(v->data(), static_cast<int>(v->size()), value);
  }
  // #address-cells / #size-cells a node gives its children (DT spec defaults: 2 and 1).
  int address_cells(int node) const { return cells(node, "#address-cells", 2); }
  int size_cells(int node) const { return cells(node, "#size-cells", 1); }
  int cells(int node, const char* p, int dflt) const {
    auto v = prop(node, p);
    if (!v) return dflt;
    if (v->size() != 4) fail(fmt::format("node {}: {} is not one cell", name(node), p));
    return static_cast<int>(read_cells(v->data(), 1));
  }
  static std::uint64_t read_cells(const char* p, int n) {
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i) {
      std::uint32_t c;
      std::memcpy(&c, p + 4 * i, 4);
      v = (v << 32) | fdt32_to_cpu(c);
    }
    return v;
  }
};

// One (address, size) tuple list, e.g. `reg`, split by the given cell counts.
std::vector<std::pair<std::uint64_t, std::uint64_t>> tuples(const Dtb& d, int node, const char* p, int ac,
                                                            int sc) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
  auto v = d.prop(node, p);
  if (!v) return out;
  if (ac < 1 || ac > 2 || sc < 0 || sc > 2)
    d.fail(fmt::format("node {}: {} uses {} address and {} size cells (expected 1-2 and 0-2)", d.name(node),
                       p, ac, sc));
  const std::size_t entry = 4u * static_cast<std::size_t>(ac + sc);
  if (v->size() % entry)
    d.fail(fmt::format("node {}: {} is {} bytes, not a multiple of {} ({} address + {} size cells)",
                       d.name(node), p, v->size(), entry, ac, sc));
  for (std::size_t off = 0; off < v->size(); off += entry)
    out.emplace_back(Dtb::read_cells(v->data() + off, ac), Dtb::read_cells(v->data() + off + 4 * ac, sc));
  return out;
}

// of_translate_address(): walk up from the bus `parents.back()`; at every bus, an absent `ranges`
// means "not memory-mapped", an empty one is identity, otherwise the matching entry maps it.
std::optional<std::uint64_t> translate(const Dtb& d, const std::vector<int>& parents, std::uint64_t addr) {
  for (std::size_t i = parents.size() - 1; i > 0; --i) {
    const int bus = parents[i], up = parents[i - 1];
    auto r = d.prop(bus, "ranges");
    if (!r) return std::nullopt;
    if (r->empty()) continue;
    const int cac = d.address_cells(bus), pac = d.address_cells(up), sc = d.size_cells(bus);
    const std::size_t entry = 4u * static_cast<std::size_t>(cac + pac + sc);
    if (cac > 2 || pac > 2 || sc > 2 || r->size() % entry)
      d.fail(fmt::format("node {}: ranges is {} bytes, not a multiple of {}", d.name(bus), r->size(), entry));
    bool found = false;
    for (std::size_t off = 0; off < r->size() && !found; off += entry) {
      const char* p = r->data() + off;
      std::uint64_t child = Dtb::read_cells(p, cac), parent = Dtb::read_cells(p + 4 * cac, pac);
      std::uint64_t size = Dtb::read_cells(p + 4 * (cac + pac), sc);
      if (addr >= child && addr - child < size) {
        addr = parent + (addr - child);
        found = true;
      }
    }
    if (!found) return std::nullopt;
  }
  return addr;
}

class Walker {
 public:
  Walker(const Dtb& d, Layout& l) : d_(d), l_(l) {}

  void run() {
    std::vector<int> stack;  // stack[k] = the ancestor at depth k
    int depth = 0, node = 0;
    // fdt_next_node() steps over FDT_NOP tags (Xen leaves them where it deleted properties).
    // Leaving the root node drops `depth` below 0 while returning a non-negative offset.
    for (; node >= 0 && depth >= 0; node = fdt_next_node(d_.fdt, node, &depth)) {
      stack.resize(static_cast<std::size_t>(depth));
      if (depth > 0 && !skipped(stack)) visit(node, stack);
      stack.push_back(node);
    }
    if (node < 0 && node != -FDT_ERR_NOTFOUND) d_.fail(fmt::format("walking nodes: {}", fdt_strerror(node)));
  }

 private:
  // /cpus (reg = CPU ids), /chosen, /aliases carry no addresses; below a PCI host bridge the
  // `reg`s are config-space addresses (3 cells), not CPU addresses.
  bool skipped(const std::vector<int>& parents) const {
    for (std::size_t i = 1; i < parents.size(); ++i) {
      std::string n = d_.name(parents[i]);
      if (i == 1 && (n == "cpus" || n == "chosen" || n == "aliases")) return true;
      if (d_.string_is(parents[i], "device_type", "pci")) return true;
    }
    return false;
  }
  bool top_level(int node, const std::vector<int>& parents, const char* n) const {
    return parents.size() == 1 && d_.name(node) == n;
  }

  void visit(int node, const std::vector<int>& parents) {
    if (top_level(node, parents, "cpus") || top_level(node, parents, "chosen") ||
        top_level(node, parents, "aliases"))
      return;
    const bool hyp = d_.string_is(node, "compatible", "xen,xen");
    if (hyp) l_.hypervisor_node = true;
    auto regs = reg_ranges(node, parents);
    if (hyp) return hypervisor(regs);
    const std::string n = d_.name(node);
    if (d_.string_is(node, "device_type", "memory")) {
      for (const auto& r : regs) l_.ram.push_back({r, "System RAM"});
    } else if (parents.size() == 2 && d_.name(parents[1]) == "reserved-memory") {
      // Children without reg are dynamic pools (size/alloc-ranges): nothing fixed to record.
      for (const auto& r : regs) l_.reserved.push_back({r, n});
    } else {
      for (const auto& r : regs) l_.mmio.push_back({r, n});
    }
    if (d_.string_is(node, "device_type", "pci")) pci_windows(node, parents, n);
  }

  std::vector<Range> reg_ranges(int node, const std::vector<int>& parents) const {
    std::vector<Range> out;
    const int bus = parents.back();
    // A bus without `ranges` (i2c, spi, mdio, ...) addresses its children in its own space.
    if (parents.size() > 1 && !d_.prop(bus, "ranges")) return out;
    const bool hyp = d_.string_is(node, "compatible", "xen,xen");
    for (auto [addr, size] : tuples(d_, node, "reg", d_.address_cells(bus), d_.size_cells(bus))) {
      // The hypervisor node's entries are positional (reg[0] = grant table): a zero-sized one
      // cannot be dropped without shifting the rest, and Xen never writes one.
      if (size == 0 && hyp)
        d_.fail(fmt::format("hypervisor node {}: reg[{}] has size 0", d_.name(node), out.size()));
      if (size == 0) continue;  // nothing addressable (e.g. a zero-sized placeholder)
      auto cpu = translate(d_, parents, addr);
      if (!cpu) continue;  // behind a bus without `ranges`: not memory-mapped
      if (*cpu + (size - 1) < *cpu)
        d_.fail(fmt::format("node {}: reg {:#x}+{:#x} wraps past 2^64", d_.name(node), *cpu, size));
      out.push_back(Range::from_size(*cpu, size));
    }
    return out;
  }

  // Linux arch/arm/xen/enlighten.c: reg[0] (GRANT_TABLE_INDEX) and reg[1..] (EXT_REGION_INDEX).
  void hypervisor(const std::vector<Range>& regs) {
    if (regs.empty()) return;  // ACPI-style node without reg
    l_.grant_table = regs.front();
    l_.ext_regions.assign(regs.begin() + 1, regs.end());
  }

  // PCI host bridge `ranges`: (3-cell PCI address, parent address, size) -> CPU windows.
  // The phys.hi cell carries the space code; the window itself is the parent address.
  void pci_windows(int node, const std::vector<int>& parents, const std::string& n) {
    auto r = d_.prop(node, "ranges");
    if (!r) return;  // "shall be absent if no addresses are mapped through the bridge"
    const int pac = d_.address_cells(parents.back()), sc = d_.size_cells(node);
    const int cac = d_.address_cells(node);
    const std::size_t entry = 4u * static_cast<std::size_t>(cac + pac + sc);
    if (cac != 3 || pac > 2 || sc > 2 || r->size() % entry)
      d_.fail(
          fmt::format("PCI node {}: ranges is {} bytes with {}+{}+{} cells (expected 3 PCI address cells)", n,
                      r->size(), cac, pac, sc));
    for (std::size_t off = 0; off < r->size(); off += entry) {
      const char* p = r->data() + off;
      std::uint64_t parent = Dtb::read_cells(p + 4 * cac, pac),
                    size = Dtb::read_cells(p + 4 * (cac + pac), sc);
      if (size == 0) continue;
      auto cpu = translate(d_, parents, parent);
      if (cpu) l_.mmio.push_back({Range::from_size(*cpu, size), n + " window"});
    }
  }

  const Dtb& d_;
  Layout& l_;
};

std::string basename(const std::string& path) {
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

Layout load_dtb_bytes(const std::string& name, const std::string& bytes) {
  if (bytes.size() < sizeof(fdt_header))
    throw LoadError{name, 0,
                    fmt::format("not a device-tree blob: {} bytes, shorter than the {}-byte header",
                                bytes.size(), sizeof(fdt_header))};
  // libfdt wants the blob 8-byte aligned; a std::string gives no such promise.
  std::vector<std::uint64_t> buf((bytes.size() + 7) / 8);
  std::memcpy(buf.data(), bytes.data(), bytes.size());
  const void* fdt = buf.data();
  if (int err = fdt_check_full(fdt, bytes.size()))
    throw LoadError{
        name, 0, fmt::format("not a valid device-tree blob ({} bytes): {}", bytes.size(), fdt_strerror(err))};
  Layout l;
  l.name = basename(name);
  l.source = "dtb " + name;
  l.arch = Arch::arm64;
  Dtb d{fdt, name};
  // The header's /memreserve/ entries: memblock_reserve()d by Linux (early_init_fdt_scan_reserved_mem).
  for (int i = 0, n = fdt_num_mem_rsv(fdt); i < n; ++i) {
    std::uint64_t addr = 0, size = 0;
    if (fdt_get_mem_rsv(fdt, i, &addr, &size) == 0 && size && addr + (size - 1) >= addr)
      l.reserved.push_back({Range::from_size(addr, size), "/memreserve/"});
  }
  Walker(d, l).run();
  return l;
}

Layout load_dtb(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw LoadError{path, 0, "cannot open the device-tree blob"};
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return load_dtb_bytes(path, bytes);
}

}  // namespace unpop
