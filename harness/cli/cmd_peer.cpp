// `distspec peer`: runs the C++ node until SIGINT/SIGTERM (see node.hpp for what it serves).
#include <algorithm>
#include <cstdio>

#include "command.hpp"
#include "distspec/node/node.hpp"
#include "node_flags.hpp"

namespace distspec::cli {
namespace {

constexpr const char* kUsage =
    "usage: distspec peer --sname NAME | --name NAME [--cookie C | --cookie-file F] [--hidden]\n"
    "                     [--port P] [--net-ticktime S] [--handshake-version 5|6]\n"
    "                     [--without-flags FLAG,...] [--record-corpus DIR] [--verbose]\n"
    "\n"
    "Runs a distribution node named NAME@HOST (HOST as erl derives it for -sname / -name), hosting\n"
    "a registered PingPong (GenServer.call({PingPong, node}, :ping) -> :pong) and answering\n"
    ":net_adm.ping. It registers with epmd ($ERL_EPMD_PORT, default 4369; started with\n"
    "`epmd -daemon` if none answers), logs connections, rejections and messages on stderr, prints\n"
    "`ready NODE PORT` on stdout once it listens, and unregisters cleanly on SIGINT/SIGTERM.\n"
    "  --cookie C / --cookie-file F   the cookie (default: ~/.erlang.cookie, as erl reads it)\n"
    "  --hidden                       a hidden node (only in Node.list(:hidden) of its peers)\n"
    "  --port P                       listen on P (erl's inet_dist_listen_min/max); default any\n"
    "  --net-ticktime S               kernel net_ticktime in seconds (default 60)\n"
    "  --handshake-version 5|6        the send_name this node dials with (default 6)\n"
    "  --without-flags FLAG,...       leave these distribution flags out of the ones advertised,\n"
    "                                 by OTP's names (e.g. DIST_MONITOR_NAME,ALIAS): a peer that\n"
    "                                 lacks them, as a C node does (a mandatory one gets the\n"
    "                                 connection refused, as OTP refuses such a peer)\n"
    "  --record-corpus DIR            write every handshake message and term seen into DIR\n"
    "  --verbose                      debug lines, and a line for every message (default: the\n"
    "                                 first 20 messages of each second, then a count)\n"
    "\n"
    "exit status: 0 stopped by a signal, 1 the node could not start, 2 usage error\n";

int run_peer(std::span<const std::string_view> args) {
  auto flags = parse_flags(args,
                           {"--sname", "--name", "--cookie", "--cookie-file", "--port",
                            "--net-ticktime", "--record-corpus", "--handshake-version", "--without-flags"},
                           {"--hidden", "--verbose", "--help"});
  if (flags.has("--help")) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  auto fail_usage = [](const std::string& why) { return usage_error("peer", kUsage, why); };
  if (!flags.error.empty()) return fail_usage(flags.error);
  if (!flags.positional.empty()) return fail_usage("unexpected argument " + flags.positional[0]);
  if (flags.has("--sname") == flags.has("--name")) return fail_usage("give one of --sname and --name");
  if (flags.has("--cookie") && flags.has("--cookie-file"))
    return fail_usage("give at most one of --cookie and --cookie-file");

  node::NodeOptions options;
  auto kind = flags.has("--sname") ? proto::NameKind::Short : proto::NameKind::Long;
  auto spec = flags.has("--sname") ? *flags.value("--sname") : *flags.value("--name");
  auto name = node::make_node_name(spec, kind, node::read_host_environment());
  if (!name) {
    std::fprintf(stderr, "distspec peer: %s\n", name.error().message.c_str());
    return kExitFailure;
  }
  options.name = name.value().full();
  if (auto port = flags.value("--port")) {
    auto n = parse_number(*port, 65535);
    if (!n) return fail_usage("--port needs a port number");
    options.listen_port = std::uint16_t(*n);
  }
  if (auto tick = flags.value("--net-ticktime")) {
    auto n = parse_number(*tick, 1'000'000);
    if (!n || *n == 0) return fail_usage("--net-ticktime needs a positive number of seconds");
    options.net_ticktime = std::chrono::seconds(*n);
  }
  if (auto version = flags.value("--handshake-version")) {
    if (*version != "5" && *version != "6") return fail_usage("--handshake-version is 5 or 6");
    options.send_name_version = std::uint16_t(*version == "5" ? 5 : 6);
  }
  options.hidden = flags.has("--hidden");
  if (auto value = flags.value("--without-flags")) {
    auto names = comma_list(*value);
    if (!names || names->empty()) return fail_usage("--without-flags takes FLAG,... (OTP's names)");
    proto::DistFlags without = 0;
    for (const auto& name : *names) {
      auto flag = proto::flag_by_name(name);
      if (!flag) return fail_usage("--without-flags: no distribution flag named '" + name + "'");
      without |= *flag;
    }
    // MANDATORY_25_DIGEST stands for every mandatory flag: it goes too when one of them does, or
    // the peer would still read that flag as advertised.
    if (without & proto::kOtp25MandatoryFlags) without |= proto::dflag::mandatory_25_digest;
    options.flags = node::node_flags(options.hidden) & ~without;
  }
  options.record_corpus_dir = flags.value("--record-corpus");
  options.log = node::stderr_log_sink(flags.has("--verbose"));
  if (flags.has("--verbose")) options.message_lines_per_second = 0;  // every message
  auto cookie = cookie_from_flags(flags, "peer");
  if (!cookie) return kExitFailure;
  options.cookie = std::move(*cookie);

  auto created = node::Node::create(std::move(options));
  if (!created) {
    std::fprintf(stderr, "distspec peer: %s\n", created.error().message.c_str());
    return kExitFailure;
  }
  auto& node = *created.value();
  std::printf("ready %s %u\n", node.name().c_str(), unsigned(node.listen_port()));
  std::fflush(stdout);
  node.run_until_signal();
  return kExitOk;
}

const CommandRegistration registration{
    {"peer", "run the C++ node (PingPong, ping answers) until SIGINT/SIGTERM", run_peer}};

}  // namespace
}  // namespace distspec::cli
