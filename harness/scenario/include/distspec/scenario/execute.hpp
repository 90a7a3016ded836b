// Running one scenario once: start its nodes (in parallel), run its steps in order, stop every
// node on every path out, and record what happened.
#pragma once

#include "distspec/scenario/model.hpp"
#include "distspec/scenario/result.hpp"
#include "distspec/scenario/run_context.hpp"

namespace distspec::scenario {

// Never throws for a failing scenario: failures, timeouts and exceptions become the result.
// Call it from a thread that lives at least as long as the call (nodes die with their thread).
AttemptResult run_scenario(const Scenario& scenario, RunContext& context);

// How a step's expectation is checked: exact (trimmed), any of a list, or a regex search.
bool output_matches(const Step& step, const std::string& output, std::string* expected_text);

}  // namespace distspec::scenario
