#pragma once
/// Loaders that build a Layout. Each throws LoadError (file, line, what was expected) on bad
/// input and never returns a half-read layout.
#include <string>
#include <vector>

#include "model/layout/layout.h"

namespace unpop {

/// A device-tree blob read with libfdt: `memory` nodes (device_type = "memory"),
/// `reserved-memory` children with a reg (children without one are dynamic pools, skipped),
/// every other node's `reg` translated through parent #address-cells/#size-cells (and `ranges`
/// where the parent is a simple bus) as MMIO, PCI host `ranges` windows, and the hypervisor node
/// (`compatible` containing "xen,xen"): reg[0] grant table, reg[1..] extended regions.
/// /cpus' reg values are CPU ids, not addresses: skipped. Tolerates FDT_NOP tags.
/// The header's /memreserve/ entries are reserved too (named "/memreserve/").
Layout load_dtb(const std::string& path);
Layout load_dtb_bytes(const std::string& name, const std::string& bytes);

/// A /proc/iomem dump: `start-end : name`, nesting by two-space indentation.
/// Top level "System RAM" -> ram; "reserved" at top level -> reserved; "Xen scratch" /
/// "Xen DMA pool" -> preexisting_pool; "Unavailable space" is a Linux artefact (ignored);
/// anything else at top level -> mmio. Nested entries are informational.
/// An iomem dump has no extended regions: on arm64 pair it with a DTB (merge_layouts).
Layout load_iomem(const std::string& path, Arch arch = Arch::arm64);
Layout load_iomem_text(const std::string& name, const std::string& text, Arch arch = Arch::arm64);

/// The declarative layout file (JSON, documented in docs/layout-file.md).
Layout load_layout_file(const std::string& path);
Layout load_layout_json(const std::string& name, const std::string& text);

/// Serializes a layout as the layout-file JSON (load_layout_json reads it back).
std::string layout_to_json(const Layout& l);

/// Named presets shipped with the tool.
std::vector<std::string> preset_names();
Layout load_preset(const std::string& name);  // throws LoadError{"preset", 0, "unknown ..."}

/// `base` with RAM/reserved/MMIO from `extra` added where `base` lacks them (iomem + DTB).
Layout merge_layouts(const Layout& base, const Layout& extra);

}  // namespace unpop
