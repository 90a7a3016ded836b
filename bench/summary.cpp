#include "summary.hpp"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace distspec::bench {
namespace {

// Items at or over this size (the 64 KiB and 1 MiB binaries) decode at memory speed and would
// hide everything else in a total, so MIXED leaves them out.
constexpr std::size_t kMixedLimit = 64 * 1024;

// tape: decode into the tape (TermTape, the fast model); term: decode into the owned Term
// (binaries as views); term_copy: the same with binaries copied.
const char* const kColumns[] = {"tape",    "tape_reuse", "term",    "term_copy", "validate",
                                "encode",  "ei_walk",    "ei_wcopy", "ei_skip",  "ei_enc",
                                "b2t",     "t2b"};

struct Ratio {
  const char* label;
  const char* numerator;
  const char* denominator;
  double goal;  // 0: informative only
};
const Ratio kRatios[] = {
    {"tape/ei_walk", "tape", "ei_walk", 1.0},
    {"tape/b2t", "tape", "b2t", 4.0},
    {"validate/ei_skip", "validate", "ei_skip", 1.5},
    {"encode/ei_enc", "encode", "ei_enc", 2.0},
    {"term/ei_walk", "term", "ei_walk", 0},
    {"term/b2t", "term", "b2t", 0},
    {"term_copy/ei_wcopy", "term_copy", "ei_wcopy", 0},
    {"encode/t2b", "encode", "t2b", 0},
};

std::optional<double> find(const Rates& rates, const std::string& op, const std::string& item) {
  auto it = rates.find(op + "/" + item);
  if (it == rates.end()) return std::nullopt;
  return it->second;
}

// Total bytes / total time over the selected items; nullopt if any of them has no rate.
std::optional<double> aggregate(const Rates& rates, const std::string& op,
                                const std::vector<ItemSize>& items, bool mixed_only) {
  double bytes = 0, seconds = 0;
  for (const ItemSize& item : items) {
    if (mixed_only && item.bytes >= kMixedLimit) continue;
    auto rate = find(rates, op, item.name);
    if (!rate || *rate <= 0) return std::nullopt;
    bytes += double(item.bytes);
    seconds += double(item.bytes) / (*rate * 1e6);
  }
  if (seconds == 0) return std::nullopt;
  return bytes / seconds / 1e6;
}

std::string cell(std::optional<double> v, int width, int precision) {
  char buf[32];
  if (!v) std::snprintf(buf, sizeof buf, "%*s", width, "-");
  else std::snprintf(buf, sizeof buf, "%*.*f", width, precision, *v);
  return buf;
}

}  // namespace

void RateCollector::ReportRuns(const std::vector<Run>& runs) {
  ConsoleReporter::ReportRuns(runs);
  for (const Run& run : runs) {
    if (run.error_occurred) continue;
    // With --benchmark_repetitions, the median; otherwise the single run.
    bool wanted = run.run_type == Run::RT_Aggregate ? run.aggregate_name == "median"
                                                    : run.repetitions <= 1;
    auto counter = run.counters.find("bytes_per_second");
    if (!wanted || counter == run.counters.end()) continue;
    const std::string& name = run.run_name.function_name;
    rates_[name] = counter->second.value / 1e6;
  }
}

Rates load_beam_rates(const std::string& path) {
  Rates rates;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string op, item;
    double mbps;
    if (fields >> op >> item >> mbps) rates[op + "/" + item] = mbps;
  }
  return rates;
}

void print_summary(std::ostream& out, const std::vector<ItemSize>& items, const Rates& rates) {
  std::vector<std::string> rows;
  for (const ItemSize& item : items) rows.push_back(item.name);
  rows.push_back("MIXED");
  rows.push_back("ALL");
  auto rate = [&](const std::string& op, const std::string& row) -> std::optional<double> {
    if (row == "MIXED" || row == "ALL") return aggregate(rates, op, items, row == "MIXED");
    return find(rates, op, row);
  };
  auto bytes_of = [&](const std::string& row) {
    std::size_t total = 0;
    for (const ItemSize& item : items)
      if (item.name == row || row == "ALL" || (row == "MIXED" && item.bytes < kMixedLimit))
        total += item.bytes;
    return total;
  };

  out << "\nThroughput, MB/s (10^6 bytes of term_to_binary output per second)\n";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%-15s %8s", "item", "bytes");
  out << buf;
  for (const char* column : kColumns) {
    std::snprintf(buf, sizeof buf, " %9s", column);
    out << buf;
  }
  out << "\n";
  for (const std::string& row : rows) {
    std::snprintf(buf, sizeof buf, "%-15s %8zu", row.c_str(), bytes_of(row));
    out << buf;
    for (const char* column : kColumns) out << " " << cell(rate(column, row), 9, 1);
    out << "\n";
  }

  out << "\nRatios (goal in brackets; MIXED = items under 64 KiB)\n";
  std::snprintf(buf, sizeof buf, "%-15s", "item");
  out << buf;
  for (const Ratio& r : kRatios) {
    std::snprintf(buf, sizeof buf, " %17s", r.label);
    out << buf;
  }
  out << "\n";
  for (const std::string& row : rows) {
    std::snprintf(buf, sizeof buf, "%-15s", row.c_str());
    out << buf;
    for (const Ratio& r : kRatios) {
      auto num = rate(r.numerator, row), den = rate(r.denominator, row);
      std::optional<double> ratio;
      if (num && den && *den > 0) ratio = *num / *den;
      std::string mark = "     ";
      if (ratio && r.goal > 0) {
        std::snprintf(buf, sizeof buf, " %-4s", *ratio >= r.goal ? "ok" : "MISS");
        mark = buf;
      }
      out << " " << cell(ratio, 12, 2) << mark;
    }
    out << "\n";
  }
  out << "\nGoals:";
  for (const Ratio& r : kRatios) {
    if (r.goal == 0) continue;
    int met = 0, measured = 0;
    for (const ItemSize& item : items) {
      auto num = find(rates, r.numerator, item.name), den = find(rates, r.denominator, item.name);
      if (!num || !den) continue;
      ++measured;
      met += *num >= r.goal * *den;
    }
    auto num = rate(r.numerator, "MIXED"), den = rate(r.denominator, "MIXED");
    std::snprintf(buf, sizeof buf, "\n  %-17s >= %.1fx: ", r.label, r.goal);
    out << buf;
    if (num && den)
      out << (*num >= r.goal * *den ? "met" : "MISSED") << " on MIXED (" << cell(*num / *den, 0, 2)
          << "x), met on " << met << " of " << measured << " items";
    else
      out << "not measured";
  }
  out << "\n";
}

}  // namespace distspec::bench
