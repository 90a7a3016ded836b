#include "distspec/node/log.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

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
  return [verbose](LogLevel level, std::string_view line) {
    if (level == LogLevel::Debug && !verbose) return;
    static std::mutex mutex;  // whole lines even when several nodes share the process
    auto now = std::chrono::system_clock::now();
    std::time_t seconds = std::chrono::system_clock::to_time_t(now);
    auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    std::lock_guard lock(mutex);
    std::fprintf(stderr, "%s.%03dZ [%.*s] %.*s\n", stamp, int(millis.count()),
                 int(to_string(level).size()), to_string(level).data(), int(line.size()), line.data());
  };
}

}  // namespace distspec::node
