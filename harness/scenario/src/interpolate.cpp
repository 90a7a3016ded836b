#include "distspec/scenario/interpolate.hpp"

namespace distspec::scenario {

References find_references(const std::string& text) {
  References refs;
  for (std::size_t at = text.find("${"); at != std::string::npos; at = text.find("${", at)) {
    auto close = text.find('}', at + 2);
    if (close == std::string::npos) {
      refs.error = "'${' at offset " + std::to_string(at) + " is not closed by '}'";
      return refs;
    }
    std::string name = text.substr(at + 2, close - at - 2);
    if (name.empty()) {
      refs.error = "empty reference '${}' at offset " + std::to_string(at);
      return refs;
    }
    refs.names.push_back(std::move(name));
    at = close + 1;
  }
  return refs;
}

std::string interpolate(const std::string& text,
                        const std::function<std::optional<std::string>(const std::string&)>& lookup) {
  std::string out;
  std::size_t done = 0;
  for (std::size_t at = text.find("${"); at != std::string::npos; at = text.find("${", done)) {
    auto close = text.find('}', at + 2);
    if (close == std::string::npos) break;
    out.append(text, done, at - done);
    auto value = lookup(text.substr(at + 2, close - at - 2));
    out += value ? *value : text.substr(at, close + 1 - at);
    done = close + 1;
  }
  out.append(text, done, std::string::npos);
  return out;
}

}  // namespace distspec::scenario
