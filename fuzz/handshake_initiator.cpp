// handshake_initiator: an Initiator fed a byte stream cut into chunks chosen by the input; the
// cookie, flags, challenge, send_name form and the answer to 'alive' come from the input too.
// Invariants: support/handshake_driver.hpp (Connected only after the cookie was proven; never
// reads past what it was given).
#include "distspec/proto/handshake.hpp"
#include "support/handshake_driver.hpp"

using namespace distspec;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::InputReader in(data, size);
  proto::InitiatorOptions options;
  options.request_name = in.flag();
  options.target_name = in.string(40);
  if (options.target_name.empty()) options.target_name = "a@host";
  options.own_name = options.request_name ? "host" : "b@host";
  const std::string cookie = in.string(12);
  options.cookie = proto::Cookie(cookie);
  options.challenge = in.u32();
  options.creation = options.request_name ? 0 : in.u32() | 1;
  options.flags = in.flag() ? proto::kOtp25AdvertisedFlags : in.u64();
  options.send_name_version = in.flag() ? 5 : 6;
  const bool help = in.flag();
  proto::Initiator initiator(options);

  fuzz::HandshakeDriveHooks hooks;
  hooks.cookie = [&] { return cookie; };
  hooks.decide = [&](proto::HandshakeMachine&, fuzz::InputReader& input) {
    (void)initiator.answer_alive(input.flag());
  };
  hooks.proof = [&](const proto::HandshakeMachine& m) {
    std::vector<std::uint8_t> out;
    if (m.state() == proto::HandshakeState::AwaitChallengeAck) {
      const auto digest = fuzz::md5_digest(cookie, options.challenge);
      proto::ChallengeAck ack;
      std::copy(digest.begin(), digest.end(), ack.digest.begin());
      proto::encode_challenge_ack(ack, out);
    }
    return out;
  };
  fuzz::drive_handshake(initiator, in, options.challenge, help, hooks);
  return 0;
}
