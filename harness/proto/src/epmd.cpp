#include "distspec/proto/epmd.hpp"

#include <algorithm>
#include <charconv>

#include "handshake_bytes.hpp"

namespace distspec::proto::epmd {
namespace {

using Bytes = std::span<const std::uint8_t>;

EpmdError fail(EpmdErrorCode code, std::size_t offset) { return {code, offset}; }

bool valid_name(std::string_view name) {
  return !name.empty() && name.size() <= kMaxNameBytes && name.find('\0') == std::string_view::npos;
}

void put_node_entry(std::vector<std::uint8_t>& out, const NodeEntry& node) {
  wire::put16(out, node.port);
  wire::put8(out, node.node_type);
  wire::put8(out, node.protocol);
  wire::put16(out, node.highest_version);
  wire::put16(out, node.lowest_version);
  wire::put16(out, std::uint16_t(node.name.size()));
  wire::put_text(out, node.name);
  wire::put16(out, std::uint16_t(node.extra.size()));
  wire::put_text(out, node.extra);
}

// Parses the NodeEntry fields at b[at..] (ALIVE2_REQ body after the tag, or PORT2_RESP after the
// result byte). `end` is where the enclosing frame ends; NeedMore when end is the input's end and
// the entry runs past it.
Result<NodeEntry, EpmdError> parse_node_entry(Bytes b, std::size_t at, std::size_t end,
                                              EpmdErrorCode short_code) {
  if (end < at + 10) return fail(short_code, end);
  NodeEntry node;
  node.port = wire::get16(b, at);
  node.node_type = b[at + 2];
  node.protocol = b[at + 3];
  node.highest_version = wire::get16(b, at + 4);
  node.lowest_version = wire::get16(b, at + 6);
  const std::size_t name_len = wire::get16(b, at + 8);
  if (name_len > kMaxNameBytes) return fail(EpmdErrorCode::BadName, at + 8);
  if (end < at + 10 + name_len + 2) return fail(short_code, end);
  node.name = std::string(wire::text_at(b, at + 10, name_len));
  if (!valid_name(node.name)) return fail(EpmdErrorCode::BadName, at + 10);
  const std::size_t extra_at = at + 10 + name_len;
  const std::size_t extra_len = wire::get16(b, extra_at);
  if (extra_len > kMaxExtraBytes) return fail(EpmdErrorCode::BadExtra, extra_at);
  if (end < extra_at + 2 + extra_len) return fail(short_code, end);
  node.extra = std::string(wire::text_at(b, extra_at + 2, extra_len));
  return node;
}

Result<std::uint16_t, EpmdError> parse_port_number(std::string_view text, std::size_t offset) {
  std::uint16_t port = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty())
    return fail(EpmdErrorCode::BadListing, offset);
  return port;
}

// Shared head of NAMES/DUMP replies: 4-byte port, bounded size.
Result<std::uint32_t, EpmdError> listing_head(Bytes b) {
  if (b.size() > kMaxListingBytes) return fail(EpmdErrorCode::TooLarge, kMaxListingBytes);
  if (b.size() < 4) return fail(EpmdErrorCode::NeedMore, b.size());
  return wire::get32(b, 0);
}

Result<Parsed<bool>, EpmdError> parse_word_reply(Bytes b, std::string_view yes,
                                                 std::string_view no) {
  const std::size_t n = yes.size();
  const std::size_t have = std::min(b.size(), n);
  const std::string_view got = wire::text_at(b, 0, have);
  if (got != yes.substr(0, have) && got != no.substr(0, have))
    return fail(EpmdErrorCode::BadResult, 0);
  if (have < n) return fail(EpmdErrorCode::NeedMore, b.size());
  if (b.size() > n) return fail(EpmdErrorCode::TrailingBytes, n);
  return Parsed<bool>{got == yes, n};
}

}  // namespace

std::string_view to_string(EpmdErrorCode code) {
  switch (code) {
    case EpmdErrorCode::NeedMore: return "incomplete message";
    case EpmdErrorCode::BadLength: return "bad request length";
    case EpmdErrorCode::UnknownTag: return "unknown tag";
    case EpmdErrorCode::BadName: return "bad node name (empty, NUL, or over 1020 bytes)";
    case EpmdErrorCode::BadExtra: return "extra field over 1020 bytes";
    case EpmdErrorCode::BadResult: return "bad result code";
    case EpmdErrorCode::BadListing: return "malformed names/dump listing";
    case EpmdErrorCode::TooLarge: return "listing over the size limit";
    case EpmdErrorCode::TrailingBytes: return "bytes after the reply";
  }
  return "unknown epmd error";
}

std::string_view request_name(const Request& request) {
  static constexpr std::string_view names[] = {"ALIVE2_REQ", "PORT_PLEASE2_REQ", "NAMES_REQ",
                                               "DUMP_REQ",   "KILL_REQ",         "STOP_REQ"};
  return names[request.index()];
}

Result<std::vector<std::uint8_t>, EpmdError> encode_request(const Request& request) {
  std::vector<std::uint8_t> out{0, 0};
  if (const auto* alive = std::get_if<Alive2Request>(&request)) {
    if (!valid_name(alive->node.name)) return fail(EpmdErrorCode::BadName, 0);
    if (alive->node.extra.size() > kMaxExtraBytes) return fail(EpmdErrorCode::BadExtra, 0);
    wire::put8(out, std::uint8_t(Tag::Alive2Req));
    put_node_entry(out, alive->node);
  } else if (const auto* port = std::get_if<PortPlease2Request>(&request)) {
    if (!valid_name(port->name)) return fail(EpmdErrorCode::BadName, 0);
    wire::put8(out, std::uint8_t(Tag::PortPlease2Req));
    wire::put_text(out, port->name);
  } else if (const auto* stop = std::get_if<StopRequest>(&request)) {
    if (!valid_name(stop->name)) return fail(EpmdErrorCode::BadName, 0);
    wire::put8(out, std::uint8_t(Tag::StopReq));
    wire::put_text(out, stop->name);
  } else if (std::holds_alternative<NamesRequest>(request)) {
    wire::put8(out, std::uint8_t(Tag::NamesReq));
  } else if (std::holds_alternative<DumpRequest>(request)) {
    wire::put8(out, std::uint8_t(Tag::DumpReq));
  } else {
    wire::put8(out, std::uint8_t(Tag::KillReq));
  }
  wire::patch_length16(out, 0);
  return out;
}

Result<Parsed<Request>, EpmdError> parse_request(Bytes b) {
  if (b.size() < 2) return fail(EpmdErrorCode::NeedMore, b.size());
  const std::size_t len = wire::get16(b, 0);
  if (len == 0 || len > kMaxRequestLength) return fail(EpmdErrorCode::BadLength, 0);
  if (b.size() < 2 + len) return fail(EpmdErrorCode::NeedMore, b.size());
  const std::size_t end = 2 + len;
  const std::size_t used = end;
  auto name_to_end = [&](std::size_t at) -> Result<std::string, EpmdError> {
    std::string_view name = wire::text_at(b, at, end - at);
    if (!name.empty() && name.back() == '\0') name.remove_suffix(1);  // tolerated, as epmd does
    if (!valid_name(name)) return fail(EpmdErrorCode::BadName, at);
    return std::string(name);
  };
  switch (Tag(b[2])) {
    case Tag::Alive2Req: {
      // The daemon's checks: body > 13 bytes, Nlen and Elen inside the body; trailing bytes ignored.
      auto node = parse_node_entry(b, 3, end, EpmdErrorCode::BadLength);
      if (!node) return node.error();
      return Parsed<Request>{Alive2Request{std::move(node.value())}, used};
    }
    case Tag::PortPlease2Req: {
      auto name = name_to_end(3);
      if (!name) return name.error();
      return Parsed<Request>{PortPlease2Request{std::move(name.value())}, used};
    }
    case Tag::StopReq: {
      auto name = name_to_end(3);
      if (!name) return name.error();
      return Parsed<Request>{StopRequest{std::move(name.value())}, used};
    }
    case Tag::NamesReq: return Parsed<Request>{NamesRequest{}, used};
    case Tag::DumpReq: return Parsed<Request>{DumpRequest{}, used};
    case Tag::KillReq: return Parsed<Request>{KillRequest{}, used};
    default: return fail(EpmdErrorCode::UnknownTag, 2);
  }
}

std::vector<std::uint8_t> encode_alive2_reply(const Alive2Reply& reply) {
  std::vector<std::uint8_t> out;
  wire::put8(out, std::uint8_t(reply.extended ? Tag::Alive2XResp : Tag::Alive2Resp));
  wire::put8(out, reply.result);
  if (reply.extended)
    wire::put32(out, reply.creation);
  else
    wire::put16(out, std::uint16_t(reply.creation));
  return out;
}

Result<Parsed<Alive2Reply>, EpmdError> parse_alive2_reply(Bytes b) {
  if (b.empty()) return fail(EpmdErrorCode::NeedMore, 0);
  const bool extended = b[0] == std::uint8_t(Tag::Alive2XResp);
  if (!extended && b[0] != std::uint8_t(Tag::Alive2Resp)) return fail(EpmdErrorCode::UnknownTag, 0);
  const std::size_t size = extended ? 6 : 4;
  if (b.size() < size) return fail(EpmdErrorCode::NeedMore, b.size());
  // No trailing-bytes check: the registration socket stays open and epmd sends nothing more,
  // so the caller decides what to make of extra bytes.
  Alive2Reply reply{b[1], extended ? wire::get32(b, 2) : wire::get16(b, 2), extended};
  return Parsed<Alive2Reply>{reply, size};
}

Result<std::vector<std::uint8_t>, EpmdError> encode_port2_reply(const Port2Reply& reply) {
  std::vector<std::uint8_t> out;
  wire::put8(out, std::uint8_t(Tag::Port2Resp));
  wire::put8(out, reply.result);
  if (reply.result != 0) return out;
  if (!valid_name(reply.node.name)) return fail(EpmdErrorCode::BadName, 0);
  if (reply.node.extra.size() > kMaxExtraBytes) return fail(EpmdErrorCode::BadExtra, 0);
  put_node_entry(out, reply.node);
  return out;
}

Result<Parsed<Port2Reply>, EpmdError> parse_port2_reply(Bytes b) {
  if (b.empty()) return fail(EpmdErrorCode::NeedMore, 0);
  if (b[0] != std::uint8_t(Tag::Port2Resp)) return fail(EpmdErrorCode::UnknownTag, 0);
  if (b.size() < 2) return fail(EpmdErrorCode::NeedMore, 1);
  Port2Reply reply;
  reply.result = b[1];
  std::size_t used = 2;
  if (reply.result == 0) {
    auto node = parse_node_entry(b, 2, b.size(), EpmdErrorCode::NeedMore);
    if (!node) return node.error();
    reply.node = std::move(node.value());
    used = 2 + 10 + reply.node.name.size() + 2 + reply.node.extra.size();
  }
  if (b.size() > used) return fail(EpmdErrorCode::TrailingBytes, used);  // epmd closes after it
  return Parsed<Port2Reply>{std::move(reply), used};
}

std::vector<std::uint8_t> encode_names_reply(const NamesReply& reply) {
  std::vector<std::uint8_t> out;
  wire::put32(out, reply.epmd_port);
  for (const auto& node : reply.nodes)
    wire::put_text(out, "name " + node.name + " at port " + std::to_string(node.port) + "\n");
  return out;
}

Result<Parsed<NamesReply>, EpmdError> parse_names_reply(Bytes b, bool at_eof) {
  auto head = listing_head(b);
  if (!head) return at_eof && head.error().code == EpmdErrorCode::NeedMore
                        ? fail(EpmdErrorCode::BadListing, b.size())
                        : head.error();
  NamesReply reply;
  reply.epmd_port = head.value();
  std::size_t at = 4;
  while (at < b.size()) {
    const auto nl = std::find(b.begin() + at, b.end(), std::uint8_t('\n'));
    if (nl == b.end()) {
      if (!at_eof) return fail(EpmdErrorCode::NeedMore, b.size());
      return fail(EpmdErrorCode::BadListing, at);  // last line without its newline
    }
    const std::size_t line_end = std::size_t(nl - b.begin());
    const std::string_view line = wire::text_at(b, at, line_end - at);
    // `name <Name> at port <Port>`; a name could hold " at port ", so split at the last one.
    constexpr std::string_view prefix = "name ", middle = " at port ";
    const auto split = line.rfind(middle);
    if (!line.starts_with(prefix) || split == std::string_view::npos || split < prefix.size())
      return fail(EpmdErrorCode::BadListing, at);
    const std::string_view name = line.substr(prefix.size(), split - prefix.size());
    if (!valid_name(name)) return fail(EpmdErrorCode::BadListing, at + prefix.size());
    auto port = parse_port_number(line.substr(split + middle.size()), at + split + middle.size());
    if (!port) return port.error();
    reply.nodes.push_back({std::string(name), port.value()});
    at = line_end + 1;
  }
  if (!at_eof) return fail(EpmdErrorCode::NeedMore, b.size());
  return Parsed<NamesReply>{std::move(reply), b.size()};
}

std::string format_names(const NamesReply& reply) {
  std::string out = "epmd: up and running on port " + std::to_string(reply.epmd_port) +
                    " with data:\n";
  for (const auto& node : reply.nodes)
    out += "name " + node.name + " at port " + std::to_string(node.port) + "\n";
  return out;
}

std::vector<std::uint8_t> encode_dump_reply(const DumpReply& reply) {
  std::vector<std::uint8_t> out;
  wire::put32(out, reply.epmd_port);
  for (const auto& record : reply.records) {
    wire::put_text(out, record);
    wire::put8(out, 0);
  }
  return out;
}

Result<Parsed<DumpReply>, EpmdError> parse_dump_reply(Bytes b, bool at_eof) {
  auto head = listing_head(b);
  if (!head) return at_eof && head.error().code == EpmdErrorCode::NeedMore
                        ? fail(EpmdErrorCode::BadListing, b.size())
                        : head.error();
  if (!at_eof) return fail(EpmdErrorCode::NeedMore, b.size());
  DumpReply reply;
  reply.epmd_port = head.value();
  std::size_t at = 4;
  while (at < b.size()) {
    const auto nul = std::find(b.begin() + at, b.end(), std::uint8_t(0));
    if (nul == b.end()) return fail(EpmdErrorCode::BadListing, at);
    const std::size_t record_end = std::size_t(nul - b.begin());
    reply.records.emplace_back(wire::text_at(b, at, record_end - at));
    at = record_end + 1;
  }
  return Parsed<DumpReply>{std::move(reply), b.size()};
}

std::vector<std::uint8_t> encode_kill_reply(bool killed) {
  const std::string_view word = killed ? "OK" : "NO";
  return {word.begin(), word.end()};
}

Result<Parsed<bool>, EpmdError> parse_kill_reply(Bytes b) { return parse_word_reply(b, "OK", "NO"); }

std::vector<std::uint8_t> encode_stop_reply(bool stopped) {
  const std::string_view word = stopped ? "STOPPED" : "NOEXIST";
  return {word.begin(), word.end()};
}

Result<Parsed<bool>, EpmdError> parse_stop_reply(Bytes b) {
  return parse_word_reply(b, "STOPPED", "NOEXIST");
}

std::uint16_t negotiate_version(std::uint16_t own_lowest, std::uint16_t own_highest,
                                std::uint16_t peer_lowest, std::uint16_t peer_highest) {
  // erl_epmd:select_best_version/4
  if (own_lowest > peer_highest || peer_lowest > own_highest) return 0;
  return std::min(own_highest, peer_highest);
}

}  // namespace distspec::proto::epmd
