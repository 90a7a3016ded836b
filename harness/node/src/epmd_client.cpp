#include "distspec/node/epmd_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <optional>

namespace distspec::node {

namespace asio = boost::asio;
using asio::ip::tcp;
namespace epmd = proto::epmd;

namespace {

// One request, one reply, then close: what every epmd query except ALIVE2 looks like.
// `parse(bytes, at_eof)` returns a value, nullopt for "need more", or a failure.
template <class Reply>
class Exchange : public std::enable_shared_from_this<Exchange<Reply>> {
 public:
  using Parse = std::function<Result<std::optional<Reply>, EpmdFailure>(
      std::span<const std::uint8_t>, bool at_eof)>;
  using Handler = std::function<void(Result<Reply, EpmdFailure>)>;

  Exchange(asio::io_context& io, std::string host, std::uint16_t port,
           std::vector<std::uint8_t> request, Parse parse, Handler handler)
      : resolver_(io), socket_(io), timer_(io), host_(std::move(host)), port_(port),
        request_(std::move(request)), parse_(std::move(parse)), handler_(std::move(handler)) {}

  void start(std::chrono::milliseconds timeout) {
    auto self = this->shared_from_this();
    timer_.expires_after(timeout);
    timer_.async_wait([self](boost::system::error_code ec) {
      if (!ec) self->fail("no reply from epmd at " + self->where() + " (timeout)");
    });
    resolver_.async_resolve(host_, std::to_string(port_),
                            [self](boost::system::error_code ec, tcp::resolver::results_type r) {
                              if (ec) return self->fail("cannot resolve " + self->host_ + ": " + ec.message());
                              asio::async_connect(self->socket_, r,
                                                  [self](boost::system::error_code ec, const tcp::endpoint&) {
                                                    self->on_connect(ec);
                                                  });
                            });
  }

 private:
  std::string where() const { return host_ + ":" + std::to_string(port_); }

  void on_connect(boost::system::error_code ec) {
    if (ec) return fail("cannot connect to epmd at " + where() + ": " + ec.message());
    auto self = this->shared_from_this();
    asio::async_write(socket_, asio::buffer(request_),
                      [self](boost::system::error_code ec, std::size_t) {
                        if (ec) return self->fail("write to epmd failed: " + ec.message());
                        self->read_more();
                      });
  }

  void read_more() {
    auto self = this->shared_from_this();
    socket_.async_read_some(asio::buffer(chunk_), [self](boost::system::error_code ec, std::size_t n) {
      self->received_.insert(self->received_.end(), self->chunk_.begin(), self->chunk_.begin() + n);
      bool eof = ec == asio::error::eof;
      if (ec && !eof) return self->fail("read from epmd failed: " + ec.message());
      auto parsed = self->parse_(self->received_, eof);
      if (!parsed) return self->fail(parsed.error().message);
      if (parsed.value()) return self->finish(std::move(*parsed.value()));
      if (eof) return self->fail("epmd closed the connection before a complete reply");
      self->read_more();
    });
  }

  void fail(std::string message) {
    if (done_) return;
    done_ = true;
    close();
    handler_(EpmdFailure{std::move(message)});
  }
  void finish(Reply reply) {
    if (done_) return;
    done_ = true;
    close();
    handler_(std::move(reply));
  }
  void close() {
    boost::system::error_code ignored;
    timer_.cancel();
    resolver_.cancel();
    socket_.close(ignored);
  }

  tcp::resolver resolver_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  std::string host_;
  std::uint16_t port_;
  std::vector<std::uint8_t> request_;
  Parse parse_;
  Handler handler_;
  std::array<std::uint8_t, 4096> chunk_{};
  std::vector<std::uint8_t> received_;
  bool done_ = false;
};

std::string describe(const epmd::EpmdError& e) {
  return "bad reply from epmd: " + std::string(epmd::to_string(e.code)) + " at byte " +
         std::to_string(e.offset);
}

template <class Reply, class Fn>
Result<Reply, EpmdFailure> run_blocking(Fn start) {
  asio::io_context io;
  std::optional<Result<Reply, EpmdFailure>> result;
  start(io, [&](Result<Reply, EpmdFailure> r) { result.emplace(std::move(r)); });
  io.run();
  if (!result) return EpmdFailure{"epmd query did not complete"};
  return std::move(*result);
}

}  // namespace

void async_port_please(asio::io_context& io, const std::string& host, std::uint16_t epmd_port,
                       const std::string& alive, PortPleaseHandler handler,
                       std::chrono::milliseconds timeout) {
  auto request = epmd::encode_request(epmd::PortPlease2Request{alive});
  if (!request) return handler(EpmdFailure{"bad node name for epmd: " + describe(request.error())});
  auto parse = [](std::span<const std::uint8_t> bytes,
                  bool at_eof) -> Result<std::optional<epmd::Port2Reply>, EpmdFailure> {
    auto r = epmd::parse_port2_reply(bytes);
    if (r) return std::optional<epmd::Port2Reply>(std::move(r.value().message));
    if (r.error().code == epmd::EpmdErrorCode::NeedMore && !at_eof)
      return std::optional<epmd::Port2Reply>();
    return EpmdFailure{describe(r.error())};
  };
  std::make_shared<Exchange<epmd::Port2Reply>>(io, host, epmd_port, std::move(request.value()),
                                               parse, std::move(handler))
      ->start(timeout);
}

void async_names(asio::io_context& io, const std::string& host, std::uint16_t epmd_port,
                 NamesHandler handler, std::chrono::milliseconds timeout) {
  auto request = epmd::encode_request(epmd::NamesRequest{});
  auto parse = [](std::span<const std::uint8_t> bytes,
                  bool at_eof) -> Result<std::optional<epmd::NamesReply>, EpmdFailure> {
    auto r = epmd::parse_names_reply(bytes, at_eof);
    if (r) return std::optional<epmd::NamesReply>(std::move(r.value().message));
    if (r.error().code == epmd::EpmdErrorCode::NeedMore && !at_eof)
      return std::optional<epmd::NamesReply>();
    return EpmdFailure{describe(r.error())};
  };
  std::make_shared<Exchange<epmd::NamesReply>>(io, host, epmd_port, std::move(request.value()),
                                               parse, std::move(handler))
      ->start(timeout);
}

Result<epmd::NamesReply, EpmdFailure> epmd_names(const std::string& host, std::uint16_t epmd_port) {
  return run_blocking<epmd::NamesReply>(
      [&](asio::io_context& io, NamesHandler h) { async_names(io, host, epmd_port, std::move(h)); });
}

Result<epmd::Port2Reply, EpmdFailure> epmd_port_please(const std::string& host,
                                                       std::uint16_t epmd_port,
                                                       const std::string& alive) {
  return run_blocking<epmd::Port2Reply>([&](asio::io_context& io, PortPleaseHandler h) {
    async_port_please(io, host, epmd_port, alive, std::move(h));
  });
}

std::shared_ptr<EpmdRegistration> EpmdRegistration::start(asio::io_context& io,
                                                          std::uint16_t epmd_port,
                                                          epmd::NodeEntry entry, Handler handler) {
  auto self = std::make_shared<EpmdRegistration>(io);
  auto request = epmd::encode_request(epmd::Alive2Request{entry});
  if (!request) {
    handler(EpmdFailure{"cannot register with epmd: " + describe(request.error())});
    return self;
  }
  struct State {
    std::vector<std::uint8_t> request;
    std::array<std::uint8_t, 64> chunk{};
    std::vector<std::uint8_t> received;
    std::string name;
    Handler handler;
    std::unique_ptr<asio::steady_timer> timer;
  };
  auto state = std::make_shared<State>();
  state->request = std::move(request.value());
  state->name = entry.name;
  state->handler = std::move(handler);
  state->timer = std::make_unique<asio::steady_timer>(io, kEpmdReplyTimeout);
  auto finish = [self, state](Result<std::uint32_t, EpmdFailure> r) {
    if (!state->handler) return;
    auto h = std::move(state->handler);
    state->handler = nullptr;
    state->timer->cancel();
    if (!r) self->close();
    h(std::move(r));
  };
  state->timer->async_wait([finish](boost::system::error_code ec) {
    if (!ec) finish(EpmdFailure{"no reply from epmd to ALIVE2_REQ (timeout)"});
  });
  self->socket_.async_connect(
      tcp::endpoint(asio::ip::address_v4::loopback(), epmd_port),
      [self, state, finish, epmd_port](boost::system::error_code ec) {
        if (ec)
          return finish(EpmdFailure{"cannot connect to epmd on port " + std::to_string(epmd_port) +
                                    ": " + ec.message()});
        asio::async_write(self->socket_, asio::buffer(state->request),
                          [self, state, finish](boost::system::error_code ec, std::size_t) {
          if (ec) return finish(EpmdFailure{"write to epmd failed: " + ec.message()});
          auto read = std::make_shared<std::function<void()>>();
          *read = [self, state, finish, read]() {
            self->socket_.async_read_some(asio::buffer(state->chunk),
                [self, state, finish, read](boost::system::error_code ec, std::size_t n) {
              state->received.insert(state->received.end(), state->chunk.begin(), state->chunk.begin() + n);
              // Every outcome but "read more" ends the read loop's reference to itself.
              auto done = [&](Result<std::uint32_t, EpmdFailure> result) {
                *read = nullptr;
                finish(std::move(result));
              };
              auto r = epmd::parse_alive2_reply(state->received);
              if (r) {
                if (r.value().message.result != 0)
                  return done(EpmdFailure{"the name " + state->name +
                                          " seems to be in use by another Erlang node"});
                self->registered_ = true;
                return done(r.value().message.creation);
              }
              if (r.error().code != epmd::EpmdErrorCode::NeedMore)
                return done(EpmdFailure{describe(r.error())});
              if (ec) return done(EpmdFailure{"epmd closed the registration: " + ec.message()});
              (*read)();
            });
          };
          (*read)();
        });
      });
  return self;
}

void EpmdRegistration::close() {
  boost::system::error_code ignored;
  registered_ = false;
  socket_.close(ignored);
}

}  // namespace distspec::node
