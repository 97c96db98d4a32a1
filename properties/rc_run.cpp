#include "properties/rc_run.h"

#include <iostream>

namespace unpop::props {

RcRun rc_run(const std::string& id, std::uint64_t seed, int runs, int max_size, const std::function<void()>& prop,
             rc::detail::TestListener& listener) {
  static const bool quiet = [] {
    // RapidCheck prints "Using configuration" when it first loads RC_PARAMS: keep our stderr clean.
    std::streambuf* old = std::cerr.rdbuf(nullptr);
    rc::detail::configuration();
    std::cerr.rdbuf(old);
    return true;
  }();
  (void)quiet;
  rc::detail::TestParams params;
  params.seed = seed;
  params.maxSuccess = runs;
  params.maxSize = max_size;
  rc::detail::TestMetadata md;
  md.id = id;
  md.description = id;
  return RcRun{params, rc::detail::checkProperty(rc::detail::toProperty(prop), md, params, listener)};
}

}  // namespace unpop::props
