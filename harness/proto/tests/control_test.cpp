#include "distspec/proto/control.hpp"

#include <gtest/gtest.h>

#include <set>

#include "support/connection_fixtures.hpp"

namespace distspec::proto {
namespace {

using etf::Term;
using testing::every_control_message;
using testing::make_pid;
using testing::make_ref;

ControlOptions with_node_link() { return ControlOptions{.accept_node_link = true}; }

TEST(Control, EveryOperationOfOtp25IsCovered) {
  std::set<int> ops;
  for (const auto& m : every_control_message()) ops.insert(int(op_of(m.control)));
  std::set<int> expected{1, 2, 3, 4, 5, 6, 7, 8, 12, 13, 16, 18};
  for (int i = 19; i <= 36; ++i) expected.insert(i);
  EXPECT_EQ(ops, expected);
  for (int n = -1; n <= 40; ++n)
    EXPECT_EQ(control_op_from_number(n).has_value(), expected.count(n) == 1) << n;
}

TEST(Control, EveryOperationRoundTripsThroughItsTuple) {
  for (const auto& m : every_control_message()) {
    Term tuple = to_term(m.control);
    const auto& e = tuple.as_tuple().elements;
    ASSERT_FALSE(e.empty());
    EXPECT_EQ(e[0].as_integer(), int(op_of(m.control)));
    auto back = control_from_term(tuple, with_node_link());
    ASSERT_TRUE(back.ok()) << to_string(op_of(m.control)) << ": " << back.error().detail;
    EXPECT_TRUE(back.value() == m.control) << to_string(op_of(m.control));
    EXPECT_EQ(has_payload(op_of(m.control)), m.payload.has_value()) << to_string(op_of(m.control));
  }
}

TEST(Control, TupleShapesMatchTheSpecTable) {
  auto c = make_pid("c@vm", 9);
  auto ref = make_ref("c@vm", 1);
  // {19, FromPid, ToProc, Ref} with a registered name, as net_adm:ping sends it.
  Term monitor = to_term(MonitorP{c, etf::Atom{"net_kernel"}, ref});
  EXPECT_TRUE(monitor == Term::tuple({Term::integer(19), Term::pid(c), Term::atom("net_kernel"),
                                      Term::reference(ref)}));
  // {6, FromPid, '', ToName}
  Term reg = to_term(RegSend{c, kUnusedAtom, etf::Atom{"net_kernel"}});
  EXPECT_TRUE(reg == Term::tuple({Term::integer(6), Term::pid(c), Term::atom(""),
                                  Term::atom("net_kernel")}));
  // UNLINK_ID ids above 2^63 become bignums and come back.
  Term big = to_term(UnlinkId{0xffffffffffffffffull, c, c});
  EXPECT_EQ(big.as_tuple().elements[1].kind(), Term::Kind::BigInteger);
  auto back = control_from_term(big);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(std::get<UnlinkId>(back.value()).id, 0xffffffffffffffffull);
}

TEST(Control, NodeLinkIsRejectedUnlessAsked) {
  auto r = control_from_term(Term::tuple({Term::integer(5)}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ConnectionErrorCode::UnknownOperation);
  EXPECT_TRUE(control_from_term(Term::tuple({Term::integer(5)}), with_node_link()).ok());
}

TEST(Control, NonTuplesAndUnknownOperationsAreRejected) {
  auto pid = Term::pid(make_pid("c@vm", 1));
  for (const Term& t : {Term::atom("link"), Term::tuple({}), Term::tuple({Term::atom("x"), pid}),
                        Term::list({Term::integer(1)}), Term::tuple({Term::float_(1.0), pid})}) {
    auto r = control_from_term(t);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ConnectionErrorCode::ControlNotTuple);
  }
  for (std::int64_t n : {0, 9, 10, 11, 14, 15, 17, 37, 99, -1, 1000000}) {
    auto r = control_from_term(Term::tuple({Term::integer(n), pid}));
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.error().code, ConnectionErrorCode::UnknownOperation) << n;
  }
}

TEST(Control, EveryOperationRejectsEveryWrongArity) {
  for (const auto& m : every_control_message()) {
    const Term tuple = to_term(m.control);
    const auto& e = tuple.as_tuple().elements;
    for (std::size_t arity = 1; arity <= e.size() + 2; ++arity) {
      if (arity == e.size()) continue;
      std::vector<Term> elements(e.begin(), e.begin() + std::min(arity, e.size()));
      while (elements.size() < arity) elements.push_back(Term::atom("extra"));
      auto r = control_from_term(Term::tuple(elements), with_node_link());
      ASSERT_FALSE(r.ok()) << to_string(op_of(m.control)) << " arity " << arity;
      EXPECT_EQ(r.error().code, ConnectionErrorCode::WrongArity);
    }
  }
}

// Replacing a typed element by a term of another kind must be rejected; elements that hold any
// term (Unused, Token, Reason) accept anything.
TEST(Control, EveryTypedElementRejectsAWrongType) {
  const Term wrong[] = {Term::float_(2.5), Term::tuple({Term::atom("x")})};
  int rejected = 0;
  for (const auto& m : every_control_message()) {
    const Term tuple = to_term(m.control);
    const auto& e = tuple.as_tuple().elements;
    for (std::size_t i = 1; i < e.size(); ++i) {
      for (const Term& w : wrong) {
        std::vector<Term> elements = e;
        elements[i] = w;
        auto r = control_from_term(Term::tuple(elements), with_node_link());
        if (r.ok()) continue;  // an any-term element
        EXPECT_EQ(r.error().code, ConnectionErrorCode::BadElement);
        EXPECT_NE(r.error().detail.find("element " + std::to_string(i + 1)), std::string::npos)
            << r.error().detail;
        ++rejected;
      }
    }
  }
  EXPECT_GT(rejected, 100);
}

TEST(Control, ElementRangesAreChecked) {
  auto c = make_pid("c@vm", 9);
  auto ref = Term::reference(make_ref("c@vm", 1));
  auto bad = [](const Term& t) {
    auto r = control_from_term(t);
    return !r.ok() && r.error().code == ConnectionErrorCode::BadElement;
  };
  // UNLINK_ID: id 0, negative, above 64 bits.
  EXPECT_TRUE(bad(Term::tuple({Term::integer(35), Term::integer(0), Term::pid(c), Term::pid(c)})));
  EXPECT_TRUE(bad(Term::tuple({Term::integer(35), Term::integer(-3), Term::pid(c), Term::pid(c)})));
  EXPECT_TRUE(bad(Term::tuple({Term::integer(35),
                               Term::big_integer(false, std::vector<std::uint8_t>(9, 1)),
                               Term::pid(c), Term::pid(c)})));
  // SPAWN_REPLY flags >= 2^27.
  EXPECT_TRUE(bad(Term::tuple({Term::integer(31), ref, Term::pid(c), Term::integer(1 << 27),
                               Term::pid(c)})));
  // SPAWN_REQUEST: MFA with an arity that is not a small integer, options not a proper list.
  auto mfa = [](Term arity) {
    return Term::tuple({Term::atom("m"), Term::atom("f"), std::move(arity)});
  };
  auto spawn = [&](Term m, Term opts) {
    return Term::tuple({Term::integer(29), ref, Term::pid(c), Term::pid(c), std::move(m),
                        std::move(opts)});
  };
  EXPECT_FALSE(bad(spawn(mfa(Term::integer(2)), Term())));
  EXPECT_TRUE(bad(spawn(mfa(Term::integer(-1)), Term())));
  EXPECT_TRUE(bad(spawn(mfa(Term::atom("two")), Term())));
  EXPECT_TRUE(bad(spawn(Term::tuple({Term::atom("m"), Term::atom("f")}), Term())));
  EXPECT_TRUE(bad(spawn(mfa(Term::integer(1)), Term::list({Term::atom("link")},
                                                          Term::atom("tail")))));
}

}  // namespace
}  // namespace distspec::proto
