# Sourced by ci/fuzz and fuzz/oss-fuzz/build.sh: the fuzz targets and the corpus, dictionary and
# options each starts from (in corpora/<seed>/ and corpora/<seed>.options, whose dict = line
# names the dictionary in corpora/). etf_structured shares etf_decode's seeds: it fuzzes the
# same decoder with a structure-aware mutator.
DISTSPEC_FUZZ_TARGETS=(etf_decode etf_models etf_structured etf_text epmd handshake_acceptor handshake_initiator dist_frame scenario_yaml)

distspec_fuzz_seed_name() {
  case "$1" in
    etf_structured) echo etf_decode ;;
    *) echo "$1" ;;
  esac
}
