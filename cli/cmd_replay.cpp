// unpopcheck replay: check a kernel trace of the allocator against every rule
// (docs/trace-events.md; docs/replay.md).
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "cli/common.h"
#include "model/case/case.h"
#include "model/layout/loaders.h"
#include "traces/record.h"
#include "traces/replay/replay.h"
#include "traces/replay/report.h"

namespace unpop::cli {

namespace {
struct ReplayArgs {
  std::string iomem, dtb, preset, layout_file, page_size, variant = replay::kAutoVariant, cex, vmemmap, struct_page_size;
  bool drained = false, all = false, json = false, no_liveness = false;
  std::vector<std::string> traces;
};

int usage(const ReplayArgs& a, const std::string& file, const std::string& msg) {
  if (a.json)
    std::cout << replay::usage_error_json(file, 0, msg).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  else
    std::cerr << "unpopcheck replay: " << msg << "\n";
  return kBadInput;
}

int run(const ReplayArgs& a, const std::vector<std::string>& extras) {
  if (!extras.empty()) return usage(a, "(options)", fmt::format("unknown option or argument '{}'", extras.front()));
  if (a.traces.empty()) return usage(a, "(options)", "expected at least one TRACE file");
  if (a.iomem.empty() && a.dtb.empty() && a.preset.empty() && a.layout_file.empty())
    return usage(a, "(options)", "no layout given: use --iomem FILE and/or --dtb FILE, --preset NAME or --layout FILE");
  replay::Options o;
  o.variant = a.variant;
  o.drained = a.drained;
  o.all = a.all;
  o.liveness = !a.no_liveness;
  o.build_cex = !a.cex.empty();
  o.preset = a.preset;
  if (!a.vmemmap.empty()) {
    auto v = traces::parse_u64(a.vmemmap);
    if (!v) return usage(a, "--vmemmap", fmt::format("expected an address (0x hex or decimal), got '{}'", a.vmemmap));
    o.vmemmap = *v;
  }
  if (!a.struct_page_size.empty()) {
    auto v = traces::parse_u64(a.struct_page_size);
    if (!v || *v == 0) return usage(a, "--struct-page-size", fmt::format("expected a size in bytes, got '{}'", a.struct_page_size));
    o.struct_page_size = *v;
  }
  Layout layout;
  Geometry geo;
  try {
    LayoutOptions lo;
    lo.preset = a.preset;
    lo.dtb = a.dtb;
    lo.iomem = a.iomem;
    lo.layout_file = a.layout_file;
    lo.page_size = a.page_size;
    layout = lo.load();
    geo = lo.geometry(layout);
  } catch (const LoadError& e) {
    replay::Result r;
    r.verdict = replay::Verdict::unreadable;
    r.error = replay::InputError{e.file, e.line, e.message};
    if (a.json) std::cout << replay::to_json(r).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    else std::cerr << "unpopcheck replay: " << e.what() << "\n";
    return kBadInput;
  }
  std::unique_ptr<replay::Replayer> rep;
  try {
    rep = std::make_unique<replay::Replayer>(layout, geo, o);
  } catch (const LoadError& e) {
    return usage(a, e.file, e.message);
  }
  const replay::Result& res = replay::replay_files(a.traces, *rep);
  std::string cex_written;
  if (!a.cex.empty() && res.verdict == replay::Verdict::violation) {
    try {
      save_case(a.cex, rep->counterexample());
      cex_written = a.cex;
    } catch (const LoadError& e) {
      std::cerr << "unpopcheck replay: could not write the case: " << e.what() << "\n";
    }
  }
  if (a.json) {
    std::cout << replay::to_json(res).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    replay::TextOptions to;
    to.cex_path = cex_written;
    // The same replay with --cex, for the explore hint.
    std::string cmd = "unpopcheck replay";
    auto opt = [&](const char* name, const std::string& v) {
      if (!v.empty()) cmd += fmt::format(" {} {}", name, v);
    };
    opt("--iomem", a.iomem);
    opt("--dtb", a.dtb);
    opt("--preset", a.preset);
    opt("--layout", a.layout_file);
    opt("--page-size", a.page_size);
    opt("--vmemmap", a.vmemmap);
    opt("--struct-page-size", a.struct_page_size);
    if (a.variant != replay::kAutoVariant) opt("--variant", a.variant);
    if (a.drained) cmd += " --drained";
    cmd += " --cex case.json";
    for (const auto& t : a.traces) cmd += " " + t;
    to.rerun_with_cex = cmd;
    to.variant = a.variant == replay::kAutoVariant ? "" : a.variant;
    std::cout << replay::to_text(res, to);
  }
  return res.exit_code();
}
}  // namespace

void register_replay(CLI::App& app) {
  auto a = std::make_shared<ReplayArgs>();
  auto* sub = app.add_subcommand("replay", "check a kernel trace of the allocator against every rule");
  sub->allow_extras();
  sub->footer(
      "Exit: 0 ok; 1 a safety rule broke (a violation); 2 unreadable input or a usage error; 3 divergent: no "
      "violation, but the kernel did what the variant cannot do (a growth elsewhere than the model's "
      "allocate_resource, a growth size other than round_up(nr_pages, PAGES_PER_SECTION), a page its list would "
      "not hand out). docs/replay.md");
  sub->add_option("--iomem", a->iomem, "a /proc/iomem dump of the traced guest");
  sub->add_option("--dtb", a->dtb, "the traced guest's device-tree blob (/sys/firmware/fdt)");
  sub->add_option("--preset", a->preset, "a shipped layout preset");
  sub->add_option("--layout", a->layout_file, "a layout file (JSON)");
  sub->add_option("--page-size", a->page_size, "4K, 16K or 64K (default: the layout's)");
  sub->add_option("--variant", a->variant,
                  "the allocator that produced the trace: auto (default: every candidate in lockstep, the trace "
                  "decides; docs/replay.md) or one of " + variant_list_text())
      ->capture_default_str();
  sub->add_flag("--drained", a->drained, "all users had gone by the end of the trace (enables leak)");
  sub->add_flag("--all", a->all, "go on after the first violation");
  sub->add_flag("--json", a->json, "the report as one JSON object (the trace contract's shape)");
  sub->add_flag("--no-liveness", a->no_liveness, "skip the liveness findings (spurious-enomem, ram-stolen)");
  sub->add_option("--cex", a->cex, "write the replay as a case file for `unpopcheck explore` when a rule broke");
  sub->add_option("--vmemmap", a->vmemmap, "struct page array base, to turn page= into pfns");
  sub->add_option("--struct-page-size", a->struct_page_size, "sizeof(struct page) (default 64)");
  sub->add_option("TRACE", a->traces, "trace files: tracefs trace/trace_pipe text, trace-cmd report text, trace.dat");
  sub->callback([a, sub] { exit_code = run(*a, sub->remaining()); });
}

}  // namespace unpop::cli
