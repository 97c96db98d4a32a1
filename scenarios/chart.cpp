#include "scenarios/chart.h"


#include <algorithm>
#include <cmath>
#include <functional>
#include <map>

#include <fmt/format.h>

#include "model/variants/registry.h"

namespace unpop::scen {
namespace {

std::string esc(const std::string& s) {
  std::string o;
  for (char ch : s) {
    if (ch == '&')
      o += "&amp;";
    else if (ch == '<')
      o += "&lt;";
    else if (ch == '>')
      o += "&gt;";
    else if (ch == '"')
      o += "&quot;";
    else
      o += ch;
  }
  return o;
}

/// 1, 2, 5 x 10^k at or above v.
double nice_ceil(double v) {
  if (v <= 0) return 1;
  double p = std::pow(10.0, std::floor(std::log10(v)));
  for (double m : {1.0, 1.2, 1.6, 2.0, 2.4, 3.2, 4.0, 6.0, 8.0, 10.0})  // each splits into 4 round ticks
    if (m * p >= v - 1e-9) return m * p;
  return 10 * p;
}

std::string num(double v) {
  if (v == 0) return "0";
  if (std::fabs(v) >= 100 || std::fabs(v - std::round(v)) < 1e-9) return fmt::format("{:.0f}", v);
  if (std::fabs(v) >= 10) return fmt::format("{:.1f}", v);
  return fmt::format("{:.2g}", v);
}

double width_for(std::size_t i) { return std::max(1.3, 7.5 - 1.6 * static_cast<double>(i)); }

struct Metric {
  std::string title;
  std::function<double(const Sample&, const RunResult&)> at;  // timeline value
  std::function<double(const RunResult&)> total;              // summary value
};

std::vector<Metric> metrics_for(const RunResult& any) {
  const double mib = static_cast<double>(any.page_size) / (1 << 20);
  return {
      {"RAM taken from the guest (MiB)", [mib](const Sample& s, const RunResult&) { return s.ram * mib; },
       [mib](const RunResult& r) { return r.c.ram_pages_peak * mib; }},
      {fmt::format("2 MiB P2M superpages broken (of {})", any.c.p2m_2m_blocks),
       [](const Sample& s, const RunResult&) { return static_cast<double>(s.p2m_2m); },
       [](const RunResult& r) { return static_cast<double>(r.c.p2m_2m_broken); }},
      {"balloon hypercalls (decrease_reservation + populate_physmap)",
       [](const Sample& s, const RunResult&) { return static_cast<double>(s.hypercalls); },
       [](const RunResult& r) { return static_cast<double>(r.c.hypercalls()); }},
      {"unpopulated pool mapped (MiB of IPA space)",
       [mib](const Sample& s, const RunResult&) { return s.pool * mib; },
       [mib](const RunResult& r) { return r.c.pool_pages * mib; }},
      {"unpopulated pool idle (MiB)",
       [mib](const Sample& s, const RunResult&) { return (s.pool - s.pool_live) * mib; },
       [mib](const RunResult& r) { return r.c.idle_end * mib; }},
      {"allocation failures",
       [](const Sample& s, const RunResult&) { return static_cast<double>(s.failures); },
       [](const RunResult& r) { return static_cast<double>(r.c.alloc_failures); }},
  };
}

void legend(std::string& o, const std::vector<std::string>& variants, double x, double y) {
  for (std::size_t i = 0; i < variants.size(); ++i) {
    double lx = x + 130.0 * static_cast<double>(i);
    o += fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="22" height="10" fill="{}"/>)"
                     R"(<text x="{:.1f}" y="{:.1f}" font-size="13">{}</text>)",
                     lx, y - 9, variant_colour(variants[i]), lx + 28, y, esc(variants[i]));
  }
}

void axes(std::string& o, double x, double y, double w, double h, double ymax, double xmax, bool xticks,
          const std::string& xlabel) {
  o += fmt::format(
      R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="#fafafa" stroke="#bbb"/>)", x, y, w,
      h);
  for (int k = 0; k <= 4; ++k) {
    double v = ymax * k / 4, yy = y + h - h * k / 4;
    o += fmt::format(R"(<line x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" stroke="#e3e3e3"/>)", x, yy,
                     x + w, yy);
    o += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" font-size="11" text-anchor="end" fill="#444">{}</text>)",
                     x - 4, yy + 4, num(v));
  }
  if (xticks) {
    for (int k = 0; k <= 4; ++k) {
      double v = xmax * k / 4, xx = x + w * k / 4;
      o += fmt::format(
          R"(<text x="{:.1f}" y="{:.1f}" font-size="11" text-anchor="middle" fill="#444">{}</text>)", xx,
          y + h + 14, num(v));
    }
    o += fmt::format(
        R"(<text x="{:.1f}" y="{:.1f}" font-size="11" text-anchor="middle" fill="#444">{}</text>)", x + w / 2,
        y + h + 28, esc(xlabel));
  }
}

}  // namespace

std::string variant_colour(const std::string& v) {
  const VariantInfo* info = find_variant(v);
  return info ? info->colour : "#555555";
}

std::string timeline_svg(const std::vector<RunResult>& runs, const std::string& title) {
  if (runs.empty()) return "";
  const auto ms = metrics_for(runs.front());
  const double pw = 470, ph = 190, left = 70, top = 78, gapx = 110, gapy = 78;
  const int cols = 2;
  const int rows = static_cast<int>((ms.size() + cols - 1) / cols);
  const double W = left + cols * pw + (cols - 1) * gapx + 30, H = top + rows * (ph + gapy) + 10;
  double tmax = 0;
  for (const auto& r : runs) tmax = std::max(tmax, r.duration);
  if (tmax <= 0) tmax = 1;
  std::string o = fmt::format(R"(<svg xmlns="http://www.w3.org/2000/svg" width="{:.0f}" height="{:.0f}" )"
                              R"(viewBox="0 0 {:.0f} {:.0f}" font-family="DejaVu Sans, Arial, sans-serif">)"
                              "\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
                              W, H, W, H);
  o +=
      fmt::format(R"(<text x="{:.1f}" y="26" font-size="18" font-weight="bold">{}</text>)", left, esc(title));
  std::vector<std::string> vs;
  for (const auto& r : runs) vs.push_back(r.variant);
  legend(o, vs, left, 54);
  o += fmt::format(
      R"(<text x="{:.1f}" y="54" font-size="11" fill="#555">coinciding lines show as nested stripes, )"
      R"(widest first</text>)",
      left + 130.0 * static_cast<double>(vs.size()) + 10);
  o += "\n";
  for (std::size_t m = 0; m < ms.size(); ++m) {
    double x = left + static_cast<double>(m % cols) * (pw + gapx);
    double y = top + static_cast<double>(m / cols) * (ph + gapy) + 18;
    double vmax = 0;
    for (const auto& r : runs)
      for (const auto& s : r.series) vmax = std::max(vmax, ms[m].at(s, r));
    vmax = std::max(4.0, nice_ceil(vmax * 1.05));  // integer ticks for small counts
    o += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" font-size="14" font-weight="bold">{}</text>)", x, y - 8,
                     esc(ms[m].title));
    axes(o, x, y, pw, ph, vmax, tmax, true, "simulated time (s)");
    for (std::size_t i = 0; i < runs.size(); ++i) {
      const auto& r = runs[i];
      if (r.series.empty()) continue;
      auto X = [&](double t) { return x + pw * t / tmax; };
      auto Y = [&](double v) { return y + ph - ph * v / vmax; };
      // Step-after line, reduced to what a pixel column can show: per half-pixel column the
      // lowest and highest value reached and the value it ends with.
      std::string d;
      double cur_y = Y(ms[m].at(r.series.front(), r));
      d = fmt::format("M{:.1f},{:.1f}", X(r.series.front().t), cur_y);
      std::size_t k = 1;
      while (k < r.series.size()) {
        double col = std::floor(X(r.series[k].t) * 2);
        double x0 = X(r.series[k].t), lo = cur_y, hi = cur_y, last = cur_y;
        bool first = true;
        while (k < r.series.size() && std::floor(X(r.series[k].t) * 2) == col) {
          double yv = Y(ms[m].at(r.series[k], r));
          if (first) lo = hi = yv, first = false;
          lo = std::min(lo, yv);
          hi = std::max(hi, yv);
          last = yv;
          ++k;
        }
        if (lo == cur_y && hi == cur_y) continue;  // nothing changed in this column
        d += fmt::format("H{:.1f}", x0);
        if (lo != hi) d += fmt::format("V{:.1f}V{:.1f}", lo == cur_y ? hi : lo, lo == cur_y ? lo : hi);
        d += fmt::format("V{:.1f}", last);
        cur_y = last;
      }
      d += fmt::format("H{:.1f}", X(tmax));
      o +=
          fmt::format(R"(<path d="{}" fill="none" stroke="{}" stroke-width="{:.1f}" stroke-linejoin="round" )"
                      R"(opacity="0.9"><title>{}</title></path>)"
                      "\n",
                      d, variant_colour(r.variant), width_for(i), esc(r.variant));
    }
  }
  o += "</svg>\n";
  return o;
}

std::string summary_svg(const std::vector<RunResult>& runs, const std::string& title) {
  if (runs.empty()) return "";
  const auto ms = metrics_for(runs.front());
  std::vector<std::string> scen, vars;
  for (const auto& r : runs) {
    if (std::find(scen.begin(), scen.end(), r.scenario) == scen.end()) scen.push_back(r.scenario);
    if (std::find(vars.begin(), vars.end(), r.variant) == vars.end()) vars.push_back(r.variant);
  }
  auto find = [&](const std::string& s, const std::string& v) -> const RunResult* {
    for (const auto& r : runs)
      if (r.scenario == s && r.variant == v) return &r;
    return nullptr;
  };
  const double pw = 520, ph = 180, left = 70, top = 78, gapx = 100, gapy = 92;
  const int cols = 2;
  const int rows = static_cast<int>((ms.size() + cols - 1) / cols);
  const double W = left + cols * pw + (cols - 1) * gapx + 30, H = top + rows * (ph + gapy) + 10;
  std::string o = fmt::format(R"(<svg xmlns="http://www.w3.org/2000/svg" width="{:.0f}" height="{:.0f}" )"
                              R"(viewBox="0 0 {:.0f} {:.0f}" font-family="DejaVu Sans, Arial, sans-serif">)"
                              "\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
                              W, H, W, H);
  o +=
      fmt::format(R"(<text x="{:.1f}" y="26" font-size="18" font-weight="bold">{}</text>)", left, esc(title));
  legend(o, vars, left, 54);
  o += "\n";
  for (std::size_t m = 0; m < ms.size(); ++m) {
    double x = left + static_cast<double>(m % cols) * (pw + gapx);
    double y = top + static_cast<double>(m / cols) * (ph + gapy) + 18;
    double vmax = 0;
    for (const auto& r : runs) vmax = std::max(vmax, ms[m].total(r));
    vmax = std::max(4.0, nice_ceil(vmax * 1.1));
    std::string t = ms[m].title;
    if (m == 0) t = "peak " + t;
    if (m == 4) t = "unpopulated pool idle before teardown (MiB)";
    o += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" font-size="14" font-weight="bold">{}</text>)", x, y - 8,
                     esc(t));
    axes(o, x, y, pw, ph, vmax, 0, false, "");
    const double gw = pw / static_cast<double>(scen.size());
    const double bw = (gw - 14) / static_cast<double>(vars.size());
    for (std::size_t s = 0; s < scen.size(); ++s) {
      double gx = x + gw * static_cast<double>(s) + 7;
      o += fmt::format(
          R"(<text x="{:.1f}" y="{:.1f}" font-size="11" text-anchor="middle" fill="#222">{}</text>)",
          gx + (gw - 14) / 2, y + ph + 14, esc(scen[s]));
      for (std::size_t v = 0; v < vars.size(); ++v) {
        const RunResult* r = find(scen[s], vars[v]);
        if (!r) continue;
        double val = ms[m].total(*r), bh = ph * val / vmax;
        double bx = gx + bw * static_cast<double>(v);
        o += fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}">)"
                         R"(<title>{} {}: {}</title></rect>)",
                         bx, y + ph - bh, std::max(1.0, bw - 1), bh, variant_colour(vars[v]), esc(scen[s]),
                         esc(vars[v]), num(val));
        if (val > 0)  // the value on top, so a reader needs no ruler
          o += fmt::format(
              R"(<text x="{:.1f}" y="{:.1f}" font-size="8" text-anchor="middle" fill="#222">{}</text>)",
              bx + std::max(1.0, bw - 1) / 2, y + ph - bh - 3, num(val));
        if (val == 0)  // a visible zero mark, so "zero" is not mistaken for "missing"
          o += fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="2" fill="{}"/>)", bx,
                           y + ph - 2, std::max(1.0, bw - 1), variant_colour(vars[v]));
      }
    }
    o += "\n";
  }
  o += "</svg>\n";
  return o;
}

}  // namespace unpop::scen
