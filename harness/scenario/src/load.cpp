#include "distspec/scenario/load.hpp"

#include <yaml-cpp/depthguard.h>  // YAML::DeepRecursion
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string_view>

#include "distspec/etf/text.hpp"
#include "distspec/scenario/interpolate.hpp"
#include "distspec/scenario/node_kind.hpp"

namespace distspec::scenario {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kScenarioKeys = {
    "id", "title", "description", "level", "tags", "timeout", "skip",
    "prevent_overlapping_partitions", "nodes", "steps"};
const std::vector<std::string> kNodeKeys = {"kind", "app",  "cookie", "hidden", "name",
                                            "names", "epmd", "flags",  "script", "start"};
const std::vector<std::string> kStepOptionKeys = {"on", "expect", "expect_any", "expect_match",
                                                  "timeout", "note"};
const std::vector<std::string> kCallKeys = {"node", "name", "request", "timeout"};
const std::vector<std::string> kSendKeys = {"node", "name", "pid", "message"};

// std::regex copies the atom of a counted repetition n times when it compiles, so a 20-byte
// `a{99999}` costs seconds and hundreds of MB (found by the scenario_yaml fuzz target). The loader
// compiles each expect_match, so a file's patterns share this budget of expanded positions.
constexpr std::size_t kRegexPositionsPerFile = 20'000;

// An upper bound of a pattern's positions once counted repetitions are expanded; saturating.
std::size_t expanded_regex_size(std::string_view p) {
  constexpr std::size_t kCap = std::size_t(1) << 40;
  auto mul = [&](std::size_t a, std::size_t b) { return b && a > kCap / b ? kCap : std::min(kCap, a * b); };
  std::vector<std::size_t> groups{0};  // positions of each open group so far
  std::size_t last = 0;                // positions of the atom a quantifier would apply to
  for (std::size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    if (c == '(') {
      groups.push_back(0);
      continue;
    }
    if (c == ')' && groups.size() > 1) {
      last = groups.back() + 1;
      groups.pop_back();
    } else if (c == '{') {  // {n}, {n,} or {n,m}: the larger bound copies the atom
      std::size_t count = 1, number = 0;
      for (++i; i < p.size() && p[i] != '}'; ++i) {
        if (std::isdigit(static_cast<unsigned char>(p[i]))) number = std::min(kCap, mul(number, 10) + (p[i] - '0'));
        else number = 0;
        count = std::max(count, number);
      }
      groups.back() = std::min(kCap, groups.back() + mul(last, count));
      continue;
    } else if (c == '[') {
      for (++i; i < p.size() && p[i] != ']'; ++i) if (p[i] == '\\') ++i;
      last = 1;
    } else {
      if (c == '\\') ++i;
      last = 1;
    }
    groups.back() = std::min(kCap, groups.back() + last);
  }
  std::size_t total = 0;
  for (auto g : groups) total = std::min(kCap, total + g);
  return total;
}

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : ", ") + w;
  return out;
}

// Where a node is, 1-based. A missing key (yaml-cpp's Mark() throws for it) and a node with no
// position (the empty document's null root) get `fallback`, so every diagnostic has a line.
SourceMark mark_of(const YAML::Node& node, SourceMark fallback = {1, 1}) {
  if (!node.IsDefined()) return fallback;
  auto m = node.Mark();
  if (m.is_null() || m.line < 0 || m.column < 0) return fallback;
  return {m.line + 1, m.column + 1};
}

class Loader {
 public:
  explicit Loader(std::string file) : file_(std::move(file)) {}

  LoadResult load(const std::string& text) {
    YAML::Node root;
    try {
      root = YAML::Load(text);
    } catch (const YAML::DeepRecursion& e) {  // yaml-cpp's own bound of its recursive parser
      error({e.mark.line + 1, e.mark.column + 1},
            "not valid YAML: nesting reaches yaml-cpp's limit of " + std::to_string(e.depth()) + " levels");
      return diagnostics_;
    } catch (const YAML::Exception& e) {  // ParserException and the rest
      error(e.mark.is_null() ? SourceMark{1, 1} : SourceMark{e.mark.line + 1, e.mark.column + 1},
            "not valid YAML: " + e.msg);
      return diagnostics_;
    }
    if (!root.IsMap()) {
      error(root.IsDefined() ? mark_of(root) : SourceMark{1, 1},
            "expected a mapping with id, title, nodes and steps");
      return diagnostics_;
    }
    scenario_.file = file_;
    check_keys(root, kScenarioKeys, "scenario");
    scenario_.id = required_string(root, "id", "scenario");
    scenario_.title = required_string(root, "title", "scenario");
    if (auto v = root["level"]) {
      auto s = scalar(v, "level");
      if (s == "must") scenario_.level = Level::must;
      else if (s == "should") scenario_.level = Level::should;
      else if (s == "info") scenario_.level = Level::info;
      else error(mark_of(v), "level: expected must, should or info, got '" + s + "'");
    }
    if (auto v = root["tags"]) scenario_.tags = string_list(v, "tags");
    if (auto v = root["timeout"]) scenario_.timeout = duration(v, "timeout");
    if (auto v = root["skip"]) scenario_.skip = scalar(v, "skip");
    if (auto v = root["prevent_overlapping_partitions"])
      scenario_.prevent_overlapping_partitions = boolean(v, "prevent_overlapping_partitions");
    load_nodes(root["nodes"], mark_of(root));
    load_steps(root["steps"], mark_of(root));
    if (!diagnostics_.empty()) return diagnostics_;
    return std::move(scenario_);
  }

 private:
  void error(SourceMark mark, std::string message) {
    diagnostics_.push_back({file_, mark, std::move(message)});
  }

  void check_keys(const YAML::Node& map, const std::vector<std::string>& allowed,
                  const std::string& what) {
    for (auto it = map.begin(); it != map.end(); ++it) {
      auto key = it->first.IsScalar() ? it->first.Scalar() : std::string("?");
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
        error(mark_of(it->first),
              "unknown key '" + key + "' in " + what + " (expected one of: " + join(allowed) + ")");
    }
  }

  std::string scalar(const YAML::Node& v, const std::string& what) {
    if (!v.IsScalar()) {
      error(mark_of(v), what + ": expected a single value (a string), got a " +
                            (v.IsMap() ? "mapping" : v.IsSequence() ? "list" : "null"));
      return {};
    }
    return v.Scalar();
  }

  std::string required_string(const YAML::Node& map, const char* key, const std::string& what) {
    auto v = map[key];
    if (!v) {
      error(mark_of(map), what + ": missing required key '" + key + "'");
      return {};
    }
    return scalar(v, key);
  }

  bool boolean(const YAML::Node& v, const std::string& what) {
    auto s = scalar(v, what);
    if (s == "true") return true;
    if (s == "false") return false;
    if (!s.empty()) error(mark_of(v), what + ": expected true or false, got '" + s + "'");
    return false;
  }

  Duration duration(const YAML::Node& v, const std::string& what) {
    auto s = scalar(v, what);
    auto d = parse_duration(s);
    if (!d) {
      error(mark_of(v), what + ": expected a duration such as 10s, 500ms or 2m, got '" + s + "'");
      return kDefaultStepTimeout;
    }
    return *d;
  }

  std::vector<std::string> string_list(const YAML::Node& v, const std::string& what) {
    std::vector<std::string> out;
    if (!v.IsSequence()) {
      error(mark_of(v), what + ": expected a list of strings, such as [a, b]");
      return out;
    }
    for (const auto& item : v) out.push_back(scalar(item, what + " item"));
    return out;
  }

  // Every ${name} in a text must be a node key or `host`.
  std::string checked_text(const YAML::Node& v, const std::string& what) {
    auto text = scalar(v, what);
    auto refs = find_references(text);
    if (refs.error) error(mark_of(v), what + ": " + *refs.error);
    for (const auto& name : refs.names)
      if (name != "host" && !scenario_.nodes.count(name))
        error(mark_of(v), what + ": '${" + name + "}' names no node of this scenario (nodes: " +
                              node_names() + "; or ${host})");
    return text;
  }

  // A term in Erlang term text; ${name} references are checked, and the text must parse once
  // they are replaced (by a node name, the only thing they can become).
  std::string checked_term(const YAML::Node& v, const std::string& what) {
    auto text = checked_text(v, what);
    auto sample = interpolate(text, [](const std::string&) -> std::optional<std::string> {
      return std::string("n_x@h");
    });
    if (auto parsed = etf::parse(sample); !parsed)
      error(mark_of(v), what + ": not a term in Erlang term text (" + parsed.error().message +
                            " at column " + std::to_string(parsed.error().column) + ")");
    return text;
  }

  // call: {node, name, request, timeout?}; send: {node, name, message} or {pid, message}.
  void load_peer_message(const YAML::Node& v, Step& step, const std::string& what) {
    const bool call = step.action == "call";
    const char* term_key = call ? "request" : "message";
    if (!v.IsMap())
      return error(mark_of(v), what + (call ? ": expected a mapping {node: NODE, name: NAME, request: TERM}"
                                            : ": expected a mapping {node: NODE, name: NAME, message: TERM}"
                                              " or {pid: PID, message: TERM}"));
    check_keys(v, call ? kCallKeys : kSendKeys, what);
    if (auto n = v["node"]) step.peer_node = checked_text(n, "node");
    if (auto n = v["name"]) {
      step.peer_name = scalar(n, "name");
      static const std::regex kName("[A-Za-z][A-Za-z0-9_.@]*");
      if (!std::regex_match(step.peer_name, kName))
        error(mark_of(n), what + ": name: expected a registered name such as PingPong or net_kernel");
    }
    if (auto p = v["pid"]) {
      step.peer_pid = checked_text(p, "pid");
      auto sample = interpolate(step.peer_pid, [](const std::string&) -> std::optional<std::string> {
        return std::string("n_x@h");
      });
      auto parsed = etf::parse(sample);
      if (!parsed || parsed.value().kind() != etf::Term::Kind::Pid)
        error(mark_of(p), what + ": pid: expected a pid such as #Pid<'${a}'.80.0.1>");
    }
    if (auto t = v[term_key]) step.text = checked_term(t, term_key);
    else error(mark_of(v), what + ": missing '" + term_key + "' (the term, in Erlang term text)");
    if (auto t = v["timeout"]) step.call_timeout = duration(t, "timeout");
    if (!step.peer_pid.empty()) {
      if (v["name"] || v["node"]) error(mark_of(v), what + ": give either pid or node and name");
    } else if (step.peer_node.empty() || step.peer_name.empty()) {
      error(mark_of(v), what + ": needs node: and name: (the registered name and its node)");
    }
  }

  std::string node_names() {
    std::vector<std::string> names;
    for (const auto& [key, _] : scenario_.nodes) names.push_back(key);
    return join(names);
  }

  // error_code forms: an app name the file system refuses (too long, say) is just not found.
  std::string find_app_dir(const std::string& app) {
    std::error_code ec;
    fs::path dir = fs::absolute(fs::path(file_), ec).parent_path();
    for (int up = 0; up < 6 && !dir.empty(); ++up, dir = dir.parent_path()) {
      auto candidate = dir / "apps" / app;
      if (fs::exists(candidate / "mix.exs", ec)) return candidate.lexically_normal().string();
      if (dir == dir.root_path()) break;
    }
    return {};
  }

  void load_nodes(const YAML::Node& nodes, SourceMark where) {
    if (!nodes) return error(where, "scenario: missing required key 'nodes'");
    if (!nodes.IsMap() || nodes.size() == 0)
      return error(mark_of(nodes), "nodes: expected a mapping of node names to {kind: ...}");
    static const std::regex kNodeName("[a-z][a-z0-9_]*");
    for (auto it = nodes.begin(); it != nodes.end(); ++it) {
      NodeSpec spec;
      spec.key = scalar(it->first, "node name");
      spec.mark = mark_of(it->first);
      if (!std::regex_match(spec.key, kNodeName) || spec.key == "host")
        error(spec.mark, "node name '" + spec.key +
                             "': expected lower-case letters, digits and _ (and not 'host')");
      load_node(it->second, spec);
      scenario_.nodes[spec.key] = std::move(spec);
    }
  }

  void load_node(const YAML::Node& v, NodeSpec& spec) {
    std::string what = "node " + spec.key;
    if (!v.IsMap()) return error(mark_of(v), what + ": expected a mapping such as {kind: iex}");
    check_keys(v, kNodeKeys, what);
    spec.kind = required_string(v, "kind", what);
    spec.base_name = spec.key;
    const NodeKindInfo* kind = find_node_kind(spec.kind);
    if (!kind) {
      std::vector<std::string> kinds;
      for (const auto& k : node_kinds()) kinds.emplace_back(k.name);
      error(mark_of(v["kind"], mark_of(v)), what + ": unknown kind '" + spec.kind + "' (expected one of: " +
                                    join(kinds) + ")");
    } else if (!kind->unavailable.empty()) {
      error(mark_of(v["kind"]), what + ": " + std::string(kind->unavailable));
    }
    if (auto a = v["app"]) {
      spec.app = scalar(a, "app");
      if (spec.kind != "iex") error(mark_of(a), what + ": app: is for iex nodes only");
      spec.app_dir = find_app_dir(*spec.app);
      if (spec.app_dir.empty())
        error(mark_of(a), what + ": no mix project apps/" + *spec.app +
                              "/mix.exs beside this file or in a folder above it");
    }
    if (auto c = v["cookie"]) spec.cookie = scalar(c, "cookie");
    if (auto h = v["hidden"]) spec.hidden = boolean(h, "hidden");
    if (auto n = v["name"]) {
      spec.base_name = scalar(n, "name");
      static const std::regex kBase("[a-z][a-z0-9_]*");
      if (!std::regex_match(spec.base_name, kBase))
        error(mark_of(n), what + ": name: expected lower-case letters, digits and _");
    }
    if (auto n = v["names"]) {
      auto s = scalar(n, "names");
      if (s == "long") spec.names = NameKind::long_names;
      else if (s != "short") error(mark_of(n), what + ": names: expected short or long");
    }
    if (auto e = v["epmd"]) {
      auto s = scalar(e, "epmd");
      if (s == "unreachable") spec.epmd = EpmdChoice::unreachable;
      else if (s != "run") error(mark_of(e), what + ": epmd: expected run or unreachable");
    }
    if (auto f = v["flags"]) {
      spec.flags = string_list(f, "flags");
      if (spec.kind == "peer") error(mark_of(f), what + ": flags: peer nodes take no emulator flags");
    }
    if (auto s = v["script"]) {
      spec.script = scalar(s, "script");
      if (spec.kind != "elixir") error(mark_of(s), what + ": script: is for elixir nodes only");
    } else if (spec.kind == "elixir") {
      error(mark_of(v), what + ": elixir nodes need script: (the code the node runs)");
    }
    if (auto s = v["start"]) {
      auto when = scalar(s, "start");
      if (when == "later") spec.start_later = true;
      else if (when != "now") error(mark_of(s), what + ": start: expected now or later");
    }
  }

  void load_steps(const YAML::Node& steps, SourceMark where) {
    if (!steps) return error(where, "scenario: missing required key 'steps'");
    if (!steps.IsSequence()) return error(mark_of(steps), "steps: expected a list of steps");
    int index = 0;
    for (const auto& v : steps) load_step(v, ++index);
  }

  void load_step(const YAML::Node& v, int index) {
    std::string what = "step " + std::to_string(index);
    if (!v.IsMap()) return error(mark_of(v), what + ": expected a mapping such as {on: a, eval: ...}");
    Step step;
    step.mark = mark_of(v);
    std::vector<std::string> allowed = kStepOptionKeys;
    const StepActionInfo* action = nullptr;
    for (const auto& a : step_actions()) {
      allowed.emplace_back(a.name);
      if (v[std::string(a.name)]) {
        if (action)
          return error(step.mark, what + ": has both '" + std::string(action->name) + "' and '" +
                                      std::string(a.name) + "'; one action per step");
        action = &a;
      }
    }
    check_keys(v, allowed, what);
    if (!action) {
      std::vector<std::string> names;
      for (const auto& a : step_actions()) names.emplace_back(a.name);
      return error(step.mark, what + ": expected one action key (" + join(names) + ")");
    }
    step.action = action->name;
    what += " (" + step.action + ")";
    auto value = v[step.action];
    if (action->node_in_value) {
      step.node = scalar(value, step.action);
    } else if (step.action == "sleep") {
      step.sleep = duration(value, "sleep");
    } else if (step.action == "call" || step.action == "send") {
      load_peer_message(value, step, what);
    } else {
      step.text = checked_text(value, step.action);
    }
    if (auto on = v["on"]) {
      if (action->node_in_value || step.action == "sleep")
        error(mark_of(on), what + ": takes no 'on:' (the node is the value of '" + step.action + "')");
      else
        step.node = scalar(on, "on");
    } else if (!action->node_in_value && step.action != "sleep") {
      error(step.mark, what + ": missing 'on:' (the node it runs on)");
    }
    if (auto e = v["expect"]) step.expect = checked_text(e, "expect");
    if (auto e = v["expect_any"]) {
      if (!e.IsSequence()) error(mark_of(e), what + ": expect_any: expected a list of results");
      else for (const auto& item : e) step.expect_any.push_back(checked_text(item, "expect_any item"));
    }
    if (auto e = v["expect_match"]) {
      step.expect_match = checked_text(e, "expect_match");
      regex_positions_ += expanded_regex_size(*step.expect_match);
      if (regex_positions_ > kRegexPositionsPerFile) {
        error(mark_of(e), what + ": expect_match: this file's patterns are too large once counted "
                                 "repetitions are expanded (at most " +
                              std::to_string(kRegexPositionsPerFile) + " positions per file)");
      } else {
        try {
          std::regex check(*step.expect_match);
        } catch (const std::regex_error& err) {
          error(mark_of(e), what + ": expect_match: not a valid regular expression (" + err.what() + ")");
        }
      }
    }
    if (auto t = v["timeout"]) step.timeout = duration(t, "timeout");
    if (auto n = v["note"]) step.note = scalar(n, "note");
    check_step_semantics(step, *action, v, what);
    scenario_.steps.push_back(std::move(step));
  }

  void check_step_semantics(Step& step, const StepActionInfo& action, const YAML::Node& v,
                            const std::string& what) {
    if (step.action == "start") {
      if (step.expect && *step.expect != "up" && *step.expect != "fails")
        error(mark_of(v["expect"]), what + ": expect: for start is 'up' or 'fails'");
      step.expect_failure = step.expect && *step.expect == "fails";
      step.expect.reset();
      if (!step.expect_any.empty() || step.expect_match)
        error(step.mark, what + ": start takes only expect: up|fails");
    } else if (step.has_expectation() && !action.takes_expectation) {
      error(step.mark, what + ": takes no expect/expect_any/expect_match");
    }
    if (step.action == "wait_until" && !step.has_expectation())
      error(step.mark, what + ": needs expect, expect_any or expect_match (what to wait for)");
    if (step.action == "ping" && step.expect && *step.expect != "pong" && *step.expect != "pang")
      error(mark_of(v["expect"]), what + ": expect: for ping is pong or pang");
    if (step.node.empty() || step.action == "sleep") return;
    auto node = scenario_.nodes.find(step.node);
    if (node == scenario_.nodes.end())
      return error(step.mark, what + ": no node '" + step.node + "' in this scenario (nodes: " +
                                  node_names() + ")");
    const NodeKindInfo* kind = find_node_kind(node->second.kind);
    if (!kind) return;  // already reported
    if (action.needs == StepNeeds::evaluating_node && !kind->evaluates)
      error(step.mark, what + ": node " + step.node + " is of kind " + node->second.kind +
                           ", which cannot evaluate expressions");
    if (action.needs == StepNeeds::peer_node && !kind->peer_actions)
      error(step.mark, what + ": " + step.action + " is a peer action; node " + step.node +
                           " is of kind " + node->second.kind + " (needs kind peer)");
  }

  std::string file_;
  std::size_t regex_positions_ = 0;
  Scenario scenario_;
  std::vector<Diagnostic> diagnostics_;
};

}  // namespace

std::string Diagnostic::to_string() const {
  return file + ":" + std::to_string(mark.line) + ":" + std::to_string(mark.column) + ": " + message;
}

LoadResult load_scenario_text(const std::string& text, const std::string& file) {
  return Loader(file).load(text);
}

LoadResult load_scenario_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::vector<Diagnostic>{{path, {0, 0}, "cannot read the file"}};
  std::stringstream buffer;
  buffer << in.rdbuf();
  return load_scenario_text(buffer.str(), path);
}

}  // namespace distspec::scenario
