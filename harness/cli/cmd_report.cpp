// distspec report diff OLD.json NEW.json: what changed between two runs.
#include <cstdio>
#include <fstream>
#include <string>

#include "command.hpp"
#include "distspec/report/diff.hpp"

namespace distspec::cli {
namespace {

constexpr const char* kUsage =
    "usage: distspec report diff OLD.json NEW.json\n"
    "  compares two `distspec run --json` reports: newly failing, fixed, flaky, timing changes\n"
    "exit status: 0 nothing regressed, 1 something newly fails or is newly flaky, 2 usage or\n"
    "unreadable reports\n";

bool read_json(const std::string& path, nlohmann::json& out) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "distspec report: cannot read %s\n", path.c_str());
    return false;
  }
  out = nlohmann::json::parse(in, nullptr, false);
  if (out.is_discarded()) {
    std::fprintf(stderr, "distspec report: %s is not JSON\n", path.c_str());
    return false;
  }
  return true;
}

int report_command(std::span<const std::string_view> args) {
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (args.size() != 3 || args[0] != "diff") {
    std::fputs(kUsage, stderr);
    return kExitUsage;
  }
  nlohmann::json old_run, new_run;
  if (!read_json(std::string(args[1]), old_run) || !read_json(std::string(args[2]), new_run))
    return kExitUsage;
  try {
    auto diff = report::diff_runs(old_run, new_run);
    std::fputs(diff.to_text().c_str(), stdout);
    return diff.regressed() ? kExitFailure : kExitOk;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "distspec report: %s\n", e.what());
    return kExitUsage;
  }
}

const CommandRegistration kRegistration{
    {"report", "compare two run reports (report diff OLD.json NEW.json)", &report_command}};

}  // namespace
}  // namespace distspec::cli
