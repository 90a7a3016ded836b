#include "support/handshake_driver.hpp"

#include <algorithm>

namespace distspec::proto::testing {
namespace {

// Answers whatever the machine waits for; returns true if it answered.
bool answer(HandshakeMachine& machine, const Answers& answers) {
  if (machine.state() == HandshakeState::AwaitDecision)
    return static_cast<Acceptor&>(machine).decide(answers.decision).ok();
  if (machine.state() == HandshakeState::AwaitAliveDecision)
    return static_cast<Initiator&>(machine).answer_alive(answers.alive_reply).ok();
  return false;
}

// Feeds `pending` until the machine stops making progress; erases what it consumed.
void pump(HandshakeMachine& machine, Bytes& pending, const Answers& answers, std::size_t chunk) {
  for (;;) {
    if (answer(machine, answers)) continue;
    if (pending.empty()) return;
    const std::size_t n = std::min(chunk, pending.size());
    auto used = machine.feed(std::span(pending).first(n));
    if (!used.ok()) return;
    pending.erase(pending.begin(), pending.begin() + std::ptrdiff_t(used.value()));
    if (used.value() == 0 && !answer(machine, answers)) return;
  }
}

}  // namespace

Bytes feed_pieces(HandshakeMachine& machine,
                  const std::vector<std::span<const std::uint8_t>>& pieces,
                  const Answers& answers) {
  Bytes pending;
  for (const auto& piece : pieces) {
    pending.insert(pending.end(), piece.begin(), piece.end());
    pump(machine, pending, answers, SIZE_MAX);
  }
  return pending;
}

Transcript run_pair(Initiator& initiator, Acceptor& acceptor, const Answers& answers,
                    std::size_t chunk) {
  Transcript t;
  for (int round = 0; round < 64; ++round) {
    Bytes out_i = initiator.take_output();
    Bytes out_a = acceptor.take_output();
    t.to_acceptor.insert(t.to_acceptor.end(), out_i.begin(), out_i.end());
    t.to_initiator.insert(t.to_initiator.end(), out_a.begin(), out_a.end());
    t.acceptor_unread.insert(t.acceptor_unread.end(), out_i.begin(), out_i.end());
    t.initiator_unread.insert(t.initiator_unread.end(), out_a.begin(), out_a.end());
    const auto before = std::make_pair(t.acceptor_unread.size(), t.initiator_unread.size());
    const auto states = std::make_pair(initiator.state(), acceptor.state());
    pump(acceptor, t.acceptor_unread, answers, chunk);
    pump(initiator, t.initiator_unread, answers, chunk);
    if (!initiator.has_output() && !acceptor.has_output() &&
        before == std::make_pair(t.acceptor_unread.size(), t.initiator_unread.size()) &&
        states == std::make_pair(initiator.state(), acceptor.state()))
      break;
  }
  // A side that failed closes its socket: the other sees EOF.
  if (acceptor.failed() && !initiator.failed() && !initiator.connected()) initiator.on_eof();
  if (initiator.failed() && !acceptor.failed() && !acceptor.connected()) acceptor.on_eof();
  return t;
}

InitiatorOptions initiator_options(std::string own, std::string target) {
  InitiatorOptions o;
  o.own_name = std::move(own);
  o.target_name = std::move(target);
  o.creation = 0x6b089167;
  o.cookie = Cookie("secret");
  o.challenge = 1711735914;
  return o;
}

AcceptorOptions acceptor_options(std::string own) {
  AcceptorOptions o;
  o.own_name = std::move(own);
  o.creation = 0x6b089166;
  o.cookie = Cookie("secret");
  o.challenge = 0xdf388e82;
  return o;
}

}  // namespace distspec::proto::testing
