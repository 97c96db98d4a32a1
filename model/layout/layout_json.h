#pragma once
/// The layout file as a JSON value, for files that embed a layout (case files, reports).
/// loaders.h has the text form (load_layout_json / layout_to_json); this header adds the
/// nlohmann::json form so an embedding file need not print and re-parse.
#include <string>

#include <nlohmann/json.hpp>

#include "model/layout/layout.h"

namespace unpop {

/// Reads a layout object. `file` names the file in errors; `path` is the JSON path of `j`
/// inside it ("" at top level, e.g. "layout" inside a case file): errors then read
/// "FILE: layout.ram[2].end: ...".
Layout layout_from_json_value(const std::string& file, const nlohmann::json& j, const std::string& path = "");

/// The layout as an (ordered) JSON object, as layout_to_json() (loaders.h) prints it: every
/// field, addresses as "0x..." strings, no "xen" block (the computed regions are written out).
/// For any Layout l, load_layout_json(n, layout_to_json(l)) == l.
nlohmann::ordered_json layout_to_json_value(const Layout& l);

/// Parses an address or size: a JSON unsigned number, or a string "0x1f", "4096", "64M",
/// "1G" (K/M/G/T binary suffixes). Throws LoadError{file, 0, "PATH: ..."}.
std::uint64_t json_u64(const std::string& file, const nlohmann::json& j, const std::string& path);

}  // namespace unpop
