// erl_interface's decoder as a differential oracle, run in a child process (`distspec fuzz
// ei-worker`): ei checks no bounds, so it only ever sees inputs our decoder accepted, and a crash
// of ei is reported as a finding (kind oracle-crash) and the worker restarted.
// The worker walks the term with ei_decode_* and re-encodes it with ei_x_encode_*; the campaign
// decodes that with our decoder and compares values (ei encodes some integers differently).
#pragma once

#include <memory>
#include <string>

#include "diff/oracle.hpp"

namespace distspec::fuzz {

std::unique_ptr<DecoderOracle> make_ei_oracle(const std::string& worker_executable);

// The worker's main loop (stdin/stdout, 4-byte big-endian length prefixes). Returns at EOF.
int run_ei_worker();

}  // namespace distspec::fuzz
