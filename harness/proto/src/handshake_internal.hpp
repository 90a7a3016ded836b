// Helpers shared by the two handshake machines (internal header).
#pragma once

#include <string>
#include <string_view>

namespace distspec::proto::detail {

// An atom as io_lib's ~w prints it: bare when it starts with a lowercase letter and holds only
// [A-Za-z0-9_@], else in single quotes with ' and \ escaped.
std::string quote_atom(std::string_view text);

}  // namespace distspec::proto::detail
