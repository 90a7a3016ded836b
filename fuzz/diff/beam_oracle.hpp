// binary_to_term/1 in one long-lived BEAM process, for differential fuzzing.
//
// The process (erl -noinput) reads length-prefixed requests on its standard input and answers on
// its standard output; it is started on first use, restarted after it dies or when its atom table
// fills up (every accepted atom stays for the life of the VM), and killed by the destructor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace distspec::fuzz {

struct BeamVerdict {
  bool accepted = false;
  std::size_t used = 0;                  // binary_to_term(B, [used])
  std::vector<std::uint8_t> reencoded;   // term_to_binary(T) of the decoded term
  std::string text;                      // io_lib:format("~w", [T])
};

class BeamOracle {
 public:
  explicit BeamOracle(std::string erl_executable = "erl");
  ~BeamOracle();
  BeamOracle(const BeamOracle&) = delete;
  BeamOracle& operator=(const BeamOracle&) = delete;

  // nullopt when the BEAM died on this input twice (it is restarted for the next one). Throws
  // std::runtime_error when it cannot be started.
  std::optional<BeamVerdict> binary_to_term(std::span<const std::uint8_t> bytes);
  std::size_t restarts() const { return restarts_; }

 private:
  struct Process;
  std::optional<std::vector<std::uint8_t>> request(std::span<const std::uint8_t> payload);
  void start();
  std::string erl_;
  std::unique_ptr<Process> process_;
  std::size_t requests_since_atom_check_ = 0;
  std::size_t restarts_ = 0;
};

}  // namespace distspec::fuzz
