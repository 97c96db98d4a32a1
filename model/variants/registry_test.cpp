// The registry: one record per variant, names parsed in one place, traits that say what the
// model does, and no variant name spelled out anywhere else in the sources.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "model/case/runner.h"
#include "model/core/errno.h"
#include "model/testing/test_layouts.h"
#include "model/variants/registry.h"

namespace unpop {
namespace {

namespace fs = std::filesystem;
using testing::make_case;
using testing::qemu_dom0;

TEST(Registry, BuiltInVariantsInOrderEachComplete) {
  const auto names = variant_names();
  ASSERT_GE(names.size(), 5u);
  EXPECT_EQ(std::vector<std::string>(names.begin(), names.begin() + 5),
            (std::vector<std::string>{"upstream", "rfc", "v1", "x86", "proposed"}));
  std::set<std::string> colours;
  for (const auto& v : variants()) {
    EXPECT_FALSE(v.summary.empty()) << v.name;
    EXPECT_FALSE(v.source.empty()) << v.name;
    EXPECT_TRUE(v.make && v.make()) << v.name;
    EXPECT_TRUE(colours.insert(v.colour).second) << v.name << ": colour shared with another variant";
    for (const auto& b : v.by_design) {
      EXPECT_NE(find_rule(b.rule), nullptr) << v.name << ": " << b.rule;
      EXPECT_NE(std::string(b.why), "") << v.name << ": " << b.rule;
      EXPECT_TRUE(find_rule(b.rule)->applies_to(b.ops)) << v.name << ": " << b.rule << " cannot break at those ops";
    }
  }
  EXPECT_EQ(find_variant(default_variant())->name, default_variant());
}

TEST(Registry, NamesParseInOnePlace) {
  EXPECT_EQ(parse_variants("all"), variant_names());
  EXPECT_EQ(parse_variants("v1,rfc,v1"), (std::vector<std::string>{"v1", "rfc"}));
  try {
    parse_variants("rfc,nope", "--variant");
    FAIL() << "no error for an unknown name";
  } catch (const LoadError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("--variant"), std::string::npos) << m;
    EXPECT_NE(m.find("unknown variant 'nope'"), std::string::npos) << m;
    for (const auto& n : variant_names()) EXPECT_NE(m.find(n), std::string::npos) << m;
  }
  EXPECT_THROW(parse_variants("rfc,"), LoadError);
  EXPECT_THROW(parse_variants(""), LoadError);
  EXPECT_EQ(make_variant("nope"), nullptr);
  EXPECT_THROW(Runner(make_case(qemu_dom0(), "nope", {"alloc 1"})), LoadError);
}

TEST(Registry, ByDesignFindingsAndMutantScopes) {
  EXPECT_EQ(by_design_rules(*find_variant("rfc")), (std::vector<std::string>{"kernel-bug", "spurious-enomem"}));
  EXPECT_TRUE(by_design_rules(*find_variant("proposed")).empty());
  EXPECT_EQ(mutant_variants_text(Mutant::fifo_order), "upstream rfc x86");
  EXPECT_EQ(mutant_variants_text(Mutant::dma_free_to_list), "rfc");
  EXPECT_EQ(mutant_variants_text(Mutant::no_holes), "upstream rfc v1 proposed (Arm)");
  // On an Arm layout of fragmented space, the RFC's slip shows only on its DMA path.
  const VariantInfo& rfc = *find_variant("rfc");
  EXPECT_EQ(expectation(rfc, "kernel-bug", op_dma_alloc, {Needs::arm_target}, {}), Expect::breaks);
  EXPECT_EQ(expectation(rfc, "kernel-bug", op_alloc, {Needs::arm_target}, {}), Expect::holds);
  EXPECT_EQ(expectation(rfc, "kernel-bug", op_dma_alloc, {}, {}), Expect::holds);
  EXPECT_EQ(expectation(*find_variant("x86"), "device-overlap", op_any, {}, {Needs::grant_table_in_reach}),
            Expect::either);
}

// The traits say what the model does: run each variant and compare.
TEST(Registry, TraitsAgreeWithTheModel) {
  for (const auto& v : variants()) {
    SCOPED_TRACE(v.name);
    Runner r(make_case(qemu_dom0(), v.name, {"alloc 2", "dma_alloc 1 gntdev"}));
    auto s = r.run();
    ASSERT_EQ(s[0].ret, 0);
    // LIFO page_list: fill_list pushes the growth ascending, so the first page out is its top.
    // Every other pool hands out from the bottom of the growth.
    const bool lifo = v.traits.pool == PoolKind::lifo_list;
    EXPECT_EQ(s[0].pages.front() > s[0].pages.at(1), lifo);
    ASSERT_EQ(s[1].ret, 0);
    EXPECT_EQ(s[1].source == Source::ram, v.traits.dma == DmaSource::cma_ram);
    // A DMA pool of its own is grown apart from the plain pool: its page is in another section.
    if (v.traits.dma != DmaSource::cma_ram) {
      const Pfn sec = 0x8000000 >> 12;
      EXPECT_EQ(s[1].pages.front() / sec != s[0].pages.front() / sec, v.traits.dma == DmaSource::own_genpool);
    }
    // The target unpopulated_init() picked on an Arm layout.
    EXPECT_EQ(r.model().kernel().target_kind() == Target::iomem, v.traits.target == GrowthTarget::iomem);
  }
}

// No file outside model/variants, tests and docs spells a registered variant's name as a string
// literal: everything else asks the registry.
TEST(Registry, NoVariantNameLiteralOutsideTheRegistry) {
  const fs::path root = UNPOP_SOURCE_DIR;
  // Literals that are not variant names although they read like one, with the reason.
  const std::set<std::pair<std::string, std::string>> allowed = {
      {"model/layout/layout_file.cpp", "\"x86\""},  // the arch alias of a layout file's "arch": "x86_64"
  };
  // A plain search, not std::regex: GCC 12's <regex> trips -Wmaybe-uninitialized under ASan -O2.
  const std::vector<std::string> names = variant_names();
  const auto quoted_name = [&](const std::string& line) -> std::string {
    for (const auto& n : names)
      for (const char q : {'"', '\''})
        if (line.find(q + n + q) != std::string::npos) return n;
    return {};
  };
  int files = 0;
  std::vector<std::string> hits;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
    const fs::path& p = it->path();
    const std::string rel = fs::relative(p, root).string();
    if (it->is_directory()) {
      const std::string d = p.filename().string();
      if (d == ".git" || d.rfind("build", 0) == 0 || d == "docs" || d == "fixtures" || d == "corpus" ||
          d == "regressions" || d == "tests" || rel == "model/variants")
        it.disable_recursion_pending();
      continue;
    }
    const std::string ext = p.extension().string();
    const bool script = ext.empty() && (rel.rfind("scripts/", 0) == 0 || rel.rfind("bench/", 0) == 0);
    if (ext != ".cpp" && ext != ".h" && ext != ".c" && ext != ".py" && ext != ".sh" && !script) continue;
    if (rel.find("_test.") != std::string::npos) continue;
    ++files;
    std::ifstream in(p);
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
      const std::string name = quoted_name(line);
      if (!name.empty() && !allowed.count({rel, "\"" + name + "\""}))
        hits.push_back(rel + ":" + std::to_string(n) + ": " + line);
    }
  }
  EXPECT_GT(files, 50);
  EXPECT_TRUE(hits.empty()) << [&] {
    std::string s;
    for (const auto& h : hits) s += h + "\n";
    return s;
  }();
}

}  // namespace
}  // namespace unpop
