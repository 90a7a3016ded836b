#include "support/node_fixture.hpp"

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace distspec::node::testing {

namespace {
std::condition_variable log_changed;
}

PrivateEpmd& test_epmd() {
  // Killed by its destructor at exit, or by PR_SET_PDEATHSIG if the test process dies.
  static std::unique_ptr<PrivateEpmd> epmd = [] {
    auto e = std::make_unique<PrivateEpmd>();
    ::setenv("ERL_EPMD_PORT", e->port_text().c_str(), 1);
    return e;
  }();
  return *epmd;
}

LogSink LogCapture::sink(const std::string& tag) {
  return [this, tag](LogLevel level, std::string_view line) {
    {
      std::lock_guard lock(mutex_);
      lines_.emplace_back(line);
    }
    log_changed.notify_all();
    std::fprintf(stderr, "[%s %.*s] %.*s\n", tag.c_str(), int(to_string(level).size()),
                 to_string(level).data(), int(line.size()), line.data());
  };
}

bool LogCapture::wait_for(const std::string& needle, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return log_changed.wait_for(lock, timeout, [&] {
    for (const auto& l : lines_)
      if (l.find(needle) != std::string::npos) return true;
    return false;
  });
}

std::vector<std::string> LogCapture::lines() const {
  std::lock_guard lock(mutex_);
  return lines_;
}

std::size_t LogCapture::count(const std::string& needle) const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& l : lines_) n += l.find(needle) != std::string::npos;
  return n;
}

std::string node_at_host(const std::string& alive) { return alive + "@" + short_host_name(); }

OurNode start_our_node(const std::string& alive, const std::string& cookie,
                       const std::function<void(NodeOptions&)>& tweak) {
  OurNode ours;
  NodeOptions options;
  options.name = node_at_host(alive);
  options.cookie = proto::Cookie(cookie);
  options.epmd_port = test_epmd().port();
  options.start_epmd = false;
  options.log = ours.log->sink(alive);
  if (tweak) tweak(options);
  auto created = Node::create(std::move(options));
  if (!created) throw std::runtime_error("our node did not start: " + created.error().message);
  ours.node = std::move(created.value());
  ours.node->start();
  return ours;
}

}  // namespace distspec::node::testing
