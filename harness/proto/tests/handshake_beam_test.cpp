// Our handshake machines against a real OTP 25 node over loopback sockets: one epmd on a free
// port and one long-lived `erl -sname` (ERL_EPMD_PORT set, killed with its process group on every
// path, also if the test process dies: PR_SET_PDEATHSIG). The erl node evaluates expressions sent
// on its stdin and prints each result as `=> ~w`.
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

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "distspec/proto/epmd.hpp"
#include "distspec/proto/handshake.hpp"

namespace distspec::proto {
namespace {

using Bytes = std::vector<std::uint8_t>;
using Clock = std::chrono::steady_clock;
constexpr auto kStepTimeout = std::chrono::seconds(10);

struct Fd {
  int fd = -1;
  explicit Fd(int f = -1) : fd(f) {}
  Fd(Fd&& o) noexcept : fd(o.fd) { o.fd = -1; }
  Fd& operator=(Fd&& o) noexcept {
    std::swap(fd, o.fd);
    return *this;
  }
  ~Fd() { if (fd >= 0) ::close(fd); }
};

// A child in its own process group; SIGKILL to the group on destruction.
class Child {
 public:
  Child(std::vector<std::string> argv, std::vector<std::string> env_extra, bool with_stdin) {
    int out[2], in[2] = {-1, -1};
    if (::pipe(out) != 0 || (with_stdin && ::pipe(in) != 0)) throw std::runtime_error("pipe");
    std::vector<std::string> env = env_extra;
    for (char** e = environ; *e; ++e) env.emplace_back(*e);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setpgid(0, 0);
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      ::dup2(out[1], 1);
      ::dup2(out[1], 2);
      if (with_stdin) ::dup2(in[0], 0);
      std::vector<char*> args, envp;
      for (auto& a : argv) args.push_back(a.data());
      for (auto& e : env) envp.push_back(e.data());
      args.push_back(nullptr);
      envp.push_back(nullptr);
      ::execve(args[0], args.data(), envp.data());
      ::_exit(127);
    }
    ::setpgid(pid_, pid_);
    ::close(out[1]);
    out_ = out[0];
    ::fcntl(out_, F_SETFL, O_NONBLOCK);
    if (with_stdin) {
      ::close(in[0]);
      in_ = in[1];
    }
  }
  ~Child() {
    if (pid_ > 0) {
      ::kill(-pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) ::close(out_);
    if (in_ >= 0) ::close(in_);
  }
  void write_line(const std::string& line) {
    const std::string text = line + "\n";
    ASSERT_EQ(::write(in_, text.data(), text.size()), ssize_t(text.size()));
  }
  // Waits until the output (from `from` on) contains `needle`; returns the position after it.
  std::optional<std::size_t> wait_for(const std::string& needle, std::size_t from = 0,
                                      Clock::duration timeout = kStepTimeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      if (auto at = output_.find(needle, from); at != std::string::npos) return at + needle.size();
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{out_, POLLIN, 0};
      ::poll(&p, 1, int(left.count()));
      char buffer[4096];
      const ssize_t n = ::read(out_, buffer, sizeof buffer);
      if (n > 0) output_.append(buffer, std::size_t(n));
      if (n == 0) return std::nullopt;  // the child is gone
    }
  }
  const std::string& output() const { return output_; }

 private:
  pid_t pid_ = -1;
  int out_ = -1, in_ = -1;
  std::string output_;
};

std::uint16_t free_port() {
  Fd s(::socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(s.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(s.fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    throw std::runtime_error("no free port");
  return ntohs(a.sin_port);
}

Fd connect_to(std::uint16_t port) {
  Fd s(::socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(s.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return Fd();
  return s;
}

void write_all(int fd, const Bytes& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return;  // the peer closed; the machine learns it from the read side
    done += std::size_t(n);
  }
}

// Reads what is available within the timeout: empty = timeout, nullopt = EOF.
std::optional<Bytes> read_some(int fd, Clock::duration timeout = kStepTimeout) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, int(std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count())) <= 0)
    return Bytes{};
  Bytes buffer(4096);
  const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
  if (n <= 0) return std::nullopt;
  buffer.resize(std::size_t(n));
  return buffer;
}

// Runs a machine over a socket until it is Connected or Failed (or a step times out). Returns
// everything received, and leaves the bytes after the handshake in `after`.
Bytes drive(HandshakeMachine& machine, int fd, const AcceptDecision& decision, Bytes* after = nullptr) {
  Bytes received, pending;
  for (;;) {
    write_all(fd, machine.take_output());
    if (machine.state() == HandshakeState::AwaitDecision) {
      EXPECT_TRUE(static_cast<Acceptor&>(machine).decide(decision).ok());
      continue;
    }
    if (machine.connected() || machine.failed()) break;
    auto bytes = read_some(fd);
    if (!bytes) {
      machine.on_eof();
      continue;
    }
    if (bytes->empty()) break;  // timeout: the test's expectations will say what was missing
    received.insert(received.end(), bytes->begin(), bytes->end());
    pending.insert(pending.end(), bytes->begin(), bytes->end());
    auto used = machine.feed(pending);
    if (used.ok()) pending.erase(pending.begin(), pending.begin() + std::ptrdiff_t(used.value()));
  }
  if (after) *after = pending;
  return received;
}

std::string short_host() {
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  std::string host(name);
  return host.substr(0, host.find('.'));
}

std::uint32_t random_u32() {
  static std::random_device device;
  return device();
}

class BeamHandshake : public ::testing::Test {
 protected:
  static constexpr const char* kCookie = "hs_beam_cookie";
  static inline std::unique_ptr<Child> epmd_, erl_;
  static inline std::uint16_t epmd_port_ = 0;
  static inline std::string host_, erl_node_;

  static void SetUpTestSuite() {
    host_ = short_host();
    erl_node_ = "hs_beam@" + host_;
    epmd_port_ = free_port();
    const std::string erl = ERL_EXECUTABLE;
    std::string epmd = erl.substr(0, erl.rfind('/')) + "/epmd";
    if (::access(epmd.c_str(), X_OK) != 0) epmd = "/usr/lib/erlang/bin/epmd";
    epmd_ = std::make_unique<Child>(
        std::vector<std::string>{epmd, "-port", std::to_string(epmd_port_)},
        std::vector<std::string>{}, false);
    for (int i = 0; i < 100 && connect_to(epmd_port_).fd < 0; ++i) ::usleep(50'000);

    const std::string home = std::string(DISTSPEC_BINARY_DIR) + "/hs_beam_home";
    ::mkdir(home.c_str(), 0700);
    const std::string loop =
        "Loop = fun L() -> case io:get_line(\"\") of eof -> halt(0); Line -> "
        "R = try {ok, T, _} = erl_scan:string(Line), {ok, Es} = erl_parse:parse_exprs(T), "
        "{value, V, _} = erl_eval:exprs(Es, []), V catch C:E -> {C, E} end, "
        "io:format(\"=> ~w~n\", [R]), L() end end, io:format(\"ready~n\"), Loop().";
    erl_ = std::make_unique<Child>(
        std::vector<std::string>{erl, "-sname", "hs_beam", "-setcookie", kCookie, "-noshell",
                                 "-start_epmd", "false", "-eval", loop},
        std::vector<std::string>{"ERL_EPMD_PORT=" + std::to_string(epmd_port_), "HOME=" + home},
        true);
    if (!erl_->wait_for("ready")) {
      std::fprintf(stderr, "erl did not start:\n%s\n", erl_->output().c_str());
      erl_.reset();
    }
  }
  static void TearDownTestSuite() {
    if (erl_ && std::getenv("DISTSPEC_SHOW_ERL")) std::fprintf(stderr, "%s\n", erl_->output().c_str());
    erl_.reset();
    epmd_.reset();
  }
  void SetUp() override { ASSERT_TRUE(erl_) << "no erl node"; }

  // Asks epmd for a node's distribution port with our encoder and parser.
  static std::uint16_t port_please(const std::string& alive) {
    Fd s = connect_to(epmd_port_);
    EXPECT_GE(s.fd, 0);
    write_all(s.fd, epmd::encode_request(epmd::PortPlease2Request{alive}).value());
    Bytes reply;
    while (auto bytes = read_some(s.fd)) {
      if (bytes->empty()) break;
      reply.insert(reply.end(), bytes->begin(), bytes->end());
    }
    auto parsed = epmd::parse_port2_reply(reply);
    EXPECT_TRUE(parsed.ok());
    return parsed.ok() && parsed->message.result == 0 ? parsed->message.node.port : 0;
  }

  // Evaluates an expression on the erl node; returns the `~w` text (or "<timeout>").
  static std::string eval(const std::string& expression) {
    const std::size_t from = erl_->output().size();
    erl_->write_line(expression + ".");
    auto start = erl_->wait_for("=> ", from);
    if (!start) return "<timeout>";
    auto end = erl_->wait_for("\n", *start);
    if (!end) return "<timeout>";
    return erl_->output().substr(*start, *end - 1 - *start);
  }

  InitiatorOptions initiator(const std::string& alive, const std::string& cookie) {
    InitiatorOptions o;
    o.own_name = alive + "@" + host_;
    o.target_name = erl_node_;
    o.flags = kOtp25HiddenFlags;
    o.creation = 4 + random_u32() % 1000000;
    o.cookie = Cookie(cookie);
    o.challenge = random_u32();
    return o;
  }
};

TEST_F(BeamHandshake, OurInitiatorConnectsToOtp) {
  const std::uint16_t port = port_please("hs_beam");
  ASSERT_NE(port, 0);
  Fd s = connect_to(port);
  ASSERT_GE(s.fd, 0);
  Initiator machine(initiator("hs_init", kCookie));
  drive(machine, s.fd, {});
  ASSERT_EQ(machine.state(), HandshakeState::Connected)
      << (machine.error() ? to_string(machine.error()->code) : "timeout");
  EXPECT_EQ(machine.status(), HandshakeStatus::Ok);
  EXPECT_EQ(machine.peer().name, erl_node_);
  EXPECT_EQ(machine.peer().flags, kOtp25AdvertisedFlags);  // what OTP 25.2.3 advertises
  EXPECT_NE(machine.peer().creation, 0u);
  // OTP agrees: we are a (hidden) connected node.
  EXPECT_EQ(eval("lists:member('hs_init@" + host_ + "', nodes(hidden))"), "true");
}

TEST_F(BeamHandshake, OtpRejectsOurInitiatorWithAnotherCookie) {
  const std::uint16_t port = port_please("hs_beam");
  Fd s = connect_to(port);
  ASSERT_GE(s.fd, 0);
  Initiator machine(initiator("hs_wrong", "not_the_cookie"));
  const std::size_t from = erl_->output().size();
  drive(machine, s.fd, {});
  ASSERT_TRUE(machine.failed());
  EXPECT_EQ(machine.error()->code, HandshakeErrorCode::PeerClosed);  // no 'a', just EOF
  // OTP logs the sentence our own acceptor produces for the same failure.
  const std::string line =
      "** Connection attempt from node hs_wrong@" + host_ + " rejected. Invalid challenge reply. **";
  EXPECT_TRUE(erl_->wait_for(line, from)) << erl_->output().substr(from);
}

TEST_F(BeamHandshake, Otp25_2ClosesVersion5SendNameWithoutStatus) {
  // Finding against OTP 25.2.3 (spec pitfalls A.2): an 'n' send_name gets no status at all.
  const std::uint16_t port = port_please("hs_beam");
  Fd s = connect_to(port);
  ASSERT_GE(s.fd, 0);
  auto options = initiator("hs_v5", kCookie);
  options.send_name_version = 5;
  Initiator machine(options);
  const Bytes received = drive(machine, s.fd, {});
  ASSERT_TRUE(machine.failed());
  EXPECT_EQ(machine.error()->code, HandshakeErrorCode::PeerClosed);
  EXPECT_TRUE(received.empty());
}

// Registers `alive` in epmd for our listening port (the socket must stay open); returns creation.
struct Registration {
  Fd socket;
  std::uint32_t creation = 0;
};
Registration register_name(std::uint16_t epmd_port, const std::string& alive, std::uint16_t port) {
  Registration r{connect_to(epmd_port)};
  write_all(r.socket.fd,
            epmd::encode_request(epmd::Alive2Request{{port, epmd::kNodeTypeNormal, 0, 6, 5, alive, ""}})
                .value());
  Bytes reply;
  for (;;) {
    auto bytes = read_some(r.socket.fd);
    if (!bytes || bytes->empty()) break;
    reply.insert(reply.end(), bytes->begin(), bytes->end());
    auto parsed = epmd::parse_alive2_reply(reply);
    if (parsed.ok()) {
      EXPECT_EQ(parsed->message.result, 0);
      r.creation = parsed->message.creation;
      break;
    }
    if (parsed.error().code != epmd::EpmdErrorCode::NeedMore) break;
  }
  return r;
}

Fd listen_loopback(std::uint16_t& port) {
  Fd s(::socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(s.fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::listen(s.fd, 4);
  ::getsockname(s.fd, reinterpret_cast<sockaddr*>(&a), &len);
  port = ntohs(a.sin_port);
  return s;
}

Fd accept_within(int listener, Clock::duration timeout = kStepTimeout) {
  pollfd p{listener, POLLIN, 0};
  if (::poll(&p, 1, int(std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count())) <= 0)
    return Fd();
  return Fd(::accept(listener, nullptr, nullptr));
}

TEST_F(BeamHandshake, OurAcceptorAcceptsOtp) {
  std::uint16_t port = 0;
  Fd listener = listen_loopback(port);
  Registration reg = register_name(epmd_port_, "hs_acc", port);
  ASSERT_GE(reg.creation, 4u);
  const std::size_t from = erl_->output().size();
  erl_->write_line("net_kernel:connect_node('hs_acc@" + host_ + "').");
  Fd s = accept_within(listener.fd);
  ASSERT_GE(s.fd, 0) << erl_->output().substr(from);
  AcceptorOptions options;
  options.own_name = "hs_acc@" + host_;
  options.flags = kOtp25AdvertisedFlags;
  options.creation = reg.creation;
  options.cookie = Cookie(kCookie);
  options.challenge = random_u32();
  Acceptor machine(options);
  drive(machine, s.fd, {});
  ASSERT_EQ(machine.state(), HandshakeState::Connected)
      << (machine.error() ? to_string(machine.error()->code) : "timeout");
  EXPECT_EQ(machine.peer().name, erl_node_);
  EXPECT_EQ(machine.peer().name_version, 6);
  EXPECT_EQ(machine.peer().flags, kOtp25AdvertisedFlags);
  EXPECT_EQ(machine.effective_flags(), kOtp25AdvertisedFlags);
  auto reply = erl_->wait_for("=> ", from);
  ASSERT_TRUE(reply);
  EXPECT_EQ(erl_->output().substr(*reply, 4), "true");
}

TEST_F(BeamHandshake, OurAcceptorRejectsOtpWithAnotherCookie) {
  std::uint16_t port = 0;
  Fd listener = listen_loopback(port);
  Registration reg = register_name(epmd_port_, "hs_rej", port);
  ASSERT_GE(reg.creation, 4u);
  const std::size_t from = erl_->output().size();
  erl_->write_line("net_kernel:connect_node('hs_rej@" + host_ + "').");
  Fd s = accept_within(listener.fd);
  ASSERT_GE(s.fd, 0);
  AcceptorOptions options;
  options.own_name = "hs_rej@" + host_;
  options.creation = reg.creation;
  options.cookie = Cookie("not_the_cookie");
  options.challenge = random_u32();
  Acceptor machine(options);
  drive(machine, s.fd, {});
  ASSERT_TRUE(machine.failed());
  EXPECT_EQ(machine.error()->code, HandshakeErrorCode::InvalidChallengeReply);
  EXPECT_EQ(machine.otp_log_line(), "** Connection attempt from node hs_beam@" + host_ +
                                        " rejected. Invalid challenge reply. **");
  s = Fd();  // close, as OTP does
  auto reply = erl_->wait_for("=> ", from);
  ASSERT_TRUE(reply);
  EXPECT_EQ(erl_->output().substr(*reply, 5), "false");
}

}  // namespace
}  // namespace distspec::proto
