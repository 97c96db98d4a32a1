// Named layouts shipped with the tool. Arm presets get their extended regions from the Xen side
// (model/xen), fed with the inputs Xen had; docs/xen-side.md gives each preset's sources.
#include <functional>
#include <iterator>
#include <map>

#include <fmt/format.h>

#include "model/layout/loaders.h"
#include "model/xen/extended_regions.h"

namespace unpop {
namespace {

constexpr Addr KiB = 1ull << 10, MiB = 1ull << 20, GiB = 1ull << 30;

NamedRange nr(Addr start, Addr size, std::string name) {
  return {Range::from_size(start, size), std::move(name)};
}

// --- QEMU virt, Xen 4.17 dom0 (model/layout/fixtures/qemu-virt-2g) ----------

// Xen's inputs for that boot: bootinfo RAM = the QEMU RAM (-m 2G at 1 GiB), dom0's 1:1 bank from
// the console ("BANK[0] 0x60000000-0x80000000"), the grant table at __pa(_stext) with 64 frames
// ("Grant table range: 0x40200000-0x40240000"), no IOMMU, no reserved-memory.
xen::HostInput qemu_virt_host() {
  xen::HostInput in;
  in.host_ram = {Range::from_size(0x40000000, 2 * GiB)};
  in.dom0_ram = {Range::from_size(0x60000000, 512 * MiB)};
  in.grant_table = Range::from_size(0x40200000, 64 * 4 * KiB);
  in.iommu = false;
  in.p2m_ipa_bits = 44;  // cortex-a57 PARange (44 bits); unused without an IOMMU
  return in;
}

// The devices of the fixture's dom0.dtb / iomem: iomem names where Linux claimed the range.
std::vector<NamedRange> qemu_virt_mmio() {
  std::vector<NamedRange> m = {
      nr(0x00000000, 64 * MiB, "flash@0"),      nr(0x04000000, 64 * MiB, "flash@0"),
      {{0x08000000, 0x0800ffff}, "GICD"},       {{0x080a0000, 0x08ffffff}, "GICR"},
      nr(0x09010000, 4 * KiB, "pl031@9010000"), nr(0x09020000, 0x18, "fw-cfg@9020000"),
      nr(0x09030000, 4 * KiB, "pl061@9030000"),
  };
  for (Addr a = 0x0a000000; a < 0x0a004000; a += 0x200)
    m.push_back(nr(a, 0x200, fmt::format("virtio_mmio@{:x}", a)));
  m.push_back({{0x10000000, 0x3efeffff}, "pcie@10000000"});         // 32-bit MMIO window
  m.push_back({{0x3eff0000, 0x3effffff}, "pcie@10000000 window"});  // PIO window
  m.push_back({{0x4010000000, 0x401fffffff}, "PCI ECAM"});
  m.push_back({{0x8000000000, 0xffffffffff}, "pcie@10000000"});  // 64-bit MMIO window
  return m;
}

Layout qemu_virt_dom0(const std::string& name, bool size_bug_4_18) {
  xen::HostInput in = qemu_virt_host();
  in.size_bug_4_18 = size_bug_4_18;
  Layout l = xen::dom0_layout(name, in, qemu_virt_mmio());
  l.source = "preset";
  l.pa_bits = 48;  // Debian arm64 kernel: CONFIG_ARM64_PA_BITS=48, VA_BITS=48
  l.va_bits = 48;
  return l;
}

// --- xl domU (libxl finalize_hypervisor_node, arch-arm.h guest layout) ---------------------

std::vector<NamedRange> domu_mmio() {
  using namespace xen::guest;
  return {nr(kGicv3GicdBase, kGicv3GicdSize, "GICD"), nr(kGicv3Gicr0Base, kGicv3Gicr0Size, "GICR"),
          nr(kPl011Base, kPl011Size, "sbsa-uart@22000000")};
}

Layout xen_domu(const std::string& name) {
  // 4.17: memory = 1024, gpaddr_bits 40 (a host with a 40-bit p2m), at most 2 regions.
  Layout l = xen::domu_layout(name, xen::libxl_domu_input(1 * GiB, 40), domu_mmio());
  l.source = "preset";
  return l;
}

Layout xen_domu_iomem(const std::string& name) {
  // master (4.21+, 108308feef): passthrough iomem is cut out; 256 regions allowed. A 4 KiB
  // device page mapped at 0x90000000 leaves a region that starts 4 KiB past it (not 2 MiB
  // aligned: libxl does not realign after a cut).
  xen::DomUInput in = xen::libxl_domu_input(1 * GiB, 40);
  in.max_regions = xen::kMaxExtRegions;
  in.iomem = {Range::from_size(0x90000000, 4 * KiB)};
  Layout l = xen::domu_layout(name, in, domu_mmio());
  l.source = "preset";
  return l;
}

// --- x86 PVH dom0 ------------------------------------------------------------------------

Layout x86_pvh_dom0(const std::string& name) {
  Layout l;
  l.name = name;
  l.source = "preset";
  l.arch = Arch::x86_64;
  l.pa_bits = 46;  // arch/x86/include/asm/sparsemem.h MAX_PHYSMEM_BITS (4-level paging)
  l.va_bits = 48;  // ignored on x86 (weak arch_get_mappable_range)
  l.ram = {{{0x00001000, 0x0009ffff}, "System RAM"},
           {{0x00100000, 0xbeffffff}, "System RAM"},
           {{0x100000000, 0x23fffffff}, "System RAM"}};
  l.reserved = {{{0x00000000, 0x00000fff}, "Reserved"},
                {{0x000f0000, 0x000fffff}, "System ROM"},
                {{0xbf000000, 0xbf0fffff}, "ACPI Tables"},
                {{0xbf100000, 0xbfffffff}, "ACPI Non-volatile Storage"},
                {{0xff000000, 0xffffffff}, "Reserved"}};
  l.mmio = {
      {{0x000a0000, 0x000bffff}, "PCI Bus 0000:00"}, {{0xc0000000, 0xfebfffff}, "PCI Bus 0000:00"},
      {{0xfec00000, 0xfec003ff}, "IOAPIC 0"},        {{0xfed00000, 0xfed003ff}, "HPET 0"},
      {{0xfee00000, 0xfee00fff}, "Local APIC"},      {{0x380000000000, 0x3fffffffffff}, "PCI Bus 0000:00"}};
  // Xen's dom0 e820 marks RAM it did not populate; Linux keeps it as xen_extra_mem and, since
  // a6aa4eb994ee, seeds unpopulated-alloc with it (arch/x86/xen/enlighten.c).
  l.extra_mem = {{{0x240000000, 0x43fffffff}, "xen_extra_mem"}};
  return l;
}

// --- a large Arm server dom0 -------------------------------------------------------------

// Four host RAM banks (2 GiB low, 30 GiB at 34 GiB, 32 GiB at 544 GiB, 32 GiB at 1 TiB),
// firmware carve-outs, Xen at the top of the low bank; dom0 gets 1:1 parts of three banks.
xen::HostInput server_host(bool iommu) {
  xen::HostInput in;
  in.host_ram = {{0x0080000000, 0x00ffffffff},
                 {0x0880000000, 0x0fffffffff},
                 {0x8800000000, 0x8fffffffff},
                 {0x10000000000, 0x107ffffffff}};
  in.dom0_ram = {{0x0090000000, 0x00bfffffff}, {0x0880000000, 0x08ffffffff}, {0x8800000000, 0x883fffffff}};
  in.reserved = {{0x0080000000, 0x00800fffff},                 // secure monitor (TF-A BL31)
                 {0x00fc000000, 0x00fdffffff},                 // OP-TEE
                 {0x8ff0000000, 0x8fffffffff}};                // firmware ramoops / error records
  in.grant_table = Range::from_size(0x00fee00000, 256 * KiB);  // __pa(_stext), 64 frames
  in.iommu = iommu;
  in.p2m_ipa_bits = 44;
  return in;
}

std::vector<NamedRange> server_mmio() {
  return {{{0x12000000, 0x12000fff}, "serial@12000000"},
          {{0x30000000, 0x3000ffff}, "GICD"},
          {{0x30040000, 0x3005ffff}, "GIC ITS"},
          {{0x30100000, 0x310fffff}, "GICR"},
          {{0x40000000, 0x4fffffff}, "PCI ECAM"},
          {{0x50000000, 0x7fffffff}, "pcie@40000000 window"},
          {{0x20000000000, 0x2ffffffffff}, "pcie@40000000 window"}};
}

Layout server_dom0(const std::string& name, bool iommu) {
  xen::HostInput in = server_host(iommu);
  const auto mmio = server_mmio();
  if (iommu) {  // find_memory_holes() walks every DT reg and the PCI `ranges`
    for (const auto& m : mmio)
      (m.name.find("window") != std::string::npos ? in.pci_windows : in.device_regs).push_back(m.range);
  }
  Layout l = xen::dom0_layout(name, in, mmio);
  l.source = "preset";
  // dom0_layout names reserved-memory "reserved"; the DT would give these node names.
  const char* names[] = {"secure-monitor@80000000", "optee@fc000000", "ramoops@8ff0000000"};
  for (std::size_t i = 0; i < l.reserved.size() && i < std::size(names); ++i) l.reserved[i].name = names[i];
  return l;
}

using Builder = std::function<Layout(const std::string&)>;

const std::map<std::string, Builder>& presets() {
  static const std::map<std::string, Builder> m = {
      {"qemu-virt-dom0", [](const std::string& n) { return qemu_virt_dom0(n, false); }},
      {"qemu-virt-dom0-4.18", [](const std::string& n) { return qemu_virt_dom0(n, true); }},
      {"xen-domu", xen_domu},
      {"xen-domu-4.21-iomem", xen_domu_iomem},
      {"x86-pvh-dom0", x86_pvh_dom0},
      {"server-dom0", [](const std::string& n) { return server_dom0(n, false); }},
      {"server-dom0-iommu", [](const std::string& n) { return server_dom0(n, true); }},
  };
  return m;
}

}  // namespace

std::vector<std::string> preset_names() {
  std::vector<std::string> out;
  for (const auto& [name, b] : presets()) out.push_back(name);
  return out;
}

Layout load_preset(const std::string& name) {
  auto it = presets().find(name);
  if (it == presets().end())
    throw LoadError{"preset", 0,
                    fmt::format("unknown preset `{}` (valid: {})", name, fmt::join(preset_names(), ", "))};
  return it->second(name);
}

}  // namespace unpop
