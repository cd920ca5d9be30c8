#pragma once
// Small integer helpers the engine models share (tile and fold counts, register widths).
#include <cstdint>

namespace tessera {

// ceil(a / b) for b > 0.
inline uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

// The bits a counter needs to hold values below v: the least b with 2^b >= v (0 for v <= 1).
inline int clog2(uint64_t v) {
  int b = 0;
  while ((uint64_t{1} << b) < v) ++b;
  return b;
}

}  // namespace tessera
