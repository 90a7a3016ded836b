// The report formats of `distspec run`. Each returns the text; callers write it with
// write_file_atomically. The JSON schema is documented in scenarios/README.md ("JSON report").
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "distspec/scenario/result.hpp"

namespace distspec::report {

// JUnit XML as CI systems read it: one <testcase> per scenario (and repetition), a <failure>
// with the failing step's message and the transcript; flaky scenarios fail with type="flaky".
std::string junit_xml(const scenario::RunResult& run);

// JSON, schema "distspec-run/1": every scenario, attempt and step with its timing.
nlohmann::json run_json(const scenario::RunResult& run);

// Writes DIR/report.md (human-readable) and DIR/scenarios/<id>/{transcript.txt,<node>.log}.
void write_report_dir(const scenario::RunResult& run, const std::string& dir);

// The split of time between node start-up and everything else, one line.
std::string timing_line(const scenario::RunResult& run);

// Escapes text for XML attributes and content; drops characters XML 1.0 forbids.
std::string xml_escape(const std::string& text);

}  // namespace distspec::report
