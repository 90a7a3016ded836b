// Every term of the captured distribution traffic prints (etf::format) as BEAM's ~w prints it.
// Pids, ports, references and funs print in a form of our own (etf/text.hpp), so they are
// replaced by atoms on both sides before the comparison; everything around them is compared.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "distspec/etf/encode.hpp"
#include "distspec/etf/text.hpp"
#include "distspec/proto/connection.hpp"
#include "support/connection_vectors.hpp"

namespace distspec::proto {
namespace {

using Bytes = std::vector<std::uint8_t>;
using etf::Term;
using Kind = Term::Kind;

// The term with every pid/port/reference/fun replaced by an atom naming its kind.
Term scrub(const Term& t) {
  switch (t.kind()) {
    case Kind::Pid: return Term::atom("#pid");
    case Kind::Port: return Term::atom("#port");
    case Kind::Reference: return Term::atom("#ref");
    case Kind::LocalFun: case Kind::ExportFun: return Term::atom("#fun");
    case Kind::Tuple: {
      std::vector<Term> e;
      for (const auto& x : t.as_tuple().elements) e.push_back(scrub(x));
      return Term::tuple(std::move(e));
    }
    case Kind::List: {
      std::vector<Term> e;
      for (const auto& x : t.as_list().elements) e.push_back(scrub(x));
      return Term::list(std::move(e), scrub(*t.as_list().tail));
    }
    case Kind::Map: {
      std::vector<std::pair<Term, Term>> pairs;
      for (const auto& [k, v] : t.as_map().pairs) pairs.emplace_back(scrub(k), scrub(v));
      return Term::map(std::move(pairs));
    }
    default: return t;
  }
}

// ~w of each term, from one `erl -noshell` run: terms go in as term_to_binary files, texts come
// back length-prefixed.
std::vector<std::string> beam_print_w(const std::vector<Term>& terms) {
  auto dir = std::filesystem::temp_directory_path() /
             ("distspec_conn_vectors_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto in = dir / "terms.bin", out = dir / "printed.bin";
  {
    std::ofstream f(in, std::ios::binary);
    for (const auto& t : terms) {
      Bytes b = etf::encode(t);
      std::uint8_t len[4] = {std::uint8_t(b.size() >> 24), std::uint8_t(b.size() >> 16),
                             std::uint8_t(b.size() >> 8), std::uint8_t(b.size())};
      f.write(reinterpret_cast<const char*>(len), 4);
      f.write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
    }
  }
  std::string script =
      "{ok,B}=file:read_file(\"" + in.string() + "\"),"
      "F=fun G(<<L:32,T:L/binary,R/binary>>)->"
      "S=unicode:characters_to_binary(io_lib:format(\"~w\",[binary_to_term(T)])),"
      "[<<(byte_size(S)):32>>,S|G(R)];G(<<>>)->[] end,"
      "ok=file:write_file(\"" + out.string() + "\",F(B)),halt().";
  std::string command = std::string(ERL_EXECUTABLE) + " -noshell -noinput -eval '" + script +
                        "' </dev/null";
  int rc = std::system(command.c_str());
  std::vector<std::string> texts;
  std::ifstream f(out, std::ios::binary);
  Bytes all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  for (std::size_t at = 0; at + 4 <= all.size();) {
    std::size_t len = (std::size_t(all[at]) << 24) | (std::size_t(all[at + 1]) << 16) |
                      (std::size_t(all[at + 2]) << 8) | all[at + 3];
    texts.emplace_back(all.begin() + at + 4, all.begin() + at + 4 + len);
    at += 4 + len;
  }
  std::filesystem::remove_all(dir);
  EXPECT_EQ(rc, 0) << command;
  return texts;
}

TEST(ConnectionVectorsBeam, EveryTermPrintsAsBeamPrintsIt) {
  std::vector<Term> terms;
  for (const auto& d : testing::connected_directions_from_captures()) {
    ConnectionReceiver rx(ReceiverOptions{.mode = d.mode});
    std::span<const std::uint8_t> rest(d.stream);
    while (!rest.empty()) {
      auto n = rx.put(rest);
      ASSERT_TRUE(n.ok()) << d.label << ": " << to_string(n.error().code);
      rest = rest.subspan(n.value());
      auto event = rx.take();
      if (!event || !std::holds_alternative<MessageEvent>(*event)) continue;
      const auto& message = std::get<MessageEvent>(*event).message;
      terms.push_back(scrub(to_term(message.control)));
      if (message.payload) terms.push_back(scrub(*message.payload));
    }
  }
  ASSERT_GT(terms.size(), 10u);
  auto printed = beam_print_w(terms);
  ASSERT_EQ(printed.size(), terms.size());
  for (std::size_t i = 0; i < terms.size(); ++i) EXPECT_EQ(etf::format(terms[i]), printed[i]);
  std::printf("%zu terms compared with BEAM's ~w\n", terms.size());
}

}  // namespace
}  // namespace distspec::proto
