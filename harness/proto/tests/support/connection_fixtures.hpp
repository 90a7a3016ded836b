// Sample values for the connection-layer tests: pids, references and one message of every
// control operation (header only, so it links into any proto test).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "distspec/proto/control.hpp"

namespace distspec::proto::testing {

inline etf::Pid make_pid(std::string node, std::uint32_t id, std::uint32_t creation = 0x6b089067) {
  return etf::Pid{etf::Atom{std::move(node)}, id, 0, creation};
}
inline etf::Reference make_ref(std::string node, std::uint32_t word) {
  return etf::Reference{etf::Atom{std::move(node)}, 0x6b089067, {word, 0x53710002, 0x9449553c}};
}
inline etf::Term sample_token() {
  return etf::Term::tuple({etf::Term::integer(0), etf::Term::atom("label"),
                           etf::Term::integer(1), etf::Term::pid(make_pid("c@vm", 3)),
                           etf::Term::integer(0)});
}

// One message of every operation of OTP 25 (NODE_LINK included), with payloads where required.
inline std::vector<DistMessage> every_control_message() {
  using etf::Term;
  auto a = make_pid("a@vm", 90);
  auto c = make_pid("c@vm", 91);
  auto ref = make_ref("a@vm", 0x3d2f0);
  auto reason = Term::tuple({Term::atom("badarith"), Term::list({Term::integer(1)})});
  auto msg = Term::tuple({Term::atom("$gen_call"),
                          Term::tuple({Term::pid(c), Term::list({Term::atom("alias")},
                                                                Term::reference(ref))}),
                          Term::tuple({Term::atom("is_auth"), Term::atom("c@vm")})});
  auto token = sample_token();
  Mfa mfa{etf::Atom{"erpc"}, etf::Atom{"execute_call"}, 4};
  ProperList opts{Term::list({Term::atom("monitor")})};
  auto args = Term::list({Term::reference(ref), Term::atom("erlang"), Term::atom("node"), Term()});
  std::vector<DistMessage> out{
      {Link{c, a}, {}},
      {Send{kUnusedAtom, a}, msg},
      {Exit{c, a, reason}, {}},
      {Unlink{c, a}, {}},
      {NodeLink{}, {}},
      {RegSend{c, kUnusedAtom, etf::Atom{"net_kernel"}}, msg},
      {GroupLeader{c, a}, {}},
      {Exit2{c, a, Term::atom("kill")}, {}},
      {SendTT{kUnusedAtom, a, token}, msg},
      {ExitTT{c, a, token, reason}, {}},
      {RegSendTT{c, kUnusedAtom, etf::Atom{"Elixir.PingPong"}, token}, msg},
      {Exit2TT{c, a, token, reason}, {}},
      {MonitorP{c, etf::Atom{"net_kernel"}, ref}, {}},
      {DemonitorP{c, a, ref}, {}},
      {MonitorPExit{etf::Atom{"nosuch"}, c, ref, Term::atom("noproc")}, {}},
      {SendSender{c, a}, msg},
      {SendSenderTT{c, a, token}, msg},
      {PayloadExit{c, a}, reason},
      {PayloadExitTT{c, a, token}, reason},
      {PayloadExit2{c, a}, reason},
      {PayloadExit2TT{c, a, token}, reason},
      {PayloadMonitorPExit{a, c, ref}, Term::atom("noproc")},
      {SpawnRequest{ref, c, c, mfa, opts}, args},
      {SpawnRequestTT{ref, c, c, mfa, opts, token}, args},
      {SpawnReply{ref, c, 3, a}, {}},
      {SpawnReplyTT{ref, c, 0, etf::Atom{"badopt"}, token}, {}},
      {AliasSend{a, ref}, Term::tuple({Term::list({Term::atom("alias")}, Term::reference(ref)),
                                        Term::atom("pong")})},
      {AliasSendTT{a, ref, token}, Term::atom("pong")},
      {UnlinkId{1, a, c}, {}},
      {UnlinkIdAck{0xfedcba9876543210ull, c, a}, {}},
  };
  return out;
}

}  // namespace distspec::proto::testing
