#pragma once
// Accumulation: how products and partial sums add into an accumulator, as a value the engine
// states (IEngine::accum_rule) rather than code hard-wired in a loop.
//
// The baseline rules (this file):
//   integer accumulator of N bits: every product is exact (operands sign-extended, multiplied
//     in 128 bits) and every addition wraps modulo 2^N (saturate = false: a plain two's-
//     complement adder) or clamps to the N-bit range (saturate = true).
//   floating accumulator: every product is exact; each addition acc + x is rounded once into
//     the accumulator format (`rounding`; overflow per `saturate`, format.h's rules). So a
//     dot product is a chain of fused multiply-adds in k order, acc_0 = +0,
//     acc_{k+1} = round(acc_k + a_k * b_k): for fp32 operands and accumulator this is exactly
//     C's fmaf() chain. Products must fit a double exactly: the significand widths of the two
//     operands (float: precision; int: bits) may sum to at most 53 (std::invalid_argument).
// Later rules (tensor cores: products aligned to the largest exponent of a group and truncated
// to a number of fraction bits, groups of 4/8/16 summed before one rounding, rounding toward
// zero) extend AccumRule with fields whose defaults keep this baseline.
#include <cstdint>
#include <string>

#include "models/numerics/format.h"
#include "models/numerics/typed_matrix.h"

namespace tessera {

struct AccumRule {
  NumFormat acc = NumFormat::int_bits(32);
  Rounding rounding = Rounding::NearestEven;  // floating accumulators
  bool saturate = false;                      // ints: clamp, not wrap; floats: max finite, not inf

  // Integers wrap, floats round to nearest even, nothing saturates.
  static AccumRule baseline(const NumFormat& acc) { return AccumRule{acc, Rounding::NearestEven, false}; }
  Conversion conversion() const { return Conversion{rounding, saturate}; }
  std::string describe() const;  // "int32 wrapping", "fp32 fused, nearest-even"
  bool operator==(const AccumRule& o) const {
    return acc == o.acc && rounding == o.rounding && saturate == o.saturate;
  }
};

// acc + x, both patterns of rule.acc.
uint64_t accumulate(const AccumRule& rule, uint64_t acc, uint64_t x);
// acc + a*b: a of format fa, b of fb, acc of rule.acc; the product exact, one rounding.
uint64_t multiply_accumulate(const AccumRule& rule, uint64_t acc, const NumFormat& fa, uint64_t a,
                             const NumFormat& fb, uint64_t b);

// Floats: (a + (-1)^negate_b * 2^b_exp * b) * 2^scale_exp, a and b patterns of `in`, rounded once
// into `out` (nearest even, overflow to inf, subnormals kept, NaN canonical); an exact zero sum
// is +0 but for -0 + -0 (IEEE 754). A shift-and-add unit's arithmetic (the LUT engine's).
uint64_t add_scaled(const NumFormat& in, const NumFormat& out, uint64_t a, uint64_t b, bool negate_b, int b_exp,
                    int scale_exp);

// Reference GEMM: out[m][n] = the multiply_accumulate chain over k = 0..K-1 from zero, in
// rule.acc. a is M x K, b is K x N (std::invalid_argument if they do not chain).
TypedMatrix gemm(const TypedMatrix& a, const TypedMatrix& b, const AccumRule& rule);
// psum[i][j] = accumulate(psum[i][j], x[i][j]) for every element; both in rule.acc, same shape.
void accumulate_into(const AccumRule& rule, TypedMatrix& psum, const TypedMatrix& x);

}  // namespace tessera
