#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "command.hpp"

namespace distspec::cli {
namespace {
std::vector<Command>& command_table() {
  static std::vector<Command> table;
  return table;
}

void print_help(std::FILE* out) {
  std::fprintf(out,
               "distspec: a conformance and fuzzing harness for the Erlang distribution protocol\n\n"
               "usage: distspec <command> [args...]\n       distspec <command> --help\n\ncommands:\n");
  std::vector<Command> sorted(registered_commands().begin(), registered_commands().end());
  std::sort(sorted.begin(), sorted.end(), [](auto& a, auto& b) { return a.name < b.name; });
  for (const auto& c : sorted)
    std::fprintf(out, "  %-10.*s %.*s\n", int(c.name.size()), c.name.data(), int(c.summary.size()),
                 c.summary.data());
}
}  // namespace

CommandRegistration::CommandRegistration(Command command) { command_table().push_back(command); }

std::span<const Command> registered_commands() { return command_table(); }

}  // namespace distspec::cli

int main(int argc, char** argv) {
  using namespace distspec::cli;
  if (argc < 2) {
    print_help(stderr);
    return kExitUsage;
  }
  std::string_view name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    print_help(stdout);
    return kExitOk;
  }
  if (name == "--version") {
    std::printf("distspec 0.1.0\n");
    return kExitOk;
  }
  std::vector<std::string_view> args(argv + 2, argv + argc);
  for (const auto& c : registered_commands())
    if (c.name == name) return c.run(args);
  std::fprintf(stderr, "distspec: unknown command '%s' (see distspec --help)\n", argv[1]);
  return kExitUsage;
}
