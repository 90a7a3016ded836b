// --record-corpus DIR: every handshake message and every term a node sees, one file each, named
// by the SHA-256 of the content (so repeats collapse), for the fuzzers' seed corpora (issue 5).
//
// Layout: DIR/handshake/<hash> holds one handshake message as framed on the wire ([Len:16] +
// payload), DIR/term/<hash> one term in external format (starting with 131): the control tuple
// and the payload of each distribution message, sent or received.
#pragma once

#include <cstdint>
#include <mutex>
#include <span>
#include <string>

#include "distspec/etf/term.hpp"

namespace distspec::node {

// The name a corpus or finding file gets: the SHA-256 of its content, in hex.
std::string content_hash_name(std::span<const std::uint8_t> bytes);

class CorpusRecorder {
 public:
  explicit CorpusRecorder(std::string dir);

  void record_handshake_message(std::span<const std::uint8_t> framed);
  // Splits a stream of 2-byte-framed handshake messages (as written or read) and records each
  // complete one; partial messages are buffered per stream in `pending`.
  void record_handshake_stream(std::span<const std::uint8_t> bytes, std::string& pending);
  void record_term(const etf::Term& term);

  std::size_t files_written() const { return written_; }

 private:
  void write(const std::string& kind, std::span<const std::uint8_t> bytes);
  std::string dir_;
  std::mutex mutex_;
  std::size_t written_ = 0;
};

}  // namespace distspec::node
