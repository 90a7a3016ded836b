// Loading scenario files: YAML in, a validated Scenario (or every error found, with positions).
//
// The schema is strict (scenarios/README.md): an unknown key, a wrong type, a missing required
// key, a kind that cannot run, a step its node's kind cannot do, or a name that no node has is an
// error naming file:line:column and what was expected. Nothing here starts a process.
#pragma once

#include <string>
#include <vector>

#include "distspec/etf/result.hpp"
#include "distspec/scenario/model.hpp"

namespace distspec::scenario {

struct Diagnostic {
  std::string file;
  SourceMark mark;
  std::string message;
  std::string to_string() const;  // file:line:column: message
};

using LoadResult = Result<Scenario, std::vector<Diagnostic>>;

LoadResult load_scenario_file(const std::string& path);
// `file` only names the source in diagnostics.
LoadResult load_scenario_text(const std::string& text, const std::string& file);

}  // namespace distspec::scenario
