#include "live_fuzz_io.hpp"

// g++ 12 flags Boost 1.74's coroutine frame allocator (a false positive, GCC bug 100485-like).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "distspec/node/live_fuzz.hpp"
#include "distspec/proto/connection.hpp"

namespace distspec::node::livefuzz {

using asio::ip::tcp;
using boost::system::error_code;

void FuzzConnection::arm(Clock::time_point deadline) {
  const auto generation = ++generation_;
  timed_out_ = false;
  timer_.expires_at(deadline);
  timer_.async_wait([weak = weak_from_this(), generation](error_code ec) {
    auto self = weak.lock();
    if (ec || !self || self->generation_ != generation) return;
    self->timed_out_ = true;
    error_code ignored;
    self->socket_.cancel(ignored);
  });
}

asio::awaitable<bool> FuzzConnection::connect(const tcp::endpoint& endpoint,
                                              Clock::time_point deadline, bool& refused) {
  error_code ec;
  arm(deadline);
  co_await socket_.async_connect(endpoint, asio::redirect_error(asio::use_awaitable, ec));
  ++generation_;
  timer_.cancel();
  refused = ec == asio::error::connection_refused;
  if (ec) co_return false;
  socket_.set_option(tcp::no_delay(true), ec);
  co_return true;
}

asio::awaitable<bool> FuzzConnection::write(std::span<const std::uint8_t> bytes) {
  error_code ec;
  co_await asio::async_write(socket_, asio::buffer(bytes.data(), bytes.size()),
                             asio::redirect_error(asio::use_awaitable, ec));
  co_return !ec;
}

asio::awaitable<ReadStatus> FuzzConnection::read_some(Bytes& into, Clock::time_point deadline) {
  error_code ec;
  arm(deadline);
  const std::size_t n = co_await socket_.async_read_some(
      asio::buffer(scratch_), asio::redirect_error(asio::use_awaitable, ec));
  ++generation_;
  timer_.cancel();
  into.insert(into.end(), scratch_.begin(), scratch_.begin() + std::ptrdiff_t(n));
  if (n > 0) co_return ReadStatus::Data;
  if (timed_out_) co_return ReadStatus::Timeout;
  if (ec == asio::error::eof || ec == asio::error::connection_reset) co_return ReadStatus::Eof;
  co_return ReadStatus::Error;
}

void FuzzConnection::close() {
  error_code ignored;
  ++generation_;
  timer_.cancel();
  socket_.close(ignored);
}

std::optional<Bytes> take_frame2(Bytes& buffer) {
  if (buffer.size() < 2) return std::nullopt;
  const std::size_t length = (std::size_t(buffer[0]) << 8) | buffer[1];
  if (buffer.size() < 2 + length) return std::nullopt;
  Bytes payload(buffer.begin() + 2, buffer.begin() + 2 + std::ptrdiff_t(length));
  buffer.erase(buffer.begin(), buffer.begin() + 2 + std::ptrdiff_t(length));
  return payload;
}

asio::awaitable<HandshakeRun> run_handshake(FuzzConnection& connection, const HandshakeIdentity& id,
                                            bool stop_before_reply,
                                            std::chrono::milliseconds step_timeout) {
  HandshakeRun run;
  proto::InitiatorOptions options;
  options.own_name = id.own_name;
  options.target_name = id.target_name;
  options.cookie = id.cookie;
  options.creation = id.creation;
  options.challenge = id.challenge;
  options.flags = id.flags;
  proto::Initiator machine(std::move(options));
  Bytes input;
  for (;;) {
    if (machine.state() == proto::HandshakeState::AwaitAliveDecision) {
      (void)machine.answer_alive(true);  // a pooled name whose last connection is still up
    }
    auto out = machine.take_output();
    if (stop_before_reply && machine.state() == proto::HandshakeState::AwaitChallengeAck) {
      run.at_reply = true;
      run.reply = std::move(out);
      co_return run;
    }
    if (!out.empty() && !co_await connection.write(out)) {
      run.failure = "write failed";
      co_return run;
    }
    if (machine.connected()) {
      run.connected = true;
      run.effective_flags = machine.effective_flags();
      run.leftover = std::move(input);
      co_return run;
    }
    if (machine.failed()) {
      run.failure = std::string(proto::to_string(machine.error()->code));
      co_return run;
    }
    if (input.empty()) {
      const auto status = co_await connection.read_some(input, Clock::now() + step_timeout);
      if (status != ReadStatus::Data) {
        run.failure = status == ReadStatus::Timeout ? "timeout" : "closed";
        co_return run;
      }
    }
    auto fed = machine.feed(input);
    if (!fed) continue;  // Failed: reported above
    input.erase(input.begin(), input.begin() + std::ptrdiff_t(fed.value()));
  }
}

namespace {
etf::Reference probe_tag(const HandshakeIdentity& id, std::uint32_t tag_word) {
  return {etf::Atom{id.own_name}, id.creation, {tag_word, 7, 42}};
}
}  // namespace

Bytes is_auth_call(const proto::HeaderMode& mode, const HandshakeIdentity& id, std::uint32_t tag_word) {
  const etf::Pid self{etf::Atom{id.own_name}, 1, 0, id.creation};
  proto::DistMessage call{
      proto::RegSend{self, proto::kUnusedAtom, etf::Atom{"net_kernel"}},
      etf::Term::tuple({etf::Term::atom("$gen_call"),
                        etf::Term::tuple({etf::Term::pid(self), etf::Term::reference(probe_tag(id, tag_word))}),
                        etf::Term::tuple({etf::Term::atom("is_auth"), etf::Term::atom(id.own_name)})})};
  proto::ConnectionSender sender({mode});
  Bytes out;
  sender.write(out, call, false);
  return out;
}

asio::awaitable<ProbeResult> await_is_auth_reply(FuzzConnection& connection,
                                                 const proto::HeaderMode& mode,
                                                 const HandshakeIdentity& id,
                                                 std::uint32_t tag_word, Bytes input,
                                                 Clock::time_point deadline) {
  proto::ConnectionReceiver receiver({mode});
  const etf::Term expected_tag = etf::Term::reference(probe_tag(id, tag_word));
  for (;;) {
    while (!input.empty()) {
      auto used = receiver.put(input);
      if (!used) co_return ProbeResult::Undecodable;
      input.erase(input.begin(), input.begin() + std::ptrdiff_t(used.value()));
      auto event = receiver.take();
      if (!event) continue;
      auto* message = std::get_if<proto::MessageEvent>(&*event);
      if (!message || !message->message.payload) continue;
      const auto& payload = *message->message.payload;
      if (payload.kind() == etf::Term::Kind::Tuple && payload.as_tuple().elements.size() == 2 &&
          payload.as_tuple().elements[0] == expected_tag && payload.as_tuple().elements[1].is_atom("yes"))
        co_return ProbeResult::Yes;
    }
    switch (co_await connection.read_some(input, deadline)) {
      case ReadStatus::Data: break;
      case ReadStatus::Timeout: co_return ProbeResult::Timeout;
      default: co_return ProbeResult::Closed;
    }
  }
}

asio::awaitable<bool> correct_peer_check(asio::any_io_executor executor, tcp::endpoint endpoint,
                                         HandshakeIdentity id, std::chrono::milliseconds timeout) {
  auto connection = std::make_shared<FuzzConnection>(executor);
  const auto deadline = Clock::now() + timeout;
  bool refused = false;
  if (!co_await connection->connect(endpoint, deadline, refused)) co_return false;
  auto run = co_await run_handshake(*connection, id, false, timeout);
  bool ok = false;
  if (run.connected) {
    const auto mode = proto::header_mode_from_flags(run.effective_flags);
    if (co_await connection->write(is_auth_call(mode, id, id.challenge)))
      ok = co_await await_is_auth_reply(*connection, mode, id, id.challenge, std::move(run.leftover),
                                        deadline) == ProbeResult::Yes;
  }
  connection->close();
  co_return ok;
}

}  // namespace distspec::node::livefuzz

namespace distspec::node {

bool check_correct_peer(const std::string& host, std::uint16_t port, const std::string& target_node,
                        const std::string& own_name, const proto::Cookie& cookie,
                        std::chrono::milliseconds timeout) {
  namespace asio = boost::asio;
  asio::io_context io;
  asio::ip::tcp::resolver resolver(io);
  boost::system::error_code ec;
  auto results = resolver.resolve(asio::ip::tcp::v4(), host, std::to_string(port), ec);
  if (ec || results.empty()) return false;
  livefuzz::HandshakeIdentity id{own_name, target_node, cookie, 0x5eed0004, 0x0c0ffee1,
                                 kLiveFuzzFlags};
  bool ok = false;
  asio::co_spawn(io, livefuzz::correct_peer_check(io.get_executor(), *results.begin(), id, timeout),
                 [&](std::exception_ptr, bool result) { ok = result; });
  io.run();
  return ok;
}

}  // namespace distspec::node
