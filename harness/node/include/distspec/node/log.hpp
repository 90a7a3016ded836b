// Node logging: one line per event.
//
// Promise: nothing this layer logs contains a cookie or bytes received from a peer; peers are
// named by their node name, terms are printed in the text form only for messages the node itself
// accepted. The sink is replaceable so tests can assert on the exact lines.
#pragma once

#include <chrono>
#include <cstddef>
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

// How many per-message lines a node writes: the first `lines_per_second` of each second (0 = every
// one). A node serving thousands of calls a second would otherwise spend a write(2) and a
// formatted line per message, more than the message itself costs; connections, rejections and
// errors are never limited.
class MessageLogBudget {
 public:
  using Clock = std::chrono::steady_clock;
  explicit MessageLogBudget(std::size_t lines_per_second = 0) : limit_(lines_per_second) {}
  // Whether the line of a message arriving at `now` is written. `dropped` is set to the number of
  // lines left out since an earlier second (report it before the line), else 0.
  bool admit(Clock::time_point now, std::size_t& dropped);
  // The lines left out in a second that has ended by `now`, and not yet reported by admit(); else
  // 0. A node asks when the second ends, so the count of a burst's tail is not held back until
  // some later message arrives.
  std::size_t take_dropped(Clock::time_point now);
  Clock::time_point second_end() const { return second_start_ + std::chrono::seconds(1); }

 private:
  std::size_t limit_;
  Clock::time_point second_start_{};
  std::size_t admitted_ = 0;
  std::size_t dropped_ = 0;
};

}  // namespace distspec::node
