// The scenario model: what a scenario file says once it has been loaded and validated.
//
// A scenario names its nodes (key -> NodeSpec) and lists steps run in order. Texts in steps may
// hold ${node} / ${host} references; load_scenario() has already checked that every reference
// and every `on:` names a node of the scenario, so the runner never meets an unknown name.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace distspec::scenario {

using Duration = std::chrono::milliseconds;

inline constexpr Duration kDefaultStepTimeout{10'000};
inline constexpr Duration kDefaultScenarioTimeout{30'000};

// A position in a scenario file, 1-based as editors show it.
struct SourceMark {
  int line = 0;
  int column = 0;
};

enum class Level { must, should, info };
const char* level_name(Level level);

enum class NameKind { short_names, long_names };  // --sname / --name
enum class EpmdChoice { run, unreachable };       // the run's epmd, or a port nobody listens on

struct NodeSpec {
  std::string key;        // the name used in the scenario: `on: a`, `${a}`
  std::string base_name;  // the node name before the run's suffix (default: key)
  std::string kind;       // iex | erl | elixir | peer (see node_kind.hpp)
  std::optional<std::string> app;     // iex: mix project under apps/, started with -S mix
  std::string app_dir;                // where that project is (found by the loader)
  std::optional<std::string> cookie;  // none: the run's own ~/.erlang.cookie
  bool hidden = false;
  NameKind names = NameKind::short_names;
  EpmdChoice epmd = EpmdChoice::run;
  std::vector<std::string> flags;     // extra emulator flags (erl's own, given to iex via --erl)
  std::string script;                 // elixir: the code it runs (-e)
  bool start_later = false;           // started by a `start` step
  SourceMark mark;
};

// One step. `action` is the key that names what it does; which other fields matter depends on it.
struct Step {
  std::string action;  // eval | log | start | stop | kill | wait_until | sleep | ping | call | send
  std::string node;    // the node it acts on (`on:`, or the value of start/stop/kill)
  std::string text;    // eval/wait_until: the expression; log: the line; ping: the node pinged;
                       // call: the request; send: the message (terms in Erlang term text)
  // call/send (`call: {node: N, name: NAME, request: T}`, `send: {node: N, name: NAME,
  // message: T}` or `send: {pid: PID, message: T}`): where the term goes.
  std::string peer_node;  // the node of the registered name
  std::string peer_name;  // the registered name (an Elixir alias such as PingPong is Elixir.PingPong)
  std::string peer_pid;   // send only: a pid in the term text form (#Pid<'node'.ID.SERIAL.CREATION>)
  Duration call_timeout{5'000};  // call: as GenServer.call's timeout
  std::optional<std::string> expect;
  std::vector<std::string> expect_any;
  std::optional<std::string> expect_match;  // ECMAScript regular expression, searched
  bool expect_failure = false;              // start: the node must fail to come up
  std::optional<Duration> timeout;
  Duration sleep{0};
  std::string note;  // free text shown in reports (the tutorial row, for instance)
  SourceMark mark;

  bool has_expectation() const { return expect || !expect_any.empty() || expect_match; }
};

struct Scenario {
  std::string id;
  std::string title;
  std::string file;
  Level level = Level::must;
  std::vector<std::string> tags;
  Duration timeout = kDefaultScenarioTimeout;
  std::optional<std::string> skip;  // a reason: the scenario is listed but not run
  bool prevent_overlapping_partitions = false;  // OTP's default; true only for :global scenarios
  std::map<std::string, NodeSpec> nodes;
  std::vector<Step> steps;

  bool has_tag(const std::string& tag) const;
  // Apps (mix projects) its nodes start, for compiling them once per run.
  std::vector<std::string> apps() const;
};

// "30s", "500ms", "2m", or a bare number of seconds. nullopt when malformed.
std::optional<Duration> parse_duration(const std::string& text);

}  // namespace distspec::scenario
