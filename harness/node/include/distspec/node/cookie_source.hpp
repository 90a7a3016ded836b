// Where the node's cookie comes from, as erl finds it (kernel auth.erl, OTP 25).
//
// Order: --cookie, else --cookie-file, else $HOME/.erlang.cookie, else
// $XDG_CONFIG_HOME/erlang/.erlang.cookie (~/.config/erlang/...), and when neither file exists a
// new random 20-letter cookie is written to $HOME/.erlang.cookie with mode 0400, as erl does.
// A file must be a regular file that group and others cannot access ("Cookie file F must be
// accessible by owner only"). Its content: printable ASCII (space..~) up to the first other byte;
// after that only '\n', '\r' and ' ' may follow ("Bad characters in cookie"); empty is
// "Too short cookie string". Error messages are erl's and never hold the cookie.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "distspec/etf/result.hpp"
#include "distspec/proto/cookie.hpp"

namespace distspec::node {

struct CookieError {
  std::string message;
};

// auth:check_cookie/2 on a file's bytes.
Result<proto::Cookie, CookieError> parse_cookie_file_content(std::string_view content);

// auth:read_cookie/1: attribute check, then the content check. `missing` is set when the file
// does not exist (so callers can fall through to the next location, as erl does).
Result<proto::Cookie, CookieError> read_cookie_file(const std::string& path, bool* missing = nullptr);

struct CookieSources {
  std::optional<std::string> cookie;       // --cookie
  std::optional<std::string> cookie_file;  // --cookie-file
};

// Resolves the cookie as described above (may create $HOME/.erlang.cookie).
Result<proto::Cookie, CookieError> resolve_cookie(const CookieSources& sources);

}  // namespace distspec::node
