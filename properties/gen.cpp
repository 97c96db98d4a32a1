#include "properties/gen.h"

#include <algorithm>

#include "model/layout/loaders.h"
#include "model/xen/extended_regions.h"

namespace unpop::props {
namespace {

constexpr Addr MiB = 1ull << 20, GiB = 1ull << 30;


NamedRange nr(Addr start, Addr size, const std::string& name) { return {Range::from_size(start, size), name}; }

// Typical Arm SoC / QEMU virt devices below 1 GiB, plus a PCIe host with a 64-bit window.
std::vector<NamedRange> arm_mmio(bool pci, Addr high_window) {
  std::vector<NamedRange> m = {nr(0x08000000, 0x10000, "GICD"), nr(0x080a0000, 0xf60000, "GICR"),
                               nr(0x09000000, 0x1000, "pl011@9000000")};
  if (pci) {
    m.push_back(nr(0x10000000, 0x2eff0000, "pcie@10000000 window"));
    m.push_back(nr(high_window, 128 * GiB, "pcie 64-bit window"));
  }
  return m;
}

}  // namespace

std::uint64_t pick(std::uint64_t lo, std::uint64_t hi) {
  return *rc::gen::resize(100, rc::gen::inRange<std::uint64_t>(lo, hi + 1));
}

std::size_t pick_weighted(const std::vector<std::uint32_t>& weights) {
  std::uint64_t total = 0;
  for (auto w : weights) total += w;
  std::uint64_t x = *rc::gen::resize(100, rc::gen::inRange<std::uint64_t>(0, total));
  for (std::size_t i = 0; i < weights.size(); ++i) {
    if (x < weights[i]) return i;
    x -= weights[i];
  }
  return weights.size() - 1;
}

std::uint64_t fullhd_pages(std::uint64_t ps) { return (1920ull * 1080 * 4 + ps - 1) / ps; }
std::uint64_t uhd_pages(std::uint64_t ps) { return (3840ull * 2160 * 4 + ps - 1) / ps; }

rc::Gen<std::uint64_t> genPages(std::uint64_t ps) {
  return rc::gen::exec([ps]() -> std::uint64_t {
    switch (pick_weighted({12, 3, 2})) {
      case 0: return pick(1, 64);                                  // grant maps, rings
      case 1: return coin() ? uhd_pages(ps) : fullhd_pages(ps);    // framebuffers
      default: return pick(1, 1u << 16);                           // anything
    }
  });
}

rc::Gen<Layout> genDom0Layout(bool iommu) {
  return rc::gen::exec([iommu] {
    xen::HostInput in;
    // Host RAM: bank 0 at 1 GiB or 2 GiB, 1-8 GiB; optionally a second bank high up.
    Addr base0 = choose<Addr>({0x40000000, 0x80000000});
    Addr size0 = pick(1, 8) * GiB;
    in.host_ram.push_back(Range::from_size(base0, size0));
    if (coin()) in.host_ram.push_back(Range::from_size(0x880000000, pick(1, 8) * GiB));
    // Dom0 (1:1) gets 256 MiB .. most of bank 0 at an offset; the rest of host RAM is free for
    // extended regions (find_unallocated_memory).
    Addr off = pick(0, 8) * 128 * MiB;
    Addr dsize = pick(2, 8) * 128 * MiB;
    if (off + dsize > size0) off = 0, dsize = std::min(dsize, size0);
    in.dom0_ram.push_back(Range::from_size(base0 + off, dsize));
    if (in.host_ram.size() > 1 && coin())
      in.dom0_ram.push_back(Range::from_size(in.host_ram[1].start, pick(1, 4) * 256 * MiB));
    // Reserved memory inside host RAM (firmware, OP-TEE): 0-2 ranges of 2 MiB multiples.
    std::size_t nres = pick(0, 2);
    for (std::size_t i = 0; i < nres; ++i) {
      Addr at = base0 + size0 - (i + 1) * 256 * MiB;
      if (at < base0 + off + dsize) break;
      in.reserved.push_back(Range::from_size(at, pick(1, 16) * 2 * MiB));
    }
    // Xen's own image (grant table frames after _stext) lives in host RAM outside dom0.
    Addr xen_at = base0 + off + dsize + 2 * MiB;
    if (xen_at + 0x40000 > base0 + size0) xen_at = base0 + size0 - 64 * MiB;
    in.grant_table = Range::from_size(xen_at, 0x40000);
    bool pci = coin();
    Addr high = choose<Addr>({0x8000000000, 0x20000000000});
    auto mmio = arm_mmio(pci, high);
    for (const auto& m : mmio) in.device_regs.push_back(m.range);
    if (pci) in.pci_windows = {mmio[3].range, mmio[4].range};
    in.iommu = iommu;
    in.p2m_ipa_bits = choose<unsigned>({40, 44, 48});
    Layout l = xen::dom0_layout(iommu ? "gen-dom0-iommu" : "gen-dom0", in, mmio);
    l.pa_bits = 48;
    return l;
  });
}

rc::Gen<Layout> genDomULayout() {
  return rc::gen::exec([] {
    std::uint64_t ram = pick(1, 64) * 256 * MiB;
    unsigned bits = choose<unsigned>({40, 44, 48});
    xen::DomUInput in = xen::libxl_domu_input(ram, bits);
    in.max_regions = choose<std::size_t>({256, 2});
    std::vector<NamedRange> mmio = {
        nr(xen::guest::kGicv3GicdBase, xen::guest::kGicv3GicdSize, "GICD"),
        nr(xen::guest::kGicv3Gicr0Base, xen::guest::kGicv3Gicr0Size, "GICR"),
        nr(xen::guest::kPl011Base, xen::guest::kPl011Size, "vpl011")};
    if (coin()) {
      // xl iomem= passthrough at a 2 MiB-aligned address inside the RAM1 bank, above the RAM.
      Addr at = xen::guest::kRam1Base + pick(4, 64) * GiB;
      in.iomem.push_back(Range::from_size(at, pick(1, 32) * 2 * MiB));
    }
    Layout l = xen::domu_layout("gen-domu", in, mmio);
    l.pa_bits = 48;
    return l;
  });
}

rc::Gen<Layout> genAdversarialLayout() {
  return rc::gen::exec([] {
    // What Xen can emit at the extreme: many regions of any 2 MiB-aligned position and size
    // >= 64 MiB, device MMIO right next to them, up to the top of the physical address space.
    Layout l;
    l.name = "gen-adversarial";
    l.source = "generated (adversarial)";
    l.arch = Arch::arm64;
    l.pa_bits = 48;
    l.hypervisor_node = true;
    l.ram.push_back({Range::from_size(0x40000000, pick(1, 4) * GiB), "System RAM"});
    l.grant_table = Range::from_size(0x38000000, 0x40000);
    l.mmio.push_back(nr(0x08000000, 0x10000, "GICD"));
    // Regions start right above RAM, in the middle, or near the top of the address space.
    Addr cursor = std::max(l.ram[0].range.end + 1, choose<Addr>({0, 0x100000000ull, 0x8000000000ull,
                                                                (1ull << 48) - 64 * GiB}));
    std::size_t n = pick(1, 24);
    for (std::size_t i = 0; i < n; ++i) {
      Addr size = (32 + (pick_weighted({4, 1}) ? pick(0, 8191) : pick(0, 63))) * 2 * MiB;
      if (cursor + size - 1 >= (1ull << 48) || cursor + size < cursor) break;
      l.ext_regions.push_back(Range::from_size(cursor, size));
      cursor += size;
      // The gap to the next region: MMIO right next to the region, or a plain hole.
      Addr gap = pick(1, 128) * 2 * MiB;
      if (coin()) l.mmio.push_back(nr(cursor, gap, "dev@" + hex(cursor)));
      cursor += gap;
    }
    std::sort(l.mmio.begin(), l.mmio.end(), [](const auto& a, const auto& b) { return a.range < b.range; });
    return l;
  });
}

rc::Gen<Layout> genX86Layout() {
  return rc::gen::exec([] {
    Layout l;
    l.name = "gen-x86";
    l.source = "generated (x86 PVH dom0)";
    l.arch = Arch::x86_64;
    l.pa_bits = 46;
    l.ram.push_back({Range{0x100000, 0xbeffffff}, "System RAM"});
    Addr hi = pick(1, 8) * GiB;
    l.ram.push_back({Range::from_size(0x100000000, hi), "System RAM"});
    l.reserved.push_back({Range{0xbf000000, 0xbfffffff}, "ACPI Tables"});
    l.mmio.push_back({Range{0xc0000000, 0xfebfffff}, "PCI Bus 0000:00"});
    l.mmio.push_back({Range{0xfec00000, 0xfec003ff}, "IOAPIC 0"});
    if (coin())
      l.extra_mem.push_back({Range::from_size(0x100000000 + hi, pick(1, 16) * 256 * MiB), "xen_extra_mem"});
    return l;
  });
}

rc::Gen<Layout> genNeighbour(const Layout& base) {
  return rc::gen::exec([base] {
    Layout l = base;
    l.name = base.name + "-neighbour";
    l.source = "generated (a neighbour of " + base.name + ")";
    std::vector<Range> kept;
    for (const Range& r : base.ext_regions) {
      const std::size_t what = pick_weighted({4, 2, 1});  // keep, cut, drop
      if (what == 2) continue;
      if (what == 1 && r.size() >= 4 * MiB) {
        const Addr units = r.size() / (2 * MiB);
        const Addr first = pick(0, units - 1), n = pick(1, units - first);
        const Addr start = align_up(r.start, 2 * MiB) + first * 2 * MiB;
        const Range cut = Range::from_size(start, n * 2 * MiB);
        kept.push_back(cut.end <= r.end && cut.start >= r.start ? cut : r);
        continue;
      }
      kept.push_back(r);
    }
    if (kept.empty() && !base.ext_regions.empty()) kept.push_back(base.ext_regions.front());
    l.ext_regions = kept;
    return l;
  });
}

namespace {
// Inside a generator: the forced page size, x86's only one, or one of Arm's three.
std::uint64_t page_size_for(const SetupOptions& o, const Layout& l) {
  if (o.page_size) return *o.page_size;
  if (l.arch == Arch::x86_64) return 4096;
  return choose<std::uint64_t>({4096, 16384, 65536});
}
}  // namespace

rc::Gen<Setup> genSetup(const SetupOptions& o) {
  return rc::gen::exec([o] {
    Setup s;
    if (o.given) {
      s.kind = pick_weighted({3, 1}) == 0 ? "given" : "neighbour";
      if (s.kind == "given") {
        s.layout = *o.given;
        s.preset = o.given_preset;
      } else {
        s.layout = *genNeighbour(*o.given);
      }
      s.page_size = page_size_for(o, s.layout);
      return s;
    }
    std::vector<std::pair<std::uint32_t, std::string>> kinds;
    if (o.presets) kinds.push_back({3, "preset"});
    if (o.realistic) {
      kinds.push_back({3, "dom0"});
      kinds.push_back({1, "dom0-iommu"});
      kinds.push_back({2, "domu"});
      if (!o.page_size || *o.page_size == 4096) kinds.push_back({1, "x86-pvh"});
    }
    if (o.adversarial) kinds.push_back({2, "adversarial"});
    std::vector<std::uint32_t> w;
    for (const auto& k : kinds) w.push_back(k.first);
    s.kind = kinds.at(pick_weighted(w)).second;
    if (s.kind == "preset") {
      std::vector<std::string> names;
      for (const auto& n : preset_names()) {
        Layout l = load_preset(n);
        if (o.page_size && l.arch == Arch::x86_64 && *o.page_size != 4096) continue;
        names.push_back(n);
      }
      s.preset = choose(names);
      s.layout = load_preset(s.preset);
    } else if (s.kind == "dom0" || s.kind == "dom0-iommu") {
      s.layout = *genDom0Layout(s.kind == "dom0-iommu");
    } else if (s.kind == "domu") {
      s.layout = *genDomULayout();
    } else if (s.kind == "x86-pvh") {
      s.layout = *genX86Layout();
    } else {
      s.layout = *genAdversarialLayout();
    }
    s.page_size = page_size_for(o, s.layout);
    return s;
  });
}

rc::Gen<Range> genClaimRange(const Layout& l, std::uint64_t section_size, bool ram) {
  std::vector<Range> where = l.ext_regions;
  if (where.empty()) where.push_back(Range::from_size(0x400000000, 64 * GiB));  // x86: above RAM
  return rc::gen::exec([where, section_size, ram] {
    Range r = choose(where);
    if (ram) {
      Addr s = align_up(r.start, section_size);
      Addr k = pick(0, 3);
      Addr start = s + k * section_size;
      if (start + section_size - 1 < start) start = s;
      return Range::from_size(start, section_size);
    }
    Addr off = pick(0, 64) * 2 * MiB;
    Addr size = pick(1, 32) * 2 * MiB;
    Addr start = r.start + off;
    if (start + size - 1 < start) start = r.start;
    return Range::from_size(start, size);
  });
}

}  // namespace unpop::props
