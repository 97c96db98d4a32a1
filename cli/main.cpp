// unpopcheck: an executable model of Linux's Xen unpopulated-alloc allocator and its checkers.
#include <cstdio>

#include <CLI/CLI.hpp>

#include "cli/common.h"

int main(int argc, char** argv) {
  CLI::App app{"unpopcheck: model, property suites, proofs and trace replay for Xen unpopulated-alloc"};
  app.require_subcommand(1);
  unpop::cli::register_layout(app);
  unpop::cli::register_simulate(app);
  unpop::cli::register_mutants(app);
  unpop::cli::register_explore(app);
#ifdef HAVE_UNPOP_PROPERTIES
  unpop::cli::register_check(app);
#endif
#ifdef HAVE_UNPOP_SOLVER
  unpop::cli::register_prove(app);
#endif
#ifdef HAVE_UNPOP_REPLAY
  unpop::cli::register_replay(app);
#endif
#ifdef HAVE_UNPOP_SCENARIOS
  unpop::cli::register_scenario(app);
#endif
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return unpop::cli::kBadInput;
  }
  return unpop::cli::exit_code;
}
