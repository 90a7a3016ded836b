// The benchmark corpus: BEAM-made term_to_binary outputs, one per file (see make_corpus.escript).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace distspec::bench {

struct CorpusItem {
  std::string name;  // file stem without its NN_ order prefix, e.g. "json_docs"
  std::vector<std::uint8_t> bytes;
};

// Reads DIR/*.etf in file-name order. Throws std::runtime_error if DIR holds none.
std::vector<CorpusItem> load_corpus(const std::string& dir);

}  // namespace distspec::bench
