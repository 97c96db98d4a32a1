#pragma once
/// Trace replay: turns parsed trace records (traces/record.h) into the model's Observer calls
/// on the invariant Checker, event by event, and collects what broke (contract:
/// docs/trace-events.md; docs/replay.md).
///
/// Streaming: the state kept is the checker's (live pages, pool, live allocations), the pages of
/// calls still in progress per task, a bounded ring of recent events for context, and a bounded
/// number of report entries. Nothing grows with the length of the trace unless a counterexample
/// (`--cex`) is asked for.
#include <cstdint>
#include <map>
#include <set>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "model/case/case.h"
#include "model/core/geometry.h"
#include "model/invariants/checker.h"
#include "model/layout/layout.h"
#include "traces/record.h"

namespace unpop::replay {

struct Options {
  std::string variant = default_variant();
  bool drained = false;      // all users had gone by the end: live pages are leaks
  bool all = false;          // go on after the first violation
  std::optional<std::uint64_t> vmemmap;  // struct page array base for `page=` fields
  std::uint64_t struct_page_size = 64;
  std::size_t context_lines = 8;         // preceding events shown per violation
  std::size_t ring_size = 4096;          // recent events remembered for context
  bool liveness = true;
  bool build_cex = false;                // keep the ops for a counterexample case
  std::string preset;                    // the layout's preset name, for the case file
};

/// Where an event is: file, 1-based line (trace.dat: record index), timestamp, task.
struct Where {
  std::string file;
  std::uint64_t line = 0;
  std::string timestamp;
  std::string task;  // comm
  std::int64_t pid = -1;
  std::int32_t cpu = -1;
};

/// A finding attached to the event that showed it.
struct Reported {
  Finding finding;
  Where at;
  std::vector<std::string> context;  // preceding events of the same pages
  std::string lost_marker;           // non-empty: a warning because of this lost-events marker
};

struct Warning {
  std::string kind;  // lost-events, unknown-event, unsorted, inferred-target, assumed-rollback, derived-vmemmap,
                     // incomplete, or a rule id (a finding made uncertain by lost events)
  std::string file;
  std::uint64_t line = 0;
  std::string message;
};

struct InputError {
  std::string file;
  std::uint64_t line = 0;
  std::string message;
};

enum class Verdict { ok, violation, unreadable };
const char* to_string(Verdict v);

struct Result {
  Verdict verdict = Verdict::ok;
  std::uint64_t events = 0;
  std::vector<Reported> violations;
  std::vector<Warning> warnings;
  std::vector<std::string> unchecked;
  std::vector<Reported> findings;  // liveness (spurious-enomem, ram-stolen)
  std::map<std::string, std::uint64_t, std::less<>> other_events;
  std::optional<InputError> error;
  int exit_code() const { return verdict == Verdict::ok ? 0 : verdict == Verdict::violation ? 1 : 2; }
};

class Replayer {
 public:
  /// Throws LoadError for an unknown variant or page size.
  Replayer(Layout layout, const Geometry& geo, Options opt);
  ~Replayer();

  /// Feeds one record (events, lost markers and comments). Returns false when the replay is
  /// over: the first violation (without --all) or an input error (see result().error).
  bool feed(const traces::Record& r);
  /// End of input: closes calls still open, applies --drained, finishes the report.
  void finish();
  /// Records an input error (unreadable verdict).
  void fail(InputError e);

  const Result& result() const { return res_; }
  const Checker* checker() const { return checker_.get(); }
  /// The replayed events as a case (when Options::build_cex): ops, layout, variant, rule.
  Case counterexample() const;

 private:
  struct Pending;    // pages of one call in progress
  struct Task;       // per-pid state
  struct RingEntry;  // a recent event, for context

  void ensure_checker();
  void on_region(const traces::Record& r);
  void on_init(const traces::Record& r);
  void on_growth(const traces::Record& r);
  void on_page(const traces::Record& r, bool alloc, Path path);
  void on_alloc(const traces::Record& r, Path path);
  void on_free(const traces::Record& r, Path path);
  void settle(Task& t);
  void close_open_free(Task& t);
  void flush_orphans(Task& t, bool at_end);
  void flush_others(Task& t, Pending& mine);  // orphans of every list but `mine`
  void flush_deferred(Task& t, int pool);
  void do_growth(int pool, std::uint64_t nr, std::optional<Range> range, int ret, std::optional<std::uint64_t> list_count);
  void do_alloc(Path path, std::uint64_t nr, int ret, PageSeq pages, const std::string& owner,
                std::optional<std::uint64_t> list_count);
  void do_free(Path path, std::uint64_t nr, PageSeq pages, const std::string& owner,
               std::optional<std::uint64_t> list_count);
  void touch(const PageSeq& pages);  // cur_lo_/cur_hi_ = the span of `pages`
  void check_list_count(std::uint64_t list_count);
  void anon_change(int path, std::int64_t delta);
  void close_stretch(bool at_end);
  void reconcile_uncertain(const PageSeq& pages);
  void collect();
  void add_unchecked(std::string s);
  void warn(std::string kind, const Where& at, std::string msg);
  Source dma_source(const PageSeq& pages) const;
  std::optional<Pfn> page_pfn(const traces::Record& r, bool alloc);
  std::uint64_t required(const traces::Record& r, std::string_view key);
  std::optional<std::uint64_t> optional_u64(const traces::Record& r, std::string_view key);
  std::optional<std::int64_t> optional_s64(const traces::Record& r, std::string_view key);
  Where where(const traces::Record& r) const;
  Where cur_where() const;
  Task& task(const traces::Record& r);
  void remember(const traces::Record& r, int kind);  // kind: the event's contract kind
  std::vector<std::string> context_for(const Finding& f, std::int64_t pid) const;
  void cex_alloc(Path path, std::uint64_t nr, const std::string& owner, const PageSeq& pages, bool ok);
  void cex_free(Path path, std::uint64_t nr, const PageSeq& pages);

  Layout layout_;
  Geometry geo_;
  Options opt_;
  const VariantInfo* info_ = nullptr;
  bool list_variant_ = true;
  std::unique_ptr<Checker> checker_;
  Result res_;
  bool stop_ = false;
  bool finished_ = false;

  // init / regions
  std::vector<Range> trace_regions_, trace_holes_;
  Where first_region_at_;
  bool saw_init_ = false;

  // tasks
  std::unordered_map<std::int64_t, std::unique_ptr<Task>> tasks_;

  // partial data
  std::uint64_t anon_[2] = {0, 0};     // pages handed out without page events, still live (plain, dma)
  std::uint64_t uncertain_ = 0;        // known pages given back without page events (which: unknown)
  std::uint64_t anon_stretch_start_ = 0;
  std::string anon_stretch_file_;
  std::uint64_t anon_stretch_calls_ = 0;
  std::size_t anon_stretches_ = 0;
  bool order_unknown_ = false;         // anonymous activity: the LIFO reference is lost
  bool pool_unknown_ = false;          // a growth of unknown range
  std::uint64_t main_pool_pages_ = 0;  // pages grown into pool 0 (list_count check)

  // page= conversion
  std::optional<std::uint64_t> vmemmap_;
  bool vmemmap_derived_ = false;
  std::optional<Range> empty_growth_;  // last growth into an empty pool, no page handed out since

  // the event being replayed
  const traces::Record* cur_ = nullptr;
  const Where* cur_override_ = nullptr;  // findings of a deferred call go to its own event
  Where end_where_;
  Pfn cur_lo_ = 1, cur_hi_ = 0;          // pages the current event touches (lo > hi: none)
  std::vector<Finding> held_;            // findings not from the checker, or held back
  std::set<std::string, std::less<>> unknown_names_;
  std::map<std::string, std::uint64_t, std::less<>> warn_counts_;
  std::vector<std::string> files_;  // input names, for the context ring
  std::size_t file_idx_ = 0;        // the current input's index in files_
  std::uint64_t last_ts_ = 0;       // the previous event's timestamp (ns)

  // lost events
  std::string lost_marker_;

  // context ring
  std::vector<RingEntry> ring_;
  std::size_t ring_next_ = 0;
  std::uint64_t ring_count_ = 0;

  // counterexample
  std::vector<std::string> cex_ops_;
  std::vector<PageSeq> cex_pages_;              // pages each op got (allocations)
  std::unordered_map<Pfn, std::size_t> cex_by_first_;  // first pfn of a live allocation -> op
  std::optional<std::size_t> cex_failing_;
  std::uint64_t cex_failing_line_ = 0;
  bool cex_exact_ = true;
  std::vector<std::string> cex_notes_;
};

/// Replays several inputs (merged by timestamp across files, file order within a file).
/// `readers` come from traces::open_trace. Input errors end the replay with `unreadable`.
Result replay_files(const std::vector<std::string>& files, Replayer& rep);

}  // namespace unpop::replay
