// The whole command line as one function, so that tests can run it in-process (the throwaway
// variant test registers a variant, then runs the commands that must list it).
#include "cli/app.h"

#include <filesystem>
#include <iostream>
#include <utility>

#include <CLI/CLI.hpp>

#include "cli/common.h"

namespace unpop::cli {

void build_app(CLI::App& app) {
  app.description("unpopcheck: model, property suites, proofs and trace replay for Xen unpopulated-alloc");
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
  // One exit-code policy, said under every subcommand's --help.
  app.footer(exit_policy_text());
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; }))
    sub->footer(sub->get_footer().empty() ? exit_policy_text() : sub->get_footer() + "\n\n" + exit_policy_text());
}

int run_cli(int argc, const char* const* argv) {
  exit_code = kClean;
  CLI::App app;
  build_app(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // --json asks for JSON on stdout, a usage error included (a script reads one shape).
    std::string cmd = "(none)";
    bool json = false;
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      json |= a == "--json";
      if (cmd == "(none)")
        for (const CLI::App* sub : std::as_const(app).get_subcommands([](const CLI::App*) { return true; }))
          if (sub->get_name() == a) cmd = a;
    }
    if (json) return input_error(cmd, "(options)", 0, e.what(), true);
    app.exit(e);
    return kBadInput;
  } catch (const LoadError& e) {  // a command that let one through: still bad input, not a crash
    const CLI::App* sub = app.get_subcommands().empty() ? nullptr : app.get_subcommands().front();
    const CLI::Option* json = sub ? sub->get_option_no_throw("--json") : nullptr;
    return input_error(sub ? sub->get_name() : "(none)", e, json && json->count() > 0);
  } catch (const std::filesystem::filesystem_error& e) {  // a path given on the command line
    std::cerr << "unpopcheck: " << e.what() << "\n";
    return kBadInput;
  }
  return exit_code;
}

}  // namespace unpop::cli
