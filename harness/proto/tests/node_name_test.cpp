// Node names as OTP 25 checks and derives them (spec/epmd.md §8).
#include <gtest/gtest.h>

#include "distspec/proto/node_name.hpp"

namespace distspec::proto {
namespace {

TEST(NodeName, ParsesValidNames) {
  auto n = parse_node_name("a@vm");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->alive, "a");
  EXPECT_EQ(n->host, "vm");
  EXPECT_EQ(n->full(), "a@vm");
  EXPECT_EQ(n->kind(), NameKind::Short);
  EXPECT_EQ(parse_node_name("A-b_9@host.example.com")->kind(), NameKind::Long);
  EXPECT_EQ(parse_node_name("a@127.0.0.1")->kind(), NameKind::Long);
  EXPECT_EQ(parse_node_name("a@::1")->kind(), NameKind::Long);
}

TEST(NodeName, RefusesWhatTheRuntimeRefuses) {
  struct Case {
    const char* text;
    NodeNameErrorCode code;
    std::size_t offset;
  };
  for (const Case& c : {Case{"", NodeNameErrorCode::Empty, 0},
                        Case{"noat", NodeNameErrorCode::MissingAt, 4},
                        Case{"x@y@z", NodeNameErrorCode::ExtraAt, 3},
                        Case{"@vm", NodeNameErrorCode::BadAlive, 0},
                        Case{"a.b@vm", NodeNameErrorCode::BadAlive, 1},
                        Case{"\xc3\xbctf@vm", NodeNameErrorCode::BadAlive, 0},
                        Case{"a@", NodeNameErrorCode::BadHost, 2},
                        Case{"a@v m", NodeNameErrorCode::BadHost, 3}}) {
    auto r = parse_node_name(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.error().code, c.code) << c.text;
    EXPECT_EQ(r.error().offset, c.offset) << c.text;
  }
  EXPECT_EQ(parse_node_name(std::string(251, 'a') + "@vm.x").error().code,
            NodeNameErrorCode::TooLong);
  EXPECT_TRUE(parse_node_name(std::string(252, 'a') + "@v").ok());  // exactly 255 bytes
  EXPECT_TRUE(parse_node_name("a@h\xe9").ok());  // printable Latin-1 host
}

TEST(NodeName, DerivesShortAndLongNamesAsErlDoes) {
  EXPECT_EQ(derive_node_name("a", NameKind::Short, "vm", "")->full(), "a@vm");
  EXPECT_EQ(derive_node_name("a", NameKind::Short, "vm.example.com", "")->full(), "a@vm");
  EXPECT_EQ(derive_node_name("a@h", NameKind::Short, "vm", "")->full(), "a@h");
  EXPECT_EQ(derive_node_name("a@h.x", NameKind::Short, "vm", "").error().code,
            NodeNameErrorCode::ShortNameHasDot);
  EXPECT_EQ(derive_node_name("a", NameKind::Long, "vm", "example.com")->full(),
            "a@vm.example.com");
  EXPECT_EQ(derive_node_name("a", NameKind::Long, "vm.lan", "")->full(), "a@vm.lan");
  EXPECT_EQ(derive_node_name("a", NameKind::Long, "vm", "").error().code,
            NodeNameErrorCode::NoDomain);
  EXPECT_EQ(derive_node_name("a@127.0.0.1", NameKind::Long, "vm", "")->full(), "a@127.0.0.1");
  EXPECT_EQ(derive_node_name("b.c", NameKind::Short, "vm", "").error().code,
            NodeNameErrorCode::BadAlive);
}

TEST(NodeName, TheInitiatorChecksTheTargetKind) {
  EXPECT_TRUE(check_dial_target("b@vm", NameKind::Short).ok());
  EXPECT_EQ(check_dial_target("b@vm.example.com", NameKind::Short).error().code,
            NodeNameErrorCode::WrongNameKind);
  EXPECT_EQ(check_dial_target("b@vm", NameKind::Long).error().code,
            NodeNameErrorCode::WrongNameKind);
  EXPECT_TRUE(check_dial_target("b@vm.example.com", NameKind::Long).ok());
  EXPECT_TRUE(check_dial_target("b@10.0.0.1", NameKind::Long).ok());
}

TEST(NodeName, AtomOrder) {
  EXPECT_LT(compare_node_names("a@vm", "zz@vm"), 0);
  EXPECT_GT(compare_node_names("a@vm", "0@vm"), 0);
  EXPECT_LT(compare_node_names("a@vm", "a@vm2"), 0);  // shorter prefix first
  EXPECT_EQ(compare_node_names("a@vm", "a@vm"), 0);
  EXPECT_LT(compare_node_names("a@vm", "a@v\xe9"), 0);  // bytes compare unsigned
}

}  // namespace
}  // namespace distspec::proto
