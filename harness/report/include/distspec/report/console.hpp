// Console progress: one line per scenario as it ends, then the summary line.
#pragma once

#include <cstdio>
#include <string>

#include "distspec/scenario/result.hpp"

namespace distspec::report {

// "[ 3/16] PASS  tutorial/walkthrough  (2.31 s)", with colour when `colour` is set, and the
// failure's first lines below a failing scenario.
std::string progress_line(const scenario::ScenarioResult& result, int done, int total, bool colour);

// "N passed, N failed" (", N flaky" / ", N skipped" when some were).
std::string summary_line(const scenario::RunResult& run);

}  // namespace distspec::report
