// The patched kernel's own tracepoints (kernel/patches 4/4), recorded by the harness as tracefs
// text while the patched unpopulated-alloc.c runs, replayed through the model: the trace the
// real code emits is a behaviour of `proposed` (verdict ok), a caller's double free shows in it
// as the caller's bug, and the same trace is not a behaviour of upstream.
#include <gtest/gtest.h>

#include "conform/harness/lockstep.h"
#include "conform/kernel/kapi.h"
#include "model/case/runner.h"
#include "model/layout/loaders.h"
#include "traces/replay/replay.h"

namespace unpop::conform {
namespace {

const KernelBuild& patched_arm() {
  for (const auto& b : kernel_builds())
    if (b.patched && b.arch == Arch::arm64) return b;
  throw std::runtime_error("no patched arm64 build");
}

Case qemu_case(const std::string& script) {
  Case c;
  c.preset = "qemu-virt-dom0";
  c.layout = load_preset("qemu-virt-dom0");
  c.variant = variant_for(patched_arm());
  c.page_size = 4096;
  c.ops = parse_script(script, "trace_test");
  return c;
}

/// Runs the case on the patched build (it must agree with the model) and returns its trace.
std::string kernel_trace(const Case& c) {
  LockstepResult r = run_lockstep(c, patched_arm());
  EXPECT_FALSE(r.mismatch) << describe(*r.mismatch);
  return patched_arm().api->trace();
}

replay::Result replay(const Case& c, const std::string& text, const std::string& variant) {
  replay::Options o;
  o.variant = variant;
  o.drained = true;
  replay::Replayer rep(c.layout, case_geometry(c), o);
  return replay::replay_text("kernel-trace.txt", text, rep);
}

const char* kWorkload =
    "alloc 1\nalloc 40000\ndma_alloc 300\nfree #0\nalloc 3\nfree #1 5 100\ndma_alloc 70000 vdispl\n"
    "dma_alloc 16 dev32 mask=32\nfree #1 0 5\nfree #1 105 39895\nfree #4\ndma_free #2\ndma_free #6\ndma_free #7\n";

TEST(KernelTrace, ThePatchedKernelsTraceIsABehaviourOfProposed) {
  Case c = qemu_case(kWorkload);
  std::string text = kernel_trace(c);
  ASSERT_NE(text.find("xen_unpop_init: target=xen_resource"), std::string::npos) << text.substr(0, 400);
  ASSERT_NE(text.find("xen_unpop_dma_alloc: dev=dev32 nr_pages=16 ret=0"), std::string::npos);
  replay::Result r = replay(c, text, c.variant);
  EXPECT_EQ(r.verdict, replay::Verdict::ok) << (r.violations.empty() ? "" : r.violations[0].finding.message);
  EXPECT_TRUE(r.violations.empty());
  EXPECT_FALSE(r.divergence.has_value());
  EXPECT_GT(r.events, 70000u + 40000u);  // every page of every call, and the summaries
}

TEST(KernelTrace, ACallersDoubleFreeShowsInTheTrace) {
  Case c = qemu_case("alloc 8\nfree #0 0 4\nfree #0 2 4\nfree #0 6 2\n");
  replay::Result r = replay(c, kernel_trace(c), c.variant);
  ASSERT_EQ(r.verdict, replay::Verdict::violation);
  EXPECT_EQ(r.violations.at(0).finding.rule, "double-free");
}

TEST(KernelTrace, TheSameTraceIsNotABehaviourOfUpstream) {
  Case c = qemu_case(kWorkload);
  replay::Result r = replay(c, kernel_trace(c), "upstream");
  EXPECT_NE(r.verdict, replay::Verdict::ok);
  // Upstream hands out page_list's head (LIFO from the growth's top); the patch hands out the
  // lowest free run: the first page handed out already differs.
  ASSERT_TRUE(r.divergence.has_value());
  EXPECT_EQ(r.divergence->kind, "page-choice") << r.divergence->message;
}

}  // namespace
}  // namespace unpop::conform
