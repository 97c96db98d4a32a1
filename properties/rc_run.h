#pragma once
/// Running a RapidCheck property outside a test framework (the CLI's suites): one place that
/// builds the parameters and metadata and keeps RapidCheck's configuration banner off stderr.
#include <cstdint>
#include <functional>
#include <string>

#include <rapidcheck.h>

namespace unpop::props {

struct RcRun {
  rc::detail::TestParams params;
  rc::detail::TestResult result;
};

/// Checks `prop` with the given seed, number of passing cases and size; `id` names it (and is
/// the key of RapidCheck's reproduce string).
RcRun rc_run(const std::string& id, std::uint64_t seed, int runs, int max_size, const std::function<void()>& prop,
             rc::detail::TestListener& listener);

}  // namespace unpop::props
