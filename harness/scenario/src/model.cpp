#include "distspec/scenario/model.hpp"

#include <algorithm>
#include <cctype>

namespace distspec::scenario {

const char* level_name(Level level) {
  switch (level) {
    case Level::must: return "must";
    case Level::should: return "should";
    case Level::info: return "info";
  }
  return "?";
}

bool Scenario::has_tag(const std::string& tag) const {
  return std::find(tags.begin(), tags.end(), tag) != tags.end();
}

std::vector<std::string> Scenario::apps() const {
  std::vector<std::string> out;
  for (const auto& [_, node] : nodes)
    if (node.app && std::find(out.begin(), out.end(), node.app_dir) == out.end())
      out.push_back(node.app_dir);
  return out;
}

std::optional<Duration> parse_duration(const std::string& text) {
  std::size_t digits = 0;
  while (digits < text.size() && (std::isdigit(static_cast<unsigned char>(text[digits])) || text[digits] == '.'))
    ++digits;
  if (digits == 0 || digits > 12) return std::nullopt;
  double number = 0;
  try {
    number = std::stod(text.substr(0, digits));
  } catch (...) {
    return std::nullopt;
  }
  std::string unit = text.substr(digits);
  double ms;
  if (unit.empty() || unit == "s") ms = number * 1000;
  else if (unit == "ms") ms = number;
  else if (unit == "m") ms = number * 60'000;
  else return std::nullopt;
  return Duration(static_cast<long long>(ms));
}

}  // namespace distspec::scenario
