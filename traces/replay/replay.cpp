#include "traces/replay/replay.h"

#include <sched.h>
#include <sys/stat.h>

#include <fmt/format.h>

#include "traces/prefetch_reader.h"
#include "traces/reader.h"
#include "traces/replay/attribution.h"
#include "traces/replay/collector.h"
#include "traces/replay/context.h"
#include "traces/replay/counterexample.h"
#include "traces/replay/cursor.h"
#include "traces/replay/decode.h"
#include "traces/replay/lockstep.h"
#include "traces/replay/state.h"
#include "traces/text_reader.h"

namespace unpop::replay {

using traces::Record;
using traces::RecordKind;

/// The stages of one replay, in the order they are built (each refers to the ones before). The
/// trace's stages (cursor, ring, attribution) are shared; each candidate variant has its own
/// state, report and counterexample (one candidate unless the variant is `auto`).
struct Replayer::Stages {
  Stages(Layout layout, const Geometry& geo, Options o)
      : opt(std::move(o)), ring(geo, opt.ring_size, opt.context_lines), fan(cands),
        attribution(geo, cursor, fan), geo(geo) {
    // auto: the registry's candidates for this arch; else a name (forced), a comma-separated
    // list or all (those candidates, in that order). An unknown name is a LoadError.
    const std::vector<std::string> names =
        opt.variant == kAutoVariant ? auto_candidates(layout) : parse_variants(opt.variant);
    choosing = opt.variant == kAutoVariant || names.size() > 1;
    cands = make_candidates(layout, geo, opt, names, cursor, ring);
  }

  Options opt;
  bool choosing = false;  // more than one candidate (or auto): the report says which was chosen
  Cursor cursor;
  ContextRing ring;
  std::vector<std::unique_ptr<Candidate>> cands;
  FanOut fan;
  Attributor attribution;
  Geometry geo;
  Event event;               // the decoded event (reused)
  std::uint64_t last_ts = 0;  // the previous event's timestamp (ns)
  bool finished = false;
  Result final;              // after finish(): the chosen candidate's report, with the choice
  Candidate* chosen = nullptr;
  std::string chosen_name;  // the variant chosen (a member of *chosen)

  template <class F>
  void each(F f) {
    for (auto& c : cands)
      if (c->live) f(*c);
  }
  bool stopped() const {
    for (const auto& c : cands)
      if (c->live && !c->out.stopped()) return false;
    return true;
  }
  void dispatch(const Record& r);
  void choose();
};

Replayer::Replayer(Layout layout, const Geometry& geo, Options opt)
    : s_(std::make_unique<Stages>(std::move(layout), geo, std::move(opt))) {}

Replayer::~Replayer() = default;

const Result& Replayer::result() const { return s_->finished ? s_->final : s_->fan.first_live().out.result(); }
const Checker* Replayer::checker() const {
  return (s_->chosen ? *s_->chosen : s_->fan.first_live()).state.checker();
}
void Replayer::fail(InputError e) {
  s_->each([&](Candidate& c) { c.out.fail(e); });
}

bool Replayer::feed(const Record& r) {
  Stages& s = *s_;
  if (s.stopped()) return false;
  s.cursor.rec = &r;
  s.cursor.override = nullptr;
  s.cursor.span(1, 0);
  if (!s.ring.has_files() || s.cursor.end.file != r.file) {  // a new input: the ring files events under its index
    s.cursor.end.file = r.file;
    s.ring.enter_file(r.file);
  }
  s.cursor.end.line = r.line;
  try {
    switch (r.kind) {
      case RecordKind::comment: return true;
      case RecordKind::lost_events: s.each([&](Candidate& c) { c.out.lost_events(r); }); return true;
      case RecordKind::event: break;
    }
    s.dispatch(r);
  } catch (const InputError& e) {
    s.each([&](Candidate& c) { c.out.fail(e); });
  }
  s.fan.prune();
  return !s.stopped();
}

void Replayer::Stages::dispatch(const Record& r) {
  each([&](Candidate& c) { c.out.count_event(); });
  if (r.ts_ns < last_ts)  // replayed in input order: say so rather than sort silently
    fan.warn("unsorted", where_of(r),
             fmt::format("timestamp {} is earlier than the previous event's: events are replayed in the order of the "
                         "input (several inputs are merged by timestamp, one input is not re-sorted)",
                         r.timestamp));
  last_ts = r.ts_ns;
  each([&](Candidate& c) { c.state.set_step(r.line); });  // a live allocation's step is its summary's line
  decode(r, event);
  switch (event.kind) {
    case Ev::other:
      each([&](Candidate& c) { c.out.other_event(r.name); });
      attribution.other(r.pid);
      fan.collect();
      return;
    case Ev::unknown: each([&](Candidate& c) { c.out.unknown_event(r); }); return;
    case Ev::region: each([&](Candidate& c) { c.state.region(event); }); break;
    case Ev::init: each([&](Candidate& c) { c.state.init(event); }); break;
    default:
      each([&](Candidate& c) { c.state.ensure_checker(); });
      switch (event.kind) {
        case Ev::fill_list: attribution.growth(event); break;
        case Ev::alloc:
        case Ev::dma_alloc: attribution.alloc(event); break;
        case Ev::free:
        case Ev::dma_free: attribution.free(event); break;
        default: attribution.page(event); break;
      }
  }
  ring.remember(r, event.kind, cursor.lo, cursor.hi);
  fan.collect();
}

void Replayer::finish() {
  Stages& s = *s_;
  if (s.finished) return;
  s.cursor.rec = nullptr;
  s.cursor.override = nullptr;
  if (!s.stopped()) {
    s.each([](Candidate& c) {
      c.state.ensure_checker();
      c.state.collect();
    });
    s.attribution.finish();
    s.each([&](Candidate& c) {
      c.state.close_anonymous();
      if (s.opt.drained) {
        s.cursor.end.timestamp = "end of input";
        c.state.drain();
      } else {
        c.out.unchecked("leak: the run was not declared drained (--drained)");
      }
    });
  }
  for (auto& c : s.cands) c->out.finish(s.cursor.end.file);
  s.choose();
  s.finished = true;
}

// The chosen candidate: the first in registration order with no divergence, else the one that
// went furthest (the last one still live). docs/replay.md, "Which variant".
// A candidate standing for several variants reports for each of them: its divergence (if any)
// is each one's, under its own name.
void Replayer::Stages::choose() {
  std::vector<std::pair<const Member*, Candidate*>> members;  // in the order of choice
  for (auto& c : cands)
    for (const Member& m : c->members) members.emplace_back(&m, c.get());
  std::sort(members.begin(), members.end(), [](const auto& a, const auto& b) { return a.first->rank < b.first->rank; });
  const auto fits = [](const Candidate* c) { return c->live && !c->out.diverged(); };
  for (const auto& [m, c] : members)
    if (fits(c)) {
      chosen = c;
      chosen_name = m->name;
      break;
    }
  if (!chosen) {
    chosen = &fan.first_live();
    chosen_name = chosen->members.front().name;
  }
  final = chosen->out.result();
  if (final.divergence) final.divergence->variant = chosen_name;
  if (!choosing) return;
  VariantChoice v;
  v.asked = opt.variant;
  v.chosen = chosen_name;
  for (const auto& [m, c] : members) {
    if (fits(c)) {
      v.fits.push_back(m->name);
    } else if ((c != chosen || m->name != chosen_name) && c->out.result().divergence) {
      v.dropped.push_back(*c->out.result().divergence);
      v.dropped.back().variant = m->name;
    }
  }
  v.why = v.fits.empty() ? "no candidate fits the trace: the report is the one that went furthest"
          : v.fits.size() == 1 ? "the only candidate that fits the trace"
                               : "the first that fits, in the registry's order (the kernel as merged first, then the "
                                 "patches): the trace cannot tell the others apart";
  final.variant = std::move(v);
}

Case Replayer::counterexample() const {
  if (s_->chosen)
    return s_->chosen->cex.build(s_->final, s_->chosen->state.layout(), s_->geo, s_->chosen_name, s_->opt.preset);
  const Candidate& c = s_->fan.first_live();
  return c.cex.build(c.out.result(), c.state.layout(), s_->geo, c.opt.variant, s_->opt.preset);
}

// ---------------------------------------------------------------------------------------------
// Inputs

namespace {
// The reader's message without its `file:line:` prefix (the error object names those).
std::string short_message(const traces::ReadError& err) {
  std::string m = "expected " + err.expected;
  if (!err.found.empty()) m += "; found '" + err.found + "'";
  if (err.column) m += fmt::format(" (column {})", err.column);
  if (err.byte_offset) m += fmt::format(" (at byte {})", *err.byte_offset);
  return m;
}
// The CPUs this process may run on (its affinity mask; 1 if unknown).
int usable_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  return CPU_COUNT(&set);
}
}  // namespace

Result replay_files(const std::vector<std::string>& files, Replayer& rep) {
  // Text is parsed on a thread of its own (PrefetchReader), in batches handed over before any
  // read() that may block: on a pipe or a live trace_pipe an event is checked as soon as the
  // kernel writes it, and a replay that stops early does not wait for that read(). A regular
  // text file is parsed on the replay's own thread when the process has one CPU (nothing to
  // overlap); a trace.dat always is (its decoder is a process of its own already).
  struct Input {
    std::unique_ptr<traces::RecordReader> direct;     // a trace.dat, or text on one CPU
    traces::Record own;                               // its record (reused)
    std::unique_ptr<traces::PrefetchReader> prefetch;  // anything else
    const Record* rec = nullptr;
    bool have = false;
    bool done = false;
    traces::ReadStatus next(traces::ReadError& err) {
      if (prefetch) return prefetch->next(rec, err);
      rec = &own;
      return direct->next(own, err);
    }
    const std::string& name() const { return prefetch ? prefetch->name() : direct->name(); }
  };
  std::vector<Input> in(files.size());
  traces::ReadError err;  // one for the whole loop: it holds strings
  auto advance = [&](Input& x) {
    if (x.done) return true;
    switch (x.next(err)) {
      case traces::ReadStatus::record: x.have = true; return true;
      case traces::ReadStatus::end: x.have = false; x.done = true; return true;
      case traces::ReadStatus::error:
        rep.fail(InputError{err.file.empty() ? x.name() : err.file, err.line, short_message(err)});
        x.have = false;
        x.done = true;
        return false;
    }
    return false;
  };
  const bool overlap = usable_cpus() >= 2;
  for (std::size_t i = 0; i < files.size(); ++i) {
    auto reader = traces::open_trace(files[i], err);
    if (!reader) {
      rep.fail(InputError{files[i], err.line, short_message(err)});
      rep.finish();
      return rep.result();
    }
    struct stat st {};
    const bool regular = ::stat(files[i].c_str(), &st) == 0 && S_ISREG(st.st_mode);
    // (open_trace chose the reader by content: a trace.dat is the one that is not text)
    const bool text = dynamic_cast<const traces::TextReader*>(reader.get()) != nullptr;
    if (!text || (regular && !overlap)) in[i].direct = std::move(reader);
    else in[i].prefetch = std::make_unique<traces::PrefetchReader>(std::move(reader));
  }
  bool ok = true;
  if (in.size() == 1) {
    while (ok && advance(in[0]) && in[0].have)
      if (!rep.feed(*in[0].rec)) break;
  } else {
    for (auto& x : in)
      if (!advance(x)) ok = false;
    while (ok) {
      // Non-events (comments, lost markers) go first, in their file's order; then the event
      // with the smallest timestamp (ties: the earlier input).
      Input* pick = nullptr;
      for (auto& x : in) {
        if (!x.have) continue;
        if (x.rec->kind != RecordKind::event) {
          pick = &x;
          break;
        }
        if (!pick || x.rec->ts_ns < pick->rec->ts_ns) pick = &x;
      }
      if (!pick) break;
      if (!rep.feed(*pick->rec)) break;
      if (!advance(*pick)) break;
    }
  }
  rep.finish();
  return rep.result();
}

Result replay_text(const std::string& name, const std::string& text, Replayer& rep) {
  auto reader = traces::TextReader::from_memory(name, text);
  Record rec;
  traces::ReadError err;
  for (;;) {
    const traces::ReadStatus st = reader->next(rec, err);
    if (st == traces::ReadStatus::end) break;
    if (st == traces::ReadStatus::error) {
      rep.fail(InputError{err.file.empty() ? name : err.file, err.line, short_message(err)});
      break;
    }
    if (!rep.feed(rec)) break;
  }
  rep.finish();
  return rep.result();
}

}  // namespace unpop::replay
