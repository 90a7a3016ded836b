#include "support/handshake_driver.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <memory>

#include "distspec/proto/handshake_messages.hpp"
#include "support/fuzz_check.hpp"

namespace distspec::fuzz {

std::array<std::uint8_t, 16> md5_digest(const std::string& cookie, std::uint32_t challenge) {
  const std::string text = cookie + std::to_string(challenge);
  std::array<std::uint8_t, 16> out{};
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), out.data(), &len, EVP_md5(), nullptr);
  return out;
}

namespace {
void check_output_is_framed(const std::vector<std::uint8_t>& out) {
  std::size_t pos = 0;
  while (pos < out.size()) {
    FUZZ_CHECK(out.size() - pos >= 2);
    const std::size_t len = std::size_t(out[pos]) << 8 | out[pos + 1];
    FUZZ_CHECK(len > 0 && len <= proto::kMaxHandshakeMessage && out.size() - pos - 2 >= len);
    pos += 2 + len;
  }
}

bool stops_for_a_reason(proto::HandshakeState s) {
  using S = proto::HandshakeState;
  return s == S::AwaitDecision || s == S::AwaitAliveDecision || s == S::Connected || s == S::Failed;
}
}  // namespace

void drive_handshake(proto::HandshakeMachine& machine, InputReader& input, std::uint32_t own_challenge,
                     bool help_to_prove, const HandshakeDriveHooks& hooks) {
  std::vector<std::uint8_t> fed;  // every byte the machine consumed
  std::vector<std::uint8_t> pending;
  bool proof_sent = false;
  for (int steps = 0; steps < 64 && !machine.failed(); ++steps) {
    check_output_is_framed(machine.take_output());
    if (machine.connected()) {
      const auto expected = md5_digest(hooks.cookie(), own_challenge);
      FUZZ_CHECK(std::search(fed.begin(), fed.end(), expected.begin(), expected.end()) != fed.end());
      return;
    }
    const auto state = machine.state();
    if (state == proto::HandshakeState::AwaitDecision || state == proto::HandshakeState::AwaitAliveDecision) {
      hooks.decide(machine, input);
      if (machine.state() == state) return;  // the hook declined to decide
      continue;
    }
    if (pending.empty() && help_to_prove && !proof_sent) {
      pending = hooks.proof(machine);
      proof_sent = !pending.empty();
    }
    if (pending.empty()) {
      if (input.empty()) {
        machine.on_eof();
        FUZZ_CHECK(machine.failed() || machine.connected());
        return;
      }
      auto chunk = input.take(1 + input.byte() % 48);
      pending.assign(chunk.begin(), chunk.end());
    }
    // An exactly-sized copy: a read past the chunk is a heap overflow under ASan.
    const std::size_t n = std::min<std::size_t>(pending.size(), 1 + input.byte() % 64);
    std::unique_ptr<std::uint8_t[]> exact(new std::uint8_t[n]);
    std::copy_n(pending.begin(), n, exact.get());
    auto consumed = machine.feed({exact.get(), n});
    if (!consumed.ok()) {
      FUZZ_CHECK(machine.failed());
      continue;
    }
    FUZZ_CHECK(consumed.value() <= n);
    if (consumed.value() < n) FUZZ_CHECK(stops_for_a_reason(machine.state()));
    fed.insert(fed.end(), pending.begin(), pending.begin() + consumed.value());
    pending.erase(pending.begin(), pending.begin() + consumed.value());
  }
  check_output_is_framed(machine.take_output());
}

}  // namespace distspec::fuzz
