#pragma once
/// unpopcheck's command line: parses argv, runs the subcommand, returns the exit code
/// (0 clean, 1 findings, 2 unreadable input or usage error).
namespace unpop::cli {

int run_cli(int argc, const char* const* argv);

}  // namespace unpop::cli
