// The fuzz targets' oracle check: a failed one is a finding, like a crash. It names what failed
// on stderr (libFuzzer's log) and traps, so libFuzzer saves the input.
#pragma once

#include <cstdio>

inline void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "oracle failed: %s\n", what);
  __builtin_trap();
}
