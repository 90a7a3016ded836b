// FUZZ_CHECK: an invariant of a fuzz target. A failure prints the condition and aborts, so
// libFuzzer records the input as a crash (and the standalone replay driver fails its test).
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition)                                                              \
  do {                                                                                     \
    if (!(condition)) {                                                                    \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                        \
    }                                                                                      \
  } while (0)
