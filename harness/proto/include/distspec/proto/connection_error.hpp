// Errors of the connected state (framing, distribution headers, atom cache, fragments, control
// messages). Every one of them means "close the connection" for OTP 25 (connection.md §6); the
// code says why, the offset says where in the packet (or stream) the problem was found.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace distspec::proto {

enum class ConnectionErrorCode : std::uint8_t {
  PacketTooLarge,           // announced 4-byte length above FramingOptions::max_packet_size
  IncompatiblePacket,       // first byte not 131 (or not 112 'p' / 131 'D','E','F' for the mode)
  HeaderNotNegotiated,      // 'D'/'E'/'F' without the header flags, or 'E'/'F' without FRAGMENTS
  HeaderTruncated,          // packet ended inside a distribution header
  BadAtomCacheSlot,         // an old-entry reference to a slot that was never filled
  BadAtomCacheAtom,         // a new entry whose text is not a valid atom (UTF-8, <= 255 chars)
  FragmentSequenceZero,     // 'E' with SequenceId 0 and FragmentId > 1, or 'F' with SequenceId 0
  FragmentIdZero,           // FragmentId 0 ('E' or 'F')
  FragmentUnknownSequence,  // 'F' for a sequence that is not in flight
  FragmentDuplicateSequence,  // 'E' for a sequence already in flight
  FragmentOutOfOrder,       // 'F' whose FragmentId is not the one expected next
  FragmentTooLarge,         // assembled message above FragmentLimits::max_message_size
  TooManySequences,         // more sequences in flight than FragmentLimits::max_sequences
  BadControlTerm,           // the control term does not decode
  BadPayloadTerm,           // the payload term does not decode
  ControlNotTuple,          // control is not a tuple whose first element is a small integer
  UnknownOperation,         // operation number not in OTP 25's table (or obsolete NODE_LINK when
                            // ControlOptions::accept_node_link is off)
  WrongArity,               // tuple size does not match the operation
  BadElement,               // an element of the wrong type (detail names it)
  PayloadMissing,           // operation carries a payload but the packet ended
  PayloadExtra,             // bytes after the control term of an operation without payload
  TrailingBytes,            // bytes after the payload term
};

std::string_view to_string(ConnectionErrorCode code);

struct ConnectionError {
  ConnectionErrorCode code;
  std::size_t offset = 0;  // byte offset in the packet (framing errors: in the stream)
  std::string detail;      // e.g. the element name or the term codec's reason; never peer bytes
};

}  // namespace distspec::proto
