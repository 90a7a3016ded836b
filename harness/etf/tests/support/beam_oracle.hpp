// The codec tests' view of the BEAM oracle (distspec/process/beam_oracle.hpp): one per test
// executable, started on first use and stopped at exit.
#pragma once

#include "distspec/process/beam_oracle.hpp"

namespace distspec::etf::testing {

using process::BeamOracle;
using process::BeamVerdict;
using process::Bytes;

BeamOracle& shared_beam_oracle();

}  // namespace distspec::etf::testing
