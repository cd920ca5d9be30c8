#include "models/numerics/accumulate.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

namespace tessera {

namespace {

using i128 = __int128;

// Significand width for the exact-product check: a float's precision, an integer's bits.
int sig_width(const NumFormat& f) { return f.is_float() ? f.precision() : f.bits(); }

void check_operands(const AccumRule& rule, const NumFormat& fa, const NumFormat& fb) {
  if (rule.acc.is_int() && (fa.is_float() || fb.is_float()))
    throw std::invalid_argument("accumulate: floating operands " + fa.name() + " x " + fb.name() +
                                " into the integer accumulator " + rule.acc.name());
  if (rule.acc.is_float() && sig_width(fa) + sig_width(fb) > 53)
    throw std::invalid_argument("accumulate: the product of " + fa.name() + " x " + fb.name() +
                                " is not exact in a double (significands wider than 53 bits together)");
}

// The integer accumulator's N-bit result of the exact value v.
uint64_t int_result(const AccumRule& rule, i128 v) {
  const NumFormat& f = rule.acc;
  if (rule.saturate) {
    if (v > i128{f.int_max()}) v = f.int_max();
    if (v < i128{f.int_min()}) v = f.int_min();
  }
  return static_cast<uint64_t>(v) & format_mask(f);
}

// acc + p (p an exact double), rounded once into the floating accumulator.
uint64_t float_add(const AccumRule& rule, uint64_t acc, double p) {
  const double c = decode(rule.acc, acc);
  const double s = c + p;
  if (!std::isfinite(c) || !std::isfinite(p)) return encode(rule.acc, s, rule.conversion());
  // TwoSum (Knuth): s + err == c + p exactly, |err| <= ulp(s)/2.
  const double bb = s - c;
  const double err = (c - (s - bb)) + (p - bb);
  return encode_sum(rule.acc, s, err, rule.conversion());
}

// A block-rule input: its value, zero when subnormals are off and it is subnormal.
double block_input(const AccumRule& rule, const NumFormat& f, uint64_t raw) {
  const double v = decode(f, raw);
  if (!rule.subnormals && f.is_float() && v != 0 && std::isfinite(v) && std::fabs(v) < f.min_normal())
    return std::copysign(0.0, v);
  return v;
}

}  // namespace

uint64_t block_multiply_accumulate(const AccumRule& rule, uint64_t acc, const NumFormat& fa, const uint64_t* a,
                                   ptrdiff_t a_stride, const NumFormat& fb, const uint64_t* b, ptrdiff_t b_stride,
                                   int n) {
  check_operands(rule, fa, fb);
  if (rule.acc.is_int()) {
    i128 v = decode_int(rule.acc, acc);
    for (int i = 0; i < n; ++i) v += i128{decode_int(fa, a[i * a_stride])} * i128{decode_int(fb, b[i * b_stride])};
    return int_result(rule, v);
  }
  if (rule.block <= 0 || n > rule.block || rule.block > 64 || rule.align_frac_bits < 1 || rule.align_frac_bits > 45)
    throw std::invalid_argument("block_multiply_accumulate: " + std::to_string(n) + " products in blocks of " +
                                std::to_string(rule.block) + " (1..64) with " + std::to_string(rule.align_frac_bits) +
                                " fraction bits kept (1..45)");
  std::vector<double> t(static_cast<size_t>(n) + 1);
  t[0] = block_input(rule, rule.acc, acc);
  bool special = !std::isfinite(t[0]);
  for (int i = 0; i < n; ++i) {
    t[static_cast<size_t>(i) + 1] = block_input(rule, fa, a[i * a_stride]) * block_input(rule, fb, b[i * b_stride]);
    special = special || !std::isfinite(t[static_cast<size_t>(i) + 1]);
  }
  if (special) {  // IEEE on the exact sum: inf - inf, inf x 0 and NaN in give NaN
    double s = 0;
    for (double x : t) s += x;
    return encode(rule.acc, s, rule.conversion());
  }
  int e_max = INT32_MIN;
  bool all_negative_zero = true;
  for (double x : t) {
    if (x != 0) e_max = std::max(e_max, std::ilogb(x));
    all_negative_zero = all_negative_zero && x == 0 && std::signbit(x);
  }
  if (e_max == INT32_MIN) return encode(rule.acc, all_negative_zero ? -0.0 : 0.0, rule.conversion());
  // Each truncated term is below 2^(frac + 1) units of 2^(E - frac): with frac <= 45 and at most
  // 65 terms the sum is below 2^53, exact in int64 and in the double it becomes.
  int64_t sum = 0;
  for (double x : t) sum += static_cast<int64_t>(std::trunc(std::ldexp(x, rule.align_frac_bits - e_max)));
  double v = std::ldexp(static_cast<double>(sum), e_max - rule.align_frac_bits);
  if (!rule.subnormals && v != 0 && std::fabs(v) < rule.acc.min_normal()) v = std::copysign(0.0, v);
  return encode(rule.acc, v, rule.conversion());
}

std::string AccumRule::describe() const {
  if (acc.is_int()) return acc.name() + (saturate ? " saturating" : " wrapping");
  if (block > 0)
    return acc.name() + ", blocks of " + std::to_string(block) + " products aligned to the largest exponent, " +
           std::to_string(align_frac_bits) + " fraction bits kept by truncation, one rounding per block (" +
           (rounding == Rounding::NearestEven ? "nearest-even" : "toward zero") +
           (subnormals ? ")" : ", subnormals flushed)");
  return acc.name() + ", exact products, one rounding per add (" +
         (rounding == Rounding::NearestEven ? "nearest-even" : "toward zero") + (saturate ? ", saturating)" : ")");
}

uint64_t accumulate(const AccumRule& rule, uint64_t acc, uint64_t x) {
  if (rule.acc.is_int()) return int_result(rule, i128{decode_int(rule.acc, acc)} + i128{decode_int(rule.acc, x)});
  return float_add(rule, acc, decode(rule.acc, x));
}

uint64_t multiply_accumulate(const AccumRule& rule, uint64_t acc, const NumFormat& fa, uint64_t a, const NumFormat& fb,
                             uint64_t b) {
  check_operands(rule, fa, fb);
  if (rule.acc.is_int())
    return int_result(rule, i128{decode_int(rule.acc, acc)} + i128{decode_int(fa, a)} * i128{decode_int(fb, b)});
  return float_add(rule, acc, decode(fa, a) * decode(fb, b));
}

uint64_t add_scaled(const NumFormat& in, const NumFormat& out, uint64_t a, uint64_t b, bool negate_b, int b_exp,
                    int scale_exp) {
  if (!in.is_float() || !out.is_float()) throw std::invalid_argument("add_scaled: float formats only");
  const double c = decode(in, a), p = std::ldexp(negate_b ? -decode(in, b) : decode(in, b), b_exp);
  const double s = c + p;
  if (!std::isfinite(c) || !std::isfinite(p)) return encode(out, s);
  const double bb = s - c;
  const double err = (c - (s - bb)) + (p - bb);  // TwoSum: s + err == c + p exactly
  // Scaling by a power of two is exact in double for every format's range here.
  return encode_sum(out, std::ldexp(s, scale_exp), std::ldexp(err, scale_exp));
}

TypedMatrix gemm(const TypedMatrix& a, const TypedMatrix& b, const AccumRule& rule) {
  if (a.cols() != b.rows())
    throw std::invalid_argument("gemm: a is " + std::to_string(a.rows()) + "x" + std::to_string(a.cols()) +
                                ", b is " + std::to_string(b.rows()) + "x" + std::to_string(b.cols()));
  check_operands(rule, a.format(), b.format());
  const int64_t M = a.rows(), N = b.cols(), K = a.cols();
  TypedMatrix out(M, N, rule.acc);
  if (rule.acc.is_int() && !rule.saturate) {
    // Wrapping is a ring homomorphism: sum modulo 2^64 in any order, wrap once at the end.
    std::vector<int64_t> av(static_cast<size_t>(M * K)), bv(static_cast<size_t>(K * N));
    for (int64_t i = 0; i < M; ++i)
      for (int64_t k = 0; k < K; ++k) av[static_cast<size_t>(i * K + k)] = a.int_value(i, k);
    for (int64_t k = 0; k < K; ++k)
      for (int64_t j = 0; j < N; ++j) bv[static_cast<size_t>(k * N + j)] = b.int_value(k, j);
    std::vector<uint64_t> row(static_cast<size_t>(N));
    for (int64_t i = 0; i < M; ++i) {
      std::fill(row.begin(), row.end(), 0);
      for (int64_t k = 0; k < K; ++k) {
        const auto x = static_cast<uint64_t>(av[static_cast<size_t>(i * K + k)]);
        for (int64_t j = 0; j < N; ++j)
          row[static_cast<size_t>(j)] += x * static_cast<uint64_t>(bv[static_cast<size_t>(k * N + j)]);
      }
      for (int64_t j = 0; j < N; ++j) out.set_raw(i, j, row[static_cast<size_t>(j)] & format_mask(rule.acc));
    }
    return out;
  }
  if (rule.block > 0) {
    std::vector<uint64_t> av(static_cast<size_t>(K)), bv(static_cast<size_t>(K));
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) {
        for (int64_t k = 0; k < K; ++k) {
          av[static_cast<size_t>(k)] = a.raw(i, k);
          bv[static_cast<size_t>(k)] = b.raw(k, j);
        }
        uint64_t acc = 0;
        for (int64_t k0 = 0; k0 < K; k0 += rule.block)
          acc = block_multiply_accumulate(rule, acc, a.format(), &av[static_cast<size_t>(k0)], 1, b.format(),
                                          &bv[static_cast<size_t>(k0)], 1,
                                          static_cast<int>(std::min<int64_t>(rule.block, K - k0)));
        out.set_raw(i, j, acc);
      }
    return out;
  }
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      uint64_t acc = 0;  // +0 and integer 0 are the all-zero pattern
      for (int64_t k = 0; k < K; ++k)
        acc = multiply_accumulate(rule, acc, a.format(), a.raw(i, k), b.format(), b.raw(k, j));
      out.set_raw(i, j, acc);
    }
  return out;
}

void accumulate_into(const AccumRule& rule, TypedMatrix& psum, const TypedMatrix& x) {
  if (psum.format() != rule.acc || x.format() != rule.acc || psum.rows() != x.rows() || psum.cols() != x.cols())
    throw std::invalid_argument("accumulate_into: partial sums " + psum.format().name() + " " +
                                std::to_string(psum.rows()) + "x" + std::to_string(psum.cols()) + " and tile " +
                                x.format().name() + " " + std::to_string(x.rows()) + "x" + std::to_string(x.cols()) +
                                " must both be " + rule.acc.name() + " of one shape");
  for (int64_t r = 0; r < psum.rows(); ++r)
    for (int64_t c = 0; c < psum.cols(); ++c) psum.set_raw(r, c, accumulate(rule, psum.raw(r, c), x.raw(r, c)));
}

}  // namespace tessera
