#include <gtest/gtest.h>

#include "model/case/runner.h"
#include "model/layout/loaders.h"

namespace unpop {
namespace {

std::vector<std::string> replay_rules(const std::string& variant, const std::string& script) {
  Case c;
  c.preset = "qemu-virt-dom0";
  c.layout = load_preset(c.preset);
  c.variant = variant;
  c.ops = parse_script(script, "test");
  Runner r(c);
  std::vector<std::string> out;
  for (const auto& s : r.run())
    for (const auto& f : s.findings) out.push_back(f.rule);
  return out;
}

// V1 falls back to dma_alloc_coherent when the contiguous unpopulated allocation fails. When
// that failure was injected (kzalloc in fill_pool), taking RAM is the designed answer, not
// ram-stolen: the same exemption spurious-enomem has.
TEST(CheckerReplay, RamFallbackAfterAnInjectedFaultIsNotRamStolen) {
  EXPECT_TRUE(replay_rules("v1", "fail kzalloc\ndma_alloc 1\n").empty());
  // Without the fault the pool serves it: no RAM taken at all.
  EXPECT_TRUE(replay_rules("v1", "dma_alloc 1\n").empty());
  // upstream's DMA path takes CMA RAM with no fault: still ram-stolen.
  EXPECT_EQ(replay_rules("upstream", "dma_alloc 1\n"), std::vector<std::string>{"ram-stolen"});
}

}  // namespace
}  // namespace unpop
