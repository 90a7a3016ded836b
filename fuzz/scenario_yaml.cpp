// scenario_yaml: any text into the scenario loader (load_scenario_text, the code path of every
// scenario file). Invariants: it returns, never throws; an error is a non-empty list of
// diagnostics, each naming the file and a line/column >= 1; a loaded scenario is consistent
// (every step acts on a node it declares, through a known action), and loading the same text
// again gives the same verdict. There is no YAML writer for a Scenario, so no print/parse fixed point.
#include <cstddef>
#include <cstdint>
#include <string>

#include "distspec/scenario/load.hpp"
#include "distspec/scenario/node_kind.hpp"
#include "support/fuzz_check.hpp"

using namespace distspec::scenario;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::string file = "/nonexistent/fuzz.yaml";  // app: lookups find no mix project
  auto loaded = load_scenario_text(text, file);
  if (!loaded.ok()) {
    FUZZ_CHECK(!loaded.error().empty());
    for (const auto& d : loaded.error())
      FUZZ_CHECK(d.file == file && d.mark.line >= 1 && d.mark.column >= 1 && !d.message.empty());
    FUZZ_CHECK(load_scenario_text(text, file).error().size() == loaded.error().size());
    return 0;
  }
  const Scenario& s = loaded.value();
  FUZZ_CHECK(s.file == file && !s.nodes.empty());
  for (const auto& [key, node] : s.nodes) FUZZ_CHECK(key == node.key && find_node_kind(node.kind));
  for (const auto& step : s.steps) {
    FUZZ_CHECK(find_step_action(step.action));
    FUZZ_CHECK(step.action == "sleep" || s.nodes.count(step.node));
  }
  FUZZ_CHECK(load_scenario_text(text, file).ok());
  return 0;
}
