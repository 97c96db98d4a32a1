#pragma once
/// Stage 3 of the replay (docs/replay.md, "Stages"): the model-driven state of one variant.
///
/// It owns the invariant Checker and drives it with the Observer calls the model makes, one
/// per call attribution hands over, plus what the replay must keep beside it: the layout as
/// the trace completes it (regions, target), pages without page events (AnonPages), the struct
/// page base (StructPages), list_count checks and what the state can no longer vouch for
/// (Doubts). Variant behaviour comes from the registry's traits only, read through StateTraits.
/// Nothing here is global: several states can replay one trace side by side (one per candidate,
/// lockstep.h), and a state can be copied (a candidate splitting).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/core/geometry.h"
#include "model/invariants/checker.h"
#include "model/layout/layout.h"
#include "model/linux/genpool.h"
#include "model/variants/registry.h"
#include "traces/replay/anonymous.h"
#include "traces/replay/calls.h"
#include "traces/replay/collector.h"
#include "traces/replay/counterexample.h"
#include "traces/replay/cursor.h"
#include "traces/replay/placement.h"
#include "traces/replay/struct_pages.h"

namespace unpop::replay {

/// Every trait of a variant the state reads, in two parts. `common` is read on any call;
/// `dma` only on calls of the DMA path or the DMA pool (an allocation or free whose path is DMA,
/// a growth of kDmaPool). Variants with equal `common` parts replay as one state until the first
/// such call where their `dma` parts differ (lockstep.h); ModelState::dma() enforces the split.
struct StateTraits {
  struct Common {
    PoolKind pool = PoolKind::lifo_list;
    GrowthTarget target = GrowthTarget::by_arch;
    bool growth_from_tree = true;
    bool dma_shares_pool = false;  // list_count counts the DMA path's anonymous pages too
    Checker::Options checker;      // checker_options(): order-mismatch against a LIFO
    friend bool operator==(const Common&, const Common&) = default;
  } common;
  struct Dma {
    DmaSource source = DmaSource::cma_ram;
    bool cma_fallback = false;
    bool own_pool() const { return source == DmaSource::own_genpool; }  // a DMA pool of its own (the RFC)
    friend bool operator==(const Dma&, const Dma&) = default;
  } dma;
  static StateTraits of(const VariantInfo& v);
};

class ModelState final : public CallSink {
 public:
  /// Throws LoadError for an unknown variant or a struct page size of 0.
  ModelState(Layout layout, const Geometry& geo, const Options& opt, Cursor& cursor, Collector& out,
             Counterexample& cex);
  ~ModelState() override;
  /// A copy goes on from the same state on its own (checker, placement, genpools copied); it
  /// reports through the options, collector and counterexample rebind() gives.
  ModelState(const ModelState&) = default;
  ModelState& operator=(const ModelState&) = delete;
  void rebind(const Options& opt, Collector& out, Counterexample& cex);
  /// The `dma` traits, and whether every variant this state stands for has them (if not,
  /// reading them throws std::logic_error: the lockstep must split first).
  void set_dma_traits(const StateTraits::Dma& dma, bool shared);
  const StateTraits& traits() const { return traits_; }

  bool has_checker() const { return checker_.has_value(); }
  const Checker* checker() const { return checker_ ? &*checker_ : nullptr; }
  /// The layout as replayed: the trace's extended regions fill a layout that has none.
  const Layout& layout() const { return layout_; }

  /// Builds the checker (at xen_unpop_init, or the allocator's first other event): the layout
  /// checked against the trace's regions, x86's extra memory seeded, the target inferred
  /// without an init event.
  void ensure_checker();
  void set_step(std::uint64_t line) {
    if (checker_) checker_->set_step(line);
  }
  void region(const Event& e);  // xen_unpop_region (before the checker exists)
  void init(const Event& e);    // xen_unpop_init
  /// End of input, after attribution closed its calls: the anonymous stretch still open.
  void close_anonymous();
  /// --drained: every live page (anonymous ones too) is a leak.
  void drain();

  // CallSink
  void growth(const GrowthCall& g) override;
  void alloc(AllocCall&& c) override;
  void free(FreeCall&& c) override;
  void collect() override;
  void hold(Finding f) override { out_->hold(std::move(f)); }
  void warn(std::string kind, const Where& at, std::string message) override;
  void unchecked(std::string note) override { out_->unchecked(std::move(note)); }
  Pfn page_pfn(const Event& e, bool alloc) override;
  bool struct_page_base_known() const override { return struct_pages_.known(); }
  PageSeq pages_array(const Event& e) override { return struct_pages_.pages(e); }
  /// Is the LIFO order still checked (no anonymous pages made it unknown)?
  bool follows_order() const { return !order_unknown_ && lifo_; }
  void pool_extent_unknown() override { pool_unknown_ = true; }
  bool pool_from_next_summary() const override;

 private:
  void compare_regions(const Where& at);
  void start_placement(Target t);
  void check_placement(const GrowthCall& g);
  void check_dma_source(const PageSeq& pages);
  int genpool_of(Path path) const;  // the pool id whose genpool serves `path`, or -1
  void genpool_grown(int pool, const Range& r);
  void genpool_alloc(const AllocCall& c);
  void genpool_freed(Path path, const PageSeq& pages);
  void infer_target(const Where& at);
  void alloc_failed(const AllocCall& c, const PageSeq& pages, std::uint64_t applied);
  void hand_out(Path path, std::string_view owner, const PageSeq& pages);
  void give_back(Path path, std::string_view owner, const PageSeq& pages);
  void count_mismatch(std::string message, std::uint64_t nr, std::uint64_t pages);
  void free_anonymous(const FreeCall& c);
  void check_list_count(std::uint64_t list_count);
  void anon_change(int path, std::int64_t delta);
  void check_return_code(const AllocCall& c, const PageSeq& pages);
  void reconcile_uncertain(const PageSeq& pages);
  Source dma_source(const PageSeq& pages) const;
  const StateTraits::Dma& dma() const;

  Layout layout_;
  Geometry geo_;
  const Options* opt_;
  StateTraits traits_;
  bool dma_shared_ = true;  // traits_.dma holds for every variant of this state
  bool lifo_;               // a LIFO list: order-mismatch is checked against the list's order
  Cursor& cur_;
  Collector* out_;
  Counterexample* cex_;
  StructPages struct_pages_;
  AnonPages anon_;
  std::optional<Checker> checker_;
  std::optional<Placement> placement_;  // the model's growths, while they follow the trace's
  std::optional<GenPool> genpool_[2];   // genalloc as the variant's pools hold it, per pool id
  bool genpool_off_ = false;            // its reference is lost (overlapping calls, a divergence)

  std::vector<Range> trace_regions_, trace_holes_;  // xen_unpop_region events
  bool saw_init_ = false;
  bool order_unknown_ = false;         // the LIFO reference is lost (anonymous pages, interleaving)
  bool pool_unknown_ = false;          // a growth of unknown range
  std::uint64_t main_pool_pages_ = 0;  // pages grown into pool 0 (list_count check)
};

}  // namespace unpop::replay
