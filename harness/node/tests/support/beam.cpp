#include "support/beam.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/process/extend.hpp>
#include <filesystem>
#include <stdexcept>

#include "distspec/node/epmd_daemon.hpp"

namespace distspec::node::testing {

namespace bp = boost::process;

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

std::string find_exe(const std::string& name) {
  auto path = bp::search_path(name);
  if (path.empty()) throw std::runtime_error(name + " not found on PATH");
  return path.string();
}

}  // namespace

std::uint16_t free_tcp_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::tcp::v4(), 0});
  return acceptor.local_endpoint().port();
}

std::string short_host() {
  char buf[256] = {};
  gethostname(buf, sizeof buf - 1);
  std::string h = buf;
  return h.substr(0, h.find('.'));
}

std::string make_temp_dir(const std::string& tag) {
  static std::atomic<int> counter{0};
  auto dir = std::filesystem::path(DISTSPEC_BINARY_DIR) / "test-tmp" /
             (tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::filesystem::create_directories(dir);
  return dir.string();
}

ChildProcess::ChildProcess(const std::string& exe, const std::vector<std::string>& args,
                           const std::vector<std::pair<std::string, std::string>>& env,
                           bool with_stdin) {
  bp::environment child_env = boost::this_process::environment();
  for (const auto& [k, v] : env) child_env[k] = v;
  auto die_with_parent = bp::extend::on_exec_setup([](auto&) { ::prctl(PR_SET_PDEATHSIG, SIGKILL); });
  if (with_stdin)
    child_ = bp::child(exe, bp::args(args), child_env, (bp::std_out & bp::std_err) > out_,
                       bp::std_in < in_, die_with_parent);
  else
    child_ = bp::child(exe, bp::args(args), child_env, (bp::std_out & bp::std_err) > out_,
                       bp::std_in.close(), die_with_parent);
  reader_ = std::thread([this] { read_loop(); });
}

ChildProcess::~ChildProcess() {
  kill();
  if (reader_.joinable()) reader_.join();
}

void ChildProcess::read_loop() {
  std::string line;
  while (std::getline(out_, line)) {
    std::lock_guard lock(mutex_);
    lines_.push_back(line);
    changed_.notify_all();
  }
}

void ChildProcess::write_line(const std::string& line) {
  in_ << line << "\n";
  in_.flush();
}

std::optional<std::size_t> ChildProcess::wait_for(const std::string& needle,
                                                  std::chrono::milliseconds timeout,
                                                  std::size_t from) {
  std::unique_lock lock(mutex_);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    for (std::size_t i = from; i < lines_.size(); ++i)
      if (lines_[i].find(needle) != std::string::npos) return i;
    if (changed_.wait_until(lock, deadline) == std::cv_status::timeout) {
      for (std::size_t i = from; i < lines_.size(); ++i)
        if (lines_[i].find(needle) != std::string::npos) return i;
      return std::nullopt;
    }
  }
}

std::vector<std::string> ChildProcess::lines() const {
  std::lock_guard lock(mutex_);
  return lines_;
}

std::string ChildProcess::output() const {
  std::string all;
  for (const auto& l : lines()) all += l + "\n";
  return all;
}

bool ChildProcess::running() { return child_.valid() && child_.running(); }
int ChildProcess::pid() { return child_.id(); }

void ChildProcess::kill() {
  std::error_code ec;
  if (child_.valid() && child_.running(ec)) {
    ::kill(child_.id(), SIGKILL);
    child_.wait(ec);
  }
  // Closing our end of stdout ends read_loop once the child's copies are gone.
  in_.pipe().close();
}

EpmdProcess::EpmdProcess() : port_(free_tcp_port()) {
  process_ = std::make_unique<ChildProcess>(node::epmd_executable(),
                                            std::vector<std::string>{"-port", port_text()},
                                            std::vector<std::pair<std::string, std::string>>{},
                                            false);
  for (int i = 0; i < 100 && !node::epmd_answers(port_); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (!node::epmd_answers(port_)) throw std::runtime_error("test epmd did not start");
}

BeamNode::BeamNode(const EpmdProcess& epmd, BeamNodeOptions o) {
  node_name_ = o.name + "@" + short_host();
  std::vector<std::pair<std::string, std::string>> env{
      {"ERL_EPMD_PORT", epmd.port_text()}, {"HOME", make_temp_dir("home-" + o.name)}};
  std::vector<std::string> args;
  std::string exe;
  if (!o.elixir) {
    exe = find_exe("erl");
    args = {o.long_name ? "-name" : "-sname", o.name, "-noshell", "-start_epmd", "false"};
    if (!o.cookie.empty()) args.insert(args.end(), {"-setcookie", o.cookie});
    if (o.hidden) args.push_back("-hidden");
    args.insert(args.end(), o.extra_erl_args.begin(), o.extra_erl_args.end());
    args.insert(args.end(), {"-eval", kErlangLoop});
  } else {
    exe = find_exe("elixir");
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

std::string BeamNode::eval(const std::string& expressions, std::chrono::milliseconds timeout) {
  process_->write_line(expressions + ".");
  auto at = process_->wait_for("=> ", timeout, consumed_);
  if (!at) return "<timeout>";
  consumed_ = *at + 1;
  auto line = process_->lines()[*at];
  return line.substr(line.find("=> ") + 3);
}

}  // namespace distspec::node::testing
