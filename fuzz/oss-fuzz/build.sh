#!/bin/bash -eu
# Builds distspec's fuzz targets with OSS-Fuzz / ClusterFuzzLite conventions:
# compilers and flags from $CC/$CXX/$CFLAGS/$CXXFLAGS (sanitizers and -fsanitize=fuzzer-no-link
# included), the engine from $LIB_FUZZING_ENGINE, everything written to $OUT:
#   <target>, <target>_seed_corpus.zip, <target>.dict, <target>.options
# The image needs the Debian packages of ci/install-deps (cmake, zlib, boost, yaml-cpp,
# nlohmann-json, openssl, erlang): the top-level CMakeLists.txt looks for all of them.
# Local try: CC=clang-14 CXX=clang++-14 CFLAGS="-fsanitize=address,fuzzer-no-link" \
#   CXXFLAGS="$CFLAGS" LIB_FUZZING_ENGINE=-fsanitize=fuzzer OUT=/tmp/out fuzz/oss-fuzz/build.sh
# The source tree: the one this script sits in (fuzz/oss-fuzz/), else the working directory
# (OSS-Fuzz and ClusterFuzzLite copy build.sh to $SRC and run it from the project's WORKDIR),
# else $SRC/distspec.
root="$(cd "$(dirname "$0")/../.." && pwd)"
for candidate in "$root" "$PWD" "${SRC:-}/distspec"; do
  if [ -f "$candidate/fuzz/targets.sh" ]; then root="$(cd "$candidate" && pwd)"; break; fi
done
build="${WORK:-/tmp}/distspec-oss-fuzz-build"
source "$root/fuzz/targets.sh"

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
  -DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_CXX_FLAGS="$CXXFLAGS" \
  -DDISTSPEC_FUZZ_ENGINE="$LIB_FUZZING_ENGINE" -DDISTSPEC_TESTS=OFF -DDISTSPEC_BENCH=OFF
cmake --build "$build" -j "$(nproc)" --target "${DISTSPEC_FUZZ_TARGETS[@]}"

mkdir -p "$OUT"
for target in "${DISTSPEC_FUZZ_TARGETS[@]}"; do
  seed="$(distspec_fuzz_seed_name "$target")"
  cp "$build/fuzz/$target" "$OUT/"
  rm -f "$OUT/${target}_seed_corpus.zip"
  (cd "$root/corpora/$seed" && zip -q -j "$OUT/${target}_seed_corpus.zip" ./*)
  options="$root/corpora/$seed.options"
  if [ -f "$options" ]; then
    dict="$(sed -n 's/^dict *= *//p' "$options")"
    [ -n "$dict" ] && cp "$root/corpora/$dict" "$OUT/$target.dict"
    sed "s/^dict *=.*/dict = $target.dict/" "$options" >"$OUT/$target.options"
  fi
done
