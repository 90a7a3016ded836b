// The process table: pid/ref ranges, names, aliases, links, monitors, node-down.
#include "distspec/node/processes.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "distspec/etf/encode.hpp"
#include "distspec/etf/tape.hpp"

namespace distspec::node {
namespace {

using etf::Term;

struct Recorded {
  std::vector<std::string> signals;
};

class RecordingSignals : public RemoteSignals {
 public:
  void send_exit(const etf::Pid& from, const etf::Pid& to, const Term& reason) override {
    log.push_back("exit " + std::to_string(from.id) + "->" + to.node.name + "." + std::to_string(to.id) +
                  " " + reason.as_atom().name);
  }
  void send_down(const Term& monitored, const etf::Pid& watcher, const etf::Reference&,
                 const Term& reason) override {
    std::string what = monitored.get_if<etf::Atom>() ? monitored.as_atom().name
                                                       : std::to_string(monitored.as_pid().id);
    log.push_back("down " + what + "->" + watcher.node.name + " " + reason.as_atom().name);
  }
  void send_demonitor(const etf::Pid&, const Term&, const std::string& node,
                      const etf::Reference&) override {
    log.push_back("demonitor " + node);
  }
  std::vector<std::string> log;
};

etf::Pid remote_pid(std::uint32_t id, const std::string& node = "b@h") {
  return etf::Pid{etf::Atom{node}, id, 0, 7};
}

struct Inbox {
  std::vector<Term> messages;
  MessageHandler handler() {
    return [this](const Term& m) { messages.push_back(m); };
  }
};

TEST(ProcessTable, PidsStayInOtp25RangesAndAreNotReused) {
  RecordingSignals signals;
  ProcessTable table("a@h", 1234, signals);
  std::set<std::pair<std::uint32_t, std::uint32_t>> seen;
  for (int i = 0; i < 40000; ++i) {
    auto pid = table.spawn({});
    EXPECT_LT(pid.id, 1u << 15);
    EXPECT_LT(pid.serial, 1u << 13);
    EXPECT_EQ(pid.node.name, "a@h");
    EXPECT_EQ(pid.creation, 1234u);
    EXPECT_TRUE(seen.insert({pid.id, pid.serial}).second);
    if (i % 2) table.exit(pid, Term::atom("normal"));
  }
  // Past 2^15 ids the serial counts up, as OTP's pid data does.
  EXPECT_TRUE(seen.count({0, 1}) || seen.count({1, 1}));
}

TEST(ProcessTable, ReferencesHaveThreeWordsWithAnEighteenBitFirstWord) {
  RecordingSignals signals;
  ProcessTable table("a@h", 9, signals);
  auto a = table.make_ref();
  auto b = table.make_ref();
  ASSERT_EQ(a.ids.size(), 3u);
  EXPECT_LT(a.ids[0], 1u << 18);
  EXPECT_EQ(a.creation, 9u);
  EXPECT_FALSE(a == b);
}

TEST(ProcessTable, NamesAndAliasesDeliverAndDieWithTheProcess) {
  RecordingSignals signals;
  ProcessTable table("a@h", 1, signals);
  Inbox inbox;
  auto pid = table.spawn(inbox.handler());
  EXPECT_TRUE(table.register_name("srv", pid));
  EXPECT_FALSE(table.register_name("srv", table.spawn({})));
  auto alias = table.create_alias(pid);
  EXPECT_TRUE(table.send_named("srv", Term::atom("x")));
  EXPECT_TRUE(table.send_alias(alias, Term::atom("y")));
  EXPECT_TRUE(table.send(pid, Term::atom("z")));
  ASSERT_EQ(inbox.messages.size(), 3u);
  table.exit(pid, Term::atom("normal"));
  EXPECT_FALSE(table.whereis("srv"));
  EXPECT_FALSE(table.send_alias(alias, Term::atom("late")));
  EXPECT_FALSE(table.send(pid, Term::atom("late")));
  EXPECT_EQ(inbox.messages.size(), 3u);
}

// Messages on a tape (from another node) and owned Terms reach both kinds of process alike: a
// tape reader gets a Term re-encoded, a Term handler gets the tape value converted.
TEST(ProcessTable, TapeReadersAndTermHandlersGetTheSameMessages) {
  RecordingSignals signals;
  ProcessTable table("a@h", 1, signals);
  Inbox inbox;
  std::vector<Term> read;
  auto term_pid = table.spawn(inbox.handler());
  auto tape_pid = table.spawn_tape_reader([&](const etf::TermRef& m) { read.push_back(m.to_term()); });
  ASSERT_TRUE(table.register_name("tape", tape_pid));
  auto alias = table.create_alias(tape_pid);
  const Term message = Term::tuple({Term::atom("$gen_call"), Term::pid(remote_pid(3)),
                                    Term::list({Term::integer(1), Term::binary_copy(std::vector<std::uint8_t>{1, 2})})});
  auto bytes = etf::encode(message);
  auto tape = etf::decode_tape(bytes);
  ASSERT_TRUE(tape.ok());
  EXPECT_TRUE(table.send(term_pid, tape->root()));
  EXPECT_TRUE(table.send(tape_pid, tape->root()));
  EXPECT_TRUE(table.send_named("tape", tape->root()));
  EXPECT_TRUE(table.send_alias(alias, tape->root()));
  EXPECT_TRUE(table.send(tape_pid, message));  // an owned Term to a tape reader
  ASSERT_EQ(inbox.messages.size(), 1u);
  EXPECT_TRUE(inbox.messages[0] == message);
  ASSERT_EQ(read.size(), 4u);
  for (const Term& m : read) EXPECT_TRUE(m == message);
  table.exit(tape_pid, Term::atom("normal"));
  EXPECT_FALSE(table.send(tape_pid, tape->root()));
  EXPECT_FALSE(table.send_named("tape", tape->root()));
}

TEST(ProcessTable, LocalMonitorGetsDownWithReasonAndNameMonitorNamesTheServer) {
  RecordingSignals signals;
  ProcessTable table("a@h", 1, signals);
  Inbox watcher;
  auto w = table.spawn(watcher.handler());
  auto target = table.spawn({});
  table.register_name("srv", target);
  auto by_pid = table.monitor(w, Term::pid(target), "a@h");
  auto by_name = table.monitor(w, Term::atom("srv"), "a@h");
  table.exit(target, Term::atom("crashed"));
  ASSERT_EQ(watcher.messages.size(), 2u);
  std::set<std::string> objects;
  for (const auto& m : watcher.messages) {
    const auto& t = m.as_tuple().elements;
    ASSERT_EQ(t.size(), 5u);
    EXPECT_TRUE(t[0].is_atom("DOWN"));
    EXPECT_TRUE(t[4].is_atom("crashed"));
    objects.insert(t[3].get_if<etf::Tuple>() ? "name" : "pid");
    EXPECT_TRUE(t[1].as_reference() == by_pid || t[1].as_reference() == by_name);
  }
  EXPECT_EQ(objects, (std::set<std::string>{"name", "pid"}));
  // A monitor on a name nobody has fires noproc at once.
  table.monitor(w, Term::atom("nobody"), "a@h");
  EXPECT_TRUE(watcher.messages.back().as_tuple().elements[4].is_atom("noproc"));
}

TEST(ProcessTable, RemoteMonitorAnsweredWithNoprocOrDownOnExit) {
  RecordingSignals signals;
  ProcessTable table("a@h", 1, signals);
  auto srv = table.spawn({});
  table.register_name("srv", srv);
  auto ref = table.make_ref();
  table.on_remote_monitor(remote_pid(5), Term::atom("nosuch"), ref);
  table.on_remote_monitor(remote_pid(5), Term::atom("srv"), table.make_ref());
  auto demonitored = table.make_ref();
  table.on_remote_monitor(remote_pid(6), Term::pid(srv), demonitored);
  table.on_remote_demonitor(demonitored);
  table.exit(srv, Term::atom("bye"));
  EXPECT_EQ(signals.log, (std::vector<std::string>{"down nosuch->b@h noproc", "down srv->b@h bye"}));
}

TEST(ProcessTable, NodeDownFiresMonitorsAndLinksWithNoconnection) {
  RecordingSignals signals;
  ProcessTable table("a@h", 1, signals);
  Inbox trapping, plain_inbox;
  auto trapper = table.spawn(trapping.handler(), true);
  auto plain = table.spawn(plain_inbox.handler(), false);
  table.link(trapper, remote_pid(1));
  table.link(plain, remote_pid(2));
  table.link(plain, remote_pid(3, "c@h"));
  auto ref = table.monitor(trapper, Term::atom("srv"), "b@h");
  table.monitor(trapper, Term::atom("other"), "c@h");
  table.on_remote_monitor(remote_pid(9), Term::pid(trapper), table.make_ref());
  table.node_down("b@h");
  // trapper: the EXIT message and the DOWN (in some order); plain: killed by noconnection.
  ASSERT_EQ(trapping.messages.size(), 2u);
  bool saw_down = false, saw_exit = false;
  for (const auto& m : trapping.messages) {
    const auto& t = m.as_tuple().elements;
    if (t[0].is_atom("DOWN")) {
      saw_down = true;
      EXPECT_TRUE(t[1].as_reference() == ref);
      EXPECT_TRUE(t[4].is_atom("noconnection"));
      EXPECT_TRUE(t[3] == Term::tuple({Term::atom("srv"), Term::atom("b@h")}));
    } else {
      saw_exit = true;
      EXPECT_TRUE(t[0].is_atom("EXIT"));
      EXPECT_TRUE(t[2].is_atom("noconnection"));
    }
  }
  EXPECT_TRUE(saw_down && saw_exit);
  EXPECT_FALSE(table.alive(plain));
  // plain's death breaks its link to c@h with reason noconnection.
  EXPECT_EQ(signals.log, (std::vector<std::string>{"exit " + std::to_string(plain.id) + "->c@h.3 noconnection"}));
  // The monitor of the b@h watcher is gone: trapper's exit sends no DOWN to b@h.
  signals.log.clear();
  table.exit(trapper, Term::atom("normal"));
  EXPECT_EQ(signals.log, (std::vector<std::string>{"demonitor c@h"}));
}

TEST(ProcessTable, ExitSignalsFollowTrapExitAndKill) {
  RecordingSignals signals;
  ProcessTable table("a@h", 1, signals);
  Inbox inbox;
  auto p = table.spawn(inbox.handler(), true);
  table.on_exit_signal(remote_pid(1), p, Term::atom("x"), true);  // no such link: ignored
  EXPECT_TRUE(inbox.messages.empty());
  table.on_remote_link(remote_pid(1), p);
  table.on_exit_signal(remote_pid(1), p, Term::atom("x"), true);
  ASSERT_EQ(inbox.messages.size(), 1u);
  table.on_exit_signal(remote_pid(1), p, Term::atom("kill"), false);
  EXPECT_FALSE(table.alive(p));
  auto q = table.spawn({}, false);
  table.on_exit_signal(remote_pid(1), q, Term::atom("normal"), false);
  EXPECT_TRUE(table.alive(q));
  table.on_remote_link(remote_pid(2), p);  // p is dead: noproc goes back
  EXPECT_EQ(signals.log.back(), "exit " + std::to_string(p.id) + "->b@h.2 noproc");
}

TEST(ProcessTable, ExitDropsTheAliasesAndMonitorsOfThatProcessOnly) {
  RecordingSignals signals;
  ProcessTable table("a@h", 1, signals);
  auto p = table.spawn({});
  auto q = table.spawn({});
  auto p_alias = table.create_alias(p);
  auto q_alias = table.create_alias(q);
  auto p_ref = table.monitor(p, Term::atom("srv"), "b@h");
  auto q_ref = table.monitor(q, Term::atom("srv"), "c@h");
  table.exit(p, Term::atom("normal"));
  EXPECT_EQ(signals.log, (std::vector<std::string>{"demonitor b@h"}));
  EXPECT_FALSE(table.alias_owner(p_alias));
  EXPECT_TRUE(table.alias_owner(q_alias) == q);
  EXPECT_FALSE(table.demonitor(p_ref));
  auto held = table.demonitor(q_ref);
  ASSERT_TRUE(held);
  EXPECT_EQ(held->second, "c@h");
  EXPECT_EQ(table.monitor_count(), 0u);
}

TEST(ProcessTable, MonitorUnderAGivenReferenceFiresItsNoprocWithThatReference) {
  RecordingSignals signals;
  ProcessTable table("a@h", 1, signals);
  Inbox inbox;
  auto w = table.spawn(inbox.handler());
  auto ref = table.make_ref();
  table.monitor(ref, w, Term::atom("nobody"), "a@h");
  ASSERT_EQ(inbox.messages.size(), 1u);
  EXPECT_TRUE(inbox.messages[0].as_tuple().elements[1].as_reference() == ref);
  EXPECT_EQ(table.monitor_count(), 0u);
}

// RefLess orders a reference read in place exactly as its owned copy, so that a map of owned
// references finds one of a received message.
TEST(RefLess, OrdersViewsAsTheirOwnedReferences) {
  const std::vector<etf::Reference> refs = {
      {etf::Atom{"a@h"}, 1, {1, 2, 3}},       {etf::Atom{"a@h"}, 1, {1, 2, 4}},
      {etf::Atom{"a@h"}, 1, {0, 9, 9}},       {etf::Atom{"a@h"}, 2, {1, 2, 3}},
      {etf::Atom{"b@h"}, 1, {1, 2, 3}},       {etf::Atom{"a@h"}, 1, {1, 2}},
      {etf::Atom{"a@h"}, 1, {1, 2, 3, 0, 0}}, {etf::Atom{"a_much_longer_node_name@h"}, 1, {1, 2, 3}},
  };
  std::vector<std::vector<std::uint8_t>> bytes;
  std::vector<etf::TermTape> tapes;
  for (const auto& r : refs) {
    bytes.push_back(etf::encode(Term::reference(r)));
    auto tape = etf::decode_tape(bytes.back());
    ASSERT_TRUE(tape);
    tapes.push_back(std::move(tape).value());
  }
  RefLess less;
  std::map<etf::Reference, std::size_t, RefLess> by_ref;
  for (std::size_t i = 0; i < refs.size(); ++i) by_ref.emplace(refs[i], i);
  ASSERT_EQ(by_ref.size(), refs.size());
  for (std::size_t i = 0; i < refs.size(); ++i) {
    const etf::ReferenceView view = tapes[i].root().reference();
    auto found = by_ref.find(view);
    ASSERT_NE(found, by_ref.end());
    EXPECT_EQ(found->second, i);
    for (std::size_t j = 0; j < refs.size(); ++j) {
      EXPECT_EQ(less(view, refs[j]), less(refs[i], refs[j])) << i << " " << j;
      EXPECT_EQ(less(refs[j], view), less(refs[j], refs[i])) << i << " " << j;
      EXPECT_EQ(less(refs[i], refs[j]), i != j && !less(refs[j], refs[i])) << i << " " << j;
    }
  }
}

}  // namespace
}  // namespace distspec::node
