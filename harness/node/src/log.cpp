#include "distspec/node/log.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>
#include <utility>

namespace distspec::node {

std::string_view to_string(LogLevel level) {
  switch (level) {
    case LogLevel::Debug: return "debug";
    case LogLevel::Info: return "info";
    case LogLevel::Warning: return "warning";
    case LogLevel::Error: return "error";
  }
  return "?";
}

LogSink stderr_log_sink(bool verbose) {
  // A busy node logs a line per message: the second's text is formatted once per second, and each
  // line leaves in one write(2) (stderr is unbuffered; fprintf would also format field by field).
  return [verbose](LogLevel level, std::string_view line) {
    if (level == LogLevel::Debug && !verbose) return;
    static std::mutex mutex;  // whole lines even when several nodes share the process
    static std::time_t stamped_second = -1;
    static char stamp[24];
    static std::string out;
    auto now = std::chrono::system_clock::now();
    std::time_t seconds = std::chrono::system_clock::to_time_t(now);
    auto millis = int(std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000);
    std::lock_guard lock(mutex);
    if (seconds != stamped_second) {
      std::tm tm{};
      gmtime_r(&seconds, &tm);
      std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
      stamped_second = seconds;
    }
    const char fraction[] = {'.', char('0' + millis / 100), char('0' + millis / 10 % 10), char('0' + millis % 10),
                             'Z', ' ', '['};
    auto name = to_string(level);
    out.assign(stamp);
    out.append(fraction, sizeof fraction).append(name).append("] ").append(line).push_back('\n');
    std::fwrite(out.data(), 1, out.size(), stderr);
  };
}

bool MessageLogBudget::admit(Clock::time_point now, std::size_t& dropped) {
  dropped = 0;
  if (limit_ == 0) return true;
  if (now - second_start_ >= std::chrono::seconds(1)) {
    second_start_ = now;
    admitted_ = 0;
    dropped = std::exchange(dropped_, 0);
  }
  if (admitted_ == limit_) {
    ++dropped_;
    return false;
  }
  ++admitted_;
  return true;
}

std::size_t MessageLogBudget::take_dropped(Clock::time_point now) {
  if (now - second_start_ < std::chrono::seconds(1)) return 0;
  return std::exchange(dropped_, 0);
}

}  // namespace distspec::node
