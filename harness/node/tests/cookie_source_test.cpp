// Cookie sources and host names, as erl reads and derives them.
#include "distspec/node/cookie_source.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "distspec/node/host_name.hpp"
#include "distspec/testing/beam_processes.hpp"

namespace distspec::node {
namespace {

std::string cookie_text(const proto::Cookie& c) {
  return std::string(reinterpret_cast<const char*>(c.bytes().data()), c.size());
}

std::string write_file(const std::string& dir, const std::string& name, const std::string& content,
                       mode_t mode) {
  auto path = dir + "/" + name;
  std::filesystem::remove(path);
  std::ofstream(path, std::ios::binary) << content;
  ::chmod(path.c_str(), mode);
  return path;
}

TEST(CookieFile, ContentRulesAreAuthErl) {
  EXPECT_EQ(cookie_text(parse_cookie_file_content("ABC").value()), "ABC");
  EXPECT_EQ(cookie_text(parse_cookie_file_content("ABC\n").value()), "ABC");
  EXPECT_EQ(cookie_text(parse_cookie_file_content("ABC\r\n  \n").value()), "ABC");
  // Spaces inside the printable run are part of the cookie, trailing ones too.
  EXPECT_EQ(cookie_text(parse_cookie_file_content(" a b \n").value()), " a b ");
  EXPECT_EQ(parse_cookie_file_content("ab\ncd").error().message, "Bad characters in cookie");
  EXPECT_EQ(parse_cookie_file_content("ab\tc").error().message, "Bad characters in cookie");
  EXPECT_EQ(parse_cookie_file_content("").error().message, "Too short cookie string");
  EXPECT_EQ(parse_cookie_file_content("\n").error().message, "Too short cookie string");
}

TEST(CookieFile, RefusesFilesOthersMayRead) {
  auto dir = distspec::testing::make_temp_dir("cookie");
  auto open = write_file(dir, "group", "SECRET", 0640);
  EXPECT_EQ(read_cookie_file(open).error().message,
            "Cookie file " + open + " must be accessible by owner only");
  auto world = write_file(dir, "world", "SECRET", 0604);
  EXPECT_FALSE(read_cookie_file(world));
  auto mine = write_file(dir, "mine", "SECRET\n", 0400);
  EXPECT_EQ(cookie_text(read_cookie_file(mine).value()), "SECRET");
  bool missing = false;
  EXPECT_FALSE(read_cookie_file(dir + "/absent", &missing));
  EXPECT_TRUE(missing);
  // No error message may hold the cookie.
  auto bad = write_file(dir, "bad", "SECRET\x01", 0600);
  EXPECT_EQ(read_cookie_file(bad).error().message.find("SECRET"), std::string::npos);
}

TEST(CookieSources, OrderIsFlagFileHomeThenCreatesOneLikeErl) {
  auto home = distspec::testing::make_temp_dir("home");
  std::string old_home = std::getenv("HOME") ? std::getenv("HOME") : "";
  ::setenv("HOME", home.c_str(), 1);
  ::setenv("XDG_CONFIG_HOME", (home + "/xdg").c_str(), 1);
  EXPECT_EQ(cookie_text(resolve_cookie({std::string("flag"), std::nullopt}).value()), "flag");
  auto file = write_file(home, "f", "FROMFILE", 0600);
  EXPECT_EQ(cookie_text(resolve_cookie({std::nullopt, file}).value()), "FROMFILE");
  // Neither ~/.erlang.cookie nor the XDG one: a new 20-letter cookie, mode 0400.
  auto created = resolve_cookie({});
  ASSERT_TRUE(created);
  auto text = cookie_text(created.value());
  EXPECT_EQ(text.size(), 20u);
  for (char c : text) EXPECT_TRUE(c >= 'A' && c <= 'Z');
  struct stat st {};
  ASSERT_EQ(::stat((home + "/.erlang.cookie").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0400u);
  EXPECT_EQ(cookie_text(resolve_cookie({}).value()), text);  // read back, not recreated
  ::chmod((home + "/.erlang.cookie").c_str(), 0644);
  EXPECT_FALSE(resolve_cookie({}));
  ::setenv("HOME", old_home.c_str(), 1);
  ::unsetenv("XDG_CONFIG_HOME");
}

TEST(HostName, ShortAndLongNamesAsErlDerivesThem) {
  HostEnvironment env{"vm", "nameserver 1.2.3.4\n", "vm"};
  EXPECT_EQ(make_node_name("a", proto::NameKind::Short, env).value().full(), "a@vm");
  EXPECT_EQ(make_node_name("a", proto::NameKind::Long, env).error().message, "Can't set long node name!");
  EXPECT_EQ(make_node_name("a@b.c", proto::NameKind::Short, env).error().message, "Can't set short node name!");
  EXPECT_EQ(make_node_name("a@vm", proto::NameKind::Long, env).value().full(), "a@vm");
  EXPECT_EQ(make_node_name("a@127.0.0.1", proto::NameKind::Long, env).value().full(), "a@127.0.0.1");
  EXPECT_EQ(make_node_name("a b", proto::NameKind::Short, env).error().message, "Invalid node name!");
  HostEnvironment dotted{"box.example.org", "", ""};
  EXPECT_EQ(make_node_name("a", proto::NameKind::Short, dotted).value().full(), "a@box");
  EXPECT_EQ(make_node_name("a", proto::NameKind::Long, dotted).value().full(), "a@box.example.org");
  HostEnvironment resolv{"box.example.org", "search x.y\ndomain corp.test\n", ""};
  EXPECT_EQ(make_node_name("a", proto::NameKind::Long, resolv).value().full(), "a@box.corp.test");
  HostEnvironment canonical{"box", "", "box.lan.test"};
  EXPECT_EQ(make_node_name("a", proto::NameKind::Long, canonical).value().full(), "a@box.lan.test");
}


}  // namespace
}  // namespace distspec::node
