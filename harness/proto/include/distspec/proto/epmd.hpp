// EPMD requests and replies (spec/epmd.md), sans-I/O: encoders build bytes, parsers take the bytes
// received so far and either return a message with the number of bytes it used, or an error with
// a reason and a byte offset. EpmdErrorCode::NeedMore means "read more and call again with all
// bytes received so far"; every other code is final.
//
// Requests travel as [Len:16][Tag][...]; replies are not framed: the reader must know which reply
// it expects (NAMES and DUMP replies run to EOF, so their parsers take an `at_eof` flag).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "distspec/etf/result.hpp"

namespace distspec::proto::epmd {

inline constexpr std::uint16_t kDefaultPort = 4369;  // ERL_EPMD_PORT overrides it

// Limits, from the OTP 25.2.3 daemon (epmd_int.h):
// MAXSYMLEN = 255 * 4: a name of 255 UTF-8 characters; epmd refuses longer names and extras.
inline constexpr std::size_t kMaxNameBytes = 1020;
inline constexpr std::size_t kMaxExtraBytes = 1020;
// INBUF_SIZE = 3 * MAXSYMLEN: epmd drops a request with Len + 2 >= 3060.
inline constexpr std::size_t kMaxRequestLength = 3057;
// NAMES/DUMP replies grow with the number of registered nodes; no real host comes near 1 MiB
// (~20k nodes), and the bound keeps a hostile "epmd" from making us buffer without end.
inline constexpr std::size_t kMaxListingBytes = 1 << 20;

enum class Tag : std::uint8_t {
  Alive2Req = 'x',
  Alive2XResp = 'v',
  Alive2Resp = 'y',
  PortPlease2Req = 'z',
  Port2Resp = 'w',
  NamesReq = 'n',
  DumpReq = 'd',
  KillReq = 'k',
  StopReq = 's',
};

inline constexpr std::uint8_t kNodeTypeNormal = 77;  // 'M'; OTP 25 sends it for hidden nodes too
inline constexpr std::uint8_t kNodeTypeHidden = 72;  // 'H'
inline constexpr std::uint8_t kProtocolTcp = 0;

enum class EpmdErrorCode : std::uint8_t {
  NeedMore,       // the message is not complete yet: read more, call again with all bytes
  BadLength,      // request Len 0 or over kMaxRequestLength; or a length field past the frame
  UnknownTag,     // first byte is not a tag this message may have
  BadName,        // empty, contains NUL, or over kMaxNameBytes
  BadExtra,       // Extra over kMaxExtraBytes
  BadResult,      // a result code this reply cannot carry
  BadListing,     // a NAMES line that is not `name <N> at port <P>`; truncated DUMP record
  TooLarge,       // a NAMES/DUMP reply over kMaxListingBytes
  TrailingBytes,  // bytes after a reply that has a fixed size
};

std::string_view to_string(EpmdErrorCode code);

struct EpmdError {
  EpmdErrorCode code;
  std::size_t offset;  // byte offset in the input where the problem was found
};

template <class T>
struct Parsed {
  T message;
  std::size_t used;  // bytes of the input this message occupied
};

// A node as it registers (ALIVE2_REQ) and as PORT2_RESP describes it.
struct NodeEntry {
  std::uint16_t port = 0;
  std::uint8_t node_type = kNodeTypeNormal;
  std::uint8_t protocol = kProtocolTcp;
  std::uint16_t highest_version = 6;  // what OTP 25 registers (spec/epmd.md §7)
  std::uint16_t lowest_version = 5;
  std::string name;  // the alive part only
  std::string extra;
  friend bool operator==(const NodeEntry&, const NodeEntry&) = default;
};

// Requests.
struct Alive2Request {
  NodeEntry node;
  friend bool operator==(const Alive2Request&, const Alive2Request&) = default;
};
struct PortPlease2Request {
  std::string name;
  friend bool operator==(const PortPlease2Request&, const PortPlease2Request&) = default;
};
struct NamesRequest {
  friend bool operator==(const NamesRequest&, const NamesRequest&) = default;
};
struct DumpRequest {
  friend bool operator==(const DumpRequest&, const DumpRequest&) = default;
};
struct KillRequest {
  friend bool operator==(const KillRequest&, const KillRequest&) = default;
};
struct StopRequest {
  std::string name;
  friend bool operator==(const StopRequest&, const StopRequest&) = default;
};
using Request = std::variant<Alive2Request, PortPlease2Request, NamesRequest, DumpRequest,
                             KillRequest, StopRequest>;

// Replies.
struct Alive2Reply {
  std::uint8_t result = 0;      // 0 = registered; OTP's epmd sends 1 for every failure
  std::uint32_t creation = 0;   // 32-bit in 'v'; 1..3 in the 16-bit field of 'y'
  bool extended = true;         // 'v' ALIVE2_X_RESP (HighestVersion >= 6) or 'y' ALIVE2_RESP
  friend bool operator==(const Alive2Reply&, const Alive2Reply&) = default;
};
struct Port2Reply {
  std::uint8_t result = 0;  // 0 = found (node is set); else not found, and the reply is 2 bytes
  NodeEntry node;
  friend bool operator==(const Port2Reply&, const Port2Reply&) = default;
};
struct NameLine {
  std::string name;
  std::uint16_t port = 0;
  friend bool operator==(const NameLine&, const NameLine&) = default;
};
struct NamesReply {
  std::uint32_t epmd_port = 0;  // net_adm checks it equals the port it dialled
  std::vector<NameLine> nodes;  // newest registration first, as epmd lists them
  friend bool operator==(const NamesReply&, const NamesReply&) = default;
};
struct DumpReply {
  std::uint32_t epmd_port = 0;
  std::vector<std::string> records;  // each record's text without its NUL terminator
  friend bool operator==(const DumpReply&, const DumpReply&) = default;
};

// --- Requests: [Len:16][body]. Encoding fails only on names/extras over the limits. ---
Result<std::vector<std::uint8_t>, EpmdError> encode_request(const Request& request);
// Parses one framed request from the start of `bytes` (as the daemon does, with its limits).
Result<Parsed<Request>, EpmdError> parse_request(std::span<const std::uint8_t> bytes);

// The name of the request ("ALIVE2_REQ", ...), for logs.
std::string_view request_name(const Request& request);

// --- Replies ---
std::vector<std::uint8_t> encode_alive2_reply(const Alive2Reply& reply);
Result<Parsed<Alive2Reply>, EpmdError> parse_alive2_reply(std::span<const std::uint8_t> bytes);

Result<std::vector<std::uint8_t>, EpmdError> encode_port2_reply(const Port2Reply& reply);
Result<Parsed<Port2Reply>, EpmdError> parse_port2_reply(std::span<const std::uint8_t> bytes);

std::vector<std::uint8_t> encode_names_reply(const NamesReply& reply);
// Before EOF, returns NeedMore after checking the complete lines; at EOF, the whole reply.
Result<Parsed<NamesReply>, EpmdError> parse_names_reply(std::span<const std::uint8_t> bytes,
                                                         bool at_eof);
// What `epmd -names` prints ("epmd: up and running on port P with data:\nname a at port N\n").
std::string format_names(const NamesReply& reply);

std::vector<std::uint8_t> encode_dump_reply(const DumpReply& reply);
Result<Parsed<DumpReply>, EpmdError> parse_dump_reply(std::span<const std::uint8_t> bytes,
                                                       bool at_eof);

// KILL_REQ answers "OK" (the daemon exits) or "NO" (nodes are registered, no relaxed check).
std::vector<std::uint8_t> encode_kill_reply(bool killed);
Result<Parsed<bool>, EpmdError> parse_kill_reply(std::span<const std::uint8_t> bytes);
// STOP_REQ answers "STOPPED" (true) or "NOEXIST" (false).
std::vector<std::uint8_t> encode_stop_reply(bool stopped);
Result<Parsed<bool>, EpmdError> parse_stop_reply(std::span<const std::uint8_t> bytes);

// The distribution version two nodes share, as erl_epmd computes it from PORT2_RESP:
// min(highests) if the ranges [lowest, highest] overlap, else 0.
std::uint16_t negotiate_version(std::uint16_t own_lowest, std::uint16_t own_highest,
                                std::uint16_t peer_lowest, std::uint16_t peer_highest);

}  // namespace distspec::proto::epmd
