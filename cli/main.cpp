// Placeholder entry point until the subcommands land (replaced in the Foundation work).
#include <cstdio>
int main() {
  std::puts("unpopcheck: subcommands not wired yet");
  return 2;
}
