// One parsed trace record, whatever file it came from (tracefs text, trace-cmd report text,
// binary trace.dat). The contract it serves is docs/trace-events.md.
//
// Values are kept as the raw text the trace printed (`0x8000a`, `-12`, `"Xen scratch"`); the
// typed accessors interpret them on demand, so nothing is lost and nothing is guessed while
// reading. A reader reuses one Record for every call, so its strings keep their capacity and
// reading does not allocate per line once warmed up.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace unpop::traces {

enum class RecordKind {
  event,        ///< an ftrace event line / trace.dat record
  lost_events,  ///< `CPU:N [LOST M EVENTS]`, trace-cmd's `CPU:N [M EVENTS DROPPED]`,
                ///< a trace.dat record with missed_events, or a `trace` header whose
                ///< entries-in-buffer/entries-written differ (events overwritten)
  comment,      ///< `#` header lines, `version = 6`, `cpus=2`, `CPU 0 is empty`, blank lines
};

std::string_view to_string(RecordKind k);

/// Parses C notation: `0x`/`0X` hex or decimal. No sign, no spaces, no suffix; full-range
/// checked. Returns nullopt on anything else.
std::optional<std::uint64_t> parse_u64(std::string_view s);
/// Decimal digits only (no `0x`, no sign); full-range checked.
std::optional<std::uint64_t> parse_dec_u64(std::string_view s);
/// Bare hexadecimal without `0x` (old kprobe output `dfd=ffffff9c`, trace-cmd raw addresses).
std::optional<std::uint64_t> parse_hex_u64(std::string_view s);
/// Signed: optional `-`, then C notation as in parse_u64; range checked for int64.
std::optional<std::int64_t> parse_s64(std::string_view s);
/// A double-quoted C string with `\"`, `\\`, `\n`, `\t`, `\r`, `\0`, `\xHH` and octal escapes.
/// Returns nullopt if `s` is not exactly one well-formed quoted string.
std::optional<std::string> parse_quoted(std::string_view s);

struct Field {
  std::string key;
  std::string value;  ///< raw, exactly as printed (quotes included for strings)
};

/// Ordered key -> raw value list. Keys may repeat (the kernel does not forbid it); find()
/// returns the first. Reuses its element storage across clear().
class FieldList {
 public:
  std::size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }
  const Field& operator[](std::size_t i) const { return items_[i]; }
  const Field* begin() const { return items_.data(); }
  const Field* end() const { return items_.data() + n_; }
  void clear() { n_ = 0; }
  Field& add(std::string_view key, std::string_view value);

  // Inline: the replay looks a field up for every event (keys are short: compare the size
  // and the first byte before the bytes).
  const Field* find(std::string_view key) const {
    for (std::size_t i = 0; i < n_; ++i) {
      const std::string& k = items_[i].key;
      if (k.size() == key.size() && (key.empty() || k[0] == key[0]) && std::string_view(k) == key) return &items_[i];
    }
    return nullptr;
  }
  bool has(std::string_view key) const { return find(key) != nullptr; }
  /// The raw text, or nullopt if the key is absent.
  std::optional<std::string_view> raw(std::string_view key) const {
    if (const Field* f = find(key)) return std::string_view(f->value);
    return std::nullopt;
  }
  /// Typed accessors: nullopt if absent or not of that type.
  std::optional<std::uint64_t> u64(std::string_view key) const;
  std::optional<std::int64_t> s64(std::string_view key) const;
  /// Quoted values are unquoted/unescaped; unquoted values are returned as they are.
  std::optional<std::string> str(std::string_view key) const;

 private:
  std::vector<Field> items_;
  std::size_t n_ = 0;
};

/// The probe-address prefix of a kprobe/kretprobe/uprobe event, e.g.
///   `(xen_free_unpopulated_pages+0x0/0xb0)`                       kprobe
///   `(gnttab_alloc_pages+0x28/0x98 <- xen_alloc_unpopulated_pages)` kretprobe (caller first)
///   `(fn+0x0/0x10 [xen_privcmd])`                                    module symbol
///   `(0x55aedf02c149)`                                               uprobe
///   `(ffff800080957a78 <- ffff8000809414a0)`                         trace-cmd report raw
///
/// Return probes: the kernel's text prints the caller first (`caller <- func`); trace-cmd
/// report's bare-hex form prints the probed function first (`func <- caller`, the print fmt
/// order). Both are normalised here: `location` is always the caller, `function` the probed
/// function.
struct ProbePrefix {
  bool present = false;
  bool is_return = false;   ///< had ` <- `
  std::string text;         ///< everything between the parentheses
  /// Entry probe: the probed location. Return probe: the caller (return address).
  std::string location;     ///< symbol without `+off/size` (empty if only an address)
  std::optional<std::uint64_t> location_offset;  ///< `+0x28`
  std::optional<std::uint64_t> location_size;    ///< `/0x98`
  std::optional<std::uint64_t> location_address; ///< `0x55ae..` / `ffff8000..` / __probe_ip
  std::string location_module;                   ///< `[xen_privcmd]` without brackets
  /// Return probe only: the probed function (after ` <- `).
  std::string function;
  std::optional<std::uint64_t> function_address;
  std::string function_module;

  void clear();
  /// The probed function's name whatever the kind: `function` for a return probe,
  /// `location` for an entry probe (may be empty for address-only prefixes).
  std::string_view probed_function() const { return is_return ? function : location; }
};

struct Record {
  RecordKind kind = RecordKind::event;
  std::string file;           ///< the input's name as given to the reader
  std::uint64_t line = 0;     ///< 1-based line; for trace.dat the record index (see dat_reader.h)

  // --- event header -------------------------------------------------------------------
  std::string comm;           ///< `<...>` when the kernel had not cached the comm; may hold spaces
  std::int64_t pid = -1;
  std::optional<std::int64_t> tgid;  ///< the `record-tgid` column, when present
  std::int32_t cpu = -1;      ///< -1: unknown (e.g. a header-derived lost-events marker)
  std::string timestamp;      ///< as printed, e.g. `52.000100` (trace.dat: `SEC.USEC` rounded, as trace-cmd report)
  std::uint64_t ts_ns = 0;    ///< timestamp in ns (integer clocks: the raw counter value)
  std::string flags;          ///< irq-flags column (`d..1.`, `....`), empty if none printed
  std::string system;         ///< event system, known only for trace.dat (text prints no system)
  std::string name;           ///< event name, e.g. `xen_unpop_alloc_page`
  ProbePrefix probe;
  FieldList fields;
  std::string body;           ///< the text after `name: ` as printed (trace.dat: as tep prints it)
  /// False when the body was not entirely `key=value` tokens (only allowed for events outside
  /// the strict set, see TextReaderOptions::strict_prefixes); `fields` then holds what parsed.
  bool fields_complete = true;

  // --- lost-events marker ---------------------------------------------------------------
  std::optional<std::uint64_t> lost;  ///< number of lost events; nullopt if the trace does not say

  // --- comment / raw line ---------------------------------------------------------------
  std::string text;           ///< the whole line (comments, lost markers); empty for trace.dat events

  void clear();
  /// `file:line`
  std::string where() const;
};

/// What a reader could not read. `line` is 1-based (trace.dat: record index, 0 if before
/// any record); `column` is 1-based, 0 if not meaningful.
struct ReadError {
  std::string file;
  std::uint64_t line = 0;
  std::uint64_t column = 0;
  std::optional<std::uint64_t> byte_offset;  ///< binary files: where in the file
  std::string expected;  ///< what the reader expected, e.g. "'[' CPU number ']' after comm-pid"
  std::string found;     ///< a short excerpt of what was there instead (may be empty)
  bool fatal = false;    ///< true: the reader cannot continue (I/O error, truncation)

  /// `file:line:column: expected ...; found '...'` (line/column omitted when 0,
  /// `at byte N` added for binary files)
  std::string message() const;
};

}  // namespace unpop::traces
