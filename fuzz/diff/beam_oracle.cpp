#include "diff/beam_oracle.hpp"

#include <boost/process.hpp>
#include <stdexcept>

namespace distspec::fuzz {
namespace bp = boost::process;

namespace {
// Requests: <<0, Bytes/binary>> decode; <<1>> atom count. Replies: <<0, Used:32, Len:32,
// T2B:Len/binary, Text/binary>> accepted, <<1>> rejected, <<Count:32>> atom count.
constexpr const char* kOracleLoop = R"erl(
P = open_port({fd, 0, 1}, [binary, {packet, 4}, eof]),
Loop = fun Loop() ->
  receive
    {P, {data, <<0, B/binary>>}} ->
      R = try binary_to_term(B, [used]) of
            {T, U} ->
              E = term_to_binary(T),
              <<0, U:32, (byte_size(E)):32, E/binary, (iolist_to_binary(io_lib:format("~w", [T])))/binary>>
          catch _:_ -> <<1>>
          end,
      P ! {self(), {command, R}}, Loop();
    {P, {data, <<1>>}} ->
      P ! {self(), {command, <<(erlang:system_info(atom_count)):32>>}}, Loop();
    {P, eof} -> halt(0)
  end
end,
Loop().
)erl";

// Atoms never die; restart the VM well before its table (1 048 576 by default) fills.
constexpr std::size_t kAtomRestartThreshold = 500'000;
constexpr std::size_t kAtomCheckEvery = 2'000;
}  // namespace

struct BeamOracle::Process {
  bp::opstream to;
  bp::ipstream from;
  bp::child child;
};

BeamOracle::BeamOracle(std::string erl_executable) : erl_(std::move(erl_executable)) {}

BeamOracle::~BeamOracle() {
  if (process_ && process_->child.running()) {
    std::error_code ec;
    process_->child.terminate(ec);
  }
}

void BeamOracle::start() {
  if (process_) {
    std::error_code ec;
    process_->child.terminate(ec);
    ++restarts_;
  }
  process_ = std::make_unique<Process>();
  auto exe = erl_.find('/') == std::string::npos ? bp::search_path(erl_) : boost::filesystem::path(erl_);
  if (exe.empty()) throw std::runtime_error("cannot find " + erl_);
  // -noinput keeps the runtime's stdin reader off fd 0 (the oracle's port owns it; -noshell
  // would let it steal the requests); the logger writes to stderr so only packets reach fd 1.
  process_->child = bp::child(exe, "-noinput", "-kernel", "logger",
                              "[{handler,default,logger_std_h,#{config=>#{type=>standard_error}}}]",
                              "-eval", kOracleLoop,
                              bp::std_in < process_->to, bp::std_out > process_->from, bp::std_err > bp::null);
}

std::optional<std::vector<std::uint8_t>> BeamOracle::request(std::span<const std::uint8_t> payload) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!process_ || !process_->child.running()) start();
    const std::uint32_t n = payload.size();
    const char header[4] = {char(n >> 24), char(n >> 16), char(n >> 8), char(n)};
    process_->to.write(header, 4);
    process_->to.write(reinterpret_cast<const char*>(payload.data()), payload.size());
    process_->to.flush();
    unsigned char len[4];
    if (process_->from.read(reinterpret_cast<char*>(len), 4)) {
      const std::size_t reply_size = (std::size_t(len[0]) << 24) | (len[1] << 16) | (len[2] << 8) | len[3];
      std::vector<std::uint8_t> reply(reply_size);
      if (process_->from.read(reinterpret_cast<char*>(reply.data()), reply_size)) return reply;
    }
    process_.reset();  // died (or its pipe broke): start a fresh one and ask again
    ++restarts_;
  }
  return std::nullopt;
}

std::optional<BeamVerdict> BeamOracle::binary_to_term(std::span<const std::uint8_t> bytes) {
  if (++requests_since_atom_check_ >= kAtomCheckEvery) {
    requests_since_atom_check_ = 0;
    const std::uint8_t ask = 1;
    auto reply = request({&ask, 1});
    const std::vector<std::uint8_t> count = reply ? *reply : std::vector<std::uint8_t>{};
    if (count.size() == 4 &&
        ((std::size_t(count[0]) << 24) | (count[1] << 16) | (count[2] << 8) | count[3]) > kAtomRestartThreshold)
      start();
  }
  std::vector<std::uint8_t> payload{0};
  payload.insert(payload.end(), bytes.begin(), bytes.end());
  auto answer = request(payload);
  if (!answer) return std::nullopt;
  const std::vector<std::uint8_t>& reply = *answer;
  BeamVerdict v;
  if (reply.size() >= 9 && reply[0] == 0) {
    auto be32 = [&](std::size_t at) {
      return (std::size_t(reply[at]) << 24) | (reply[at + 1] << 16) | (reply[at + 2] << 8) | reply[at + 3];
    };
    const std::size_t t2b_size = be32(5);
    if (9 + t2b_size > reply.size()) return std::nullopt;
    v.accepted = true;
    v.used = be32(1);
    v.reencoded.assign(reply.begin() + 9, reply.begin() + 9 + t2b_size);
    v.text.assign(reply.begin() + 9 + t2b_size, reply.end());
  }
  return v;
}

}  // namespace distspec::fuzz
