// Node logging: one line per event.
//
// Promise: nothing this layer logs contains a cookie or bytes received from a peer; peers are
// named by their node name, terms are printed in the text form only for messages the node itself
// accepted. The sink is replaceable so tests can assert on the exact lines.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace distspec::node {

enum class LogLevel { Debug, Info, Warning, Error };

std::string_view to_string(LogLevel level);

using LogSink = std::function<void(LogLevel level, std::string_view line)>;

// Writes "<ISO time> <level> <line>" to stderr; Debug lines only when `verbose`.
LogSink stderr_log_sink(bool verbose = false);

class Logger {
 public:
  explicit Logger(LogSink sink = stderr_log_sink()) : sink_(std::move(sink)) {}
  void log(LogLevel level, std::string_view line) const {
    if (sink_) sink_(level, line);
  }
  void debug(std::string_view line) const { log(LogLevel::Debug, line); }
  void info(std::string_view line) const { log(LogLevel::Info, line); }
  void warning(std::string_view line) const { log(LogLevel::Warning, line); }
  void error(std::string_view line) const { log(LogLevel::Error, line); }

 private:
  LogSink sink_;
};

}  // namespace distspec::node
