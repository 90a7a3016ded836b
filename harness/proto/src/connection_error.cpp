#include "distspec/proto/connection_error.hpp"

namespace distspec::proto {

std::string_view to_string(ConnectionErrorCode code) {
  switch (code) {
    case ConnectionErrorCode::PacketTooLarge: return "packet length above the configured maximum";
    case ConnectionErrorCode::IncompatiblePacket: return "packet does not start as the negotiated mode requires";
    case ConnectionErrorCode::HeaderNotNegotiated: return "distribution header kind not negotiated";
    case ConnectionErrorCode::HeaderTruncated: return "truncated distribution header";
    case ConnectionErrorCode::BadAtomCacheSlot: return "reference to an empty atom cache slot";
    case ConnectionErrorCode::BadAtomCacheAtom: return "invalid atom text in the atom cache section";
    case ConnectionErrorCode::FragmentSequenceZero: return "fragment with SequenceId 0";
    case ConnectionErrorCode::FragmentIdZero: return "fragment with FragmentId 0";
    case ConnectionErrorCode::FragmentUnknownSequence: return "continuation fragment of an unknown sequence";
    case ConnectionErrorCode::FragmentDuplicateSequence: return "first fragment of a sequence already in flight";
    case ConnectionErrorCode::FragmentOutOfOrder: return "fragment out of order";
    case ConnectionErrorCode::FragmentTooLarge: return "fragmented message above the configured maximum";
    case ConnectionErrorCode::TooManySequences: return "too many fragmented messages in flight";
    case ConnectionErrorCode::BadControlTerm: return "undecodable control term";
    case ConnectionErrorCode::BadPayloadTerm: return "undecodable payload term";
    case ConnectionErrorCode::ControlNotTuple: return "control message is not a tuple with an integer operation";
    case ConnectionErrorCode::UnknownOperation: return "unknown control operation";
    case ConnectionErrorCode::WrongArity: return "wrong control tuple arity";
    case ConnectionErrorCode::BadElement: return "control tuple element of the wrong type";
    case ConnectionErrorCode::PayloadMissing: return "payload missing";
    case ConnectionErrorCode::PayloadExtra: return "bytes after a control message without payload";
    case ConnectionErrorCode::TrailingBytes: return "bytes after the payload";
  }
  return "unknown error";
}

}  // namespace distspec::proto
