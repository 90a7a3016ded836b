#include "distspec/node/epmd_daemon.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/process.hpp>

#include <charconv>
#include <cstdlib>
#include <thread>

namespace distspec::node {

namespace bp = boost::process;
namespace asio = boost::asio;

std::uint16_t epmd_port_from_environment() {
  const char* text = std::getenv("ERL_EPMD_PORT");
  if (!text || !*text) return kDefaultEpmdPort;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text, text + std::char_traits<char>::length(text), value);
  if (ec != std::errc() || *end != '\0' || value == 0 || value > 65535) return kDefaultEpmdPort;
  return std::uint16_t(value);
}

bool epmd_answers(std::uint16_t port) {
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  boost::system::error_code ec;
  socket.connect({asio::ip::address_v4::loopback(), port}, ec);
  return !ec;
}

std::string epmd_executable() {
  auto found = bp::search_path("epmd");
  if (!found.empty()) return found.string();
  for (const char* candidate : {"/usr/lib/erlang/bin/epmd", "/usr/local/lib/erlang/bin/epmd"})
    if (boost::filesystem::exists(candidate)) return candidate;
  return "epmd";
}

bool ensure_epmd_running(std::uint16_t port, const Logger& log, std::chrono::milliseconds wait) {
  if (epmd_answers(port)) return true;
  std::string exe = epmd_executable();
  log.info("no epmd answers on port " + std::to_string(port) + "; starting " + exe + " -daemon");
  auto env = boost::this_process::environment();
  env["ERL_EPMD_PORT"] = std::to_string(port);
  std::error_code ec;
  int status = bp::system(exe, "-daemon", env, bp::std_in.close(), bp::std_out > bp::null,
                          bp::std_err > bp::null, ec);
  if (ec || status != 0)
    log.warning("epmd -daemon did not start cleanly (" + (ec ? ec.message() : "exit status " + std::to_string(status)) + ")");
  auto deadline = std::chrono::steady_clock::now() + wait;
  while (std::chrono::steady_clock::now() < deadline) {
    if (epmd_answers(port)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  log.error("no epmd answers on port " + std::to_string(port));
  return false;
}

}  // namespace distspec::node
