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
// Block rule (tensor cores; block > 0, floating accumulators): a dot product runs in blocks of
// `block` consecutive products in k order. Each block is one fused step
//   acc' = round(acc + sum of the block's products):
//   1. every term (the products, exact, and acc) is taken exactly;
//   2. E = the largest exponent floor(log2 |t|) among the non-zero terms;
//   3. every term is truncated toward zero to a multiple of 2^(E - align_frac_bits): its bits
//      more than align_frac_bits below the block's leading bit are dropped (no guard, round or
//      sticky bits); the truncated terms are summed exactly (carries kept);
//   4. the sum is rounded once into acc by `rounding` (overflow per `saturate`).
//   An exact zero sum is +0, unless every term is -0. NaN or inf among the terms, or inf x 0,
//   give what IEEE 754 gives for the exact sum (NaN canonical). subnormals = false reads
//   subnormal inputs and acc as zeros of their sign and flushes subnormal results to zero.
// Presets per GPU generation: models/numerics/tensor_core_numerics.h. block = 0 keeps the
// baseline above.
#include <cstddef>
#include <cstdint>
#include <string>

#include "models/numerics/format.h"
#include "models/numerics/typed_matrix.h"

namespace tessera {

struct AccumRule {
  NumFormat acc = NumFormat::int_bits(32);
  Rounding rounding = Rounding::NearestEven;  // floating accumulators
  bool saturate = false;                      // ints: clamp, not wrap; floats: max finite, not inf
  int block = 0;                              // floats: products per fused block (0: one per add)
  int align_frac_bits = 0;                    // block rule: fraction bits kept below the leading bit
  bool subnormals = true;                     // block rule: false flushes subnormal inputs and results

  // Integers wrap, floats round to nearest even, nothing saturates.
  static AccumRule baseline(const NumFormat& acc) { return AccumRule{acc, Rounding::NearestEven, false}; }
  // The block rule (above) into `acc`.
  static AccumRule blocks(const NumFormat& acc, int block, int align_frac_bits, Rounding r, bool subnormals = true) {
    return AccumRule{acc, r, false, block, align_frac_bits, subnormals};
  }
  Conversion conversion() const { return Conversion{rounding, saturate}; }
  std::string describe() const;  // "int32 wrapping", "fp32 fused, nearest-even"
  bool operator==(const AccumRule& o) const {
    return acc == o.acc && rounding == o.rounding && saturate == o.saturate && block == o.block &&
           align_frac_bits == o.align_frac_bits && subnormals == o.subnormals;
  }
};

// acc + x, both patterns of rule.acc.
uint64_t accumulate(const AccumRule& rule, uint64_t acc, uint64_t x);
// acc + a*b: a of format fa, b of fb, acc of rule.acc; the product exact, one rounding.
uint64_t multiply_accumulate(const AccumRule& rule, uint64_t acc, const NumFormat& fa, uint64_t a,
                             const NumFormat& fb, uint64_t b);

// One block of the block rule: acc + sum_{i < n} a[i * a_stride] * b[i * b_stride], a of format
// fa, b of fb, acc and the result of rule.acc (n <= rule.block; any n for ints, exact).
uint64_t block_multiply_accumulate(const AccumRule& rule, uint64_t acc, const NumFormat& fa, const uint64_t* a,
                                   ptrdiff_t a_stride, const NumFormat& fb, const uint64_t* b, ptrdiff_t b_stride,
                                   int n);

// Floats: (a + (-1)^negate_b * 2^b_exp * b) * 2^scale_exp, a and b patterns of `in`, rounded once
// into `out` (nearest even, overflow to inf, subnormals kept, NaN canonical); an exact zero sum
// is +0 but for -0 + -0 (IEEE 754). A shift-and-add unit's arithmetic (the LUT engine's).
uint64_t add_scaled(const NumFormat& in, const NumFormat& out, uint64_t a, uint64_t b, bool negate_b, int b_exp,
                    int scale_exp);

// Reference GEMM: out[m][n] = the multiply_accumulate chain over k = 0..K-1 from zero (block
// rule: the chain of blocks over k), in rule.acc. a is M x K, b is K x N (std::invalid_argument if they do not chain).
TypedMatrix gemm(const TypedMatrix& a, const TypedMatrix& b, const AccumRule& rule);
// psum[i][j] = accumulate(psum[i][j], x[i][j]) for every element; both in rule.acc, same shape.
void accumulate_into(const AccumRule& rule, TypedMatrix& psum, const TypedMatrix& x);

}  // namespace tessera
