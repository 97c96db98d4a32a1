// unpopcheck mutants --list: the seeded bugs of the model, switchable by name with --mutant.
#include <iostream>

#include "cli/common.h"
#include "model/linux/mutants.h"
#include "report/table.h"

namespace unpop::cli {

void register_mutants(CLI::App& app) {
  auto list = std::make_shared<bool>(false);
  auto* sub = app.add_subcommand("mutants", "list the model's seeded bugs (--list)");
  sub->add_flag("--list", *list, "list the mutants and where their code is");
  sub->callback([list] {
    if (!*list) {
      std::cerr << "unpopcheck mutants: running the suites against the mutants needs the property suites; "
                   "use --list to list them\n";
      exit_code = kBadInput;
      return;
    }
    report::Table t({"mutant", "variants", "what"});
    for (const auto& m : mutant_table())
      if (m.id != Mutant::none) t.add({m.name, m.variants, m.what});
    std::cout << t.render();
  });
}

}  // namespace unpop::cli
