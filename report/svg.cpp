#include "report/svg.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>

namespace unpop::report {
namespace {

enum Lane { kLayout, kRegions, kPool, kLive, kRam, kFindings };
constexpr int kLanes = 6;
const char* kLaneNames[kLanes] = {"layout", "extended regions", "pool chunks", "live (owner)", "RAM taken",
                                  "findings"};

struct Item {
  Range r;
  int lane;
  std::string fill;
  std::string label;
  std::string tip;
  bool hatch = false;
  bool outline = false;
};

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '&': o += "&amp;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}

const char* kOwnerColors[] = {"#e377c2", "#ff7f0e", "#9467bd", "#8c564b", "#17becf", "#bcbd22", "#1f77b4", "#d62728"};

struct Segment {
  Addr start, end;  // inclusive
  bool used;
  double x, w;
  int row;
};

}  // namespace

std::string human_size(std::uint64_t b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int u = 0;
  double v = static_cast<double>(b);
  while (v >= 1024 && u < 5) {
    v /= 1024;
    ++u;
  }
  if (std::fabs(v - std::round(v)) < 0.05) return fmt::format("{} {}", static_cast<std::uint64_t>(std::round(v)), units[u]);
  return fmt::format("{:.1f} {}", v, units[u]);
}

std::string render_svg(const SvgInput& in) {
  std::vector<Item> items;
  const Layout& l = *in.layout;
  const Geometry& g = in.geo;
  auto page_range = [&](Pfn lo, Pfn hi) { return Range{g.addr(lo), g.addr(hi) + g.page_size() - 1}; };

  for (const auto& r : l.ram) items.push_back({r.range, kLayout, "#6baed6", "RAM", r.name + " " + to_string(r.range)});
  for (const auto& r : l.reserved)
    items.push_back({r.range, kLayout, "#fdae6b", "reserved", r.name + " " + to_string(r.range)});
  // Device MMIO: neighbours closer than 2 MiB are drawn as one cluster (32 virtio-mmio slots
  // are one picture element).
  {
    std::vector<NamedRange> m = l.mmio;
    std::sort(m.begin(), m.end(), [](const auto& a, const auto& b) { return a.range < b.range; });
    for (std::size_t i = 0; i < m.size();) {
      Range r = m[i].range;
      std::string names = m[i].name;
      std::size_t n = 1, j = i + 1;
      while (j < m.size() && m[j].range.start <= r.end + (2ull << 20) && m[j].range.start > r.end) {
        r.end = std::max(r.end, m[j].range.end);
        if (n < 4) names += ", " + m[j].name;
        ++n, ++j;
      }
      if (j < m.size() && m[j].range.start <= r.end) {  // overlapping entries: skip inner ones
        while (j < m.size() && m[j].range.start <= r.end) r.end = std::max(r.end, m[j++].range.end);
      }
      items.push_back({r, kLayout, "#bcbddc", n > 1 ? fmt::format("MMIO x{}", n) : "MMIO",
                       names + (n > 4 ? fmt::format(" and {} more", n - 4) : "") + " " + to_string(r)});
      i = j;
    }
  }
  if (l.grant_table) items.push_back({*l.grant_table, kLayout, "#e6550d", "grant table", "grant table " + to_string(*l.grant_table)});
  for (const auto& r : l.extra_mem)
    items.push_back({r.range, kRegions, "#c7e9c0", "xen_extra_mem", r.name + " " + to_string(r.range)});
  for (std::size_t i = 0; i < l.ext_regions.size(); ++i)
    items.push_back({l.ext_regions[i], kRegions, "#c7e9c0", fmt::format("region {}", i),
                     fmt::format("extended region {} {}", i, to_string(l.ext_regions[i]))});
  if (in.kernel && in.kernel->has_target()) {
    const auto& t = in.kernel->tree();
    for (ResId id : t.children(in.kernel->target()))
      if (t.get(id).name == "Unavailable space")
        items.push_back({t.get(id).range, kRegions, "#d9d9d9", "hole", "Unavailable space " + to_string(t.get(id).range), true});
    // Run-time users of iomem (a driver's MMIO, hot-plugged RAM).
    std::set<Range> boot;
    for (const auto& r : l.ram) boot.insert(r.range);
    for (const auto& r : l.extra_mem) boot.insert(r.range);
    for (const auto& r : l.reserved) boot.insert(r.range);
    for (const auto& r : l.mmio) boot.insert(r.range);
    for (ResId id : t.children(in.kernel->iomem())) {
      const Resource& r = t.get(id);
      if (boot.count(r.range) || r.name == "Xen scratch" || r.name == "Xen DMA pool") continue;
      bool ram = r.name == "System RAM";
      items.push_back({r.range, kLayout, ram ? "#3182bd" : "#756bb1", ram ? "hot-plugged RAM" : "claimed",
                       r.name + " (run time) " + to_string(r.range)});
    }
  }
  std::uint64_t live_pool = 0, pool_pages = 0;
  if (in.checker) {
    const Checker& c = *in.checker;
    pool_pages = c.pool_pages();
    live_pool = c.live_pages();
    for (const auto& gr : c.growths()) {
      Range r{boost::icl::first(gr), boost::icl::last(gr)};
      PfnSet inside = c.live() & PfnSet::interval_type::closed(g.pfn(r.start), g.pfn(r.end));
      std::uint64_t live = boost::icl::cardinality(inside), all = r.size() / g.page_size();
      // The resource's name says which pool (the RFC's "Xen DMA pool" vs "Xen scratch").
      std::string name = "Xen scratch";
      if (in.kernel && in.kernel->has_target())
        for (ResId id : in.kernel->tree().children(in.kernel->target()))
          if (in.kernel->tree().get(id).range == r) name = in.kernel->tree().get(id).name;
      const bool dma = name == "Xen DMA pool";
      items.push_back({r, kPool, dma ? "#41ab5d" : "#a1d99b", dma ? "DMA pool" : "chunk",
                       fmt::format("{} {}: {} pages, {} free, {} live", name, to_string(r), all, all - live, live)});
    }
    for (const auto& p : c.pool())
      if (!boost::icl::contains(c.growths(), g.addr(boost::icl::first(p))))
        items.push_back({page_range(boost::icl::first(p), boost::icl::last(p)), kPool, "#a1d99b", "seeded",
                         "pool pages without a growth (seeded) " + to_string(page_range(boost::icl::first(p), boost::icl::last(p)))});
    std::size_t budget = 160;  // live runs drawn as their own segments
    for (const auto& [id, a] : c.live_allocs()) {
      const bool ram = a.source == Source::ram;
      const char* color = ram ? "#de2d26" : kOwnerColors[id % 8];
      std::size_t k = 0;
      for (const auto& run : a.pages.runs()) {
        if (budget == 0) break;
        Range r = page_range(run.lo(), run.hi());
        items.push_back({r, ram ? kRam : kLive, color, fmt::format("#{} {}", id, a.owner),
                         fmt::format("allocation #{} ({} {} pages, {}, step {}): pages {}", id, to_string(a.path),
                                     a.pages.size(), a.owner, a.step, PageSeq::ascending(run.lo(), run.count).describe())});
        --budget;
        if (++k >= 6) break;
      }
    }
  }
  for (const auto& f : in.findings) {
    for (const auto& nr : f.ranges)
      items.push_back({nr.range, kFindings, "#fee0d2", f.rule, f.rule + ": " + nr.name + " " + to_string(nr.range), false, true});
    for (auto p : f.pfns)
      items.push_back({g.page_range(p), kFindings, "#fee0d2", f.rule, fmt::format("{}: pfn {:#x}", f.rule, p), false, true});
  }

  // Piecewise axis: every boundary starts a segment.
  std::set<Addr> cuts;
  for (const auto& it : items) {
    cuts.insert(it.r.start);
    if (it.r.end != ~Addr{0}) cuts.insert(it.r.end + 1);
  }
  std::vector<Segment> segs;
  if (!cuts.empty()) {
    std::vector<Addr> cv(cuts.begin(), cuts.end());
    for (std::size_t i = 0; i + 1 < cv.size(); ++i) {
      Range s{cv[i], cv[i + 1] - 1};
      bool used = std::any_of(items.begin(), items.end(), [&](const Item& it) { return it.r.overlaps(s); });
      segs.push_back({s.start, s.end, used, 0, 0, 0});
    }
  }
  const double W = 1360, left = 120, minw = 10, perbit = 4.2, gapw = 12;
  const double lane_h = 20, lane_gap = 4, axis_h = 64;
  // Few segments: stretch them (up to 4x) so the picture uses the width.
  double natural = 0;
  for (const auto& s : segs) {
    double bits = std::log2(std::max<double>(1.0, static_cast<double>(s.end - s.start + 1) / 4096.0));
    natural += s.used ? minw + perbit * bits : gapw;
  }
  const double stretch = natural > 0 ? std::clamp((W - left - 20) / natural, 1.0, 4.0) : 1.0;
  double x = left;
  int row = 0;
  for (auto& s : segs) {
    double bits = std::log2(std::max<double>(1.0, static_cast<double>(s.end - s.start + 1) / 4096.0));
    s.w = stretch * (s.used ? minw + perbit * bits : gapw);
    if (x + s.w > W - 10 && x > left) {
      ++row;
      x = left;
    }
    s.x = x;
    s.row = row;
    x += s.w;
  }
  const int rows = row + 1;
  const double row_h = kLanes * (lane_h + lane_gap) + axis_h;
  const double top = 78;
  const double H = top + rows * row_h + 20;

  auto seg_of = [&](Addr a) {
    auto it = std::upper_bound(segs.begin(), segs.end(), a, [](Addr v, const Segment& s) { return v < s.start; });
    return it == segs.begin() ? segs.end() : it - 1;
  };
  auto xpos = [&](const Segment& s, Addr a) {
    double frac = static_cast<double>(a - s.start) / (static_cast<double>(s.end - s.start) + 1.0);
    return s.x + frac * s.w;
  };

  std::string o;
  o += fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" "
      "font-family=\"DejaVu Sans, Arial, sans-serif\">\n",
      W, H, W, H);
  o += "<defs><pattern id=\"hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
       "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#eeeeee\"/>"
       "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#999\" stroke-width=\"2\"/></pattern></defs>\n";
  o += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  o += fmt::format("<text x=\"10\" y=\"22\" font-size=\"16\" font-weight=\"bold\">{}</text>\n", esc(in.title));
  o += fmt::format("<text x=\"10\" y=\"40\" font-size=\"11\">{}</text>\n", esc(in.subtitle));
  o += fmt::format(
      "<text x=\"10\" y=\"56\" font-size=\"10\" fill=\"#555\">{} pages, {} per memory section; pool {} pages, {} live. "
      "Piecewise axis: each segment is linear, its width grows with log2(size); grey breaks are unused space.</text>\n",
      g.page_size_name(), human_size(g.section_size()), pool_pages, live_pool);
  // Legend.
  const std::pair<const char*, const char*> legend[] = {
      {"#6baed6", "RAM"},          {"#fdae6b", "reserved"},     {"#bcbddc", "MMIO"},
      {"#e6550d", "grant table"},  {"#c7e9c0", "ext. region"},  {"#d9d9d9", "hole"},
      {"#a1d99b", "pool (free)"},  {"#41ab5d", "DMA pool"},     {"#e377c2", "live (owner)"}, {"#de2d26", "RAM taken"},
      {"#fee0d2", "finding"}};
  double lx = 10;
  for (const auto& [col, name] : legend) {
    o += fmt::format("<rect x=\"{}\" y=\"62\" width=\"10\" height=\"10\" fill=\"{}\" stroke=\"#333\" stroke-width=\"0.5\"/>"
                     "<text x=\"{}\" y=\"71\" font-size=\"10\">{}</text>\n",
                     lx + 500, col, lx + 513, name);
    lx += 76;
  }
  for (int r = 0; r < rows; ++r) {
    double y0 = top + r * row_h;
    for (int lane = 0; lane < kLanes; ++lane)
      o += fmt::format("<text x=\"8\" y=\"{}\" font-size=\"10\" fill=\"#333\">{}</text>\n",
                       y0 + lane * (lane_h + lane_gap) + 14, kLaneNames[lane]);
    // Segment backgrounds, breaks and axis labels.
    double last_label = -100;
    for (const auto& s : segs) {
      if (s.row != r) continue;
      double yb = y0 + kLanes * (lane_h + lane_gap);
      if (!s.used) {
        o += fmt::format("<rect x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\" fill=\"url(#hatch)\" opacity=\"0.5\">"
                         "<title>unused {} ({})</title></rect>\n",
                         s.x + 2, y0, s.w - 4, kLanes * (lane_h + lane_gap) - lane_gap, to_string(Range{s.start, s.end}),
                         human_size(s.end - s.start + 1));
      } else {
        o += fmt::format("<line x1=\"{:.1f}\" y1=\"{}\" x2=\"{:.1f}\" y2=\"{}\" stroke=\"#ccc\" stroke-width=\"0.5\"/>\n", s.x,
                         y0, s.x, yb + 4);
      }
      if (s.x - last_label >= 11) {
        o += fmt::format("<text transform=\"translate({:.1f},{}) rotate(60)\" font-size=\"8\" fill=\"#444\">{}</text>\n",
                         s.x, yb + 8, hex(s.start));
        last_label = s.x;
      }
    }
  }
  // Items, clipped to their segments.
  for (const auto& it : items) {
    auto a = seg_of(it.r.start);
    if (a == segs.end()) continue;
    for (auto s = a; s != segs.end() && s->start <= it.r.end; ++s) {
      Addr lo = std::max(it.r.start, s->start), hi = std::min(it.r.end, s->end);
      double x0 = xpos(*s, lo), x1 = hi == s->end ? s->x + s->w : xpos(*s, hi + 1);
      double y = top + s->row * row_h + it.lane * (lane_h + lane_gap);
      o += fmt::format(
          "<rect x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\" fill=\"{}\" stroke=\"{}\" stroke-width=\"{}\">"
          "<title>{}</title></rect>\n",
          x0, y, std::max(1.0, x1 - x0), lane_h, it.hatch ? "url(#hatch)" : it.fill, it.outline ? "#cb181d" : "#333",
          it.outline ? 2 : 0.4, esc(it.tip));
      // Size label when it fits (the piece of this item in this segment).
      double w = x1 - x0;
      std::string lab = human_size(hi - lo + 1);
      if (w >= 6.0 * static_cast<double>(lab.size()))
        o += fmt::format("<text x=\"{:.1f}\" y=\"{}\" font-size=\"9\" text-anchor=\"middle\">{}</text>\n", (x0 + x1) / 2,
                         y + 13, lab);
    }
  }
  o += "</svg>\n";
  return o;
}

std::string render_html(const SvgInput& in, const std::string& text) {
  std::string o = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + esc(in.title) +
                  "</title><style>body{font-family:sans-serif;margin:16px} pre{background:#f6f6f6;padding:10px;"
                  "font-size:12px;overflow:auto} svg rect:hover{opacity:0.7}</style></head><body>\n";
  o += "<h2>" + esc(in.title) + "</h2>\n<p>" + esc(in.subtitle) + " (hover a block for its range)</p>\n";
  o += render_svg(in);
  o += "<h3>Replay</h3>\n<pre>" + esc(text) + "</pre>\n</body></html>\n";
  return o;
}

}  // namespace unpop::report
