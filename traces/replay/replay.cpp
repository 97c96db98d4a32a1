#include "traces/replay/replay.h"

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
#include "traces/replay/state.h"

namespace unpop::replay {

using traces::Record;
using traces::RecordKind;

/// The stages of one replay, in the order they are built (each refers to the ones before).
struct Replayer::Stages {
  Stages(Layout layout, const Geometry& geo, Options o)
      : opt(std::move(o)),
        ring(geo, opt.ring_size, opt.context_lines),
        cex(opt.build_cex),
        out(opt, cursor, ring, opt.build_cex ? &cex : nullptr),
        state(std::move(layout), geo, opt, cursor, out, cex),
        attribution(geo, cursor, state),
        geo(geo) {}

  Options opt;
  Cursor cursor;
  ContextRing ring;
  Counterexample cex;
  Collector out;
  ModelState state;
  Attributor attribution;
  Geometry geo;
  Event event;               // the decoded event (reused)
  std::uint64_t last_ts = 0;  // the previous event's timestamp (ns)
  bool finished = false;

  void dispatch(const Record& r);
};

Replayer::Replayer(Layout layout, const Geometry& geo, Options opt)
    : s_(std::make_unique<Stages>(std::move(layout), geo, std::move(opt))) {}

Replayer::~Replayer() = default;

const Result& Replayer::result() const { return s_->out.result(); }
const Checker* Replayer::checker() const { return s_->state.checker(); }
void Replayer::fail(InputError e) { s_->out.fail(std::move(e)); }

bool Replayer::feed(const Record& r) {
  Stages& s = *s_;
  if (s.out.stopped()) return false;
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
      case RecordKind::lost_events: s.out.lost_events(r); return true;
      case RecordKind::event: break;
    }
    s.dispatch(r);
  } catch (const InputError& e) {
    s.out.fail(e);
  }
  return !s.out.stopped();
}

void Replayer::Stages::dispatch(const Record& r) {
  out.count_event();
  if (r.ts_ns < last_ts)  // replayed in input order: say so rather than sort silently
    out.warn("unsorted", where_of(r),
             fmt::format("timestamp {} is earlier than the previous event's: events are replayed in the order of the "
                         "input (several inputs are merged by timestamp, one input is not re-sorted)",
                         r.timestamp));
  last_ts = r.ts_ns;
  state.set_step(r.line);  // a live allocation's step is its summary's line
  decode(r, event);
  switch (event.kind) {
    case Ev::other:
      out.other_event(r.name);
      attribution.other(r.pid);
      state.collect();
      return;
    case Ev::unknown: out.unknown_event(r); return;
    case Ev::region: state.region(event); break;
    case Ev::init: state.init(event); break;
    default:
      state.ensure_checker();
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
  state.collect();
}

void Replayer::finish() {
  Stages& s = *s_;
  if (s.finished) return;
  s.finished = true;
  s.cursor.rec = nullptr;
  s.cursor.override = nullptr;
  if (!s.out.stopped()) {
    s.state.ensure_checker();
    s.state.collect();
    s.attribution.finish();
    s.state.close_anonymous();
    if (s.opt.drained) {
      s.cursor.end.timestamp = "end of input";
      s.state.drain();
    } else {
      s.out.unchecked("leak: the run was not declared drained (--drained)");
    }
  }
  s.out.finish(s.cursor.end.file);
}

Case Replayer::counterexample() const {
  return s_->cex.build(s_->out.result(), s_->state.layout(), s_->geo, s_->opt.variant, s_->opt.preset);
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
}  // namespace

Result replay_files(const std::vector<std::string>& files, Replayer& rep) {
  // Each input is parsed on its own thread, a few batches ahead of the replay (2 cores: the
  // replay no longer waits for the parser).
  struct Input {
    std::unique_ptr<traces::PrefetchReader> reader;
    const Record* rec = nullptr;
    bool have = false;
    bool done = false;
  };
  std::vector<Input> in(files.size());
  traces::ReadError err;  // one for the whole loop: it holds strings
  auto advance = [&](Input& x) {
    if (x.done) return true;
    switch (x.reader->next(x.rec, err)) {
      case traces::ReadStatus::record: x.have = true; return true;
      case traces::ReadStatus::end: x.have = false; x.done = true; return true;
      case traces::ReadStatus::error:
        rep.fail(InputError{err.file.empty() ? x.reader->name() : err.file, err.line, short_message(err)});
        x.have = false;
        x.done = true;
        return false;
    }
    return false;
  };
  for (std::size_t i = 0; i < files.size(); ++i) {
    auto reader = traces::open_trace(files[i], err);
    if (!reader) {
      rep.fail(InputError{files[i], err.line, short_message(err)});
      rep.finish();
      return rep.result();
    }
    // A regular file is read in batches; a pipe or a live trace_pipe record by record, so an
    // event is checked as soon as the kernel writes it (a batch would wait to be full).
    struct stat st {};
    const bool regular = ::stat(files[i].c_str(), &st) == 0 && S_ISREG(st.st_mode);
    in[i].reader = std::make_unique<traces::PrefetchReader>(std::move(reader), regular ? 256 : 1);
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

}  // namespace unpop::replay
