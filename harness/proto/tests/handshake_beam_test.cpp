// Our handshake machines against a real OTP 25 node over loopback sockets: one epmd on a free
// port and one long-lived `erl -sname` for the suite (distspec/testing/beam_processes.hpp: killed
// with its process group on every path).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>

#include "distspec/proto/handshake.hpp"
#include "support/beam_peer.hpp"

namespace distspec::proto {
namespace {

using namespace testing;
using Bytes = std::vector<std::uint8_t>;

std::uint32_t random_u32() {
  static std::random_device device;
  return device();
}

class BeamHandshake : public ::testing::Test {
 protected:
  static constexpr const char* kCookie = "hs_beam_cookie";
  static inline std::unique_ptr<PrivateEpmd> epmd_;
  static inline std::unique_ptr<BeamNode> erl_;
  static inline std::string host_;

  static void SetUpTestSuite() {
    host_ = short_host_name();
    epmd_ = std::make_unique<PrivateEpmd>();
    // net_setuptime 1: an attempt that our acceptor refuses with 'nok' waits for this timer
    // before connect_node returns (7 s by default).
    try {
      erl_ = std::make_unique<BeamNode>(
          *epmd_, distspec::testing::BeamNodeOptions{
                      .name = "hs_beam",
                      .cookie = kCookie,
                      .extra_erl_args = {"-kernel", "net_setuptime", "1"}});
    } catch (const std::exception& e) {  // the message carries the node's output
      std::fprintf(stderr, "erl did not start: %s\n", e.what());
    }
  }
  static void TearDownTestSuite() {
    if (erl_ && std::getenv("DISTSPEC_SHOW_ERL"))
      std::fprintf(stderr, "%s\n", erl_->process().output().c_str());
    erl_.reset();
    epmd_.reset();
  }
  void SetUp() override { ASSERT_TRUE(erl_) << "no erl node"; }

  InitiatorOptions initiator(const std::string& alive, const std::string& cookie) {
    InitiatorOptions o;
    o.own_name = alive + "@" + host_;
    o.target_name = erl_->node_name();
    o.flags = kOtp25HiddenFlags;
    o.creation = 4 + random_u32() % 1000000;
    o.cookie = Cookie(cookie);
    o.challenge = random_u32();
    return o;
  }

  AcceptorOptions acceptor(const std::string& alive, std::uint32_t creation,
                           const std::string& cookie) {
    AcceptorOptions o;
    o.own_name = alive + "@" + host_;
    o.creation = creation;
    o.cookie = Cookie(cookie);
    o.challenge = random_u32();
    return o;
  }
};

TEST_F(BeamHandshake, OurInitiatorConnectsToOtp) {
  const std::uint16_t port = epmd_port_please(epmd_->port(), "hs_beam");
  ASSERT_NE(port, 0);
  Fd s = connect_loopback(port);
  ASSERT_TRUE(s.valid());
  Initiator machine(initiator("hs_init", kCookie));
  drive_handshake(machine, s.fd);
  ASSERT_EQ(machine.state(), HandshakeState::Connected)
      << (machine.error() ? to_string(machine.error()->code) : "timeout");
  EXPECT_EQ(machine.status(), HandshakeStatus::Ok);
  EXPECT_EQ(machine.peer().name, erl_->node_name());
  EXPECT_EQ(machine.peer().flags, kOtp25AdvertisedFlags);  // what OTP 25.2.3 advertises
  EXPECT_NE(machine.peer().creation, 0u);
  // OTP agrees: we are a (hidden) connected node.
  EXPECT_EQ(erl_->eval("lists:member('hs_init@" + host_ + "', nodes(hidden))"), "true");
}

TEST_F(BeamHandshake, OtpRejectsOurInitiatorWithAnotherCookie) {
  Fd s = connect_loopback(epmd_port_please(epmd_->port(), "hs_beam"));
  ASSERT_TRUE(s.valid());
  Initiator machine(initiator("hs_wrong", "not_the_cookie"));
  const std::size_t from = erl_->process().output().size();
  drive_handshake(machine, s.fd);
  ASSERT_TRUE(machine.failed());
  EXPECT_EQ(machine.error()->code, HandshakeErrorCode::PeerClosed);  // no 'a', just EOF
  // OTP logs the sentence our own acceptor produces for the same failure.
  const std::string line = "** Connection attempt from node hs_wrong@" + host_ +
                           " rejected. Invalid challenge reply. **";
  EXPECT_TRUE(erl_->process().wait_for(line, kBeamStepTimeout, from)) << erl_->process().output().substr(from);
}

TEST_F(BeamHandshake, Otp25_2ClosesVersion5SendNameWithoutStatus) {
  // Finding against OTP 25.2.3 (spec pitfalls A.2): an 'n' send_name gets no status at all.
  Fd s = connect_loopback(epmd_port_please(epmd_->port(), "hs_beam"));
  ASSERT_TRUE(s.valid());
  auto options = initiator("hs_v5", kCookie);
  options.send_name_version = 5;
  Initiator machine(options);
  const Bytes received = drive_handshake(machine, s.fd);
  ASSERT_TRUE(machine.failed());
  EXPECT_EQ(machine.error()->code, HandshakeErrorCode::PeerClosed);
  EXPECT_TRUE(received.empty());
}

TEST_F(BeamHandshake, OurAcceptorAcceptsOtp) {
  std::uint16_t port = 0;
  Fd listener = listen_loopback(port);
  auto registration = epmd_register(epmd_->port(), "hs_acc", port);
  ASSERT_GE(registration.creation, 4u);
  const std::size_t from = erl_->send("net_kernel:connect_node('hs_acc@" + host_ + "')");
  Fd s = accept_within(listener.fd);
  ASSERT_TRUE(s.valid()) << erl_->process().output().substr(from);
  Acceptor machine(acceptor("hs_acc", registration.creation, kCookie));
  drive_handshake(machine, s.fd);
  ASSERT_EQ(machine.state(), HandshakeState::Connected)
      << (machine.error() ? to_string(machine.error()->code) : "timeout");
  EXPECT_EQ(machine.status(), HandshakeStatus::Ok);
  EXPECT_EQ(machine.peer().name, erl_->node_name());
  EXPECT_EQ(machine.peer().name_version, 6);
  EXPECT_EQ(machine.peer().flags, kOtp25AdvertisedFlags);
  EXPECT_EQ(machine.effective_flags(), kOtp25AdvertisedFlags);
  EXPECT_EQ(erl_->wait_result(from), "true");
}

TEST_F(BeamHandshake, OurAcceptorRejectsOtpWithAnotherCookie) {
  std::uint16_t port = 0;
  Fd listener = listen_loopback(port);
  auto registration = epmd_register(epmd_->port(), "hs_rej", port);
  ASSERT_GE(registration.creation, 4u);
  const std::size_t from = erl_->send("net_kernel:connect_node('hs_rej@" + host_ + "')");
  Fd s = accept_within(listener.fd);
  ASSERT_TRUE(s.valid());
  Acceptor machine(acceptor("hs_rej", registration.creation, "not_the_cookie"));
  drive_handshake(machine, s.fd);
  ASSERT_TRUE(machine.failed());
  EXPECT_EQ(machine.error()->code, HandshakeErrorCode::InvalidChallengeReply);
  EXPECT_FALSE(machine.has_output());
  EXPECT_EQ(machine.otp_log_line(), "** Connection attempt from node " + erl_->node_name() +
                                        " rejected. Invalid challenge reply. **");
  s = Fd();  // close, as OTP does
  EXPECT_EQ(erl_->wait_result(from), "false");
}

TEST_F(BeamHandshake, OurAcceptorRefusesOtpWhenOurOwnAttemptWins) {
  // Simultaneous connect, decided by our embedder's answer: we are "hs_zz" > "hs_beam", so with
  // our own attempt pending we answer nok and OTP's connect_node fails.
  std::uint16_t port = 0;
  Fd listener = listen_loopback(port);
  auto registration = epmd_register(epmd_->port(), "hs_zz", port);
  ASSERT_GE(registration.creation, 4u);
  const std::size_t from = erl_->send("net_kernel:connect_node('hs_zz@" + host_ + "')");
  Fd s = accept_within(listener.fd);
  ASSERT_TRUE(s.valid());
  Acceptor machine(acceptor("hs_zz", registration.creation, kCookie));
  AcceptDecision pending;
  pending.existing = ExistingConnection::PendingOutgoing;
  drive_handshake(machine, s.fd, pending);
  ASSERT_TRUE(machine.failed());
  EXPECT_EQ(machine.error()->code, HandshakeErrorCode::SentNok);
  s = Fd();
  EXPECT_EQ(erl_->wait_result(from), "false");
}

}  // namespace
}  // namespace distspec::proto
