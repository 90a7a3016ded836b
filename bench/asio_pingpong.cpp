// asio_pingpong: the gen_call benchmark's floor for an event-loop node. The same loopback TCP
// ping-pong as tcp_pingpong, with the I/O our node does and nothing else: each end on its own
// thread and io_context (the node's concurrency hint), TCP_NODELAY, replies written straight
// to the socket (write_some), reads through async_read_some (epoll, with asio's speculative
// read). The distance between the two floors is the event loop's cost, which no protocol work
// can win back; the distance from this floor to a C++->C++ call is the protocol's.
//
// Usage: asio_pingpong REQUEST_BYTES REPLY_BYTES SECONDS; prints "floor US_PER_ROUND_TRIP
// ROUND_TRIPS_PER_S" as tcp_pingpong does.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// One end: reads `in` bytes, then `on_read` runs (and writes, or stops).
class End {
 public:
  End(tcp::socket socket, std::size_t in, std::size_t out)
      : socket_(std::move(socket)), in_(in), buffer_(std::max(in, out) + 4096), out_(out) {
    socket_.set_option(tcp::no_delay(true));
    socket_.non_blocking(true);
  }
  // Writes the `out` bytes straight to the socket, as Connection::write_next does; what it does
  // not take (never, at these sizes) goes in blocking mode.
  bool write() {
    boost::system::error_code ec;
    std::size_t n = socket_.write_some(asio::buffer(buffer_.data(), out_), ec);
    if (ec == asio::error::would_block) ec = {};
    if (!ec && n < out_) {
      socket_.non_blocking(false, ec);
      if (!ec) asio::write(socket_, asio::buffer(buffer_.data() + n, out_ - n), ec);
      if (!ec) socket_.non_blocking(true, ec);
    }
    return !ec;
  }
  void read(std::function<void()> on_read) {
    on_read_ = std::move(on_read);
    got_ = 0;
    next_read();
  }

 private:
  void next_read() {
    socket_.async_read_some(asio::buffer(buffer_), [this](boost::system::error_code ec, std::size_t n) {
      if (ec) return;
      got_ += n;
      if (got_ < in_) return next_read();
      on_read_();
    });
  }

  tcp::socket socket_;
  std::size_t in_;
  std::vector<char> buffer_;
  std::size_t out_;
  std::size_t got_ = 0;
  std::function<void()> on_read_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: asio_pingpong REQUEST_BYTES REPLY_BYTES SECONDS\n");
    return 2;
  }
  const std::size_t request = std::strtoul(argv[1], nullptr, 10), reply = std::strtoul(argv[2], nullptr, 10);
  const double seconds = std::atof(argv[3]);
  if (request == 0 || reply == 0 || seconds <= 0) return 2;

  asio::io_context server_io{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO}, client_io{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  tcp::acceptor acceptor(server_io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  tcp::socket client_socket(client_io);
  client_socket.connect(acceptor.local_endpoint());
  End server(acceptor.accept(), request, reply);
  End client(std::move(client_socket), reply, request);

  std::function<void()> serve = [&] {
    if (server.write()) server.read(serve);
  };
  server.read(serve);
  std::thread server_thread([&] { server_io.run(); });

  // Warm-up round trips, then batches of 500 until the time is up.
  long trips = 0, target = 2000;
  Clock::time_point start;
  bool measuring = false;
  double elapsed = 0;
  std::function<void()> next = [&] {
    if (++trips == target) {
      if (!measuring) {
        measuring = true;
        trips = 0;
        target = 500;
        start = Clock::now();
      } else {
        elapsed = std::chrono::duration<double>(Clock::now() - start).count();
        if (elapsed >= seconds) return;
        target += 500;
      }
    }
    if (client.write()) client.read(next);
  };
  if (client.write()) client.read(next);
  client_io.run();
  std::printf("floor %.2f %.0f\n", elapsed * 1e6 / double(trips), double(trips) / elapsed);
  server_io.stop();
  server_thread.join();
  return 0;
}
