// Loading scenario files: the strict schema, and errors that name file:line:column.
#include "distspec/scenario/load.hpp"

#include <gtest/gtest.h>

namespace distspec::scenario {
namespace {

std::string errors_of(const std::string& yaml) {
  auto r = load_scenario_text(yaml, "t.yaml");
  if (r) return "";
  std::string out;
  for (const auto& d : r.error()) out += d.to_string() + "\n";
  return out;
}

const char* kGood = R"Y(id: x/good
title: A good one
level: should
tags: [a, b]
timeout: 20s
nodes:
  a: {kind: iex, cookie: c1}
  b: {kind: erl, start: later, hidden: true, names: long, flags: [-connect_all, "false"]}
steps:
  - {on: a, eval: "Node.connect(:'${b}')", expect: "true", timeout: 2s, note: n}
  - {start: b}
  - {on: b, log: "hello ${host}"}
  - {on: a, wait_until: "x", expect_any: ["1", "2"]}
  - {sleep: 100ms}
  - {stop: b}
  - {kill: a}
  - {on: a, eval: "y", expect_match: "^a.*"}
)Y";

TEST(Load, GoodScenarioHasEveryField) {
  auto r = load_scenario_text(kGood, "t.yaml");
  ASSERT_TRUE(r.ok()) << errors_of(kGood);
  const Scenario& s = r.value();
  EXPECT_EQ(s.id, "x/good");
  EXPECT_EQ(s.level, Level::should);
  EXPECT_EQ(s.timeout, Duration(20000));
  EXPECT_EQ(s.tags, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(s.nodes.size(), 2u);
  EXPECT_EQ(s.nodes.at("a").cookie, "c1");
  EXPECT_TRUE(s.nodes.at("b").start_later);
  EXPECT_TRUE(s.nodes.at("b").hidden);
  EXPECT_EQ(s.nodes.at("b").names, NameKind::long_names);
  EXPECT_EQ(s.nodes.at("b").flags.size(), 2u);
  ASSERT_EQ(s.steps.size(), 8u);
  EXPECT_EQ(s.steps[0].action, "eval");
  EXPECT_EQ(s.steps[0].timeout, Duration(2000));
  EXPECT_EQ(s.steps[0].mark.line, 10);
  EXPECT_EQ(s.steps[1].node, "b");
  EXPECT_EQ(s.steps[3].expect_any.size(), 2u);
  EXPECT_EQ(s.steps[4].sleep, Duration(100));
  EXPECT_EQ(s.steps[7].expect_match, "^a.*");
}

TEST(Load, UnknownKeyNamesLineColumnAndTheAllowedKeys) {
  auto e = errors_of("id: x\ntitle: t\nnodes:\n  a: {kind: iex, cookei: c}\nsteps: []\n");
  EXPECT_NE(e.find("t.yaml:4:18: unknown key 'cookei' in node a (expected one of: kind, app"), std::string::npos) << e;
  e = errors_of("id: x\ntitle: t\nnodes: {a: {kind: iex}}\nsteps: []\ncolour: red\n");
  EXPECT_NE(e.find("t.yaml:5:1: unknown key 'colour' in scenario"), std::string::npos) << e;
  e = errors_of("id: x\ntitle: t\nnodes: {a: {kind: iex}}\nsteps:\n  - {on: a, eval: x, expcet: y}\n");
  EXPECT_NE(e.find("t.yaml:5:22: unknown key 'expcet' in step 1"), std::string::npos) << e;
}

TEST(Load, BadYamlHasAPosition) {
  auto e = errors_of("id: x\ntitle: [unclosed\n");
  EXPECT_NE(e.find("t.yaml:"), std::string::npos);
  EXPECT_NE(e.find("not valid YAML"), std::string::npos) << e;
}

TEST(Load, WrongTypesAndMissingKeys) {
  auto e = errors_of("id: [x]\nnodes: {a: {kind: iex, hidden: maybe}}\nsteps: {}\n");
  EXPECT_NE(e.find("t.yaml:1:5: id: expected a single value"), std::string::npos) << e;
  EXPECT_NE(e.find("missing required key 'title'"), std::string::npos) << e;
  EXPECT_NE(e.find("t.yaml:2:32: hidden: expected true or false, got 'maybe'"), std::string::npos) << e;
  EXPECT_NE(e.find("t.yaml:3:8: steps: expected a list"), std::string::npos) << e;
  e = errors_of("id: x\ntitle: t\nlevel: must-have\ntimeout: soon\nnodes: {a: {kind: iex}}\nsteps: []\n");
  EXPECT_NE(e.find("t.yaml:3:8: level: expected must, should or info"), std::string::npos) << e;
  EXPECT_NE(e.find("t.yaml:4:10: timeout: expected a duration"), std::string::npos) << e;
}

TEST(Load, NamesNoStepCanKnowAreErrors) {
  auto e = errors_of("id: x\ntitle: t\nnodes: {a: {kind: iex}}\nsteps:\n  - {on: z, eval: x}\n"
                     "  - {on: a, eval: \"ping(${q})\"}\n  - {start: y}\n");
  EXPECT_NE(e.find("t.yaml:5:5: step 1 (eval): no node 'z' in this scenario (nodes: a)"), std::string::npos) << e;
  EXPECT_NE(e.find("t.yaml:6:19: eval: '${q}' names no node of this scenario"), std::string::npos) << e;
  EXPECT_NE(e.find("t.yaml:7:5: step 3 (start): no node 'y'"), std::string::npos) << e;
}

TEST(Load, PeerNodeAndItsSteps) {
  const char* yaml = R"Y(id: x
title: t
nodes:
  p: {kind: peer, cookie: c, hidden: true, start: later}
  a: {kind: iex}
steps:
  - {on: p, ping: "${a}", expect: pang}
  - on: p
    call: {node: "${a}", name: PingPong, request: "{add, 1, '${p}'}", timeout: 2s}
    expect: "{ok,3}"
  - on: p
    send: {node: "${a}", name: inbox, message: "[1, <<\"x\">>]"}
  - on: p
    send: {pid: "#Pid<'${a}'.80.0.1>", message: hello}
)Y";
  auto r = load_scenario_text(yaml, "t.yaml");
  ASSERT_TRUE(r.ok()) << errors_of(yaml);
  const auto& s = r.value();
  EXPECT_EQ(s.nodes.at("p").kind, "peer");
  EXPECT_TRUE(s.nodes.at("p").hidden);
  EXPECT_TRUE(s.nodes.at("p").start_later);
  ASSERT_EQ(s.steps.size(), 4u);
  EXPECT_EQ(s.steps[0].text, "${a}");
  EXPECT_EQ(s.steps[1].peer_node, "${a}");
  EXPECT_EQ(s.steps[1].peer_name, "PingPong");
  EXPECT_EQ(s.steps[1].text, "{add, 1, '${p}'}");
  EXPECT_EQ(s.steps[1].call_timeout, Duration(2000));
  EXPECT_EQ(s.steps[2].peer_name, "inbox");
  EXPECT_EQ(s.steps[2].text, "[1, <<\"x\">>]");
  EXPECT_EQ(s.steps[3].peer_pid, "#Pid<'${a}'.80.0.1>");
  EXPECT_TRUE(s.steps[3].peer_node.empty());
}

TEST(Load, PeerStepErrors) {
  auto e = errors_of(
      "id: x\ntitle: t\nnodes:\n  p: {kind: peer, flags: [-x]}\n  a: {kind: iex}\nsteps:\n"
      "  - {on: a, ping: \"${p}\"}\n"                                          // 7
      "  - {on: p, ping: \"${a}\", expect: maybe}\n"                           // 8
      "  - {on: p, call: \"${a}\"}\n"                                          // 9
      "  - {on: p, call: {node: \"${a}\", name: P, request: \"{a,\"}}\n"       // 10
      "  - {on: p, call: {node: \"${a}\", request: ping, to: x}}\n"           // 11
      "  - {on: p, send: {pid: \"not_a_pid\", message: m}}\n"                  // 12
      "  - {on: p, send: {node: \"${a}\", name: n}}\n"                         // 13
      "  - {on: p, send: {node: \"${zz}\", name: n, message: m}, expect: ok}\n"  // 14
      "  - {on: p, send: {pid: \"#Pid<'${a}'.1.0.1>\", node: \"${a}\", message: m}}\n");  // 15
  EXPECT_NE(e.find("t.yaml:4:26: node p: flags: peer nodes take no emulator flags"), std::string::npos) << e;
  EXPECT_NE(e.find("t.yaml:7:5: step 1 (ping): ping is a peer action; node a is of kind iex (needs kind peer)"),
            std::string::npos) << e;
  EXPECT_NE(e.find("t.yaml:8:35: step 2 (ping): expect: for ping is pong or pang"), std::string::npos) << e;
  EXPECT_NE(e.find("t.yaml:9:19: step 3 (call): expected a mapping {node: NODE, name: NAME, request: TERM}"),
            std::string::npos) << e;
  EXPECT_NE(e.find("t.yaml:10:52: request: not a term in Erlang term text"), std::string::npos) << e;
  EXPECT_NE(e.find("t.yaml:11:49: unknown key 'to' in step 5 (call)"), std::string::npos) << e;
  EXPECT_NE(e.find("step 5 (call): needs node: and name:"), std::string::npos) << e;
  EXPECT_NE(e.find("t.yaml:12:25: step 6 (send): pid: expected a pid"), std::string::npos) << e;
  EXPECT_NE(e.find("t.yaml:13:19: step 7 (send): missing 'message'"), std::string::npos) << e;
  EXPECT_NE(e.find("t.yaml:14:26: node: '${zz}' names no node"), std::string::npos) << e;
  EXPECT_NE(e.find("t.yaml:14:5: step 8 (send): takes no expect"), std::string::npos) << e;
  EXPECT_NE(e.find("t.yaml:15:19: step 9 (send): give either pid or node and name"), std::string::npos) << e;
}

TEST(Load, StepShapeErrors) {
  auto e = errors_of("id: x\ntitle: t\nnodes: {a: {kind: iex}, s: {kind: elixir, script: x}}\nsteps:\n"
                     "  - {on: a}\n  - {on: a, eval: x, log: y}\n  - {on: a, wait_until: x}\n"
                     "  - {on: s, eval: x}\n  - {stop: a, on: a}\n  - {start: a, expect: maybe}\n"
                     "  - {on: a, eval: x, expect_match: \"(\"}\n");
  EXPECT_NE(e.find("t.yaml:5:5: step 1: expected one action key"), std::string::npos) << e;
  EXPECT_NE(e.find("t.yaml:6:5: step 2: has both 'eval' and 'log'"), std::string::npos) << e;
  EXPECT_NE(e.find("t.yaml:7:5: step 3 (wait_until): needs expect"), std::string::npos) << e;
  EXPECT_NE(e.find("t.yaml:8:5: step 4 (eval): node s is of kind elixir, which cannot evaluate"), std::string::npos) << e;
  EXPECT_NE(e.find("t.yaml:9:19: step 5 (stop): takes no 'on:'"), std::string::npos) << e;
  EXPECT_NE(e.find("step 6 (start): expect: for start is 'up' or 'fails'"), std::string::npos) << e;
  EXPECT_NE(e.find("step 7 (eval): expect_match: not a valid regular expression"), std::string::npos) << e;
}

TEST(Load, NodeKindErrors) {
  auto e = errors_of("id: x\ntitle: t\nnodes:\n  a: {kind: beam}\n  b: {kind: erl, app: ping_pong}\n"
                     "  c: {kind: elixir}\n  D: {kind: iex}\n  e: {kind: iex, app: no_such_app}\nsteps: []\n");
  EXPECT_NE(e.find("t.yaml:4:13: node a: unknown kind 'beam' (expected one of: iex, erl, elixir, peer)"), std::string::npos) << e;
  EXPECT_NE(e.find("node b: app: is for iex nodes only"), std::string::npos) << e;
  EXPECT_NE(e.find("node c: elixir nodes need script:"), std::string::npos) << e;
  EXPECT_NE(e.find("t.yaml:7:3: node name 'D'"), std::string::npos) << e;
  EXPECT_NE(e.find("node e: no mix project apps/no_such_app/mix.exs"), std::string::npos) << e;
}

TEST(Load, ShippedAppIsFoundFromAScenarioFolder) {
  std::string file = std::string(DISTSPEC_SOURCE_DIR) + "/scenarios/tutorial/x.yaml";
  auto r = load_scenario_text("id: x\ntitle: t\nnodes: {a: {kind: iex, app: ping_pong}}\nsteps: []\n", file);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().nodes.at("a").app_dir, std::string(DISTSPEC_SOURCE_DIR) + "/scenarios/apps/ping_pong");
}

// Found by the scenario_yaml fuzz target (and its regression seeds): every diagnostic has a
// line and column >= 1, and nothing the file says makes the loader throw.
TEST(Load, JunkGivesPositionedDiagnosticsNeverExceptions) {
  for (const char* text : {"", "# only a comment\n", "~\n", "---\n...\n"}) {
    auto r = load_scenario_text(text, "t.yaml");
    ASSERT_FALSE(r.ok()) << text;
    ASSERT_EQ(r.error().size(), 1u);
    EXPECT_GE(r.error()[0].mark.line, 1) << text;
    EXPECT_GE(r.error()[0].mark.column, 1) << text;
    EXPECT_EQ(r.error()[0].message, "expected a mapping with id, title, nodes and steps");
  }
  // No kind: the unknown-kind error points at the node's mapping (yaml-cpp throws on the
  // position of a missing key).
  auto e = errors_of("id: x\ntitle: t\nnodes:\n  a: {cookie: c}\nsteps: []\n");
  EXPECT_NE(e.find("t.yaml:4:6: node a: missing required key 'kind'"), std::string::npos) << e;
  EXPECT_NE(e.find("t.yaml:4:6: node a: unknown kind ''"), std::string::npos) << e;
  // An app name no file system accepts (ENAMETOOLONG) is a missing app, not an exception.
  e = errors_of("id: x\ntitle: t\nnodes: {a: {kind: iex, app: " + std::string(5000, 'x') + "}}\nsteps: []\n");
  EXPECT_NE(e.find("node a: no mix project apps/xxx"), std::string::npos) << e;
  // Nesting deeper than yaml-cpp's limit (2000) is reported, not a stack overflow.
  e = errors_of("id: " + std::string(5000, '[') + "\n");
  EXPECT_NE(e.find("t.yaml:2:1: not valid YAML: nesting reaches yaml-cpp's limit of 500 levels"), std::string::npos) << e;
}

// std::regex expands counted repetitions when it compiles: `a{99999}` took 3 s and 400 MB under
// ASan. A file's expect_match patterns share a budget of 20000 expanded positions.
TEST(Load, RegexBudgetBoundsCountedRepetitions) {
  auto scenario = [](const std::vector<std::string>& patterns) {
    std::string text = "id: x\ntitle: t\nnodes: {a: {kind: iex}}\nsteps:\n";
    for (const auto& p : patterns) text += "  - {on: a, eval: x, expect_match: '" + p + "'}\n";
    return text;
  };
  EXPECT_EQ(errors_of(scenario({"^[0-9]{1,3}\\.\\d{2}$", "(ab|cd){100}", "[a-z]{9000}"})), "");
  auto e = errors_of(scenario({"a{99999}"}));
  EXPECT_NE(e.find("t.yaml:5:36: step 1 (eval): expect_match: this file's patterns are too large"), std::string::npos) << e;
  e = errors_of(scenario({"((a{100}){100}){100}"}));
  EXPECT_NE(e.find("too large"), std::string::npos) << e;
  e = errors_of(scenario({"x{15000}", "y{4000}", "z{2000}"}));  // the third exceeds the file's budget
  EXPECT_EQ(e.find("step 2"), std::string::npos) << e;
  EXPECT_NE(e.find("t.yaml:7:36: step 3 (eval): expect_match: this file's patterns are too large"), std::string::npos) << e;
}

TEST(Durations, Parse) {
  EXPECT_EQ(parse_duration("10s"), Duration(10000));
  EXPECT_EQ(parse_duration("250ms"), Duration(250));
  EXPECT_EQ(parse_duration("2m"), Duration(120000));
  EXPECT_EQ(parse_duration("1.5s"), Duration(1500));
  EXPECT_EQ(parse_duration("3"), Duration(3000));
  EXPECT_FALSE(parse_duration("s"));
  EXPECT_FALSE(parse_duration("10 s"));
  EXPECT_FALSE(parse_duration("10h"));
  EXPECT_FALSE(parse_duration(""));
}

}  // namespace
}  // namespace distspec::scenario
