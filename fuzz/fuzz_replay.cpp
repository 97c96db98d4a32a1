// libFuzzer target: trace text through the whole replay — reader, Replayer, invariant Checker
// (LiveIndex included), report in text and JSON. Any input must end in a verdict without a
// crash, leak, UB or hang. The first byte picks the variant (its index in the registry, or one
// past the last: --variant auto, every candidate in lockstep); --all and --drained keep the
// replay going past violations and through the leak check.
#include <cstdint>
#include <string>
#include <string_view>

#include "model/layout/loaders.h"
#include "traces/replay/replay.h"
#include "traces/replay/report.h"
#include "traces/text_reader.h"

using namespace unpop;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::vector<std::string> kVariants = variant_names();
  static const Layout kLayout = load_preset("qemu-virt-dom0");
  if (size == 0) return 0;
  Geometry g;
  Geometry::make(kLayout.arch, 4096, g);
  replay::Options o;
  const std::size_t pick = (data[0] & 0x7f) % (kVariants.size() + 1);
  o.variant = pick < kVariants.size() ? kVariants[pick] : std::string(replay::kAutoVariant);
  o.all = true;
  o.drained = true;
  o.build_cex = data[0] & 0x80;
  replay::Replayer rep(kLayout, g, o);
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  auto reader = traces::TextReader::from_memory("fuzz", text);
  traces::Record rec;
  traces::ReadError err;
  for (;;) {
    auto st = reader->next(rec, err);
    if (st == traces::ReadStatus::end) break;
    if (st == traces::ReadStatus::error) {
      rep.fail(replay::InputError{err.file, err.line, err.expected});
      break;
    }
    if (!rep.feed(rec)) break;
  }
  rep.finish();
  (void)replay::to_json(rep.result()).dump(2, ' ', false, nlohmann::json::error_handler_t::replace);  // as the CLI prints it
  (void)replay::to_text(rep.result(), replay::TextOptions{});
  if (o.build_cex && rep.result().verdict == replay::Verdict::violation) (void)rep.counterexample();
  return 0;
}
