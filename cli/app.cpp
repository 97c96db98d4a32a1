// The whole command line as one function, so that tests can run it in-process (the throwaway
// variant test registers a variant, then runs the commands that must list it).
#include "cli/app.h"

#include <CLI/CLI.hpp>

#include "cli/common.h"

namespace unpop::cli {

int run_cli(int argc, const char* const* argv) {
  exit_code = kClean;
  CLI::App app{"unpopcheck: model, property suites, proofs and trace replay for Xen unpopulated-alloc"};
  app.require_subcommand(1);
  register_layout(app);
  register_simulate(app);
  register_mutants(app);
  register_explore(app);
  register_rules(app);
  register_variants(app);
#ifdef HAVE_UNPOP_PROPERTIES
  register_check(app);
#endif
#ifdef HAVE_UNPOP_SOLVER
  register_prove(app);
#endif
#ifdef HAVE_UNPOP_REPLAY
  register_replay(app);
#endif
#ifdef HAVE_UNPOP_SCENARIOS
  register_scenario(app);
#endif
#ifdef HAVE_UNPOP_CONFORM
  register_conform(app);
#endif
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kBadInput;
  }
  return exit_code;
}

}  // namespace unpop::cli
