// `distspec epmd names [HOST]`: what `epmd -names` prints, from the epmd on HOST (default the
// local one) at $ERL_EPMD_PORT (default 4369). Exit 0 when epmd answered, 1 when not, 2 on usage.
#include <cstdio>
#include <string>

#include "command.hpp"
#include "distspec/node/epmd_client.hpp"
#include "distspec/node/epmd_daemon.hpp"

namespace distspec::cli {
namespace {

constexpr const char* kUsage = "usage: distspec epmd names [HOST]\n";

int run_epmd(std::span<const std::string_view> args) {
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (args.empty() || args[0] != "names" || args.size() > 2) {
    std::fputs(kUsage, stderr);
    return kExitUsage;
  }
  bool local = args.size() < 2;
  std::string host = local ? "localhost" : std::string(args[1]);
  auto reply = node::epmd_names(host, node::epmd_port_from_environment());
  if (!reply) {
    // epmd's own words for the local case; the reason for a remote host.
    if (local)
      std::fputs("epmd: Cannot connect to local epmd\n", stderr);
    else
      std::fprintf(stderr, "epmd: %s\n", reply.error().message.c_str());
    return kExitFailure;
  }
  std::fputs(proto::epmd::format_names(reply.value()).c_str(), stdout);
  return kExitOk;
}

const CommandRegistration registration{
    {"epmd", "epmd names [HOST]: the nodes registered in epmd, as `epmd -names` prints them",
     run_epmd}};

}  // namespace
}  // namespace distspec::cli
