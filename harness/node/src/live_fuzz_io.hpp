// Socket helpers of the live-node fuzzer (C++20 coroutines on Boost.Asio): one connection with a
// deadline on every read, the handshake driven through proto's Initiator, and the correct-peer
// check. Private to harness/node.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>  // Boost 1.74's awaitable.hpp uses std::exchange without it
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "distspec/proto/cookie.hpp"
#include "distspec/proto/dist_header.hpp"
#include "distspec/proto/dist_flags.hpp"
#include "distspec/proto/handshake.hpp"

namespace distspec::node::livefuzz {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using Bytes = std::vector<std::uint8_t>;

// What a read ended with.
enum class ReadStatus { Data, Eof, Timeout, Error };

class FuzzConnection : public std::enable_shared_from_this<FuzzConnection> {
 public:
  explicit FuzzConnection(asio::any_io_executor executor) : socket_(executor), timer_(executor) {}

  // Connects (TCP_NODELAY); false on failure, `refused` set for ECONNREFUSED.
  asio::awaitable<bool> connect(const asio::ip::tcp::endpoint& endpoint, Clock::time_point deadline,
                                bool& refused);
  asio::awaitable<bool> write(std::span<const std::uint8_t> bytes);
  // Appends what arrives to `into` (at most 16 KiB per call).
  asio::awaitable<ReadStatus> read_some(Bytes& into, Clock::time_point deadline);
  void close();

 private:
  void arm(Clock::time_point deadline);
  asio::ip::tcp::socket socket_;
  asio::steady_timer timer_;
  std::uint64_t generation_ = 0;  // a stale timer handler must not cancel a later operation
  bool timed_out_ = false;
  // Left uninitialized: a round reads a few small messages, and zeroing a buffer per connection
  // was the fuzzer's largest user-space cost (memset, 8 % of its CPU at 2000 handshakes/s).
  std::array<std::uint8_t, 16384> scratch_;
};

struct HandshakeRun {
  // Where the correct handshake ended: Connected, AwaitChallengeAck (stop_before_reply) or else.
  bool connected = false;
  bool at_reply = false;          // stopped with the correct 'r' in `reply` (not sent)
  Bytes reply;
  Bytes leftover;                 // bytes after the last handshake message (4-byte framed)
  proto::DistFlags effective_flags = 0;
  std::string failure;            // why it did not get there ("closed", "status nok", ...)
};

struct HandshakeIdentity {
  std::string own_name;
  std::string target_name;
  proto::Cookie cookie;
  std::uint32_t creation = 0;
  std::uint32_t challenge = 0;
  proto::DistFlags flags = 0;
};

// Drives a correct initiator handshake on `connection`. With stop_before_reply, returns as soon as
// the machine has produced its challenge reply, without sending it.
asio::awaitable<HandshakeRun> run_handshake(FuzzConnection& connection, const HandshakeIdentity& id,
                                            bool stop_before_reply,
                                            std::chrono::milliseconds step_timeout);

// {'$gen_call', {Self, Tag}, {is_auth, Own}} to net_kernel (what net_adm:ping sends), framed for
// `mode`; `tag_word` makes the reference tag unique.
Bytes is_auth_call(const proto::HeaderMode& mode, const HandshakeIdentity& id, std::uint32_t tag_word);

enum class ProbeResult { Yes, Closed, Timeout, Undecodable };
// Reads the connection (starting with `pending` bytes already received) until net_kernel's reply
// to is_auth_call(.., tag_word) arrives, the node closes, or the deadline passes. Other messages
// are skipped; a stream our receiver cannot decode ends the wait with Undecodable.
asio::awaitable<ProbeResult> await_is_auth_reply(FuzzConnection& connection,
                                                 const proto::HeaderMode& mode,
                                                 const HandshakeIdentity& id,
                                                 std::uint32_t tag_word, Bytes pending,
                                                 Clock::time_point deadline);

// The correct peer: handshake, then {is_auth, Own} to net_kernel, waiting for `yes`.
asio::awaitable<bool> correct_peer_check(asio::any_io_executor executor,
                                         asio::ip::tcp::endpoint endpoint,
                                         HandshakeIdentity id, std::chrono::milliseconds timeout);

// Splits complete 2-byte-framed messages off the front of `buffer`.
std::optional<Bytes> take_frame2(Bytes& buffer);

}  // namespace distspec::node::livefuzz
