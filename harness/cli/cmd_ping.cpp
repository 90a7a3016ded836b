// `distspec ping NODE`: :net_adm.ping from a short-lived C++ node; prints pong or pang.
#include <cstdio>

#include "command.hpp"
#include "distspec/node/node.hpp"
#include "node_flags.hpp"

namespace distspec::cli {
namespace {

constexpr const char* kUsage =
    "usage: distspec ping NODE [--cookie C | --cookie-file F] [--hidden] [--timeout MS]\n"
    "                     [--record-corpus DIR]\n"
    "\n"
    "Connects to NODE (name@host, found through the epmd at $ERL_EPMD_PORT, default 4369) and\n"
    "asks its net_kernel {is_auth, Node} as :net_adm.ping does. Prints `pong` (exit 0) or `pang`\n"
    "(exit 1). The cookie defaults to ~/.erlang.cookie; --timeout defaults to 10000 ms.\n"
    "exit status: 0 pong, 1 pang, 2 usage error\n";

int run_ping(std::span<const std::string_view> args) {
  auto flags = parse_client_flags(args);
  if (flags.has("--help")) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  auto fail_usage = [](const std::string& why) { return usage_error("ping", kUsage, why); };
  if (!flags.error.empty()) return fail_usage(flags.error);
  if (flags.positional.size() != 1) return fail_usage("give exactly one NODE");
  std::string error;
  auto timeout = timeout_from_flags(flags, std::chrono::milliseconds(10'000), error);
  if (!timeout) return fail_usage(error);
  const std::string& target = flags.positional[0];
  auto client = start_client_node(flags, target, "ping");
  if (!client) {
    std::puts("pang");  // as :net_adm.ping answers when it cannot even try
    return kExitFailure;
  }
  auto& node = *client;
  bool pong = node.ping(target, *timeout);
  node.stop();
  std::puts(pong ? "pong" : "pang");
  return pong ? kExitOk : kExitFailure;
}

const CommandRegistration registration{
    {"ping", "ping NODE: pong (exit 0) or pang (exit 1), as :net_adm.ping", run_ping}};

}  // namespace
}  // namespace distspec::cli
