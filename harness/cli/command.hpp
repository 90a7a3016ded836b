// Subcommands of the `distspec` executable.
//
// Each subcommand lives in its own cmd_<name>.cpp in this folder and registers itself with a
// static CommandRegistration, so adding one touches no shared file. Exit codes are contracts:
// 0 success, 1 the checked thing failed or input was rejected, 2 usage error.
#pragma once

#include <span>
#include <string_view>

namespace distspec::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// args excludes the program and subcommand names: for `distspec term decode x`, {"decode","x"}.
using CommandFunction = int (*)(std::span<const std::string_view> args);

struct Command {
  std::string_view name;
  std::string_view summary;  // one line for `distspec --help`
  CommandFunction run;
};

struct CommandRegistration {
  explicit CommandRegistration(Command command);
};

std::span<const Command> registered_commands();

}  // namespace distspec::cli
