// etf_bench: throughput of the etf codec against erl_interface on a corpus of BEAM-made terms,
// with binary_to_term/term_to_binary figures (measured by beam_b2t.escript in the same run)
// merged into the summary. bench/run drives the whole thing; see bench/README.md.
//
// Usage: etf_bench --corpus=DIR [--beam_rates=FILE] [Google Benchmark flags]
#include <benchmark/benchmark.h>

#include <cstring>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "corpus.hpp"
#include "distspec/etf/decode.hpp"
#include "distspec/etf/encode.hpp"
#include "distspec/etf/tape.hpp"
#include "summary.hpp"
#ifdef DISTSPEC_BENCH_HAVE_EI
#include "ei_codec.hpp"
#endif

namespace distspec::bench {
namespace {

struct Prepared {
  CorpusItem item;
  etf::Term term;  // decoded once, for the encoders
  bool has_term = false;
};

// Every op returns something derived from its work (so it cannot be optimised away), or -1 on
// failure, which skips that benchmark with an error instead of measuring nothing.
using OpFn = long (*)(const Prepared&);
struct Op {
  const char* name;
  OpFn run;
  bool needs_term;
};

const etf::DecodeOptions& view_options() {
  static const etf::DecodeOptions options = [] {
    etf::DecodeOptions o;
    o.binary_views = true;
    return o;
  }();
  return options;
}

// The fast model: a fresh tape per input (allocated and freed every iteration).
long decode_tape(const Prepared& p) {
  auto r = etf::decode_tape(p.item.bytes);
  return r.ok() ? long(r.value().used() + r.value().entries().size()) : -1;
}
// The same into one tape kept across inputs, as a connection's parser would keep it.
long decode_tape_reused(const Prepared& p) {
  static etf::TermTape tape;
  auto r = etf::decode_tape_into(tape, p.item.bytes, view_options());
  return r.ok() ? long(r.value() + tape.entries().size()) : -1;
}
long decode_views(const Prepared& p) {
  auto r = etf::decode(p.item.bytes, view_options());
  return r.ok() ? long(r.value().used) : -1;
}
long decode_copy(const Prepared& p) {
  auto r = etf::decode(p.item.bytes);
  return r.ok() ? long(r.value().used) : -1;
}
long validate(const Prepared& p) {
  auto r = etf::validate(p.item.bytes);
  return r.ok() ? long(r.value()) : -1;
}
long encode(const Prepared& p) { return long(etf::encode(p.term).size()); }

#ifdef DISTSPEC_BENCH_HAVE_EI
long ei_walk_views(const Prepared& p) { return ei_walk(p.item.bytes, false); }
long ei_walk_copy(const Prepared& p) { return ei_walk(p.item.bytes, true); }
long ei_skip_term(const Prepared& p) { return ei_skip(p.item.bytes); }
long ei_x_encode(const Prepared& p) { return ei_encode(p.term); }
#endif

// Column names in summary.cpp match these.
const Op kOps[] = {
    {"tape", decode_tape, false},
    {"tape_reuse", decode_tape_reused, false},
    {"term", decode_views, false},
    {"term_copy", decode_copy, false},
    {"validate", validate, false},
    {"encode", encode, true},
#ifdef DISTSPEC_BENCH_HAVE_EI
    {"ei_walk", ei_walk_views, false},
    {"ei_wcopy", ei_walk_copy, false},
    {"ei_skip", ei_skip_term, false},
    {"ei_enc", ei_x_encode, true},
#endif
};

void run_op(benchmark::State& state, const Op& op, const Prepared& p) {
  if (op.needs_term && !p.has_term) {
    state.SkipWithError("our decoder rejected this item, nothing to encode");
    return;
  }
  for (auto _ : state) {
    long result = op.run(p);
    if (result < 0) {
      state.SkipWithError("the codec failed on this item");
      break;
    }
    benchmark::DoNotOptimize(result);
  }
  state.SetBytesProcessed(std::int64_t(state.iterations()) * std::int64_t(p.item.bytes.size()));
}

// One line per item before the timings: whether each codec handles it, and whether our
// encoder gives BEAM's bytes back.
void check_corpus(std::vector<Prepared>& corpus) {
  std::cout << "Corpus check (decode used / tape used, entries / validate used / encode vs BEAM bytes"
#ifdef DISTSPEC_BENCH_HAVE_EI
            << " / ei_skip used / ei_walk / ei_x_encode size"
#endif
            << "):\n";
  for (Prepared& p : corpus) {
    const auto& bytes = p.item.bytes;
    std::cout << "  " << p.item.name << " (" << bytes.size() << " bytes): ";
    auto decoded = etf::decode(bytes);
    if (decoded.ok()) {
      p.term = std::move(decoded.value().term);
      p.has_term = true;
      std::cout << "decode " << decoded.value().used;
    } else {
      std::cout << "decode FAILED (" << etf::to_string(decoded.error().code) << " at "
                << decoded.error().offset << ")";
    }
    auto tape = etf::decode_tape(bytes);
    if (!tape.ok()) std::cout << ", tape FAILED (" << etf::to_string(tape.error().code) << ")";
    else if (p.has_term && !(tape->root().to_term() == p.term)) std::cout << ", tape DIFFERS";
    else std::cout << ", tape " << tape->used() << " (" << tape->entries().size() << " entries)";
    auto validated = etf::validate(bytes);
    if (validated.ok()) std::cout << ", validate " << validated.value();
    else std::cout << ", validate FAILED (" << etf::to_string(validated.error().code) << ")";
    if (p.has_term) {
      auto encoded = etf::encode(p.term);
      std::cout << (encoded == bytes ? ", encode identical" : ", encode DIFFERS");
    }
#ifdef DISTSPEC_BENCH_HAVE_EI
    std::cout << ", ei_skip " << ei_skip(bytes) << ", ei_walk "
              << (ei_walk(bytes, false) >= 0 ? "ok" : "FAILED");
    if (p.has_term) std::cout << ", ei_x_encode " << ei_encode(p.term);
#endif
    std::cout << "\n";
  }
}

}  // namespace
}  // namespace distspec::bench

int main(int argc, char** argv) {
  using namespace distspec::bench;
  std::string corpus_dir, beam_rates_path;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.starts_with("--corpus=")) corpus_dir = arg.substr(9);
    else if (arg.starts_with("--beam_rates=")) beam_rates_path = arg.substr(13);
    else args.push_back(argv[i]);
  }
  int count = int(args.size());
  benchmark::Initialize(&count, args.data());
  if (benchmark::ReportUnrecognizedArguments(count, args.data())) return 2;
  if (corpus_dir.empty()) {
    std::cerr << "usage: etf_bench --corpus=DIR [--beam_rates=FILE] [benchmark flags]\n";
    return 2;
  }

  std::vector<Prepared> corpus;
  try {
    for (CorpusItem& item : load_corpus(corpus_dir)) {
      Prepared p;
      p.item = std::move(item);
      corpus.push_back(std::move(p));
    }
  } catch (const std::exception& e) {
    std::cerr << "etf_bench: " << e.what() << "\n";
    return 1;
  }
#ifndef DISTSPEC_BENCH_HAVE_EI
  std::cout << "erl_interface was not found at configure time: ei columns are left out.\n";
#endif
  check_corpus(corpus);

  // Item-major order: the ops compared with each other run close together in time, so a
  // change in machine load skews them alike.
  for (const Prepared& p : corpus)
    for (const Op& op : kOps)
      benchmark::RegisterBenchmark((std::string(op.name) + "/" + p.item.name).c_str(),
                                   [&op, &p](benchmark::State& state) { run_op(state, op, p); });

  RateCollector reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);

  Rates rates = reporter.rates();
  if (!beam_rates_path.empty()) rates.merge(load_beam_rates(beam_rates_path));
  std::vector<ItemSize> sizes;
  for (const Prepared& p : corpus) sizes.push_back({p.item.name, p.item.bytes.size()});
  print_summary(std::cout, sizes, rates);
  benchmark::Shutdown();
  return 0;
}
