#pragma once
/// `--variant auto` (docs/replay.md, "Which variant"): every candidate variant replays the
/// trace in lockstep. Decoding, attribution, the cursor and the context ring are the trace's and
/// are shared; each candidate has its own model-driven state, report and counterexample. A
/// candidate drops out at its first divergence while another is still in the running (the
/// last one goes on, so that the rules that need only the trace are checked to the end).
///
/// Variants the state cannot tell apart share one candidate: those whose StateTraits::common
/// are equal (upstream and the RFC: a LIFO page_list for plain allocations, the same growths).
/// Before the first call of the DMA path or pool reaches a candidate whose variants differ in
/// StateTraits::dma, the candidate splits: a copy of its state goes on for the variants with
/// other DMA traits. Until then one state does the work of several (a plain-only trace is
/// checked once, not once per variant); after, each goes on as if it had been alone.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "model/core/geometry.h"
#include "model/layout/layout.h"
#include "traces/replay/calls.h"
#include "traces/replay/collector.h"
#include "traces/replay/context.h"
#include "traces/replay/counterexample.h"
#include "traces/replay/cursor.h"
#include "traces/replay/state.h"
#include "traces/replay/types.h"

namespace unpop::replay {

/// The variants `auto` starts from: every registered one some kernel implements
/// (VariantInfo::auto_candidate) whose native arch (if any) is the layout's, in registration
/// order (the order of choice among those that fit).
std::vector<std::string> auto_candidates(const Layout& layout);

/// A variant of the candidates, with its place in the order of choice and the traits the state
/// reads (looked up once).
struct Member {
  std::size_t rank;
  std::string name;
  StateTraits traits;
};

struct Candidate {
  /// `members`: non-empty, with equal StateTraits::common, in the order of choice.
  Candidate(const Layout& layout, const Geometry& geo, Options o, std::vector<Member> members, Cursor& cursor,
            const ContextRing& ring);
  /// The same state going on for `members` (some of this one's) on its own.
  Candidate(const Candidate& o, std::vector<Member> members);
  Candidate& operator=(const Candidate&) = delete;

  std::vector<Member> members;  // the variants it stands for; opt.variant is the first's
  Options opt;
  Counterexample cex;
  Collector out;
  ModelState state;
  bool live = true;
  bool own_dma_pool = false;  // some member grows a DMA pool of its own (attribution asks)
  bool dma_shared = true;     // every member has the first one's StateTraits::dma
  std::string label() const;  // the members' names joined by +
  /// Stands for `m` from here (its first member must stay the first: opt.variant is its name).
  void stand_for(std::vector<Member> m);
};

/// The candidates for `names` (in the order of choice), variants with equal StateTraits::common
/// sharing one.
std::vector<std::unique_ptr<Candidate>> make_candidates(const Layout& layout, const Geometry& geo, const Options& opt,
                                                        const std::vector<std::string>& names, Cursor& cursor,
                                                        const ContextRing& ring);

/// The CallSink attribution talks to: each call goes to every live candidate.
class FanOut final : public CallSink {
 public:
  explicit FanOut(std::vector<std::unique_ptr<Candidate>>& cands) : c_(cands) {}

  void growth(const GrowthCall& g) override;
  void alloc(AllocCall&& c) override;
  void free(FreeCall&& c) override;
  void collect() override;
  void hold(Finding f) override;
  void warn(std::string kind, const Where& at, std::string message) override;
  void unchecked(std::string note) override;
  Pfn page_pfn(const Event& e, bool alloc) override;
  bool struct_page_base_known() const override;
  PageSeq pages_array(const Event& e) override;
  void pool_extent_unknown() override;
  bool pool_from_next_summary() const override;

  /// Drops candidates that diverged, while another one is still live.
  void prune();
  /// Splits every live candidate whose members differ in StateTraits::dma (before a call of the
  /// DMA path or pool): the first members' traits stay, a copy goes on for each other kind.
  void split_for_dma();
  std::size_t live() const;
  Candidate& first_live() const;

 private:
  Candidate* last_live() const;  // the last live one in order (prune() always leaves one)
  std::vector<std::unique_ptr<Candidate>>& c_;
};

}  // namespace unpop::replay
