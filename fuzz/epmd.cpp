// epmd: every EPMD request and reply parser. The first byte picks the parser (low nibble mod 7)
// and, for the listings, whether EOF was reached (bit 7). Invariants: a parsed message used at most the input; every
// shorter prefix of it asks for more bytes (or fails identically), never succeeds differently;
// encoding what was parsed and parsing that again gives the same message. Prefixes: every proper
// prefix of a parsed message is NeedMore (NAMES/DUMP replies at EOF are exempt: they end at EOF).
#include <cstddef>
#include <cstdint>

#include "distspec/proto/epmd.hpp"
#include "support/fuzz_check.hpp"

using namespace distspec::proto::epmd;
using Bytes = std::span<const std::uint8_t>;

namespace {
template <class Parse, class Encode>
void check(Bytes input, Parse parse, Encode encode, bool prefixes_need_more = true) {
  auto parsed = parse(input);
  if (!parsed.ok()) return;
  const std::size_t used = parsed->used;
  FUZZ_CHECK(used <= input.size());
  for (std::size_t cut = used > 64 ? used - 64 : 0; prefixes_need_more && cut < used; ++cut) {
    auto prefix = parse(input.first(cut));
    FUZZ_CHECK(!prefix.ok() && prefix.error().code == EpmdErrorCode::NeedMore);
  }
  auto bytes = encode(parsed->message);
  auto again = parse(Bytes(bytes));
  FUZZ_CHECK(again.ok() && again->message == parsed->message);
}

template <class T>
std::vector<std::uint8_t> unwrap(distspec::Result<std::vector<std::uint8_t>, T> r) {
  FUZZ_CHECK(r.ok());
  return std::move(r).value();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const Bytes input(data + 1, size - 1);
  const bool at_eof = data[0] & 0x80;
  switch ((data[0] & 0x0f) % 7) {
    case 0: check(input, parse_request, [](const Request& r) { return unwrap(encode_request(r)); }); break;
    case 1: check(input, parse_alive2_reply, encode_alive2_reply); break;
    case 2: check(input, parse_port2_reply, [](const Port2Reply& r) { return unwrap(encode_port2_reply(r)); }); break;
    case 3: check(input, [&](Bytes b) { return parse_names_reply(b, at_eof); }, encode_names_reply, !at_eof); break;
    case 4: check(input, [&](Bytes b) { return parse_dump_reply(b, at_eof); }, encode_dump_reply, !at_eof); break;
    case 5: check(input, parse_kill_reply, encode_kill_reply); break;
    default: check(input, parse_stop_reply, encode_stop_reply); break;
  }
  return 0;
}
