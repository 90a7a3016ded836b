#include "distspec/testing/beam_processes.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <stdexcept>

namespace distspec::testing {
namespace {

// Reads Erlang expressions line by line and prints `=> ~w` of each value (errors as a value).
constexpr const char* kErlangLoop =
    "L = fun Loop() -> case io:get_line(\"\") of eof -> halt(); Line -> "
    "R = try {ok,Ts,_} = erl_scan:string(Line), {ok,Es} = erl_parse:parse_exprs(Ts), "
    "{value,V,_} = erl_eval:exprs(Es,[]), V catch C:E -> {eval_error,C,E} end, "
    "io:format(\"=> ~w~n\",[R]), Loop() end end, L().";

constexpr const char* kElixirLoop = R"(
loop = fn loop ->
  case IO.gets("") do
    :eof -> System.halt()
    line ->
      r = try do
        {:ok, ts, _} = :erl_scan.string(String.to_charlist(line))
        {:ok, es} = :erl_parse.parse_exprs(ts)
        {:value, v, _} = :erl_eval.exprs(es, [])
        v
      catch k, e -> {:eval_error, k, e}
      end
      :io.format('=> ~w~n', [r])
      loop.(loop)
  end
end
loop.(loop)
)";

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

bool accepts_connections(std::uint16_t port) {
  const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const sockaddr_in a = loopback(port);
  const bool ok = ::connect(s, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0;
  ::close(s);
  return ok;
}

}  // namespace

std::uint16_t free_tcp_port() {
  const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a = loopback(0);
  socklen_t len = sizeof a;
  const bool ok = ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) == 0;
  ::close(s);  // closed at once: the port is free for the next user
  if (!ok) throw std::runtime_error("cannot bind a loopback port");
  return ntohs(a.sin_port);
}

std::string short_host() {
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  const std::string host(name);
  return host.substr(0, host.find('.'));
}

std::string make_temp_dir(const std::string& tag) {
  static std::atomic<int> counter{0};
  auto dir = std::filesystem::path(DISTSPEC_BINARY_DIR) / "test-tmp" /
             (tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::filesystem::create_directories(dir);
  return dir.string();
}

ChildProcess::ChildProcess(const std::string& exe, const std::vector<std::string>& args,
                           const std::vector<std::pair<std::string, std::string>>& env_extra,
                           bool with_stdin) {
  int out[2], in[2] = {-1, -1};
  // Close-on-exec: no other child inherits these pipes (dup2 onto 0-2 clears the flag).
  if (::pipe2(out, O_CLOEXEC) != 0 || (with_stdin && ::pipe2(in, O_CLOEXEC) != 0))
    throw std::runtime_error("pipe");
  // Everything the child needs is built before fork: after it, only async-signal-safe calls.
  std::vector<std::string> argv{exe}, env;
  argv.insert(argv.end(), args.begin(), args.end());
  for (const auto& [key, value] : env_extra) env.push_back(key + "=" + value);
  for (char** e = environ; *e; ++e) {
    const std::string entry(*e);
    const std::string key = entry.substr(0, entry.find('='));
    bool overridden = false;
    for (const auto& extra : env_extra) overridden = overridden || extra.first == key;
    if (!overridden) env.push_back(entry);
  }
  std::vector<char*> argp, envp;
  for (auto& a : argv) argp.push_back(a.data());
  for (auto& e : env) envp.push_back(e.data());
  argp.push_back(nullptr);
  envp.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork");
  if (pid_ == 0) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::dup2(out[1], 1);
    ::dup2(out[1], 2);
    if (with_stdin) ::dup2(in[0], 0);
    else ::close(0);
    ::execve(argp[0], argp.data(), envp.data());
    ::_exit(127);
  }
  ::setpgid(pid_, pid_);  // also here: no race with kill(-pid) below
  ::close(out[1]);
  out_ = out[0];
  if (with_stdin) {
    ::close(in[0]);
    in_ = in[1];
  }
  reader_ = std::thread([this] { read_loop(); });
}

ChildProcess::~ChildProcess() {
  kill();
  {
    std::lock_guard lock(mutex_);
    stop_ = true;  // a grandchild outside the group may still hold the pipe: stop anyway
  }
  if (reader_.joinable()) reader_.join();
  ::close(out_);
}

void ChildProcess::read_loop() {
  char buffer[4096];
  for (;;) {
    pollfd p{out_, POLLIN, 0};
    ::poll(&p, 1, 100);
    std::lock_guard lock(mutex_);
    if (stop_) return;
    if (p.revents == 0) continue;
    const ssize_t n = ::read(out_, buffer, sizeof buffer);
    if (n > 0) output_.append(buffer, std::size_t(n));
    if (n <= 0) eof_ = true;
    changed_.notify_all();
    if (eof_) return;
  }
}

bool ChildProcess::write_line(const std::string& line) {
  const std::string text = line + "\n";
  return in_ >= 0 && ::write(in_, text.data(), text.size()) == ssize_t(text.size());
}

std::optional<std::size_t> ChildProcess::wait_for(const std::string& needle,
                                                  Clock::duration timeout, std::size_t from) {
  const auto deadline = Clock::now() + timeout;
  std::unique_lock lock(mutex_);
  for (;;) {
    if (from <= output_.size())
      if (auto at = output_.find(needle, from); at != std::string::npos) return at + needle.size();
    if (eof_) return std::nullopt;
    if (changed_.wait_until(lock, deadline) == std::cv_status::timeout) {
      if (from > output_.size()) return std::nullopt;
      auto at = output_.find(needle, from);
      return at == std::string::npos ? std::nullopt : std::optional(at + needle.size());
    }
  }
}

std::string ChildProcess::output() const {
  std::lock_guard lock(mutex_);
  return output_;
}

bool ChildProcess::running() {
  if (reaped_) return false;
  if (::waitpid(pid_, nullptr, WNOHANG) == pid_) reaped_ = true;
  return !reaped_;
}

void ChildProcess::kill() {
  if (pid_ > 0 && !reaped_) {
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    reaped_ = true;
  } else if (pid_ > 0) {
    ::kill(-pid_, SIGKILL);  // the leader is gone; what it left in its group goes too
  }
  if (in_ >= 0) ::close(in_);
  in_ = -1;
}

EpmdProcess::EpmdProcess() : port_(free_tcp_port()) {
  process_ = std::make_unique<ChildProcess>(
      EPMD_EXECUTABLE, std::vector<std::string>{"-port", port_text()},
      std::vector<std::pair<std::string, std::string>>{}, false);
  for (int i = 0; i < 100 && !accepts_connections(port_); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (!accepts_connections(port_))
    throw std::runtime_error("test epmd did not start:\n" + process_->output());
}

BeamNode::BeamNode(const EpmdProcess& epmd, BeamNodeOptions o) {
  node_name_ = o.name + "@" + short_host();
  std::vector<std::pair<std::string, std::string>> env{
      {"ERL_EPMD_PORT", epmd.port_text()}, {"HOME", make_temp_dir("home-" + o.name)}};
  std::vector<std::string> args;
  std::string exe;
  if (!o.elixir) {
    exe = ERL_EXECUTABLE;
    args = {o.long_name ? "-name" : "-sname", o.name, "-noshell", "-start_epmd", "false"};
    if (!o.cookie.empty()) args.insert(args.end(), {"-setcookie", o.cookie});
    if (o.hidden) args.push_back("-hidden");
    args.insert(args.end(), o.extra_erl_args.begin(), o.extra_erl_args.end());
    args.insert(args.end(), {"-eval", kErlangLoop});
  } else {
    exe = ELIXIR_EXECUTABLE;
    if (exe.empty() || exe.ends_with("NOTFOUND")) throw std::runtime_error("elixir not found");
    std::string erl_args = "-start_epmd false";
    for (const auto& a : o.extra_erl_args) erl_args += " " + a;
    args = {o.long_name ? "--name" : "--sname", o.name, "--erl", erl_args};
    if (!o.cookie.empty()) args.insert(args.end(), {"--cookie", o.cookie});
    if (o.hidden) args.push_back("--hidden");
    args.insert(args.end(), {"-r", std::string(DISTSPEC_SOURCE_DIR) +
                                       "/scenarios/apps/ping_pong/lib/ping_pong.ex"});
    std::string code = o.start_ping_pong ? "{:ok, _} = PingPong.start_link(nil)\n" : "";
    args.insert(args.end(), {"-e", code + kElixirLoop});
  }
  process_ = std::make_unique<ChildProcess>(exe, args, env, true);
  // The eval loop runs after distribution is up (and registered in epmd): wait for it.
  if (o.wait_ready && eval("ok", std::chrono::seconds(60)) != "ok")
    throw std::runtime_error(node_name_ + " did not start:\n" + process_->output());
}

std::size_t BeamNode::send(const std::string& expressions) {
  const std::size_t from = process_->output().size();
  process_->write_line(expressions + ".");
  return from;
}

std::string BeamNode::wait_result(std::size_t from, Clock::duration timeout) {
  auto start = process_->wait_for("=> ", timeout, from);
  if (!start) return "<timeout>";
  auto end = process_->wait_for("\n", timeout, *start);
  if (!end) return "<timeout>";
  return process_->output().substr(*start, *end - 1 - *start);
}

std::string BeamNode::eval(const std::string& expressions, Clock::duration timeout) {
  return wait_result(send(expressions), timeout);
}

}  // namespace distspec::testing
