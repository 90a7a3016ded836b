// Every kind of term, sent and registered-sent in both directions between our node and a real
// OTP 25 node; the received term must equal (=:=) the sent one on the receiving side.
//
// Terms with a text form are made on each side from the same text (etf::format output parsed by
// erl_parse); pids, references, ports and funs only one side can make travel there and back and
// are compared by the side that made them.
#include <gtest/gtest.h>

#include <stdexcept>

#include "distspec/etf/text.hpp"
#include "support/node_fixture.hpp"

namespace distspec::node::testing {
namespace {

using namespace std::chrono_literals;
using etf::Term;

const std::string kCookie = "secret_token";

// On erl: `checker` evaluates texts and compares, sends texts' values to us, and round-trips
// terms only erl can make.
const char* kChecker =
    "P = fun(Text) -> {ok,Ts,_} = erl_scan:string(unicode:characters_to_list(Text) ++ \".\"), "
    "{ok,Es} = erl_parse:parse_exprs(Ts), {value,V,_} = erl_eval:exprs(Es,[]), V end, "
    "register(checker, spawn(fun Loop() -> receive "
    "{check, From, Text, T} -> From ! {checked, self(), Text, (catch P(Text)) =:= T}; "
    "{send_all, To, Name, Texts} -> [begin V = (catch P(X)), To ! {via_pid, X, V}, Name ! {via_name, X, V} end || X <- Texts]; "
    "{opaque, To} -> O = {self(), make_ref(), hd(erlang:ports()), fun erlang:abs/1, fun(X) -> X + 1 end, "
    "<<1,2,3:5>>, node()}, put(opaque, O), To ! {opaque, O}; "
    "{opaque_back, From, T} -> From ! {opaque_checked, get(opaque) =:= T}; "
    "{ours, From, T} -> From ! {ours_back, T, node(element(1, T)) =:= node(From)} "
    "end, Loop() end))";

// {text, term}: the text is what erl parses (UTF-8); generated terms use the text form.
std::vector<std::pair<std::string, Term>> sample_terms() {
  std::vector<std::string> texts = {
      "0", "255", "256", "-1", "2147483647", "-2147483648", "4294967296", "9223372036854775807",
      "-9223372036854775808", "123456789012345678901234567890", "-123456789012345678901234567890",
      "1.5", "-2.25", "1.0e300", "3.141592653589793", "a", "''", "'hello world'",
      "'Elixir.PingPong'", "'\xc3\xbc" "nic\xc3\xb6" "de'", "'\xe6\x97\xa5\xe6\x9c\xac'", "[]", "\"abc\"",
      "[1,2,3]", "[1,2|3]", "[a|b]", "[1000,2000]", "<<>>", "<<1,2,3>>", "<<\"hello\">>", "<<1:3>>",
      "<<255,7:4>>", "{}", "{a,1,\"s\"}", "#{}", "#{a => 1,<<\"k\">> => [1,2]}",
      "{[#{x => {1,[2.5,<<3>>]}}],true,false}"};
  std::vector<Term> terms;
  for (const auto& t : texts) terms.push_back(etf::parse(t).value());
  std::size_t parsed = terms.size();
  // Bignums past one byte of length (LARGE_BIG_EXT), a tuple past 255 elements (LARGE_TUPLE_EXT),
  // a map past 32 keys (hash-ordered in OTP), a long binary and a deep list.
  terms.push_back(Term::big_integer(false, std::vector<std::uint8_t>(300, 0xA5)));
  terms.push_back(Term::big_integer(true, std::vector<std::uint8_t>(260, 0x5A)));
  std::vector<Term> wide;
  for (int i = 0; i < 300; ++i) wide.push_back(Term::integer(i));
  terms.push_back(Term::tuple(wide));
  std::vector<std::pair<Term, Term>> pairs;
  for (int i = 0; i < 40; ++i) pairs.emplace_back(Term::integer(i), Term::atom("v" + std::to_string(i)));
  terms.push_back(Term::map(pairs));
  terms.push_back(Term::binary_copy(std::vector<std::uint8_t>(100'000, 7)));  // fragmented: > 64 KiB
  Term deep = Term::nil();
  for (int i = 0; i < 200; ++i) deep = Term::list({deep});
  terms.push_back(deep);
  std::vector<std::pair<std::string, Term>> out;
  for (std::size_t i = 0; i < terms.size(); ++i)
    out.emplace_back(i < parsed ? texts[i] : etf::format(terms[i]), terms[i]);
  return out;
}

struct Fixture {
  BeamNode erl{test_epmd(), {.name = "erl_terms", .cookie = kCookie}};
  OurNode ours = start_our_node("cpp_terms", kCookie);
  std::shared_ptr<Mailbox> sink = ours.node->make_mailbox("sink");
  Fixture() {
    auto registered = erl.eval(kChecker);
    if (registered != "true") throw std::runtime_error("checker: " + registered);
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

std::optional<Term> receive_tagged(Mailbox& mailbox, const std::string& tag) {
  for (;;) {
    auto m = mailbox.receive(10s);
    if (!m) return std::nullopt;
    if (auto* t = m->get_if<etf::Tuple>(); t && !t->elements.empty() && t->elements[0].is_atom(tag)) return m;
  }
}

Term text_binary(const std::string& text) {
  return Term::binary_copy({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
}

TEST(TermsBeam, EveryTermWeSendArrivesEqualByNameAndByPid) {
  auto& f = fixture();
  auto me = f.ours.node->make_mailbox();
  std::optional<etf::Pid> checker_pid;
  for (const auto& [text, term] : sample_terms()) {
    f.ours.node->send_named(me->pid(), "checker", f.erl.node_name(),
                            Term::tuple({Term::atom("check"), Term::pid(me->pid()), text_binary(text), term}));
    auto reply = receive_tagged(*me, "checked");
    ASSERT_TRUE(reply) << etf::format(term).substr(0, 200);
    EXPECT_TRUE(reply->as_tuple().elements[3].is_atom("true")) << "by name: " << etf::format(term).substr(0, 200);
    checker_pid = reply->as_tuple().elements[1].as_pid();
    f.ours.node->send(me->pid(), *checker_pid,
                      Term::tuple({Term::atom("check"), Term::pid(me->pid()), text_binary(text), term}));
    reply = receive_tagged(*me, "checked");
    ASSERT_TRUE(reply);
    EXPECT_TRUE(reply->as_tuple().elements[3].is_atom("true")) << "by pid: " << etf::format(term).substr(0, 200);
  }
}

TEST(TermsBeam, EveryTermErlSendsArrivesEqualByNameAndByPid) {
  auto& f = fixture();
  auto me = f.ours.node->make_mailbox();
  auto terms = sample_terms();
  std::vector<Term> texts;
  for (const auto& t : terms) texts.push_back(text_binary(t.first));
  Term sink_name = Term::tuple({Term::atom("sink"), Term::atom(f.ours.node->name())});
  f.ours.node->send_named(me->pid(), "checker", f.erl.node_name(),
                          Term::tuple({Term::atom("send_all"), Term::pid(me->pid()), sink_name, Term::list(texts)}));
  for (std::size_t i = 0; i < terms.size(); ++i) {
    auto by_pid = receive_tagged(*me, "via_pid");
    auto by_name = receive_tagged(*f.sink, "via_name");
    ASSERT_TRUE(by_pid && by_name) << i;
    EXPECT_TRUE(by_pid->as_tuple().elements[2] == terms[i].second) << terms[i].first.substr(0, 200);
    EXPECT_TRUE(by_name->as_tuple().elements[2] == terms[i].second) << terms[i].first.substr(0, 200);
  }
}

TEST(TermsBeam, PidsRefsPortsAndFunsMadeByErlComeBackEqual) {
  auto& f = fixture();
  auto me = f.ours.node->make_mailbox();
  f.ours.node->send_named(me->pid(), "checker", f.erl.node_name(),
                          Term::tuple({Term::atom("opaque"), Term::pid(me->pid())}));
  auto opaque = receive_tagged(*me, "opaque");
  ASSERT_TRUE(opaque);
  const auto& o = opaque->as_tuple().elements[1].as_tuple().elements;
  EXPECT_EQ(o[0].kind(), Term::Kind::Pid);
  EXPECT_EQ(o[1].kind(), Term::Kind::Reference);
  EXPECT_EQ(o[2].kind(), Term::Kind::Port);
  EXPECT_EQ(o[3].kind(), Term::Kind::ExportFun);
  EXPECT_EQ(o[4].kind(), Term::Kind::LocalFun);
  f.ours.node->send_named(me->pid(), "checker", f.erl.node_name(),
                          Term::tuple({Term::atom("opaque_back"), Term::pid(me->pid()), opaque->as_tuple().elements[1]}));
  auto checked = receive_tagged(*me, "opaque_checked");
  ASSERT_TRUE(checked);
  EXPECT_TRUE(checked->as_tuple().elements[1].is_atom("true"));
}

TEST(TermsBeam, PidsAndRefsMadeByUsComeBackEqual) {
  auto& f = fixture();
  auto me = f.ours.node->make_mailbox();
  auto ref = f.ours.node->monitor(me->pid(), Term::atom("checker"), f.erl.node_name());
  Term ours = Term::tuple({Term::pid(me->pid()), Term::reference(ref)});
  f.ours.node->send_named(me->pid(), "checker", f.erl.node_name(),
                          Term::tuple({Term::atom("ours"), Term::pid(me->pid()), ours}));
  auto back = receive_tagged(*me, "ours_back");
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->as_tuple().elements[1] == ours);
  EXPECT_TRUE(back->as_tuple().elements[2].is_atom("true"));  // erl sees the pid as ours
}

}  // namespace
}  // namespace distspec::node::testing
