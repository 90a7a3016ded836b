// Flags shared by the node commands (peer, ping, call): one table, parsed the same way.
#pragma once

#include <unistd.h>

#include <charconv>
#include <chrono>
#include <memory>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "command.hpp"
#include "distspec/node/cookie_source.hpp"
#include "distspec/node/host_name.hpp"
#include "distspec/node/node.hpp"

namespace distspec::cli {

struct ParsedFlags {
  std::map<std::string, std::string> values;  // "--cookie" -> "C"
  std::set<std::string> switches;             // "--hidden"
  std::vector<std::string> positional;
  std::string error;  // non-empty: a usage error

  bool has(const std::string& flag) const { return values.count(flag) || switches.count(flag); }
  std::optional<std::string> value(const std::string& flag) const {
    auto it = values.find(flag);
    if (it == values.end()) return std::nullopt;
    return it->second;
  }
};

// `with_value` flags take the next argument (or --flag=value); `switch_flags` take none.
inline ParsedFlags parse_flags(std::span<const std::string_view> args,
                               const std::set<std::string>& with_value,
                               const std::set<std::string>& switch_flags) {
  ParsedFlags out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string arg(args[i]);
    if (arg == "--") {  // the end of the options: what follows is positional, even `--x`
      for (++i; i < args.size(); ++i) out.positional.emplace_back(args[i]);
      break;
    }
    if (arg.rfind("--", 0) != 0) {
      out.positional.push_back(arg);
      continue;
    }
    std::string name = arg, inline_value;
    bool has_inline = false;
    if (auto eq = arg.find('='); eq != std::string::npos) {
      name = arg.substr(0, eq);
      inline_value = arg.substr(eq + 1);
      has_inline = true;
    }
    if (switch_flags.count(name) && !has_inline) {
      out.switches.insert(name);
    } else if (with_value.count(name)) {
      if (has_inline) {
        out.values[name] = inline_value;
      } else if (i + 1 < args.size()) {
        out.values[name] = std::string(args[++i]);
      } else {
        out.error = name + " needs a value";
      }
    } else {
      out.error = "unknown option " + name;
    }
    if (!out.error.empty()) break;
  }
  return out;
}

// The flags every client command (ping, call) takes.
inline ParsedFlags parse_client_flags(std::span<const std::string_view> args) {
  return parse_flags(args, {"--cookie", "--cookie-file", "--timeout", "--record-corpus"},
                     {"--hidden", "--verbose", "--help"});
}

// Prints `distspec COMMAND: WHY` and the usage text on stderr; returns the usage exit status.
inline int usage_error(const char* command, const char* usage, const std::string& why) {
  std::fprintf(stderr, "distspec %s: %s\n%s", command, why.c_str(), usage);
  return kExitUsage;
}

// The names of a comma-separated flag value ("a,b,c"; "" has none). nullopt when a name is
// empty ("a,,b", "a,"): a usage error for the caller to report.
inline std::optional<std::vector<std::string>> comma_list(std::string_view value) {
  std::vector<std::string> names;
  if (value.empty()) return names;
  for (std::size_t at = 0;;) {
    const std::size_t comma = value.find(',', at);
    names.emplace_back(value.substr(at, comma == std::string_view::npos ? std::string_view::npos : comma - at));
    if (names.back().empty()) return std::nullopt;
    if (comma == std::string_view::npos) return names;
    at = comma + 1;
  }
}

inline std::optional<unsigned long> parse_number(const std::string& text, unsigned long max) {
  unsigned long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value > max) return std::nullopt;
  return value;
}

// Short-lived clients (ping, call) log warnings and errors only, unless --verbose.
inline node::LogSink client_log_sink(bool verbose) {
  auto sink = node::stderr_log_sink(verbose);
  if (verbose) return sink;
  return [sink](node::LogLevel level, std::string_view line) {
    if (level >= node::LogLevel::Warning) sink(level, line);
  };
}

// --cookie / --cookie-file / ~/.erlang.cookie; prints erl's message on failure.
inline std::optional<proto::Cookie> cookie_from_flags(const ParsedFlags& flags, const char* command) {
  node::CookieSources sources{flags.value("--cookie"), flags.value("--cookie-file")};
  auto cookie = node::resolve_cookie(sources);
  if (!cookie) {
    std::fprintf(stderr, "distspec %s: %s\n", command, cookie.error().message.c_str());
    return std::nullopt;
  }
  return std::move(cookie).value();
}

// The name a client node (ping, call) gives itself: short or long like the target's host, so the
// peer accepts it (node names must be of the same kind on both sides).
inline std::optional<std::string> client_node_name(const std::string& target, const char* command) {
  auto parsed = proto::parse_node_name(target);
  if (!parsed) {
    std::fprintf(stderr, "distspec %s: invalid node name %s\n", command, target.c_str());
    return std::nullopt;
  }
  std::string alive = std::string("distspec_") + command + "_" + std::to_string(::getpid());
  auto kind = parsed.value().kind();
  auto name = node::make_node_name(alive, kind, node::read_host_environment());
  if (name) return name.value().full();
  // No domain for a long name: use the target's host spelling, which the peer knows.
  if (kind == proto::NameKind::Long) return alive + "@" + parsed.value().host;
  std::fprintf(stderr, "distspec %s: %s\n", command, name.error().message.c_str());
  return std::nullopt;
}

// --timeout MS for the client commands; nullopt (with the reason in `error`) when malformed.
inline std::optional<std::chrono::milliseconds> timeout_from_flags(const ParsedFlags& flags,
                                                                   std::chrono::milliseconds fallback,
                                                                   std::string& error) {
  auto text = flags.value("--timeout");
  if (!text) return fallback;
  auto ms = parse_number(*text, 86'400'000);
  if (!ms) {
    error = "--timeout needs milliseconds";
    return std::nullopt;
  }
  return std::chrono::milliseconds(*ms);
}

// The short-lived node of a client command (ping, call), started and not registered with epmd;
// null after printing why when it cannot be made.
inline std::unique_ptr<node::Node> start_client_node(const ParsedFlags& flags, const std::string& target,
                                                     const char* command) {
  auto own = client_node_name(target, command);
  if (!own) return nullptr;
  auto cookie = cookie_from_flags(flags, command);
  if (!cookie) return nullptr;
  node::NodeOptions options;
  options.name = *own;
  options.cookie = std::move(*cookie);
  options.hidden = flags.has("--hidden");
  options.register_with_epmd = false;
  options.host_ping_pong = false;
  options.record_corpus_dir = flags.value("--record-corpus");
  options.log = client_log_sink(flags.has("--verbose"));
  auto created = node::Node::create(std::move(options));
  if (!created) {
    std::fprintf(stderr, "distspec %s: %s\n", command, created.error().message.c_str());
    return nullptr;
  }
  auto node = std::move(created).value();
  node->start();
  return node;
}

}  // namespace distspec::cli
