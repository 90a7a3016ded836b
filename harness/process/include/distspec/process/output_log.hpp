// OutputLog: the lines a node printed, captured as they arrive, readable while they grow.
//
// A reader thread appends lines (stdout and stderr merged, prompts left in); steps wait for a
// line that satisfies a predicate, from a cursor on, until a deadline. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace distspec::process {

using Clock = std::chrono::steady_clock;

struct OutputLine {
  Clock::time_point at;
  std::string text;
};

class OutputLog {
 public:
  void append(std::string line);
  void close();  // end of output: the process closed its stdout (it exited)

  // Index of the first line at or after `from` for which `match` is true; waits for more lines
  // until `deadline`. nullopt on timeout or when the log closed without a match.
  std::optional<std::size_t> wait_for(std::size_t from, Clock::time_point deadline,
                                      const std::function<bool(const std::string&)>& match);
  bool closed() const;
  std::size_t size() const;
  std::vector<OutputLine> lines() const;             // a copy
  std::vector<std::string> last(std::size_t n) const;  // the last n lines' texts
  std::string text() const;  // every line so far, each followed by '\n'

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<OutputLine> lines_;
  bool closed_ = false;
};

}  // namespace distspec::process
