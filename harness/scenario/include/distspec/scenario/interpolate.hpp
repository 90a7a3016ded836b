// ${name} references in scenario texts: ${a} is node a's full name, ${host} the host.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace distspec::scenario {

// The names referenced in `text`, in order; an error message when a ${ is not closed or a name
// is empty.
struct References {
  std::vector<std::string> names;
  std::optional<std::string> error;
};
References find_references(const std::string& text);

// Replaces each ${name} with lookup(name); a name lookup does not know is left as written
// (load_scenario has already rejected those).
std::string interpolate(const std::string& text,
                        const std::function<std::optional<std::string>(const std::string&)>& lookup);

}  // namespace distspec::scenario
