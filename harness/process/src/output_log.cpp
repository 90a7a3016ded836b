#include "distspec/process/output_log.hpp"

namespace distspec::process {

void OutputLog::append(std::string line) {
  {
    std::lock_guard lock(mutex_);
    lines_.push_back({Clock::now(), std::move(line)});
  }
  changed_.notify_all();
}

void OutputLog::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  changed_.notify_all();
}

std::optional<std::size_t> OutputLog::wait_for(
    std::size_t from, Clock::time_point deadline,
    const std::function<bool(const std::string&)>& match) {
  std::unique_lock lock(mutex_);
  for (std::size_t i = from;;) {
    for (; i < lines_.size(); ++i)
      if (match(lines_[i].text)) return i;
    if (closed_) return std::nullopt;
    if (changed_.wait_until(lock, deadline) == std::cv_status::timeout) {
      for (; i < lines_.size(); ++i)
        if (match(lines_[i].text)) return i;
      return std::nullopt;
    }
  }
}

bool OutputLog::closed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

std::size_t OutputLog::size() const {
  std::lock_guard lock(mutex_);
  return lines_.size();
}

std::vector<OutputLine> OutputLog::lines() const {
  std::lock_guard lock(mutex_);
  return lines_;
}

std::vector<std::string> OutputLog::last(std::size_t n) const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (std::size_t i = lines_.size() > n ? lines_.size() - n : 0; i < lines_.size(); ++i)
    out.push_back(lines_[i].text);
  return out;
}

std::string OutputLog::text() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& line : lines_) out.append(line.text).push_back('\n');
  return out;
}

}  // namespace distspec::process
