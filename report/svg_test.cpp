#include "report/svg.h"

#include <gtest/gtest.h>

#include <string>

#include "model/case/runner.h"
#include "model/layout/loaders.h"

namespace unpop::report {
namespace {

TEST(Svg, HumanSizes) {
  EXPECT_EQ(human_size(4096), "4 KiB");
  EXPECT_EQ(human_size(128ull << 20), "128 MiB");
  EXPECT_EQ(human_size(3ull << 29), "1.5 GiB");
}

// A 4 KiB page and a 512 MiB RAM bank are both drawn at least 10 px wide, with a tooltip.
TEST(Svg, PageAndBankBothVisible) {
  Case c;
  c.preset = "qemu-virt-dom0";
  c.layout = load_preset(c.preset);
  c.ops = parse_script("alloc 1\n", "t");
  Runner r(c);
  r.run();
  SvgInput in;
  in.layout = &r.model().kernel().layout();
  in.geo = r.model().kernel().geo();
  in.checker = &r.checker();
  in.kernel = &r.model().kernel();
  in.title = "t";
  std::string svg = render_svg(in);
  ASSERT_NE(svg.find("<svg"), std::string::npos);
  ASSERT_NE(svg.find("</svg>"), std::string::npos);
  // The width of the <rect> whose tooltip starts with `tip` (no std::regex: GCC 12 warns
  // inside it under -fsanitize, and warnings are errors).
  auto width_of = [&](const std::string& tip) {
    std::size_t t = svg.find("<title>" + tip);
    EXPECT_NE(t, std::string::npos) << tip;
    if (t == std::string::npos) return 0.0;
    std::size_t r = svg.rfind("<rect", t);
    std::size_t w = svg.find("width=\"", r);
    if (r == std::string::npos || w == std::string::npos || w > t) return 0.0;
    return std::stod(svg.substr(w + 7));
  };
  EXPECT_GE(width_of("allocation #1"), 10.0);
  EXPECT_GE(width_of("System RAM 0x60000000-0x7fffffff"), 10.0);
  EXPECT_NE(svg.find("512 MiB"), std::string::npos);
  std::string html = render_html(in, "[0] alloc 1 -> 0 <x>");
  EXPECT_NE(html.find("&lt;x&gt;"), std::string::npos);  // escaped
}

}  // namespace
}  // namespace unpop::report
