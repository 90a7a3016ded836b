// Takes parameters and chunks from a fuzz input, front to back (like LLVM's FuzzedDataProvider,
// which g++ builds lack). Reads past the end yield zeros / empty spans.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace distspec::fuzz {

class InputReader {
 public:
  InputReader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}

  bool empty() const { return pos_ >= size_; }
  std::size_t remaining() const { return size_ - pos_; }
  std::uint8_t byte() { return empty() ? 0 : data_[pos_++]; }
  bool flag() { return byte() & 1; }
  std::uint32_t u32() { return std::uint32_t(u16()) << 16 | u16(); }
  std::uint16_t u16() { return std::uint16_t(byte() << 8 | byte()); }
  std::uint64_t u64() { return std::uint64_t(u32()) << 32 | u32(); }
  std::span<const std::uint8_t> take(std::size_t n) {
    n = std::min(n, remaining());
    std::span<const std::uint8_t> out(data_ + pos_, n);
    pos_ += n;
    return out;
  }
  std::string string(std::size_t max) {
    auto s = take(byte() % (max + 1));
    return std::string(s.begin(), s.end());
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

}  // namespace distspec::fuzz
