// Structural check of a trace.dat file before libtracecmd reads it: libtracecmd opens a file
// cut inside its trailing sections and then returns fewer records (or all of them) without
// an error, so completeness is proved here from the layout the file declares.
//
//   v6 (trace-cmd.dat.v6(5)): walk header_page, header_event, ftrace and event formats,
//      kallsyms, printk, cmdlines, CPU count, options, then `flyrecord` with one
//      (offset, size) pair per CPU: every CPU's data must lie inside the file.
//   v7 (trace-cmd.dat.v7(5)): after the file header the sections follow each other, each
//      with a 16-byte header (id, flags, string id, size). The walk must land exactly on the
//      end of the file, contain the first options section the header points to and a buffer
//      (flyrecord) section, and end with the strings section, which trace-cmd writes last.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace unpop::traces {

struct DatLayout {
  int version = 0;            ///< 6 or 7
  bool big_endian = false;
  std::string compression;    ///< v7: "none", "zstd", "zlib"...; v6: empty
  std::uint32_t cpus = 0;     ///< v6 only (v7 keeps it in an option)
  std::uint64_t data_end = 0; ///< v6: end of the last CPU's data; v7: end of the last section
  int sections = 0;           ///< v7: number of sections walked
};

/// Checks `data` (the whole file or, for large files, see check_dat_file). On failure returns
/// false and sets `expected` to what was missing and `offset` to where.
bool check_dat_layout(std::string_view data, DatLayout& out, std::string& expected,
                      std::uint64_t& offset);

/// Same, reading the file with pread (does not load the CPU data).
bool check_dat_file(const std::string& path, DatLayout& out, std::string& expected,
                    std::uint64_t& offset);

}  // namespace unpop::traces
