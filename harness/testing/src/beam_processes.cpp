#include "distspec/testing/beam_processes.hpp"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
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

}  // namespace

std::string make_temp_dir(const std::string& tag) {
  static std::atomic<int> counter{0};
  auto dir = std::filesystem::path(DISTSPEC_BINARY_DIR) / "test-tmp" /
             (tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::filesystem::create_directories(dir);
  return dir.string();
}

ChildProcess::ChildProcess(const std::string& exe, const std::vector<std::string>& args,
                           const std::vector<std::pair<std::string, std::string>>& env,
                           bool with_stdin)
    : child_(std::make_unique<process::ChildProcess>(process::ChildOptions{
          exe, args, std::map<std::string, std::string>(env.begin(), env.end()), {}})),
      has_input_(with_stdin) {
  if (!with_stdin) child_->close_input();
}

ChildProcess::~ChildProcess() = default;  // the process::ChildProcess kills its group

bool ChildProcess::write_line(const std::string& line) {
  return has_input_ && child_->write(line + "\n");
}

std::optional<std::size_t> ChildProcess::wait_for(const std::string& needle,
                                                  Clock::duration timeout, std::size_t from) {
  const auto deadline = Clock::now() + timeout;
  auto& log = child_->output();
  for (;;) {
    // Count the lines before reading the text: a line added in between is seen by the wait.
    const std::size_t lines_seen = log.size();
    const std::string text = log.text();
    if (from <= text.size())
      if (auto at = text.find(needle, from); at != std::string::npos) return at + needle.size();
    const bool another_line =
        log.wait_for(lines_seen, deadline, [](const std::string&) { return true; }).has_value();
    if (!another_line) return std::nullopt;  // the deadline, or the output closed
  }
}

std::string ChildProcess::output() const { return child_->output().text(); }

int ChildProcess::pid() const { return child_->pid(); }

bool ChildProcess::running() { return child_->running(); }

void ChildProcess::kill() {
  child_->kill_group();
  child_->close_input();
  has_input_ = false;
}

BeamNode::BeamNode(const PrivateEpmd& epmd, BeamNodeOptions o) {
  node_name_ = o.name + "@" + short_host_name();
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
