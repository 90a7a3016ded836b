// The summary printed after the benchmarks: throughput per corpus item and the ratios the
// issue sets as goals (decode vs ei's walk and binary_to_term, validate vs ei_skip_term,
// encode vs ei_x_encode).
#pragma once

#include <benchmark/benchmark.h>

#include <cstddef>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace distspec::bench {

// MB/s (10^6 bytes per second) keyed by "<op>/<item>", e.g. "decode/json_docs".
using Rates = std::map<std::string, double>;

// Console output as usual, and each benchmark's bytes/s kept for the summary.
class RateCollector : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override;
  const Rates& rates() const { return rates_; }

 private:
  Rates rates_;
};

// Reads the BEAM script's output: lines "<op> <item> <MB/s>". Missing file: empty.
Rates load_beam_rates(const std::string& path);

struct ItemSize {
  std::string name;
  std::size_t bytes;
};

// Prints the throughput table and the goals table. Rows: each item, then MIXED (items under
// 64 KiB) and ALL, as total bytes / total time of the items' runs.
void print_summary(std::ostream& out, const std::vector<ItemSize>& items, const Rates& rates);

}  // namespace distspec::bench
