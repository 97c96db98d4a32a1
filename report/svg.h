#pragma once
/// The address space as a picture (SVG, and an HTML page around it): RAM, reserved memory,
/// MMIO, the grant table, extended regions and the "Unavailable space" holes, pool chunks with
/// their free pages, live pages per owner, RAM taken by fallbacks, and the ranges of the
/// findings, at one moment of a replay (the failing step of a counterexample).
///
/// The axis is piecewise: every boundary of anything drawn starts a segment, each segment is
/// linear inside and gets a width that grows with log2 of its size from a minimum, so a 4 KiB
/// page and a 4 GiB bank are both visible and labelled with their size. Address space nothing
/// uses is drawn as a narrow break.
#include <string>
#include <vector>

#include "model/core/geometry.h"
#include "model/invariants/checker.h"
#include "model/layout/layout.h"
#include "model/linux/kernel.h"

namespace unpop::report {

struct SvgInput {
  const Layout* layout = nullptr;
  Geometry geo;
  const Checker* checker = nullptr;  // pool, live pages per owner, growths
  const Kernel* kernel = nullptr;    // target's holes, run-time iomem users
  std::vector<Finding> findings;     // their ranges and pfns are highlighted
  std::string title;
  std::string subtitle;
};

std::string render_svg(const SvgInput& in);
/// A standalone page: the picture, then `text` (the step-by-step replay) in a <pre>.
std::string render_html(const SvgInput& in, const std::string& text);

/// "4 KiB", "128 MiB", "4 GiB", "1.5 GiB".
std::string human_size(std::uint64_t bytes);

}  // namespace unpop::report
