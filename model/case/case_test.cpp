// The script language's references (#K is op K) and what a run says of a free that names an
// allocation that failed, or part of a DMA buffer.
#include <gtest/gtest.h>

#include "model/case/case.h"
#include "model/case/runner.h"
#include "model/layout/loaders.h"

namespace unpop {
namespace {

LoadError parse_error(const std::string& text) {
  try {
    parse_script(text, "s.script");
  } catch (const LoadError& e) {
    return e;
  }
  ADD_FAILURE() << "no error for:\n" << text;
  return {};
}

TEST(Script, ReferencesNameTheLine) {
  std::vector<std::size_t> lines;
  auto ops = parse_script("alloc 4\n# comment\n\nfree #0 1 3\n", "s.script", &lines);
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_EQ(lines, (std::vector<std::size_t>{1, 4}));

  LoadError e = parse_error("alloc 4\nfree #0 2 5\n");
  EXPECT_EQ(e.line, 2u);
  EXPECT_NE(e.message.find("pages 2..6 of #0 do not exist"), std::string::npos) << e.message;

  e = parse_error("alloc 4\n\nfree #1\n");
  EXPECT_EQ(e.line, 3u);
  EXPECT_NE(e.message.find("#1 is not an earlier op"), std::string::npos) << e.message;

  e = parse_error("drain\nfree #0\n");
  EXPECT_EQ(e.line, 2u);
  EXPECT_NE(e.message.find("not an allocation"), std::string::npos) << e.message;
}

Case script_case(const std::string& text, const std::string& variant = "upstream") {
  Case c;
  c.preset = "qemu-virt-dom0";
  c.layout = load_preset(c.preset);
  c.variant = variant;
  c.ops = parse_script(text, "s.script");
  return c;
}

TEST(Script, FreeOfAFailedAllocationIsABadReference) {
  Runner r(script_case("fail kzalloc\nalloc 4\nfree #1\n"));
  auto steps = r.run();
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_TRUE(steps[1].bad_reference.empty());
  EXPECT_NE(steps[2].bad_reference.find("failed with -ENOMEM"), std::string::npos) << steps[2].bad_reference;
}

TEST(Script, PartOfADmaBufferIsSaidToBeTheMisuse) {
  Runner r(script_case("dma_alloc 4\ndma_free #0 0 2\nalloc 4\nfree #2 1 2\n", "proposed"));
  auto steps = r.run();
  ASSERT_EQ(steps.size(), 4u);
  EXPECT_NE(steps[1].note.find("dma-free-mismatch"), std::string::npos) << steps[1].note;
  EXPECT_NE(steps[3].note.find("gives back pages 1..2 of the 4 #2 got"), std::string::npos) << steps[3].note;
  EXPECT_EQ(steps[3].note.find("misuse"), std::string::npos) << steps[3].note;
  EXPECT_TRUE(steps[3].bad_reference.empty());
}

// Messages name an allocation by its op, as `free #K` does.
TEST(Script, AllocationsAreNamedByTheirOp) {
  Runner r(script_case("alloc 1\nalloc 4\ndrain\n"));
  auto steps = r.run();
  ASSERT_EQ(steps.size(), 3u);
  bool found = false;
  for (const auto& f : steps[2].findings)
    if (f.rule == "leak" && f.message.find("allocation #1 (plain 4 pages") != std::string::npos) found = true;
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace unpop
