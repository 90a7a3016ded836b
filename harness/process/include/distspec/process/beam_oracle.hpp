// A real OTP runtime as an oracle for the term codec: the codec's tests ask it, and so does
// `distspec fuzz diff --against beam`.
//
// One long-lived `erl -noinput` process (no distribution, no epmd) answers requests over its
// stdin/stdout in 4-byte length-prefixed packets. Requests are batched: one packet carries many
// requests and one packet carries their replies, so thousands of checks cost a few round trips.
// The process is stopped when the oracle is destroyed (stdin closed, then killed if still alive).
// When it dies (a call throws "erl exited"), restart() starts a fresh one; a caller that means to
// survive that ignores SIGPIPE (the next write to the dead runtime's pipe raises it).
//
// Expressions are Erlang expression text evaluated with erl_eval on the BEAM side (no trailing
// dot needed), e.g. "{a, 1.5, <<1,2>>}", "list_to_pid(\"<0.1.0>\")", "make_ref()",
// "fun lists:map/2", "[compressed, {minor_version, 0}]". Note for [safe] tests: scanning an
// expression creates its atoms on the oracle node, so atoms meant to be "unknown" must never be
// written in expression text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace distspec::process {

using Bytes = std::vector<std::uint8_t>;

// binary_to_term(Bytes, [used] ++ [safe]) as the BEAM sees it.
struct BeamVerdict {
  bool accepted = false;
  std::size_t used = 0;   // bytes consumed, including the 131 (from [used])
  std::string printed;    // io_lib:format("~w", [T]) as bytes (what io:format writes in -noshell)
  Bytes reencoded;        // term_to_binary(T)
};

class BeamOracle {
 public:
  // Starts erl (a path, or a name looked up in PATH) and loads the oracle module; throws
  // std::runtime_error on failure.
  explicit BeamOracle(std::string erl_executable = "erl");
  ~BeamOracle();
  BeamOracle(const BeamOracle&) = delete;
  BeamOracle& operator=(const BeamOracle&) = delete;

  // term_to_binary(eval(expression), eval(options)). Throws std::runtime_error if the expression
  // or term_to_binary fails (the BEAM's error text is in the message).
  Bytes term_to_binary(std::string_view expression, std::string_view options = "[]");
  std::vector<Bytes> term_to_binary_batch(const std::vector<std::string>& expressions,
                                          std::string_view options = "[]");

  BeamVerdict binary_to_term(std::span<const std::uint8_t> bytes, bool safe = false);
  // print = false leaves BeamVerdict::printed empty (printing big terms is the slow part).
  std::vector<BeamVerdict> binary_to_term_batch(const std::vector<Bytes>& inputs,
                                                bool safe = false, bool print = true);

  // term_to_binary(binary_to_term(Bytes), eval(options)) for each input; throws if one fails.
  std::vector<Bytes> reencode_batch(const std::vector<Bytes>& inputs, std::string_view options);

  // ~w text of binary_to_term(bytes); throws if the BEAM rejects the bytes.
  std::string print_w(std::span<const std::uint8_t> bytes);
  // ~w text of eval(expression); throws if evaluation fails.
  std::string eval_print_w(std::string_view expression);

  // erlang:system_info(atom_count): accepted atoms stay for the life of the runtime, and a full
  // table (1 048 576 by default) stops it.
  std::size_t atom_count();
  // Stops the runtime (if it still runs) and starts a fresh one; throws as the constructor does.
  void restart();

  // Low level: one request per element, "t"/"b"/"r"/"w"/"e"/"a" packets as built by the helpers above.
  // A reply starts with a status byte: 0 ok, 1 exception (text follows), 2 binary_to_term badarg.
  std::vector<Bytes> call(const std::vector<Bytes>& requests);

 private:
  struct Process;
  void start();
  void stop();
  std::string erl_;
  std::unique_ptr<Process> process_;
};

}  // namespace distspec::process
