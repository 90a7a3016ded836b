#include "beam_node.hpp"

#include <signal.h>

#include <regex>
#include <thread>

#include "distspec/node/epmd_client.hpp"
#include "distspec/process/child_process.hpp"

namespace distspec::scenario {
namespace {

enum class Dialect { iex, erl, elixir };

// How long an orderly stop may take before the group is killed.
constexpr std::chrono::milliseconds kStopGrace{3000};

std::string join_flags(const std::vector<std::string>& flags) {
  std::string out;
  for (const auto& f : flags) out += (out.empty() ? "" : " ") + f;
  return out;
}

class BeamNode final : public NodeDriver {
 public:
  BeamNode(Dialect dialect, NodeLaunch launch) : dialect_(dialect), launch_(std::move(launch)) {}

  void launch() override { process_ = std::make_unique<process::ChildProcess>(options()); }

  bool wait_up(Clock::time_point deadline) override {
    if (dialect_ == Dialect::elixir) return wait_registered(deadline);
    const auto& spec = *launch_.spec;
    std::string probe;
    if (spec.app)  // up means the application is started, so its registered names exist
      probe = "Enum.any?(1..1000, fn _ -> List.keymember?(Application.started_applications(), :" +
              *spec.app + ", 0) or (Process.sleep(10); false) end)";
    else
      probe = dialect_ == Dialect::iex ? "Node.alive?()" : "erlang:is_alive()";
    auto result = eval(probe, deadline);
    return result.status == EvalResult::Status::ok && result.output == "true";
  }

  EvalResult eval(const std::string& expression, Clock::time_point deadline) override {
    if (!process_) return {EvalResult::Status::node_down, "the node is not running"};
    const std::string marker = "__done_" + std::to_string(++marker_count_) + "__";
    std::string input;
    if (dialect_ == Dialect::iex) {
      input = expression + "\nIO.puts(\"" + marker + "\"); IEx.dont_display_result()\n";
    } else {  // erl shows every result; an atom whose printed form is the marker is the marker
      std::string expr = expression;
      while (!expr.empty() && std::isspace(static_cast<unsigned char>(expr.back()))) expr.pop_back();
      if (expr.empty() || expr.back() != '.') expr += '.';
      input = expr + "\n'" + marker + "'.\n";
    }
    const std::string printed = dialect_ == Dialect::iex ? marker : "'" + marker + "'";
    auto& log = process_->output();
    const std::size_t from = log.size();
    if (!process_->write(input)) return {EvalResult::Status::node_down, "the node closed its input"};
    auto at = log.wait_for(from, deadline,
                           [&](const std::string& line) { return strip_prompts(line) == printed; });
    std::vector<std::string> lines;
    for (const auto& line : log.lines()) lines.push_back(line.text);
    std::size_t end = at ? *at : lines.size();
    std::vector<std::string> between(lines.begin() + std::min(from, end), lines.begin() + end);
    EvalResult result{EvalResult::Status::ok, eval_text(between)};
    if (!at) {
      result.status = log.closed() ? EvalResult::Status::node_down : EvalResult::Status::timeout;
      if (dialect_ == Dialect::iex) process_->write("#iex:break\n");  // abandon what is unfinished
    }
    return result;
  }

  void stop(Clock::time_point deadline) override {
    if (!process_) return;
    if (dialect_ == Dialect::elixir) process_->signal_group(SIGTERM);  // a script reads no input
    process_->close_input();  // iex and erl halt at the end of their input
    process_->wait_exit(std::min(deadline, Clock::now() + kStopGrace));
    process_->kill_group();
  }

  void kill() override {
    if (process_) process_->kill_group();
  }

  bool running() override { return process_ && process_->running(); }
  bool wait_exit(Clock::time_point deadline) override {
    return !process_ || process_->wait_exit(deadline);
  }

  OutputLog& output() override {
    if (!process_) return empty_;
    return process_->output();
  }

  std::string command_line() const override {
    auto o = options();
    std::string out = o.program;
    for (const auto& a : o.args) out += " " + (a.find(' ') == std::string::npos ? a : "'" + a + "'");
    return out;
  }

 private:
  std::vector<std::string> emulator_flags() const {
    const auto& spec = *launch_.spec;
    std::vector<std::string> flags = {"-start_epmd", "false"};  // never a stray epmd daemon
    if (!launch_.prevent_overlapping_partitions)
      flags.insert(flags.end(), {"-kernel", "prevent_overlapping_partitions", "false"});
    flags.insert(flags.end(), spec.flags.begin(), spec.flags.end());
    return flags;
  }

  process::ChildOptions options() const {
    const auto& spec = *launch_.spec;
    const bool long_names = spec.names == NameKind::long_names;
    process::ChildOptions o;
    o.env = launch_.env;
    o.working_dir = launch_.working_dir;
    if (dialect_ == Dialect::erl) {
      o.program = "erl";
      o.args = {long_names ? "-name" : "-sname", launch_.full_name};
      if (spec.cookie) o.args.insert(o.args.end(), {"-setcookie", *spec.cookie});
      if (spec.hidden) o.args.push_back("-hidden");
      auto flags = emulator_flags();
      o.args.insert(o.args.end(), flags.begin(), flags.end());
      return o;
    }
    o.program = dialect_ == Dialect::iex ? "iex" : "elixir";
    o.args = {long_names ? "--name" : "--sname", launch_.full_name};
    if (spec.cookie) o.args.insert(o.args.end(), {"--cookie", *spec.cookie});
    if (spec.hidden) o.args.push_back("--hidden");
    o.args.insert(o.args.end(), {"--erl", join_flags(emulator_flags())});
    if (dialect_ == Dialect::elixir) o.args.insert(o.args.end(), {"-e", spec.script});
    if (spec.app) o.args.insert(o.args.end(), {"-S", "mix"});
    return o;
  }

  // A script node is up once its name is registered with the epmd it uses.
  bool wait_registered(Clock::time_point deadline) {
    auto port_env = launch_.env.find("ERL_EPMD_PORT");
    const auto port = port_env == launch_.env.end() ? std::uint16_t(4369)
                                                    : std::uint16_t(std::stoi(port_env->second));
    std::string name = launch_.full_name.substr(0, launch_.full_name.find('@'));
    while (Clock::now() < deadline && process_->running()) {
      if (auto names = node::epmd_names("127.0.0.1", port))
        for (const auto& line : names->nodes)
          if (line.name == name) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  Dialect dialect_;
  NodeLaunch launch_;
  std::unique_ptr<process::ChildProcess> process_;
  unsigned marker_count_ = 0;
  OutputLog empty_;
};

}  // namespace

std::string strip_prompts(const std::string& line) {
  static const std::regex kPrompt(R"(^((iex|\.\.\.)?\([A-Za-z0-9_.@-]+\)\d+> ?)+)");
  return std::regex_replace(line, kPrompt, "", std::regex_constants::format_first_only);
}

std::string eval_text(const std::vector<std::string>& lines) {
  static const std::regex kElixirLog(R"(^\d\d:\d\d:\d\d\.\d{3} (\[\w+\] )?.*)");
  static const std::regex kErlangReport(R"(^=[A-Z ]+REPORT====)");
  std::vector<std::string> kept;
  bool in_report = false;
  for (const auto& raw : lines) {
    std::string line = strip_prompts(raw);
    if (in_report) {
      in_report = !line.empty();
      continue;
    }
    if (std::regex_search(line, kErlangReport)) {
      in_report = true;
      continue;
    }
    if (std::regex_match(line, kElixirLog)) continue;
    if (line.rfind("Interactive Elixir (", 0) == 0 || line.rfind("Eshell V", 0) == 0) continue;
    kept.push_back(line);
  }
  while (!kept.empty() && kept.front().find_first_not_of(" \t") == std::string::npos) kept.erase(kept.begin());
  while (!kept.empty() && kept.back().find_first_not_of(" \t") == std::string::npos) kept.pop_back();
  std::string out;
  for (const auto& line : kept) out += (out.empty() ? "" : "\n") + line;
  return out;
}

std::unique_ptr<NodeDriver> make_iex_node(NodeLaunch launch) {
  return std::make_unique<BeamNode>(Dialect::iex, std::move(launch));
}
std::unique_ptr<NodeDriver> make_erl_node(NodeLaunch launch) {
  return std::make_unique<BeamNode>(Dialect::erl, std::move(launch));
}
std::unique_ptr<NodeDriver> make_elixir_node(NodeLaunch launch) {
  return std::make_unique<BeamNode>(Dialect::elixir, std::move(launch));
}

}  // namespace distspec::scenario
