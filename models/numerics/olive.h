#pragma once
// OliVe's 4-bit outlier-victim pair (OVP) format, int4 flavour: Guo et al., "OliVe: Accelerating
// Large Language Models via Hardware-friendly Outlier-Victim Pair Quantization", ISCA 2023,
// sections 3.1-3.4 and 4.2; reference code github clevercool/ANT-Quantization @bc84067,
// olive_quantization/antquant/quant_modules.py and quant/quant_kernel.cu (docs/numerics.md
// "OliVe"). Pure C++, no I/O.
//
// Values, in steps (one step = alpha / 7, alpha the searched scale):
//   normal   -7..7, int4 two's complement; the code 1000b (-8) is the outlier identifier;
//   outlier  +-(2 + b0) 2^(E + 2), E in 0..3, b0 in 0..1, without (E 0, b0 0): +-{12, 16, 24, 32, 48,
//            64, 96}; code: sign bit, E (2 bits), b0 (abfloat with bias 2, above the normal range);
//   victim   0: the other element of a pair (2i, 2i + 1) that holds an outlier, coded 1000b.
// Every value fits int8: a decoder turns a pair's byte into two int8 values (or the paper's
// (exponent, 4-bit integer) pairs, value = integer << exponent) for ordinary integer MACs.
#include <array>
#include <cstdint>
#include <utility>
#include <vector>

namespace tessera::olive {

constexpr int kNormalMax = 7;
constexpr std::array<int, 7> kOutliers = {12, 16, 24, 32, 48, 64, 96};
bool is_outlier(int v);  // |v| is one of kOutliers
bool is_value(int v);    // a normal value, an outlier or 0

// The nearest OVP value to x (in steps), as the reference kernel rounds: a linear scan over the
// normal values then the outliers, each ascending, keeping the last of equally near ones; so ties
// go toward +inf within the normal and within the outlier values, and to the outlier at the
// boundary (+-9.5 -> +-12). Beyond the range: +-96.
int nearest(double x);

// Both elements of a pair rounded (nearest), then pruned: if the first is an outlier the second
// becomes its victim (0), else if the second is an outlier the first does. Both outliers: the
// first is kept (the reference code; the paper's Algorithm 1 keeps the larger).
std::pair<int, int> quantize_pair(double x0, double x1);

// A pair of values (a valid OVP pair: at most one outlier, and then the other 0) as one byte, the
// first element in the low nibble; std::invalid_argument otherwise. decode_pair inverts it.
uint8_t encode_pair(int v0, int v1);
std::pair<int, int> decode_pair(uint8_t byte);

// The paper's decoder output for one element: value = integer << exponent (normal: exponent 0;
// outlier: exponent E + 2, integer +-(2 + b0); victim: 0, 0).
struct Fields {
  int exponent = 0, integer = 0;
};
std::pair<Fields, Fields> decode_fields(uint8_t byte);

// One channel (the elements one scale covers, pairs along it) quantized as the reference does:
// base = max(|mean + 3 sd|, |mean - 3 sd|) (sd unbiased), alpha = base x 0.75, 0.77, ..., 2.49
// (88 candidates), the first alpha with the least squared error after pruning wins; step =
// alpha / 7. An odd last element is a pair with an implicit 0. All-zero input: step 1, zeros.
struct Channel {
  std::vector<int> values;  // in steps
  double step = 1;
};
Channel quantize_channel(const std::vector<double>& x);

// The baselines the OVP format is compared with on a GEMM: symmetric int of `bits` (values
// -(2^(bits-1) - 1) .. 2^(bits-1) - 1, nearest, ties away from zero), its scale searched the same
// way (base max|x| x the same 88 multipliers; clipping allowed).
Channel quantize_channel_int(const std::vector<double>& x, int bits);

}  // namespace tessera::olive
