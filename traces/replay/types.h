#pragma once
/// The replay's value types: its options, where an event is, what it reports. Every stage
/// (decode, attribution, state, report; docs/replay.md "Stages") and the public API (replay.h)
/// share them, so they live apart from the Replayer that wires the stages.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/invariants/finding.h"
#include "model/variants/registry.h"

namespace unpop::replay {

/// `--variant auto`: every candidate in lockstep, the trace decides.
inline constexpr const char* kAutoVariant = "auto";

struct Options {
  std::string variant = default_variant();  // a registered name, or kAutoVariant
  bool drained = false;      // all users had gone by the end: live pages are leaks
  bool all = false;          // go on after the first violation
  std::optional<std::uint64_t> vmemmap;  // struct page array base for `page=` fields
  std::uint64_t struct_page_size = 64;
  std::size_t context_lines = 8;         // preceding events shown per violation
  std::size_t ring_size = 4096;          // recent events remembered for context
  bool liveness = true;
  bool build_cex = false;                // keep the ops for a counterexample case
  /// Candidates the state cannot tell apart share one state until a DMA call splits them
  /// (lockstep.h). Off: one state per variant from the start (the tests compare the two).
  bool share_states = true;
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

/// The first event where the kernel did something the variant cannot do, given the trace so
/// far and the layout (docs/replay.md, "Divergence"): what the model would have done and what
/// the kernel did.
struct Divergence {
  std::string variant;
  std::string kind;  // growth-placement, growth-size, page-choice
  Where at;
  std::string model, kernel;
  std::string message;
  std::vector<std::string> context;  // preceding events of the same pages or resource
};

/// `--variant auto`: which variant the trace is a behaviour of (docs/replay.md, "Which variant").
struct VariantChoice {
  std::string asked;                // "auto"
  std::string chosen;               // the report below is this one's
  std::vector<std::string> fits;    // every candidate with no divergence, in the order of choice
  std::vector<Divergence> dropped;  // each other candidate's first divergence
  std::string why;
};

enum class Verdict { ok, violation, unreadable, divergent };
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
  std::optional<Divergence> divergence;  // the first one (a violation still wins the verdict)
  std::optional<VariantChoice> variant;  // with --variant auto
  int exit_code() const {
    switch (verdict) {
      case Verdict::ok: return 0;
      case Verdict::violation: return 1;
      case Verdict::unreadable: return 2;
      case Verdict::divergent: return 3;
    }
    return 2;
  }
};

}  // namespace unpop::replay
