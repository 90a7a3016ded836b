// `distspec call NODE NAME TERM`: GenServer.call({NAME, NODE}, TERM) from a short-lived C++ node.
#include <cstdio>

#include "command.hpp"
#include "distspec/etf/text.hpp"
#include "distspec/node/node.hpp"
#include "node_flags.hpp"

namespace distspec::cli {
namespace {

constexpr const char* kUsage =
    "usage: distspec call NODE NAME TERM [--cookie C | --cookie-file F] [--timeout MS]\n"
    "                     [--hidden] [--record-corpus DIR]\n"
    "\n"
    "Makes a gen_call to the process registered as NAME on NODE with the request TERM (Erlang\n"
    "syntax, e.g. ping or '{add, 1, 2}') and prints the reply in the term text form. NAME is the\n"
    "registered atom; an Elixir alias such as PingPong means 'Elixir.PingPong'. The call fails as\n"
    "GenServer.call does (the exit reason on stderr): {nodedown, NODE}, noproc, or timeout after\n"
    "--timeout MS (default 5000).\n"
    "exit status: 0 a reply was printed, 1 the call failed, 2 usage error\n";

int run_call(std::span<const std::string_view> args) {
  auto flags = parse_client_flags(args);
  if (flags.has("--help")) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  auto fail_usage = [](const std::string& why) { return usage_error("call", kUsage, why); };
  if (!flags.error.empty()) return fail_usage(flags.error);
  if (flags.positional.size() != 3) return fail_usage("give NODE, NAME and TERM");
  std::string error;
  auto timeout = timeout_from_flags(flags, std::chrono::milliseconds(5'000), error);
  if (!timeout) return fail_usage(error);
  const std::string& target = flags.positional[0];
  std::string name = node::registered_name_atom(flags.positional[1]);
  auto request = etf::parse(flags.positional[2]);
  if (!request) {
    const auto& e = request.error();
    std::fprintf(stderr, "distspec call: TERM: %s at line %zu column %zu\n", e.message.c_str(), e.line,
                 e.column);
    return kExitUsage;
  }
  auto client = start_client_node(flags, target, "call");
  if (!client) return kExitFailure;
  auto& node = *client;
  auto reply = node.call(target, name, request.value(), *timeout);
  node.stop();
  if (!reply) {
    // GenServer.call's exit reason: {Reason, {GenServer, call, [Server, Request, Timeout]}}.
    auto server = etf::Term::tuple({etf::Term::atom(name), etf::Term::atom(target)});
    auto reason = etf::Term::tuple(
        {reply.error().reason,
         etf::Term::tuple({etf::Term::atom("Elixir.GenServer"), etf::Term::atom("call"),
                           etf::Term::list({server, request.value(), etf::Term::integer(timeout->count())})})});
    std::fprintf(stderr, "** (exit) %s\n", etf::format(reason).c_str());
    return kExitFailure;
  }
  std::printf("%s\n", etf::format(reply.value()).c_str());
  return kExitOk;
}

const CommandRegistration registration{
    {"call", "call NODE NAME TERM: a gen_call, prints the reply", run_call}};

}  // namespace
}  // namespace distspec::cli
