#pragma once
/// unpopcheck's command line: parses argv, runs the subcommand, returns the exit code
/// (exit_policy_text() in cli/common.h).
namespace CLI {
class App;
}

namespace unpop::cli {

/// Registers every subcommand on `app` (the help test walks the result).
void build_app(CLI::App& app);
int run_cli(int argc, const char* const* argv);

}  // namespace unpop::cli
