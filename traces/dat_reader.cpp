#include "traces/dat_reader.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include "traces/dat_backend.h"
#include "traces/dat_layout.h"

namespace unpop::traces {

bool is_trace_dat(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char b[10];
  ssize_t n = ::pread(fd, b, sizeof b, 0);
  ::close(fd);
  return n == 10 && std::memcmp(b, "\x17\x08\x44tracing", 10) == 0;
}

std::unique_ptr<DatReader> DatReader::open(const std::string& path, ReadError& err) {
  err = ReadError{};
  err.file = path;
  err.fatal = true;
  DatLayout layout;
  std::string expected;
  std::uint64_t offset = 0;
  if (!check_dat_file(path, layout, expected, offset)) {
    err.expected = expected;
    err.byte_offset = offset;
    return nullptr;
  }
  char buf[512] = "";
  unpop_dat* d = unpop_dat_open(path.c_str(), buf, sizeof buf);
  if (!d) {
    err.expected = buf;
    return nullptr;
  }
  std::unique_ptr<DatReader> r(new DatReader());
  r->name_ = path;
  r->dat_ = d;
  return r;
}

DatReader::~DatReader() { unpop_dat_close(dat_); }

ReadStatus DatReader::next(Record& out, ReadError& err) {
  if (have_held_) {
    have_held_ = false;
    std::swap(out, held_);
    return ReadStatus::record;
  }
  if (done_) return ReadStatus::end;
  unpop_dat_record r;
  char buf[512] = "";
  int rc = unpop_dat_next(dat_, &r, buf, sizeof buf);
  if (rc == 0) {
    done_ = true;
    return ReadStatus::end;
  }
  ++index_;
  if (rc < 0) {
    done_ = true;
    err = ReadError{};
    err.file = name_;
    err.line = index_;
    err.expected = buf;
    err.fatal = true;
    return ReadStatus::error;
  }
  Record& ev = r.missed_events != 0 ? held_ : out;
  ev.clear();
  ev.file.assign(name_);
  ev.line = index_;
  ev.kind = RecordKind::event;
  ev.comm.assign(r.comm ? r.comm : "<...>");
  ev.pid = r.pid;
  ev.cpu = r.cpu;
  ev.ts_ns = r.ts;
  char ts[48];
  // Microseconds rounded to nearest, as the kernel (ns2usecs) and trace-cmd report print.
  const std::uint64_t us = (static_cast<std::uint64_t>(r.ts) + 500) / 1000;
  std::snprintf(ts, sizeof ts, "%" PRIu64 ".%06" PRIu64, us / 1000000, us % 1000000);
  ev.timestamp.assign(ts);
  std::string_view flags = r.flags ? r.flags : "";
  while (!flags.empty() && flags.back() == ' ') flags.remove_suffix(1);
  while (!flags.empty() && flags.front() == ' ') flags.remove_prefix(1);
  ev.flags.assign(flags);
  ev.system.assign(r.system);
  ev.name.assign(r.name);
  ev.body.assign(r.info);
  if (r.unknown_event) {
    done_ = true;
    err = ReadError{};
    err.file = name_;
    err.line = index_;
    err.expected = "an event id with a format in the file (the record's event is unknown)";
    err.fatal = true;
    return ReadStatus::error;
  }
  if (r.has_probe_ip || r.has_probe_func || r.has_probe_ret_ip) {
    ProbePrefix& p = ev.probe;
    p.present = true;
    char a[64];
    if (r.has_probe_func || r.has_probe_ret_ip) {
      p.is_return = true;
      if (r.has_probe_ret_ip) {
        p.location_address = r.probe_ret_ip;
        if (r.probe_ret_ip_sym) {
          p.location = r.probe_ret_ip_sym;
          p.location_offset = r.probe_ret_ip_off;
        }
      }
      if (r.has_probe_func) {
        p.function_address = r.probe_func;
        if (r.probe_func_sym) p.function = r.probe_func_sym;
      }
      // as trace-cmd report prints it (print fmt order: function first)
      std::snprintf(a, sizeof a, "%llx <- %llx", r.probe_func, r.probe_ret_ip);
    } else {
      p.location_address = r.probe_ip;
      if (r.probe_ip_sym) {
        p.location = r.probe_ip_sym;
        p.location_offset = r.probe_ip_off;
      }
      std::snprintf(a, sizeof a, "%llx", r.probe_ip);
    }
    p.text = a;
  }
  for (std::size_t i = 0; i < r.nr_fields; ++i) ev.fields.add(r.keys[i], r.values[i]);
  if (r.missed_events == 0) return ReadStatus::record;
  // A lost-events marker first, then the held event.
  have_held_ = true;
  out.clear();
  out.kind = RecordKind::lost_events;
  out.file.assign(name_);
  out.line = index_;
  out.cpu = r.cpu;
  out.ts_ns = r.ts;
  out.timestamp = held_.timestamp;
  if (r.missed_events > 0) {
    out.lost = static_cast<std::uint64_t>(r.missed_events);
    out.text = "CPU:" + std::to_string(r.cpu) + " [" + std::to_string(r.missed_events) +
               " EVENTS DROPPED]";
  } else {
    out.text = "CPU:" + std::to_string(r.cpu) + " [EVENTS DROPPED]";
  }
  return ReadStatus::record;
}

}  // namespace unpop::traces
