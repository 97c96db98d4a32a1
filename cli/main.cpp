// unpopcheck: an executable model of Linux's Xen unpopulated-alloc allocator and its checkers.
#include "cli/app.h"

int main(int argc, char** argv) { return unpop::cli::run_cli(argc, argv); }
