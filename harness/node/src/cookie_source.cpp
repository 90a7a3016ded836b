#include "distspec/node/cookie_source.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

namespace distspec::node {
namespace {

CookieError error(std::string message) { return CookieError{std::move(message)}; }

// erl formats file errors with the POSIX atom: "Error when reading F: eacces".
std::string errno_atom(int e) {
  switch (e) {
    case EACCES: return "eacces";
    case EISDIR: return "eisdir";
    case ENOTDIR: return "enotdir";
    case ELOOP: return "eloop";
    case ENAMETOOLONG: return "enametoolong";
    case EIO: return "eio";
    default: return "errno" + std::to_string(e);
  }
}

std::string xdg_cookie_path() {
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  if (xdg && *xdg) return std::string(xdg) + "/erlang/.erlang.cookie";
  const char* home = std::getenv("HOME");
  return std::string(home ? home : "") + "/.config/erlang/.erlang.cookie";
}

// auth:create_cookie/1: 20 capital letters, file mode 0400.
Result<proto::Cookie, CookieError> create_cookie_file(const std::string& path) {
  std::random_device device;
  std::uniform_int_distribution<int> letter('A', 'Z');
  std::string cookie;
  for (int i = 0; i < 20; ++i) cookie.push_back(char(letter(device)));
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0400);
  if (fd < 0) return error("Failed to create cookie file '" + path + "': " + errno_atom(errno));
  bool written = ::write(fd, cookie.data(), cookie.size()) == ssize_t(cookie.size());
  ::close(fd);
  if (!written) return error("Failed to write to cookie file '" + path + "'");
  return proto::Cookie(cookie);
}

}  // namespace

Result<proto::Cookie, CookieError> parse_cookie_file_content(std::string_view content) {
  std::size_t end = 0;
  while (end < content.size() && content[end] >= ' ' && content[end] <= '~') ++end;
  for (std::size_t i = end; i < content.size(); ++i)
    if (content[i] != '\n' && content[i] != '\r' && content[i] != ' ')
      return error("Bad characters in cookie");
  if (end == 0) return error("Too short cookie string");
  return proto::Cookie(content.substr(0, end));
}

Result<proto::Cookie, CookieError> read_cookie_file(const std::string& path, bool* missing) {
  if (missing) *missing = false;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      if (missing) *missing = true;
      return error("Error when reading " + path + ": enoent");
    }
    return error("Error when reading " + path + ": " + errno_atom(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    const char* type = S_ISDIR(st.st_mode) ? "directory" : S_ISLNK(st.st_mode) ? "symlink" : "other";
    return error("Cookie file " + path + " is of type " + type);
  }
  if ((st.st_mode & 077) != 0) return error("Cookie file " + path + " must be accessible by owner only");
  std::ifstream in(path, std::ios::binary);
  if (!in) return error("Error when reading " + path + ": " + errno_atom(errno));
  std::ostringstream content;
  content << in.rdbuf();
  return parse_cookie_file_content(content.str());
}

Result<proto::Cookie, CookieError> resolve_cookie(const CookieSources& sources) {
  if (sources.cookie) {
    if (sources.cookie->empty()) return error("Too short cookie string");
    return proto::Cookie(*sources.cookie);
  }
  if (sources.cookie_file) return read_cookie_file(*sources.cookie_file);
  const char* home = std::getenv("HOME");
  if (!home || !*home) {
    bool missing = false;
    auto xdg = read_cookie_file(xdg_cookie_path(), &missing);
    if (missing) return error("No home for cookie file");
    return xdg;
  }
  std::string home_path = std::string(home) + "/.erlang.cookie";
  bool missing = false;
  auto from_home = read_cookie_file(home_path, &missing);
  if (!missing) return from_home;
  auto from_xdg = read_cookie_file(xdg_cookie_path(), &missing);
  if (!missing) return from_xdg;
  return create_cookie_file(home_path);
}

}  // namespace distspec::node
