#include "cli/common.h"

#include <unistd.h>

#include "model/layout/loaders.h"

namespace unpop::cli {

int exit_code = kClean;

bool stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

void LayoutOptions::add_to(CLI::App* app, bool required) {
  auto* g = app->add_option_group("layout", "where the guest's layout comes from");
  g->add_option("--preset", preset, "a shipped preset (see `unpopcheck layout --list`)");
  g->add_option("--dtb", dtb, "a device-tree blob (/sys/firmware/fdt)");
  g->add_option("--iomem", iomem, "a /proc/iomem dump");
  g->add_option("--layout", layout_file, "a layout file (JSON, docs/layout-file.md)");
  if (required) g->require_option(1, 2);
  app->add_option("--page-size", page_size, "4K, 16K or 64K (default: the layout's)");
}

Layout LayoutOptions::load() const {
  if (!preset.empty()) return load_preset(preset);
  if (!layout_file.empty()) return load_layout_file(layout_file);
  if (!dtb.empty() && !iomem.empty()) return merge_layouts(load_dtb(dtb), load_iomem(iomem));
  if (!dtb.empty()) return load_dtb(dtb);
  if (!iomem.empty()) return load_iomem(iomem);
  throw LoadError{"(options)", 0, "no layout given: use --preset, --dtb, --iomem or --layout"};
}

std::uint64_t LayoutOptions::page_size_bytes(const Layout& l) const {
  if (page_size.empty()) return l.default_page_size;
  std::uint64_t p = parse_page_size(page_size);
  if (!p) throw LoadError{"--page-size", 0, "expected 4K, 16K or 64K, got '" + page_size + "'"};
  return p;
}

Geometry LayoutOptions::geometry(const Layout& l) const {
  Geometry g;
  std::string why;
  if (!Geometry::make(l.arch, page_size_bytes(l), g, &why)) throw LoadError{"--page-size", 0, why};
  return g;
}

}  // namespace unpop::cli
