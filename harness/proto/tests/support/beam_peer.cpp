#include "support/beam_peer.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>
#include <utility>

#include "distspec/proto/epmd.hpp"

namespace distspec::proto::testing {
namespace {

int millis(Clock::duration d) {
  return int(std::max<std::int64_t>(
      0, std::chrono::duration_cast<std::chrono::milliseconds>(d).count()));
}

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

}  // namespace

Fd& Fd::operator=(Fd&& o) noexcept {
  std::swap(fd, o.fd);
  return *this;
}

Fd::~Fd() {
  if (fd >= 0) ::close(fd);
}

ChildProcess::ChildProcess(std::vector<std::string> argv, const std::vector<std::string>& env_extra,
                           bool with_stdin) {
  int out[2], in[2] = {-1, -1};
  // Close-on-exec: no other child inherits these pipes (dup2 onto 0-2 clears the flag).
  if (::pipe2(out, O_CLOEXEC) != 0 || (with_stdin && ::pipe2(in, O_CLOEXEC) != 0))
    throw std::runtime_error("pipe");
  std::vector<std::string> env = env_extra;
  for (char** e = environ; *e; ++e) {
    const std::string entry(*e);
    const std::string key = entry.substr(0, entry.find('=') + 1);
    bool overridden = false;
    for (const auto& extra : env_extra) overridden = overridden || extra.rfind(key, 0) == 0;
    if (!overridden) env.push_back(entry);
  }
  std::vector<char*> args, envp;
  for (auto& a : argv) args.push_back(a.data());
  for (auto& e : env) envp.push_back(e.data());
  args.push_back(nullptr);
  envp.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork");
  if (pid_ == 0) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::dup2(out[1], 1);
    ::dup2(out[1], 2);
    if (with_stdin) ::dup2(in[0], 0);
    ::execve(args[0], args.data(), envp.data());
    ::_exit(127);
  }
  ::setpgid(pid_, pid_);  // also here: no race with kill(-pid) below
  ::close(out[1]);
  out_ = out[0];
  ::fcntl(out_, F_SETFL, O_NONBLOCK);
  if (with_stdin) {
    ::close(in[0]);
    in_ = in[1];
  }
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) {
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  if (out_ >= 0) ::close(out_);
  if (in_ >= 0) ::close(in_);
}

void ChildProcess::write_line(const std::string& line) {
  const std::string text = line + "\n";
  if (in_ < 0 || ::write(in_, text.data(), text.size()) != ssize_t(text.size()))
    throw std::runtime_error("cannot write to the child's stdin");
}

std::optional<std::size_t> ChildProcess::wait_for(const std::string& needle, std::size_t from,
                                                  Clock::duration timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (auto at = output_.find(needle, from); at != std::string::npos) return at + needle.size();
    const int left = millis(deadline - Clock::now());
    if (left <= 0) return std::nullopt;
    pollfd p{out_, POLLIN, 0};
    ::poll(&p, 1, left);
    char buffer[4096];
    const ssize_t n = ::read(out_, buffer, sizeof buffer);
    if (n > 0) output_.append(buffer, std::size_t(n));
    if (n == 0) return std::nullopt;  // the child is gone
  }
}

std::uint16_t free_tcp_port() {
  std::uint16_t port = 0;
  Fd s = listen_loopback(port);  // closed at once: the port is free for the next user
  return port;
}

std::string short_host() {
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  const std::string host(name);
  return host.substr(0, host.find('.'));
}

Fd connect_loopback(std::uint16_t port) {
  Fd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const sockaddr_in a = loopback(port);
  if (::connect(s.fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) return Fd();
  return s;
}

Fd listen_loopback(std::uint16_t& port) {
  Fd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a = loopback(0);
  socklen_t len = sizeof a;
  if (::bind(s.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(s.fd, 8) != 0 ||
      ::getsockname(s.fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    throw std::runtime_error("cannot listen on loopback");
  port = ntohs(a.sin_port);
  return s;
}

Fd accept_within(int listener, Clock::duration timeout) {
  pollfd p{listener, POLLIN, 0};
  if (::poll(&p, 1, millis(timeout)) <= 0) return Fd();
  return Fd(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
}

void write_all(int fd, const std::vector<std::uint8_t>& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return;  // the peer closed: the reading side will see it
    done += std::size_t(n);
  }
}

std::optional<std::vector<std::uint8_t>> read_some(int fd, Clock::duration timeout) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, millis(timeout)) <= 0) return std::vector<std::uint8_t>{};
  std::vector<std::uint8_t> buffer(4096);
  const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
  if (n <= 0) return std::nullopt;
  buffer.resize(std::size_t(n));
  return buffer;
}

EpmdDaemon::EpmdDaemon() : port_(free_tcp_port()) {
  const std::string erl = ERL_EXECUTABLE;
  std::string epmd = erl.substr(0, erl.rfind('/')) + "/epmd";
  if (::access(epmd.c_str(), X_OK) != 0) epmd = "/usr/lib/erlang/bin/epmd";
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{epmd, "-port", std::to_string(port_)}, std::vector<std::string>{},
      false);
  for (int i = 0; i < 100 && !connect_loopback(port_).valid(); ++i) ::usleep(50'000);
}

std::uint16_t EpmdDaemon::port_please(const std::string& alive) const {
  Fd s = connect_loopback(port_);
  if (!s.valid()) return 0;
  write_all(s.fd, epmd::encode_request(epmd::PortPlease2Request{alive}).value());
  std::vector<std::uint8_t> reply;
  while (auto bytes = read_some(s.fd)) {  // epmd closes after the reply
    if (bytes->empty()) break;
    reply.insert(reply.end(), bytes->begin(), bytes->end());
  }
  auto parsed = epmd::parse_port2_reply(reply);
  return parsed.ok() && parsed->message.result == 0 ? parsed->message.node.port : 0;
}

EpmdDaemon::Registration EpmdDaemon::register_node(const std::string& alive,
                                                   std::uint16_t listen_port) const {
  Registration r{connect_loopback(port_)};
  if (!r.socket.valid()) return r;
  epmd::NodeEntry entry;
  entry.port = listen_port;
  entry.name = alive;
  write_all(r.socket.fd, epmd::encode_request(epmd::Alive2Request{entry}).value());
  std::vector<std::uint8_t> reply;
  for (;;) {  // the registration socket stays open: parse as the bytes come
    auto bytes = read_some(r.socket.fd);
    if (!bytes || bytes->empty()) break;
    reply.insert(reply.end(), bytes->begin(), bytes->end());
    auto parsed = epmd::parse_alive2_reply(reply);
    if (parsed.ok()) {
      if (parsed->message.result == 0) r.creation = parsed->message.creation;
      break;
    }
    if (parsed.error().code != epmd::EpmdErrorCode::NeedMore) break;
  }
  return r;
}

ErlNode::ErlNode(const EpmdDaemon& epmd, const std::string& alive, const std::string& cookie,
                 const std::vector<std::string>& extra_args)
    : node_name_(alive + "@" + short_host()) {
  const std::string home = std::string(DISTSPEC_BINARY_DIR) + "/proto_beam_home";
  ::mkdir(home.c_str(), 0700);
  const std::string loop =
      "Loop = fun L() -> case io:get_line(\"\") of eof -> halt(0); Line -> "
      "R = try {ok, T, _} = erl_scan:string(Line), {ok, Es} = erl_parse:parse_exprs(T), "
      "{value, V, _} = erl_eval:exprs(Es, []), V catch C:E -> {C, E} end, "
      "io:format(\"=> ~w~n\", [R]), L() end end, io:format(\"ready~n\"), Loop().";
  std::vector<std::string> argv{ERL_EXECUTABLE, "-sname",      alive,   "-setcookie", cookie,
                                "-noshell",     "-start_epmd", "false"};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  argv.push_back("-eval");
  argv.push_back(loop);
  process_ = std::make_unique<ChildProcess>(
      argv,
      std::vector<std::string>{"ERL_EPMD_PORT=" + std::to_string(epmd.port()), "HOME=" + home},
      true);
  up_ = process_->wait_for("ready").has_value();
}

std::size_t ErlNode::send(const std::string& expressions) {
  const std::size_t from = process_->output().size();
  process_->write_line(expressions + ".");
  return from;
}

std::string ErlNode::wait_result(std::size_t from) {
  auto start = process_->wait_for("=> ", from);
  if (!start) return "<timeout>";
  auto end = process_->wait_for("\n", *start);
  if (!end) return "<timeout>";
  return process_->output().substr(*start, *end - 1 - *start);
}

std::string ErlNode::eval(const std::string& expressions) { return wait_result(send(expressions)); }

std::vector<std::uint8_t> drive_handshake(HandshakeMachine& machine, int fd,
                                          const AcceptDecision& decision, bool alive,
                                          std::vector<std::uint8_t>* after) {
  std::vector<std::uint8_t> received, pending;
  for (;;) {
    write_all(fd, machine.take_output());
    if (machine.state() == HandshakeState::AwaitDecision) {
      if (!static_cast<Acceptor&>(machine).decide(decision).ok()) break;
      continue;
    }
    if (machine.state() == HandshakeState::AwaitAliveDecision) {
      if (!static_cast<Initiator&>(machine).answer_alive(alive).ok()) break;
      continue;
    }
    if (machine.connected() || machine.failed()) break;
    auto bytes = read_some(fd);
    if (!bytes) {
      machine.on_eof();
      continue;
    }
    if (bytes->empty()) break;  // timeout: the caller's expectations say what was missing
    received.insert(received.end(), bytes->begin(), bytes->end());
    pending.insert(pending.end(), bytes->begin(), bytes->end());
    auto used = machine.feed(pending);
    if (used.ok()) pending.erase(pending.begin(), pending.begin() + std::ptrdiff_t(used.value()));
  }
  if (after) *after = pending;
  return received;
}

}  // namespace distspec::proto::testing
