// models/numerics: hand-computed edge cases of every format, a round trip of every 8-, 16- and
// 19-bit pattern, rounding against an exhaustive neighbour-table reference (fp8, fp16, bf16,
// tf32) and against the machine's own fp32 (conversion, add, fmaf), integer wrap and clamp,
// accumulation rules, typed matrices and value histograms.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cfenv>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "models/numerics/accumulate.h"
#include "models/numerics/format.h"
#include "models/numerics/histogram.h"
#include "models/numerics/typed_matrix.h"

using namespace tessera;

namespace {

const DType kFloats[] = {DType::fp8_e4m3, DType::fp8_e5m2, DType::fp16, DType::bf16, DType::tf32, DType::fp32};
const double kInf = std::numeric_limits<double>::infinity();
const double kNaN = std::numeric_limits<double>::quiet_NaN();

NumFormat F(DType t) { return NumFormat::of(t); }
double p2(int e) { return std::ldexp(1.0, e); }

uint32_t bits_of(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
float float_of(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// Exhaustive reference for a float format: every finite non-negative value with its pattern,
// in increasing order, and the value one ulp above max finite (where overflow begins).
struct Table {
  NumFormat f;
  std::vector<std::pair<double, uint64_t>> v;  // (value, pattern)
  double beyond = 0;                           // max finite + its ulp
  bool beyond_even = true;                     // the pattern parity that value would have

  explicit Table(NumFormat fmt) : f(fmt) {
    const uint64_t half = uint64_t{1} << (f.bits() - 1);
    for (uint64_t p = 0; p < half; ++p)
      if (!is_nan(f, p) && !is_inf(f, p)) v.push_back({decode(f, p), p});
    std::sort(v.begin(), v.end());
    beyond = f.max_finite() + p2(f.emax() - f.frac_bits());
    beyond_even = f.has_inf();  // IEEE: 2^(emax+1) has fraction 0; e4m3: 480 would be S.1111.111
  }

  // Reference encode of x (finite) by nearest-even or toward zero, without the format's code.
  uint64_t encode(double x, Rounding r, bool saturate) const {
    const bool neg = std::signbit(x);
    const double a = std::fabs(x);
    const uint64_t sign = neg ? uint64_t{1} << (f.bits() - 1) : 0;
    auto overflow = [&]() -> uint64_t {
      if (saturate || r == Rounding::TowardZero) return max_finite_pattern(f, neg);
      return f.has_inf() ? infinity(f, neg) : quiet_nan(f);
    };
    // lo <= a < hi, neighbours in the table (hi may be `beyond`).
    auto it = std::upper_bound(v.begin(), v.end(), std::make_pair(a, ~uint64_t{0}));
    const auto& lo = *(it - 1);
    if (lo.first == a) return sign | lo.second;
    const bool hi_beyond = it == v.end();
    const double hi = hi_beyond ? beyond : it->first;
    if (a >= beyond && r == Rounding::NearestEven) return overflow();
    if (r == Rounding::TowardZero) return a > f.max_finite() ? overflow() : (sign | lo.second);
    const double mid = lo.first / 2 + hi / 2;  // exact: neighbours differ in one quantum
    bool up;
    if (a != mid) {
      up = a > mid;
    } else {
      const bool lo_even = (lo.second & 1) == 0;
      const bool hi_even = hi_beyond ? beyond_even : (it->second & 1) == 0;
      REQUIRE(lo_even != hi_even);
      up = hi_even;
    }
    if (!up) return sign | lo.second;
    return hi_beyond ? overflow() : (sign | it->second);
  }
};

// Doubles spread over a format's whole range: log-uniform magnitudes from far below the
// smallest subnormal to far above max finite, and values on and next to midpoints.
std::vector<double> probes(const NumFormat& f, std::mt19937_64& rng, int n) {
  std::vector<double> out;
  std::uniform_real_distribution<double> e(f.emin() - f.frac_bits() - 4, f.emax() + 3);
  std::uniform_real_distribution<double> u(0, 1);
  for (int i = 0; i < n; ++i) {
    double x = std::exp2(e(rng));
    if (i % 3 == 1) {  // a midpoint of two neighbours, exactly or one double-ulp off
      const uint64_t p = encode(f, x) & (format_mask(f) >> 1);
      if (is_nan(f, p) || is_inf(f, p) || p == max_finite_pattern(f, false)) continue;
      const double a = decode(f, p), b = decode(f, p + 1);
      x = a / 2 + b / 2;
      if (i % 9 == 4) x = std::nextafter(x, kInf);
      if (i % 9 == 7) x = std::nextafter(x, 0.0);
    }
    out.push_back(u(rng) < 0.5 ? -x : x);
  }
  return out;
}

}  // namespace

TEST_CASE("float formats: layout, limits and specials", "[numerics]") {
  struct Row {
    DType t;
    int bits, exp, frac, bias;
    double max, min_normal, min_sub;
    uint64_t max_pat, nan, inf;
  };
  const Row rows[] = {
      {DType::fp8_e4m3, 8, 4, 3, 7, 448, p2(-6), p2(-9), 0x7E, 0x7F, 0},
      {DType::fp8_e5m2, 8, 5, 2, 15, 57344, p2(-14), p2(-16), 0x7B, 0x7E, 0x7C},
      {DType::fp16, 16, 5, 10, 15, 65504, p2(-14), p2(-24), 0x7BFF, 0x7E00, 0x7C00},
      {DType::bf16, 16, 8, 7, 127, 255 * p2(120), p2(-126), p2(-133), 0x7F7F, 0x7FC0, 0x7F80},
      {DType::tf32, 19, 8, 10, 127, 2047 * p2(117), p2(-126), p2(-136), 0x3FBFF, 0x3FE00, 0x3FC00},
      {DType::fp32, 32, 8, 23, 127, double(std::numeric_limits<float>::max()), double(std::numeric_limits<float>::min()),
       double(std::numeric_limits<float>::denorm_min()), 0x7F7FFFFF, 0x7FC00000, 0x7F800000},
  };
  for (const auto& r : rows) {
    const NumFormat f = F(r.t);
    INFO(f.name());
    CHECK(f.bits() == r.bits);
    CHECK(f.bits() == dtype_bits(r.t));
    CHECK(f.exp_bits() == r.exp);
    CHECK(f.frac_bits() == r.frac);
    CHECK(f.bias() == r.bias);
    CHECK(f.max_finite() == r.max);
    CHECK(f.min_normal() == r.min_normal);
    CHECK(f.min_subnormal() == r.min_sub);
    CHECK(f.dtype() == r.t);
    CHECK(max_finite_pattern(f, false) == r.max_pat);
    CHECK(decode(f, r.max_pat) == r.max);
    CHECK(quiet_nan(f) == r.nan);
    CHECK(encode(f, kNaN) == r.nan);
    CHECK(std::isnan(decode(f, r.nan)));
    // zero, -0, min subnormal
    CHECK(encode(f, 0.0) == 0);
    const uint64_t neg0 = uint64_t{1} << (r.bits - 1);
    CHECK(encode(f, -0.0) == neg0);
    CHECK(decode(f, neg0) == 0.0);
    CHECK(std::signbit(decode(f, neg0)));
    CHECK(decode(f, 1) == r.min_sub);
    CHECK(encode(f, r.min_sub) == 1);
    CHECK(encode(f, r.min_sub / 2) == 0);           // tie with 0: to even (0)
    CHECK(encode(f, -r.min_sub / 2) == neg0);       // underflow keeps the sign
    CHECK(encode(f, r.min_sub * 0.75) == 1);
    CHECK(encode(f, r.min_sub * 1.5) == 2);         // tie 1 | 2: to even
    CHECK(encode(f, r.min_sub * 2.5) == 2);         // tie 2 | 3: to even
    CHECK(encode(f, r.min_sub / 2, {Rounding::TowardZero, false}) == 0);
    // the largest subnormal rounds up into the smallest normal at its tie
    const uint64_t max_sub = (uint64_t{1} << r.frac) - 1;
    CHECK(decode(f, max_sub) == r.min_normal - r.min_sub);
    CHECK(encode(f, r.min_normal - r.min_sub / 2) == uint64_t{1} << r.frac);
    // overflow
    const double ulp_max = p2(f.emax() - r.frac);
    if (f.has_inf()) {
      CHECK(encode(f, kInf) == r.inf);
      CHECK(encode(f, -kInf) == (r.inf | neg0));
      CHECK(is_inf(f, r.inf));
      CHECK(std::isinf(decode(f, r.inf)));
      CHECK(encode(f, r.max + ulp_max / 2) == r.inf);  // tie with 2^(emax+1): to even = overflow
      CHECK(encode(f, std::nextafter(r.max + ulp_max / 2, 0.0)) == r.max_pat);
    } else {
      CHECK(encode(f, kInf) == r.nan);                 // e4m3: no inf
      CHECK(encode(f, r.max + ulp_max / 2) == r.max_pat);  // 464: tie with 480 (S.1111.111) -> 448
      CHECK(encode(f, std::nextafter(r.max + ulp_max / 2, kInf)) == r.nan);
    }
    CHECK(encode(f, 1e300, {Rounding::NearestEven, true}) == r.max_pat);
    CHECK(encode(f, -1e300, {Rounding::NearestEven, true}) == (r.max_pat | neg0));
    CHECK(encode(f, kInf, {Rounding::NearestEven, true}) == r.max_pat);
    CHECK(encode(f, 1e300, {Rounding::TowardZero, false}) == r.max_pat);
    CHECK(encode(f, kNaN, {Rounding::TowardZero, true}) == r.nan);
    // one
    CHECK(decode(f, uint64_t(r.bias) << r.frac) == 1.0);
  }
  // NaN counts: e4m3 has one NaN per sign, IEEE formats every non-zero fraction at exponent max.
  auto nans = [](DType t) {
    int n = 0;
    for (uint64_t p = 0; p < (uint64_t{1} << F(t).bits()); ++p) n += is_nan(F(t), p);
    return n;
  };
  CHECK(nans(DType::fp8_e4m3) == 2);
  CHECK(nans(DType::fp8_e5m2) == 6);
  CHECK(nans(DType::fp16) == 2046);
  CHECK(nans(DType::bf16) == 254);
  CHECK(decode(F(DType::fp8_e4m3), 0x7F) != decode(F(DType::fp8_e4m3), 0x7F));  // NaN
  CHECK(decode(F(DType::fp8_e4m3), 0x78) == 256);  // S.1111.000 is a number in e4m3
  CHECK(decode(F(DType::fp8_e5m2), 0x78) == 32768);
}

TEST_CASE("round to nearest even and toward zero: hand cases", "[numerics]") {
  const NumFormat h = F(DType::fp16), e4 = F(DType::fp8_e4m3), bf = F(DType::bf16);
  const Conversion rtz{Rounding::TowardZero, false};
  CHECK(encode(h, 1 + p2(-11)) == 0x3C00);        // tie 1.0 | 1+2^-10: to even
  CHECK(encode(h, 1 + 3 * p2(-11)) == 0x3C02);    // tie 1+2^-10 | 1+2^-9: to even
  CHECK(encode(h, 1 + 3 * p2(-11), rtz) == 0x3C01);
  CHECK(encode(h, -(1 + p2(-11))) == 0xBC00);
  CHECK(encode(h, -(1 + 3 * p2(-11)), rtz) == 0xBC01);
  CHECK(encode(e4, 1.0625) == 0x38);              // 1 + 1/16: tie 1 | 1.125
  CHECK(encode(e4, 1.1875) == 0x3A);              // 1 + 3/16: tie 1.125 | 1.25
  CHECK(encode(bf, double(std::numeric_limits<float>::max())) == 0x7F80);  // rounds past bf16 max
  CHECK(encode(F(DType::fp8_e5m2), 61440) == 0x7C);  // midpoint of 57344 and 65536: overflow
  CHECK(encode(F(DType::fp8_e5m2), 61439) == 0x7B);
  // hi + lo, exactly: lo decides only on a representable value or a midpoint.
  const double tiny = p2(-60);
  CHECK(encode_sum(h, 1.0, -tiny) == 0x3C00);
  CHECK(encode_sum(h, 1.0, -tiny, rtz) == 0x3BFF);                  // just below 1: 1 - 2^-11
  CHECK(encode_sum(h, 1.0, tiny, rtz) == 0x3C00);
  CHECK(encode_sum(h, 1 + p2(-11), tiny) == 0x3C01);                // above the tie
  CHECK(encode_sum(h, 1 + p2(-11), -tiny) == 0x3C00);
  CHECK(encode_sum(h, -(1 + p2(-11)), -tiny) == 0xBC01);            // magnitude above the tie
  CHECK(encode_sum(h, p2(-14), -tiny, rtz) == 0x03FF);              // below min normal: max subnormal
  CHECK(encode_sum(h, p2(-24), -p2(-80), rtz) == 0x0000);           // below min subnormal: zero
  CHECK(encode_sum(F(DType::fp8_e4m3), 448, tiny, rtz) == 0x7E);
}

TEST_CASE("integers: round, wrap, clamp, sign-extend", "[numerics]") {
  const NumFormat i8 = F(DType::int8), i1 = F(DType::int1), t = F(DType::ternary);
  const Conversion rtz{Rounding::TowardZero, false}, sat{Rounding::NearestEven, true};
  CHECK(encode(i8, 2.5) == 2);
  CHECK(encode(i8, 3.5) == 4);
  CHECK(decode_int(i8, encode(i8, -2.5)) == -2);
  CHECK(decode_int(i8, encode(i8, -2.7, rtz)) == -2);
  CHECK(encode(i8, 2.7, rtz) == 2);
  CHECK(encode(i8, 127.5) == 0x80);  // 128 wraps to -128
  CHECK(encode(i8, 127.5, sat) == 0x7F);
  CHECK(encode(i8, 300) == 44);
  CHECK(encode(i8, 300, sat) == 127);
  CHECK(decode_int(i8, encode(i8, -300)) == -44);
  CHECK(decode_int(i8, encode(i8, -300, sat)) == -128);
  CHECK(encode(i8, kNaN) == 0);
  CHECK(encode(i8, kInf) == 0x7F);
  CHECK(encode(i8, -kInf) == 0x80);
  CHECK(decode_int(i8, 0xFF) == -1);
  CHECK(decode(i8, 0x80) == -128);
  CHECK(decode_int(i1, 1) == -1);  // int1 is {-1, 0}
  CHECK(encode(i1, 1.0) == 1);     // +1 wraps to -1
  CHECK(encode(i1, 1.0, sat) == 0);
  CHECK(i1.int_min() == -1);
  CHECK(i1.int_max() == 0);
  CHECK(encode(t, 5) == 1);  // ternary always clamps, never produces 0b10
  CHECK(encode(t, -3) == 3);
  CHECK(encode(t, -0.4) == 0);
  CHECK(encode_int(t, -7) == 3);
  CHECK_FALSE(is_valid(t, 2));
  CHECK(is_valid(t, 3));
  CHECK(decode_int(t, 3) == -1);
  const NumFormat i32 = F(DType::int32), i64 = NumFormat::int_bits(64), i24 = NumFormat::int_bits(24);
  CHECK(decode_int(i32, encode(i32, 2147483648.0)) == std::numeric_limits<int32_t>::min());
  CHECK(decode_int(i32, encode(i32, 2147483648.0, sat)) == std::numeric_limits<int32_t>::max());
  CHECK(decode_int(i64, encode(i64, p2(63))) == std::numeric_limits<int64_t>::min());
  CHECK(decode_int(i64, encode(i64, p2(63), sat)) == std::numeric_limits<int64_t>::max());
  CHECK(decode_int(i64, encode(i64, -p2(63))) == std::numeric_limits<int64_t>::min());
  CHECK(decode_int(i64, encode(i64, -p2(63), sat)) == std::numeric_limits<int64_t>::min());
  CHECK(decode_int(i64, encode(i64, -p2(64), sat)) == std::numeric_limits<int64_t>::min());
  CHECK(decode_int(i8, encode(i8, -128.0, sat)) == -128);
  CHECK(decode_int(i64, encode(i64, p2(64) + p2(12))) == 4096);
  CHECK(i24.name() == "int24");
  CHECK_FALSE(i24.dtype().has_value());
  CHECK(NumFormat::int_bits(8) == i8);
  CHECK(NumFormat::int_bits(8).name() == "int8");
  CHECK(decode_int(i24, encode_int(i24, 1 << 23)) == -(1 << 23));
  CHECK_THROWS_AS(NumFormat::int_bits(0), std::invalid_argument);
  CHECK_THROWS_AS(NumFormat::int_bits(65), std::invalid_argument);
  CHECK_THROWS_AS(decode_int(F(DType::fp16), 0), std::invalid_argument);
}

TEST_CASE("every pattern of the 8-, 16- and 19-bit formats round-trips", "[numerics]") {
  for (DType t : {DType::int1, DType::int2, DType::int3, DType::int4, DType::int5, DType::int6, DType::int7,
                  DType::int8, DType::int16, DType::ternary, DType::fp8_e4m3, DType::fp8_e5m2, DType::fp16,
                  DType::bf16, DType::tf32}) {
    const NumFormat f = F(t);
    INFO(f.name());
    uint64_t bad = 0, first_bad = 0;
    for (uint64_t p = 0; p < (uint64_t{1} << f.bits()); ++p) {
      if (!is_valid(f, p)) continue;
      const uint64_t want = is_nan(f, p) ? quiet_nan(f) : p;
      for (Conversion c : {Conversion{}, Conversion{Rounding::TowardZero, false}, Conversion{Rounding::NearestEven, true}}) {
        const bool inf_saturates = c.saturate && is_inf(f, p);
        if (encode(f, decode(f, p), c) != (inf_saturates ? max_finite_pattern(f, sign_bit(f, p)) : want)) {
          if (!bad++) first_bad = p;
        }
      }
    }
    CHECK(bad == 0);
    CHECK(first_bad == 0);
  }
}

TEST_CASE("rounding equals an exhaustive nearest-neighbour reference", "[numerics]") {
  std::mt19937_64 rng(7);
  for (DType t : {DType::fp8_e4m3, DType::fp8_e5m2, DType::fp16, DType::bf16, DType::tf32}) {
    const Table ref(F(t));
    INFO(ref.f.name());
    int checked = 0;
    for (double x : probes(ref.f, rng, 30000)) {
      for (Conversion c : {Conversion{}, Conversion{Rounding::TowardZero, false}, Conversion{Rounding::NearestEven, true},
                           Conversion{Rounding::TowardZero, true}}) {
        const uint64_t got = encode(ref.f, x, c), want = ref.encode(x, c.rounding, c.saturate);
        if (got != want) {
          INFO("x = " << x << " rounding " << int(c.rounding) << " saturate " << c.saturate);
          CHECK(got == want);
        }
        ++checked;
      }
    }
    CHECK(checked > 80000);
  }
}

TEST_CASE("fp32 equals the machine's fp32: conversion, add, fused multiply-add", "[numerics]") {
  const NumFormat f = F(DType::fp32);
  std::mt19937_64 rng(11);
  std::uniform_int_distribution<uint32_t> any;
  int mismatches = 0;
  for (double x : probes(f, rng, 50000)) {
    const volatile double vx = x;
    if (encode(f, vx) != bits_of(static_cast<float>(vx))) ++mismatches;
  }
  CHECK(mismatches == 0);
  // Toward zero: the machine's conversion under FE_TOWARDZERO (the code under test runs in the
  // default mode, after).
  const std::vector<double> xs = probes(f, rng, 20000);
  std::vector<uint32_t> machine;
  std::fesetround(FE_TOWARDZERO);
  for (double x : xs) {
    const volatile double vx = x;
    machine.push_back(bits_of(static_cast<float>(vx)));
  }
  std::fesetround(FE_TONEAREST);
  for (size_t i = 0; i < xs.size(); ++i)
    if (encode(f, xs[i], {Rounding::TowardZero, false}) != machine[i]) ++mismatches;
  CHECK(mismatches == 0);
  // Accumulation: acc + x and acc + a*b rounded once, against float + and fmaf, on random bit
  // patterns (all exponents, subnormals, infinities and NaNs included).
  const AccumRule rule = AccumRule::baseline(f);
  for (int i = 0; i < 200000; ++i) {
    uint32_t a = any(rng), b = any(rng), c = any(rng);
    if (i % 4 == 0) b = (b & 0x807FFFFF) | (a & 0x7F800000);  // close exponents: cancellation
    if (i % 8 == 1) c = bits_of(-float_of(a) * float_of(b)) ^ (any(rng) & 0xF);  // near-exact cancellation
    const volatile float fa = float_of(a), fb = float_of(b), fc = float_of(c);
    const float sum = fc + fa, fma = std::fmaf(fa, fb, fc);
    const uint64_t want_sum = std::isnan(sum) ? quiet_nan(f) : bits_of(sum);
    const uint64_t want_fma = std::isnan(fma) ? quiet_nan(f) : bits_of(fma);
    if (accumulate(rule, c, a) != want_sum) ++mismatches;
    if (multiply_accumulate(rule, c, f, a, f, b) != want_fma) ++mismatches;
  }
  CHECK(mismatches == 0);
  // Toward zero adds against the machine's, operands with nearby exponents half of the time.
  const AccumRule rtz{f, Rounding::TowardZero, false};
  std::vector<std::array<uint32_t, 3>> adds;  // a, c, machine c + a
  for (int i = 0; i < 100000; ++i) {
    uint32_t a = any(rng), c = any(rng);
    if (i % 2 == 0) {
      const int ec = std::min(254, std::max(0, int((a >> 23) & 0xFF) + int(any(rng) % 49) - 24));
      c = (c & 0x807FFFFF) | (uint32_t(ec) << 23);
    }
    adds.push_back({a, c, 0});
  }
  std::fesetround(FE_TOWARDZERO);
  for (auto& x : adds) {
    const volatile float fa = float_of(x[0]), fc = float_of(x[1]);
    x[2] = bits_of(fc + fa);
  }
  std::fesetround(FE_TONEAREST);
  for (const auto& x : adds)
    if (!std::isnan(float_of(x[2])) && accumulate(rtz, x[1], x[0]) != x[2]) ++mismatches;
  CHECK(mismatches == 0);
}

TEST_CASE("accumulation rules: integers wrap or clamp, floats round once", "[numerics]") {
  const NumFormat i8 = F(DType::int8), h = F(DType::fp16);
  const AccumRule wrap = AccumRule::baseline(i8), sat{i8, Rounding::NearestEven, true};
  CHECK(decode_int(i8, accumulate(wrap, encode_int(i8, 100), encode_int(i8, 100))) == -56);
  CHECK(decode_int(i8, accumulate(sat, encode_int(i8, 100), encode_int(i8, 100))) == 127);
  CHECK(decode_int(i8, accumulate(sat, encode_int(i8, -100), encode_int(i8, -100))) == -128);
  CHECK(wrap.describe() == "int8 wrapping");
  CHECK(AccumRule::baseline(F(DType::fp32)).describe() == "fp32, exact products, one rounding per add (nearest-even)");
  // int32 x int32 products exact, wrapping at 64 bits like unsigned arithmetic.
  const NumFormat i32 = F(DType::int32), i64 = NumFormat::int_bits(64), i40 = NumFormat::int_bits(40);
  const int64_t x = 2147483647, y = -2147483648LL;
  CHECK(decode_int(i64, multiply_accumulate(AccumRule::baseline(i64), encode_int(i64, 5), i32, encode_int(i32, x), i32,
                                            encode_int(i32, y))) == x * y + 5);
  const uint64_t low40 = (static_cast<uint64_t>(x) * static_cast<uint64_t>(y) + 5) & ((uint64_t{1} << 40) - 1);
  CHECK(multiply_accumulate(AccumRule::baseline(i40), encode_int(i40, 5), i32, encode_int(i32, x), i32,
                            encode_int(i32, y)) == low40);
  // fp16 accumulator: 2048 + 1 is a tie (2048 | 2050): stays 2048; a fused 1*1 likewise.
  const AccumRule hr = AccumRule::baseline(h);
  CHECK(decode(h, accumulate(hr, encode(h, 2048), encode(h, 1))) == 2048);
  CHECK(decode(h, multiply_accumulate(hr, encode(h, 2048), h, encode(h, 3), h, encode(h, 1))) == 2052);  // 2051: tie -> 2052
  CHECK(decode(h, accumulate(hr, encode(h, 65504), encode(h, 15))) == 65504);  // below the overflow tie
  CHECK(is_inf(h, accumulate(hr, encode(h, 65504), encode(h, 16))));           // on it: to even = overflow
  CHECK(is_inf(h, accumulate(hr, encode(h, 65504), encode(h, 32))));
  CHECK(accumulate({h, Rounding::NearestEven, true}, encode(h, 65504), encode(h, 32)) == 0x7BFF);
  CHECK(accumulate(hr, encode(h, 1), encode(h, -1)) == 0);             // exact cancellation: +0
  CHECK(accumulate(hr, encode(h, -0.0), encode(h, -0.0)) == 0x8000);  // -0 + -0 = -0
  CHECK(is_nan(h, accumulate(hr, infinity(h, false), infinity(h, true))));
  CHECK_THROWS_AS(multiply_accumulate(AccumRule::baseline(i32), 0, h, 0, h, 0), std::invalid_argument);
  CHECK_THROWS_AS(multiply_accumulate(hr, 0, i32, 0, i32, 0), std::invalid_argument);  // 64 bits of product
}

TEST_CASE("reference GEMM and typed matrices", "[numerics]") {
  const NumFormat i4 = F(DType::int4), i8 = F(DType::int8), h = F(DType::fp16);
  TypedMatrix a(2, 3, i4), b(3, 2, i4);
  const int av[] = {7, -8, 1, 0, 3, -1}, bv[] = {-8, 7, 7, -8, 2, 2};
  for (int i = 0; i < 6; ++i) {
    a.set_int(i / 3, i % 3, av[i]);
    b.set_int(i / 2, i % 2, bv[i]);
  }
  const TypedMatrix o = gemm(a, b, AccumRule::baseline(i8));
  // row 0: 7*-8 + -8*7 + 1*2 = -110, 7*7 + -8*-8 + 2 = 115; row 1: 21 - 2 = 19, -24 - 2 = -26
  CHECK(o.int_value(0, 0) == -110);
  CHECK(o.int_value(0, 1) == 115);
  CHECK(o.int_value(1, 0) == 19);
  CHECK(o.int_value(1, 1) == -26);
  const TypedMatrix o6 = gemm(a, b, AccumRule::baseline(NumFormat::int_bits(6)));  // wraps at 6 bits
  CHECK(o6.int_value(0, 0) == -110 + 128);
  CHECK(o6.int_value(0, 1) == 115 - 128);
  const TypedMatrix os = gemm(a, b, {i8, Rounding::NearestEven, true});  // clamps step by step in k order
  CHECK(os.int_value(0, 0) == -110);
  // fp16 chain in k order: 2048 + 1 + 1 stays 2048 (each add ties to even), 1 + 1 + 2048 = 2050.
  TypedMatrix x(1, 3, h), w(3, 1, h);
  for (int k = 0; k < 3; ++k) w.set_value(k, 0, 1.0);
  x.set_value(0, 0, 2048);
  x.set_value(0, 1, 1);
  x.set_value(0, 2, 1);
  CHECK(gemm(x, w, AccumRule::baseline(h)).value(0, 0) == 2048);
  x.set_value(0, 0, 1);
  x.set_value(0, 2, 2048);
  CHECK(gemm(x, w, AccumRule::baseline(h)).value(0, 0) == 2050);
  CHECK_THROWS_AS(gemm(a, a, AccumRule::baseline(i8)), std::invalid_argument);
  CHECK_THROWS_AS(a.set_raw(0, 0, 16), std::invalid_argument);
  // conversions
  TypedMatrix wide(1, 3, NumFormat::int_bits(64));
  wide.set_int(0, 0, (int64_t{1} << 53) + 1);
  wide.set_int(0, 1, (int64_t{1} << 24) + 1);
  wide.set_int(0, 2, -((int64_t{1} << 24) + 3));
  const TypedMatrix f32 = convert(wide, F(DType::fp32));
  CHECK(f32.value(0, 0) == p2(53));               // 2^53 + 1: nearest is 2^53
  CHECK(f32.value(0, 1) == p2(24));               // tie 2^24 | 2^24 + 2: to even
  CHECK(f32.value(0, 2) == -(p2(24) + 4));        // tie 2^24 + 2 | 2^24 + 4: to even
  const TypedMatrix to8 = convert(wide, i8, {Rounding::NearestEven, true});
  CHECK(to8.int_value(0, 0) == 127);
  CHECK(to8.int_value(0, 2) == -128);
  CHECK(convert(wide, i8).int_value(0, 1) == 1);  // wraps
  TypedMatrix hf(1, 2, h);
  hf.set_value(0, 0, -3.5);
  hf.set_value(0, 1, 1000);
  const TypedMatrix hi = convert(hf, i8, {Rounding::NearestEven, true});
  CHECK(hi.int_value(0, 0) == -4);
  CHECK(hi.int_value(0, 1) == 127);
  CHECK(convert(hf, F(DType::fp32)).value(0, 0) == -3.5);
}

TEST_CASE("value histograms from data and from declared distributions", "[numerics]") {
  const NumFormat i4 = F(DType::int4);
  TypedMatrix a(2, 4, i4);
  const int v[] = {0, 1, -1, 7, 0, -8, 1, 1};
  for (int i = 0; i < 8; ++i) a.set_int(i / 4, i % 4, v[i]);
  const ValueHistogram h = histogram_of(a);
  CHECK(h.count == 8);
  CHECK(h.zeros == 2);
  REQUIRE(h.bins.size() == 16);
  CHECK(h.bins[0] == 2);
  CHECK(h.bins[1] == 3);
  CHECK(h.bins[15] == 1);  // -1
  CHECK(h.bins[7] == 1);
  CHECK(h.bins[8] == 1);   // -8
  const ValueHistogram s = h.scaled_to(80);
  CHECK(s.count == 80);
  CHECK(s.bins[1] == 30);
  CHECK(s.zeros == 20);
  const ValueHistogram odd = h.scaled_to(7);  // 7 of 8: shares 1.75, 2.625, 0.875 x 3 -> sum 7
  uint64_t sum = 0;
  for (auto c : odd.bins) sum += c;
  CHECK(sum == 7);
  // Declared: 50% zeros over int4, the rest uniform: every other pattern gets 1/30.
  const ValueHistogram u = histogram_uniform(i4, 3000, 0.5);
  CHECK(u.bins[0] == 1500);
  CHECK(u.bins[5] == 100);
  CHECK(u.zeros == 1500);
  const ValueHistogram t = histogram_uniform(F(DType::ternary), 301);
  CHECK(t.bins[2] == 0);  // 0b10 is no ternary value
  CHECK(t.bins[1] + t.bins[3] == 301);
  CHECK(t.zeros == 0);
  const ValueHistogram e4 = histogram_uniform(F(DType::fp8_e4m3), 1000, 0);
  CHECK(e4.bins[0x7F] == 0);  // no NaN, no zeros
  CHECK(e4.bins[0x80] == 0);
  std::vector<double> p(16, 0);
  p[0] = 3;
  p[1] = 1;
  const ValueHistogram d = histogram_from_probabilities(i4, 10, p);
  CHECK(d.bins[0] == 8);  // 7.5 and 2.5: the tie's extra count goes to the lower pattern
  CHECK(d.bins[1] == 2);
  const ValueHistogram wide = histogram_uniform(F(DType::fp16), 1000, 0.25);
  CHECK_FALSE(wide.binned());
  CHECK(wide.zeros == 250);
  CHECK(wide.scaled_to(100).zeros == 25);
  CHECK_THROWS_AS(histogram_from_probabilities(F(DType::fp16), 10, p), std::invalid_argument);
  CHECK_THROWS_AS(histogram_from_probabilities(i4, 10, std::vector<double>(15, 1)), std::invalid_argument);
  std::vector<double> bad(4, 0);
  bad[2] = 1;
  CHECK_THROWS_AS(histogram_from_probabilities(F(DType::ternary), 10, bad), std::invalid_argument);
}

TEST_CASE("declared value distributions: uniform, rounded Gaussian, positive only", "[numerics]") {
  const uint64_t n = 1u << 20;
  const ValueHistogram u = histogram_of_distribution(F(DType::int4), {0.25, 0, false}, n);
  CHECK(u.zeros == n / 4);
  CHECK(static_cast<double>(u.bins[3]) == Approx(0.75 / 15 * n).margin(1));
  CHECK(static_cast<double>(u.bins[8]) == Approx(0.75 / 15 * n).margin(1));  // -8
  // sigma 1: P(1) : P(2) = (Phi(1.5) - Phi(0.5)) : (Phi(2.5) - Phi(1.5)) = 0.24173 : 0.06060
  const ValueHistogram g = histogram_of_distribution(F(DType::int8), {0, 1, false}, n);
  CHECK(g.zeros == 0);
  CHECK(static_cast<double>(g.bins[1]) / static_cast<double>(g.bins[2]) == Approx(0.24173 / 0.06060).epsilon(1e-3));
  CHECK(g.bins[1] == g.bins[255]);  // symmetric: -1
  // Clamped tails: sigma 100 on int4 puts most of the mass on the extremes 7 and -8.
  const ValueHistogram wide = histogram_of_distribution(F(DType::int4), {0, 100, false}, n);
  CHECK(wide.bins[7] > n / 3);
  CHECK(wide.bins[8] > n / 3);
  const ValueHistogram pos = histogram_of_distribution(F(DType::int8), {0.5, 20, true}, n);
  CHECK(pos.zeros == n / 2);
  for (size_t p = 128; p < 256; ++p) CHECK(pos.bins[p] == 0);  // no negative value
  CHECK_THROWS_AS(histogram_of_distribution(F(DType::fp16), {}, n), std::invalid_argument);
  CHECK_THROWS_AS(histogram_of_distribution(F(DType::int8), {1.5, 0, false}, n), std::invalid_argument);
}
