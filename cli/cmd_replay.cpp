// unpopcheck replay: check a kernel trace of the allocator against every rule
// (docs/trace-events.md; docs/replay.md).
#include <algorithm>
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
  LayoutOptions lo;
  std::string variant = replay::kAutoVariant, cex, vmemmap, struct_page_size, fail_on = "violations";
  bool drained = false, all = false, json = false, no_liveness = false, separate_states = false;
  std::vector<std::string> traces;
};

// replay's JSON errors keep the trace contract's report shape (verdict unreadable), which a
// script reading replay's output already parses.
int usage(const ReplayArgs& a, const std::string& file, const std::string& msg) {
  if (a.json)
    std::cout << replay::usage_error_json(file, 0, msg).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  else
    std::cerr << "unpopcheck replay: " << msg << "\n";
  return kBadInput;
}

// --cex DIR: the chosen variant's replay as DIR/VARIANT-RULE.json (RULE: the rule the case
// shows, else the first violation's), or DIR/VARIANT-divergence-KIND.json for a divergent trace.
std::string cex_name(const replay::Result& res, const Case& cs) {
  std::string what = !cs.rule.empty()           ? cs.rule
                     : !res.violations.empty() ? res.violations.front().finding.rule
                     : res.divergence         ? "divergence-" + res.divergence->kind
                                              : "replay";
  return fmt::format("{}-{}.json", cs.variant, what);
}

// '-' is standard input, read through /dev/stdin: a pipe (`trace-cmd report | unpopcheck replay
// -`) or a file redirected in, trace.dat included (it is opened by path).
std::vector<std::string> traces_to_read(std::vector<std::string> traces) {
  for (auto& t : traces)
    if (t == "-") t = "/dev/stdin";
  return traces;
}

int run(const ReplayArgs& a, const std::vector<std::string>& extras) {
  if (!extras.empty()) return usage(a, "(options)", fmt::format("unknown option or argument '{}'", extras.front()));
  if (a.traces.empty()) return usage(a, "(options)", "expected at least one TRACE file");
  if (std::count(a.traces.begin(), a.traces.end(), "-") > 1)
    return usage(a, "TRACE", "'-' (standard input) given more than once");
  if (!a.lo.given())
    return usage(a, "(options)", "no layout given: use --iomem FILE and/or --dtb FILE, --preset NAME or --layout FILE");
  replay::Options o;
  o.variant = a.variant;
  o.drained = a.drained;
  o.all = a.all;
  o.liveness = !a.no_liveness;
  o.share_states = !a.separate_states;
  o.build_cex = !a.cex.empty();
  o.preset = a.lo.preset;
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
    layout = a.lo.load();
    geo = a.lo.geometry(layout);
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
  const replay::Result& res = replay::replay_files(traces_to_read(a.traces), *rep);
  std::string cex_written;
  if (!a.cex.empty() && (res.verdict == replay::Verdict::violation || res.verdict == replay::Verdict::divergent)) {
    try {
      const Case cs = rep->counterexample();
      cex_written = save_case_in(a.cex, cex_name(res, cs), cs);
    } catch (const LoadError& e) {
      std::cerr << "unpopcheck replay: could not write the case: " << e.what() << "\n";
      cex_written.clear();
    }
  }
  // One policy (cli/common.h): liveness findings fail only with --fail-on findings.
  int rc = res.exit_code();
  if (rc == kClean) rc = exit_for({false, !res.findings.empty()}, a.fail_on);
  if (a.json) {
    auto j = replay::to_json(res);
    j["exit"] = rc;
    if (!cex_written.empty()) j["cex"] = cex_written;
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    replay::TextOptions to;
    to.cex_path = cex_written;
    // The same replay with --cex, for the explore hint.
    std::string cmd = "unpopcheck replay";
    auto opt = [&](const char* name, const std::string& v) {
      if (!v.empty()) cmd += fmt::format(" {} {}", name, v);
    };
    opt("--iomem", a.lo.iomem);
    opt("--dtb", a.lo.dtb);
    opt("--preset", a.lo.preset);
    opt("--layout", a.lo.layout_file);
    opt("--page-size", a.lo.page_size);
    opt("--vmemmap", a.vmemmap);
    opt("--struct-page-size", a.struct_page_size);
    if (a.variant != replay::kAutoVariant) opt("--variant", a.variant);
    if (a.drained) cmd += " --drained";
    cmd += " --cex cases";
    for (const auto& t : a.traces) cmd += " " + t;
    to.rerun_with_cex = cmd;
    to.variant = a.variant == replay::kAutoVariant ? "" : a.variant;
    std::cout << replay::to_text(res, to);
    if (rc != res.exit_code())
      std::cout << fmt::format("exit {}: liveness findings, counted with --fail-on findings\n", rc);
  }
  return rc;
}
}  // namespace

void register_replay(CLI::App& app) {
  auto a = std::make_shared<ReplayArgs>();
  auto* sub = app.add_subcommand("replay", "check a kernel trace of the allocator against every rule");
  sub->allow_extras();
  sub->footer(
      "Give the traced guest's layout: its /proc/iomem and its device tree (/sys/firmware/fdt) together. Verdicts: "
      "ok; violation (a safety rule broke); unreadable; divergent (no violation, but the kernel did what the "
      "variant cannot do: a growth elsewhere than the model's allocate_resource, a growth size other than "
      "round_up(nr_pages, PAGES_PER_SECTION), a page its list would not hand out, a failure its list could not "
      "give, DMA pages from a pool it does not have). docs/replay.md");
  a->lo.add_to(sub, false);
  opt::variant(sub, a->variant,
               "; a list or all are candidates in lockstep, one name is forced; auto (the default): every "
               "candidate the registry marks for this arch, the trace decides (docs/replay.md)");
  sub->add_flag("--drained", a->drained, "all users had gone by the end of the trace (enables leak)");
  sub->add_flag("--all", a->all, "go on after the first violation");
  opt::json(sub, a->json);
  opt::fail_on(sub, a->fail_on);
  sub->add_flag("--no-liveness", a->no_liveness, "skip the liveness findings (spurious-enomem, ram-stolen)");
  sub->add_flag("--separate-states", a->separate_states,
                "one model state per candidate variant from the first event, instead of one shared by the variants "
                "it cannot tell apart until a DMA call splits them (slower; the report is the same)");
  opt::cex(sub, a->cex, "DIR/VARIANT-RULE.json: the replay up to the first violation, under the chosen variant; "
                                 "DIR/VARIANT-divergence-KIND.json: up to the divergent call");
  sub->add_option("--vmemmap", a->vmemmap, "struct page array base, to turn page= into pfns");
  sub->add_option("--struct-page-size", a->struct_page_size, "sizeof(struct page) (default 64)");
  sub->add_option("TRACE", a->traces, "trace files: tracefs trace/trace_pipe text, trace-cmd report text, trace.dat ('-': standard input)");
  sub->callback([a, sub] { exit_code = run(*a, sub->remaining()); });
}

}  // namespace unpop::cli
