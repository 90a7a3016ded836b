// Writing a report file so that no reader ever sees half of it: write a temp file beside it,
// flush, then rename over the target. An interrupted run leaves the old file or none.
#pragma once

#include <string>

namespace distspec::report {

// Creates parent directories. Throws std::runtime_error when the file cannot be written.
void write_file_atomically(const std::string& path, const std::string& content);

}  // namespace distspec::report
