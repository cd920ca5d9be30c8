#pragma once
// Value statistics of an operand: what a data-dependent engine's cost needs to know about the
// data when it is not given the data itself (models/engine/i_engine.h, OperandStats).
//
// How statistics are made:
//   - from data: histogram_of(matrix) counts every element's bit pattern (exact);
//   - from a declared distribution: histogram_from_probabilities() (one probability per bit
//     pattern, e.g. a tensor's measured or assumed value distribution) or histogram_uniform()
//     (every non-NaN pattern equally likely, with a given share of zeros); counts are
//     apportioned by largest remainder, so they sum to `count` exactly and are deterministic;
//   - for a tile of a larger tensor: scaled_to(tile elements) from the tensor's histogram.
// Formats of up to 8 bits (every int1..int8, ternary, fp8) keep a count per pattern (256 bins
// at most); wider formats keep the element and zero counts only.
#include <cstdint>
#include <vector>

#include "models/numerics/format.h"
#include "models/numerics/typed_matrix.h"

namespace tessera {

struct ValueHistogram {
  static constexpr int kMaxBinnedBits = 8;

  NumFormat format;
  uint64_t count = 0;           // elements described
  uint64_t zeros = 0;           // of which zero (+0 or -0)
  std::vector<uint64_t> bins;   // bits <= 8: 2^bits counts by raw pattern, summing to count; else empty

  bool binned() const { return !bins.empty(); }
  // The same distribution over `n` elements (largest remainder; zeros follow the bins, or are
  // scaled likewise for unbinned formats).
  ValueHistogram scaled_to(uint64_t n) const;
  bool operator==(const ValueHistogram& o) const {
    return format == o.format && count == o.count && zeros == o.zeros && bins == o.bins;
  }
};

ValueHistogram histogram_of(const TypedMatrix& x);
// `p[pattern]` >= 0 for each of the 2^bits patterns (bits <= 8), not all zero; normalised here.
// std::invalid_argument for a wider format, a wrong length, a negative or NaN entry, or mass on
// an invalid pattern (ternary's 0b10).
ValueHistogram histogram_from_probabilities(const NumFormat& f, uint64_t count, const std::vector<double>& p);
// A `zero_fraction` share of zeros (pattern 0), the rest spread evenly over every valid pattern
// that is neither zero nor NaN (infinities included). Unbinned for formats wider than 8 bits.
ValueHistogram histogram_uniform(const NumFormat& f, uint64_t count, double zero_fraction = 0);

// A declared value distribution of an integer tensor (the workload's `values:`,
// docs/workload-format.md): zero with probability `zeros`; the other values uniform over the
// format, or (sigma > 0) a Gaussian of standard deviation `sigma` rounded to the nearest value,
// its tails clamped onto the format's extremes and its zero bin left out; only the positive
// values when `positive` (post-ReLU activations).
struct ValueDistribution {
  double zeros = 0;
  double sigma = 0;  // 0 = uniform
  bool positive = false;
  bool operator==(const ValueDistribution& o) const {
    return zeros == o.zeros && sigma == o.sigma && positive == o.positive;
  }
};
// Its histogram over `count` elements (a large count: the probabilities, to about 1e-6).
// Integer formats only (std::invalid_argument otherwise); formats wider than 8 bits keep the
// zeros only (unbinned). zeros in [0, 1], sigma >= 0, and not every value excluded.
ValueHistogram histogram_of_distribution(const NumFormat& f, const ValueDistribution& d, uint64_t count = 1u << 20);

}  // namespace tessera
