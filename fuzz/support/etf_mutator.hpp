// Structure-aware mutation of External Term Format inputs.
//
// Used by libFuzzer's LLVMFuzzerCustomMutator (fuzz/etf_structured.cpp) and by
// `distspec fuzz diff`. An input that decodes is mutated as a tree (replace a subterm with an
// interesting value, nest it, duplicate/delete/swap elements, splice another subterm), encoded with
// random term_to_binary options, and then often re-encoded at one position the way only other
// encoders write it (another atom tag, INTEGER_EXT for a small integer, LIST_EXT for a string,
// legacy pid/ref tags, a grown or shrunk length or count, a swapped tag). Inputs that do not
// decode go to the byte-level fallback.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <random>

namespace distspec::fuzz {

// Mutates data[0, size) in place (at most max_size bytes) and returns the new size.
using ByteMutator = std::function<std::size_t(std::uint8_t* data, std::size_t size, std::size_t max_size)>;

std::size_t mutate_etf(std::uint8_t* data, std::size_t size, std::size_t max_size, std::uint64_t seed,
                       const ByteMutator& fallback);

// A plain byte mutator (flip, insert, erase, overwrite with an interesting byte), for callers
// without libFuzzer's LLVMFuzzerMutate.
std::size_t mutate_bytes(std::uint8_t* data, std::size_t size, std::size_t max_size, std::mt19937_64& rng);

}  // namespace distspec::fuzz
