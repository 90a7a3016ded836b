#include "support/beam_oracle.hpp"

namespace distspec::etf::testing {

BeamOracle& shared_beam_oracle() {
  static BeamOracle oracle(ERL_EXECUTABLE);
  return oracle;
}

}  // namespace distspec::etf::testing
