// The oracle itself: answers come from the real BEAM (values checked against spec §4 bytes).
// ctest runs each TEST in its own process (one erl boot each), so checks are grouped in few TESTs.
#include "distspec/process/beam_oracle.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <csignal>
#include <string>

namespace distspec::process {
namespace {

BeamOracle& shared_beam_oracle() {
  static BeamOracle oracle(ERL_EXECUTABLE);
  return oracle;
}

TEST(BeamOracle, AnswersSingleRequests) {
  auto& beam = shared_beam_oracle();
  EXPECT_EQ(beam.term_to_binary("a"), (Bytes{131, 100, 0, 1, 97}));
  EXPECT_EQ(beam.term_to_binary("1.0", "[{minor_version, 1}]"),
            (Bytes{131, 70, 63, 240, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(beam.term_to_binary("<<255, 1:3>>"), (Bytes{131, 77, 0, 0, 0, 2, 3, 255, 32}));
  EXPECT_THROW(beam.term_to_binary("{"), std::runtime_error);

  Bytes trailing{131, 97, 1, 0};
  auto v = beam.binary_to_term(trailing);
  ASSERT_TRUE(v.accepted);
  EXPECT_EQ(v.used, 3u);
  EXPECT_EQ(v.printed, "1");
  EXPECT_EQ(v.reencoded, (Bytes{131, 97, 1}));
  EXPECT_FALSE(beam.binary_to_term(Bytes{131, 117}).accepted);
  EXPECT_FALSE(beam.binary_to_term(Bytes{130, 97, 1}).accepted);
}

TEST(BeamOracle, BatchesKeepOrder) {
  auto& beam = shared_beam_oracle();
  std::vector<std::string> exprs;
  for (int i = 0; i < 300; ++i) exprs.push_back(std::to_string(i));
  auto encoded = beam.term_to_binary_batch(exprs);
  ASSERT_EQ(encoded.size(), 300u);
  EXPECT_EQ(encoded[5], (Bytes{131, 97, 5}));
  EXPECT_EQ(encoded[299], (Bytes{131, 98, 0, 0, 1, 43}));
  auto verdicts = beam.binary_to_term_batch(encoded);
  ASSERT_EQ(verdicts.size(), 300u);
  for (int i = 0; i < 300; ++i) EXPECT_EQ(verdicts[i].printed, std::to_string(i));

  EXPECT_EQ(beam.eval_print_w("list_to_atom([955])"), "'\\x{3BB}'");
  EXPECT_EQ(beam.eval_print_w("list_to_atom([228])"), "\xE4");
  EXPECT_EQ(beam.print_w(beam.term_to_binary("\"abc\"")), "[97,98,99]");
  EXPECT_THROW(beam.print_w(Bytes{131}), std::runtime_error);

  // An atom name never written as text anywhere (text would create it on the oracle node).
  Bytes fresh{131, 100, 0, 6, 'q', 'z', '9', 'x', '7', 'w'};
  EXPECT_FALSE(beam.binary_to_term(fresh, /*safe=*/true).accepted);
  EXPECT_TRUE(beam.binary_to_term(Bytes{131, 100, 0, 2, 'o', 'k'}, /*safe=*/true).accepted);
}

// What `distspec fuzz diff` relies on: atoms created by decoding are counted, and a runtime that
// died is replaced by restart().
TEST(BeamOracle, CountsAtomsAndRestartsAfterDying) {
  std::signal(SIGPIPE, SIG_IGN);  // the write to the dead runtime fails with EPIPE instead
  BeamOracle beam(ERL_EXECUTABLE);
  const std::size_t before = beam.atom_count();
  EXPECT_GT(before, 1000u);  // the runtime's own atoms
  Bytes fresh{131, 100, 0, 6, 'k', 'v', '3', 'j', 'x', 'q'};
  ASSERT_TRUE(beam.binary_to_term(fresh).accepted);
  const std::size_t after = beam.atom_count();
  EXPECT_GT(after, before);

  const int pid = std::stoi(beam.eval_print_w("list_to_integer(os:getpid())"));
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  EXPECT_THROW(beam.binary_to_term(fresh), std::runtime_error);
  beam.restart();
  EXPECT_LE(beam.atom_count(), before);  // a fresh runtime: the decoded atom is gone
  EXPECT_TRUE(beam.binary_to_term(fresh).accepted);
}

}  // namespace
}  // namespace distspec::process
