// handshake_acceptor: an Acceptor fed a byte stream cut into chunks chosen by the input; the
// cookie, flags, challenge, configuration and decisions come from the input too.
// Invariants: support/handshake_driver.hpp (Connected only after the cookie was proven; never
// reads past what it was given).
#include "distspec/proto/handshake.hpp"
#include "support/handshake_driver.hpp"

using namespace distspec;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::InputReader in(data, size);
  proto::AcceptorOptions options;
  options.own_name = in.string(40);
  if (options.own_name.empty()) options.own_name = "a@host";
  std::string cookie = in.string(12);
  options.cookie = proto::Cookie(cookie);
  options.challenge = in.u32();
  options.creation = in.u32() | 1;
  options.flags = in.flag() ? proto::kOtp25AdvertisedFlags : in.u64();
  options.accept_v5 = in.flag();
  options.accept_v6 = !in.flag();
  const bool help = in.flag();
  proto::Acceptor acceptor(options);

  fuzz::HandshakeDriveHooks hooks;
  hooks.cookie = [&] { return cookie; };
  hooks.decide = [&](proto::HandshakeMachine&, fuzz::InputReader& input) {
    proto::AcceptDecision d;
    d.allowed = !(input.byte() == 0xff);
    d.existing = proto::ExistingConnection(input.byte() % 3);
    if (input.flag()) cookie = input.string(8), d.cookie = proto::Cookie(cookie);
    if (acceptor.name_requested()) d.assigned_alive = input.string(6), d.assigned_creation = input.u32();
    (void)acceptor.decide(d);
  };
  hooks.proof = [&](const proto::HandshakeMachine& m) {
    std::vector<std::uint8_t> out;
    if (m.state() == proto::HandshakeState::AwaitChallengeReply) {
      const auto digest = fuzz::md5_digest(cookie, options.challenge);
      proto::ChallengeReply reply{options.challenge ^ 0x5a5a5a5a, {}};
      std::copy(digest.begin(), digest.end(), reply.digest.begin());
      proto::encode_challenge_reply(reply, out);
    }
    return out;
  };
  fuzz::drive_handshake(acceptor, in, options.challenge, help, hooks);
  return 0;
}
