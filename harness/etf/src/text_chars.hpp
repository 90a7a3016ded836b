// Helpers shared by the text printer and parser (private to the etf layer).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace distspec::etf::text_detail {

inline constexpr char32_t kMaxCodePoint = 0x10FFFF;

// Maps of up to this many keys are flatmaps in BEAM (MAP_SMALL_MAP_LIMIT), held in map-key order;
// larger ones are hash tries, which ~w walks in the reverse of term_to_binary's order.
inline constexpr std::size_t kSmallMapLimit = 32;

// Decodes one UTF-8 character at text[pos]. Returns its length (1..4) and sets `out`, or 0 when
// the bytes there are not valid UTF-8 (overlong forms, surrogates and values above U+10FFFF are
// invalid).
inline std::size_t decode_utf8(std::string_view text, std::size_t pos, char32_t& out) {
  auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(text[i]); };
  std::uint8_t b0 = byte(pos);
  if (b0 < 0x80) {
    out = b0;
    return 1;
  }
  std::size_t len;
  char32_t cp, min;
  if ((b0 & 0xE0) == 0xC0) len = 2, cp = b0 & 0x1F, min = 0x80;
  else if ((b0 & 0xF0) == 0xE0) len = 3, cp = b0 & 0x0F, min = 0x800;
  else if ((b0 & 0xF8) == 0xF0) len = 4, cp = b0 & 0x07, min = 0x10000;
  else return 0;
  if (pos + len > text.size()) return 0;
  for (std::size_t i = 1; i < len; ++i) {
    if ((byte(pos + i) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(pos + i) & 0x3F);
  }
  if (cp < min || cp > kMaxCodePoint || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  out = cp;
  return len;
}

inline bool is_valid_utf8(std::string_view text) {
  char32_t ignored;
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t len = decode_utf8(text, pos, ignored);
    if (len == 0) return false;
    pos += len;
  }
  return true;
}

inline void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += char(cp);
  } else if (cp < 0x800) {
    out += char(0xC0 | (cp >> 6));
    out += char(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += char(0xE0 | (cp >> 12));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  } else {
    out += char(0xF0 | (cp >> 18));
    out += char(0x80 | ((cp >> 12) & 0x3F));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  }
}

// Characters that may follow the first letter of an unquoted atom (io_lib:name_char/1).
inline bool is_atom_name_char(char32_t c) {
  return (c >= 'a' && c <= 'z') || (c >= U'ß' && c <= U'ÿ' && c != U'÷') ||
         (c >= 'A' && c <= 'Z') || (c >= U'À' && c <= U'Þ' && c != U'×') ||
         (c >= '0' && c <= '9') || c == '_' || c == '@';
}

// Characters that may start an unquoted atom.
inline bool is_atom_start_char(char32_t c) {
  return (c >= 'a' && c <= 'z') || (c >= U'ß' && c <= U'ÿ' && c != U'÷');
}

// Erlang's reserved words (erl_scan:reserved_word/1 on OTP 25 with no optional features enabled,
// so `maybe` and `else` are ordinary atoms): these atoms must be quoted.
bool is_reserved_word(std::u32string_view name);

}  // namespace distspec::etf::text_detail
