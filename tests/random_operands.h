#pragma once
// Random operand matrices for the engine co-simulation tests: values of an integer format drawn
// uniform, Gaussian of sigma 1 or of a quarter of the range (rounded, clamped), or sparse (80%
// zeros, the rest uniform).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>

#include "models/engine/i_engine.h"

namespace tessera {

enum class Dist { Uniform, Gauss1, Gauss4, Sparse };

inline IntMatrix values(std::mt19937_64& rng, int64_t rows, int64_t cols, DType t, Dist d) {
  const int bits = dtype_bits(t);
  const int64_t lo = t == DType::ternary ? -1 : -(int64_t{1} << (bits - 1));
  const int64_t hi = t == DType::ternary ? 1 : (int64_t{1} << (bits - 1)) - 1;
  std::uniform_int_distribution<int64_t> uni(lo, hi);
  std::normal_distribution<double> g(0.0, d == Dist::Gauss1 ? 1.0 : std::max(1.0, (hi - lo) / 4.0));
  std::uniform_real_distribution<double> p(0, 1);
  IntMatrix x(rows, cols);
  for (auto& e : x.v) {
    if (d == Dist::Uniform) e = uni(rng);
    else if (d == Dist::Sparse) e = p(rng) < 0.8 ? 0 : uni(rng);
    else e = std::clamp<int64_t>(std::llround(g(rng)), lo, hi);
  }
  return x;
}

}  // namespace tessera
