#include "distspec/scenario/epmd.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <regex>
#include <stdexcept>
#include <thread>

#ifndef DISTSPEC_EPMD_EXECUTABLE
#define DISTSPEC_EPMD_EXECUTABLE "epmd"
#endif

namespace distspec::scenario {
namespace {

int loopback_socket(int port, bool connect_to) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  int rc = connect_to ? ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr)
                      : ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  if (rc != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

int pick_free_port() {
  int fd = loopback_socket(0, false);
  if (fd < 0) throw std::runtime_error("cannot bind a local socket");
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::optional<std::vector<std::string>> epmd_names(int port) {
  int fd = loopback_socket(port, true);
  if (fd < 0) return std::nullopt;
  const unsigned char request[] = {0, 1, 110};  // length 1, NAMES_REQ
  if (::write(fd, request, sizeof request) != sizeof request) {
    ::close(fd);
    return std::nullopt;
  }
  std::string reply;
  char buffer[4096];
  for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) reply.append(buffer, std::size_t(n));
  ::close(fd);
  if (reply.size() < 4) return std::nullopt;  // the reply starts with epmd's port, 4 bytes
  std::vector<std::string> names;
  static const std::regex kLine("name (\\S+) at port \\d+");
  std::string text = reply.substr(4);
  for (std::sregex_iterator it(text.begin(), text.end(), kLine), end; it != end; ++it)
    names.push_back((*it)[1]);
  return names;
}

EpmdDaemon::EpmdDaemon() {
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = pick_free_port();
    process_ = std::make_unique<ChildProcess>(ChildOptions{
        DISTSPEC_EPMD_EXECUTABLE, {"-port", std::to_string(port_)}, {}, {}});
    auto deadline = Clock::now() + std::chrono::seconds(3);
    while (Clock::now() < deadline && process_->running()) {
      if (epmd_names(port_)) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    process_.reset();  // the port was taken in between, or epmd failed: try another
  }
  throw std::runtime_error("could not start epmd on a free port");
}

}  // namespace distspec::scenario
