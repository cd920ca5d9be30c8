// The tensor-core block rule (models/numerics/accumulate.h) and the per-generation presets
// (tensor_core_numerics.h): hand-computed cases that show each rule -- alignment loss,
// cancellation, truncation toward zero, the block size, fp16 results to nearest, subnormals
// kept or flushed, special values -- and an exact rational reference (tests/reference/
// block_fma.py, Python fractions, written apart from the C++) that must agree bit for bit on
// random dot products of every preset.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "models/common/error.h"
#include "models/numerics/accumulate.h"
#include "models/numerics/tensor_core_numerics.h"

using namespace tessera;

namespace {

const NumFormat kF16 = NumFormat::of(DType::fp16), kF32 = NumFormat::of(DType::fp32);

// c + sum a_i b_i under `rule`: without c, gemm() of 1 x k by k x 1 (from +0); with c, the chain
// of blocks (or of fused adds for the baseline rule) from c.
uint64_t dot(const AccumRule& rule, const NumFormat& in, const std::vector<double>& a, const std::vector<double>& b,
             std::optional<double> c = std::nullopt) {
  TypedMatrix x(1, static_cast<int64_t>(a.size()), in), y(static_cast<int64_t>(b.size()), 1, in);
  for (size_t i = 0; i < a.size(); ++i) {
    x.set_value(0, static_cast<int64_t>(i), a[i]);
    y.set_value(static_cast<int64_t>(i), 0, b[i]);
  }
  const TypedMatrix p = gemm(x, y, rule);
  if (!c) return p.raw(0, 0);
  uint64_t acc = encode(rule.acc, *c);
  std::vector<uint64_t> av(a.size()), bv(b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    av[i] = x.raw(0, static_cast<int64_t>(i));
    bv[i] = y.raw(static_cast<int64_t>(i), 0);
  }
  if (rule.block == 0) {
    for (size_t i = 0; i < a.size(); ++i) acc = multiply_accumulate(rule, acc, in, av[i], in, bv[i]);
    return acc;
  }
  for (size_t k0 = 0; k0 < a.size(); k0 += static_cast<size_t>(rule.block))
    acc = block_multiply_accumulate(rule, acc, in, &av[k0], 1, in, &bv[k0], 1,
                                    static_cast<int>(std::min<size_t>(static_cast<size_t>(rule.block), a.size() - k0)));
  return acc;
}

double f32(uint64_t raw) { return decode(kF32, raw); }

}  // namespace

TEST_CASE("block rule by hand: alignment loss, truncation, cancellation, block size", "[numerics][tensor_core]") {
  const AccumRule ampere = tensor_core_rule("ampere", DType::fp16, kF32);
  CHECK(ampere.block == 8);
  CHECK(ampere.align_frac_bits == 24);
  CHECK(ampere.rounding == Rounding::TowardZero);
  const double u = std::ldexp(1.0, -24);

  // Alignment loss: 1 + 4 x 2^-25. Each product lies below the 24 bits kept under 1.0's leading
  // bit and is dropped; the exact sum 1 + 2^-23 is an fp32 number.
  const std::vector<double> tiny_a(4, std::ldexp(1.0, -13)), tiny_b(4, std::ldexp(1.0, -12));
  CHECK(f32(dot(ampere, kF16, tiny_a, tiny_b, 1.0)) == 1.0);
  AccumRule nearest = ampere;  // the loss is the alignment's, not the final rounding's
  nearest.rounding = Rounding::NearestEven;
  CHECK(f32(dot(nearest, kF16, tiny_a, tiny_b, 1.0)) == 1.0);
  CHECK(f32(encode(kF32, 1.0 + 4 * std::ldexp(1.0, -25))) == 1.0 + 2 * u);  // the exact sum, an fp32 value

  // Rounding toward zero: 1 + 2^-23 + 2^-24 = 1 + 1.5 ulp is kept exactly in the block (24
  // fraction bits), then truncated to 1 + 1 ulp; nearest-even gives 1 + 2 ulp.
  const std::vector<double> a = {std::ldexp(1.0, -12), std::ldexp(1.0, -12)}, b = {std::ldexp(1.0, -11),
                                                                                    std::ldexp(1.0, -12)};
  CHECK(f32(dot(ampere, kF16, a, b, 1.0)) == 1.0 + 2 * u);
  AccumRule rn = ampere;
  rn.rounding = Rounding::NearestEven;
  CHECK(f32(dot(rn, kF16, a, b, 1.0)) == 1.0 + 4 * u);

  // Cancellation: -1 + 1 + 2^-30 in one block is 0 (2^-30 is dropped before 1 - 1 cancels); a
  // chain of fused adds keeps it.
  const std::vector<double> ca = {1.0, std::ldexp(1.0, -15)}, cb = {1.0, std::ldexp(1.0, -15)};
  CHECK(dot(ampere, kF16, ca, cb, -1.0) == 0);  // +0
  CHECK(f32(dot(AccumRule::baseline(kF32), kF16, ca, cb, -1.0)) == std::ldexp(1.0, -30));

  // Block size: eight products of 2^-26 and then 1.0. Ampere adds the eight in their own block
  // (exactly 2^-23, then kept beside 1.0); Hopper's 16-product block aligns all nine to 1.0,
  // and 2^-26 lies below its 25 fraction bits.
  std::vector<double> sa(9, std::ldexp(1.0, -13)), sb(9, std::ldexp(1.0, -13));
  sa[8] = sb[8] = 1.0;
  CHECK(f32(dot(ampere, kF16, sa, sb)) == 1.0 + 2 * u);
  CHECK(f32(dot(tensor_core_rule("hopper", DType::fp16, kF32), kF16, sa, sb)) == 1.0);
  // Volta's 4-product blocks (23 fraction bits): two blocks of tiny products, exact, then 1.0.
  CHECK(f32(dot(tensor_core_rule("volta", DType::fp16, kF32), kF16, sa, sb)) == 1.0 + 2 * u);
}

TEST_CASE("block rule by hand: fp16 results, subnormals, special values", "[numerics][tensor_core]") {
  const AccumRule h16 = tensor_core_rule("ampere", DType::fp16, kF16);
  CHECK(h16.rounding == Rounding::NearestEven);
  // 1 + 2^-10 + 2^-11 = 1 + 1.5 fp16 ulp: nearest (the tie goes to the even 1 + 2 ulp) gives
  // 1 + 2^-9; toward zero would give 1 + 2^-10.
  CHECK(decode(kF16, dot(h16, kF16, {std::ldexp(1.0, -5), std::ldexp(1.0, -6)}, {std::ldexp(1.0, -5),
                                                                                 std::ldexp(1.0, -5)},
                     1.0)) == 1.0 + std::ldexp(1.0, -9));
  // Overflow: fp16 results go to inf (nearest), fp32 truncation stays at max finite.
  CHECK(is_inf(kF16, dot(h16, kF16, {256.0, 256.0}, {256.0, 256.0})));
  // Subnormal products are kept: 2^-24 x 2^-24 = 2^-48 into fp32 (normal there).
  const AccumRule ampere = tensor_core_rule("ampere", DType::fp16, kF32);
  const double tiny = std::ldexp(1.0, -24);
  CHECK(f32(dot(ampere, kF16, {tiny}, {tiny})) == std::ldexp(1.0, -48));
  AccumRule flush = ampere;
  flush.subnormals = false;  // the subnormal fp16 inputs read as zeros
  CHECK(dot(flush, kF16, {tiny}, {tiny}) == 0);
  // A subnormal fp32 accumulator value passes through, or is flushed.
  CHECK(f32(dot(ampere, kF16, {0.0}, {1.0}, std::ldexp(1.0, -140))) == std::ldexp(1.0, -140));
  CHECK(dot(flush, kF16, {0.0}, {1.0}, std::ldexp(1.0, -140)) == 0);
  // Zeros: -0 x 1 + -0 is -0; -0 + +0 is +0.
  CHECK(dot(ampere, kF16, {-0.0}, {1.0}, -0.0) == 0x80000000u);
  CHECK(dot(ampere, kF16, {-0.0, 0.0}, {1.0, 1.0}) == 0);
  // Specials: inf x 0 and inf - inf are NaN; inf + finite is inf.
  CHECK(is_nan(kF32, dot(ampere, kF16, {INFINITY}, {0.0})));
  CHECK(is_nan(kF32, dot(ampere, kF16, {INFINITY, INFINITY}, {1.0, -1.0})));
  CHECK(f32(dot(ampere, kF16, {INFINITY, 2.0}, {1.0, 3.0})) == INFINITY);
  CHECK(is_nan(kF32, dot(ampere, kF16, {NAN}, {1.0})));
}

TEST_CASE("presets: what each generation supports, and named errors", "[numerics][tensor_core]") {
  CHECK(tensor_core_rule("ampere", DType::int8, NumFormat::int_bits(32)) == AccumRule::baseline(NumFormat::int_bits(32)));
  CHECK(tensor_core_rule("hopper", DType::fp8_e4m3, kF32).align_frac_bits == 13);  // DeepSeek-V3: ~14 bits
  CHECK(tensor_core_rule("hopper", DType::fp8_e4m3, kF32).block == 32);
  CHECK_THROWS_WITH(tensor_core_rule("volta", DType::bf16, kF32),
                    Catch::Contains("volta tensor cores have no bf16->fp32 MMA") && Catch::Contains("fp16->fp32"));
  CHECK_THROWS_WITH(tensor_core_rule("ampere", DType::fp8_e4m3, kF32), Catch::Contains("int4->int32"));
  CHECK_THROWS_WITH(tensor_core_rule("amprere", DType::fp16, kF32), Catch::Contains("did you mean 'ampere'"));
}

TEST_CASE("block rule == the exact rational reference on random dot products of every preset",
          "[numerics][tensor_core]") {
  struct Preset {
    const char* gen;
    DType in, acc;
  };
  const Preset presets[] = {{"volta", DType::fp16, DType::fp32},      {"volta", DType::fp16, DType::fp16},
                            {"ampere", DType::fp16, DType::fp32},     {"ampere", DType::fp16, DType::fp16},
                            {"ampere", DType::bf16, DType::fp32},     {"ampere", DType::tf32, DType::fp32},
                            {"hopper", DType::fp16, DType::fp32},     {"hopper", DType::bf16, DType::fp32},
                            {"hopper", DType::tf32, DType::fp32},     {"hopper", DType::fp8_e4m3, DType::fp32},
                            {"hopper", DType::fp8_e5m2, DType::fp32}};
  std::mt19937_64 rng(2026);
  std::ostringstream cases;
  std::vector<uint64_t> want;
  int flushed = 0;
  for (int i = 0; i < 6000; ++i) {
    const Preset& p = presets[static_cast<size_t>(i) % std::size(presets)];
    const NumFormat in = NumFormat::of(p.in), acc = NumFormat::of(p.acc);
    AccumRule rule = tensor_core_rule(p.gen, p.in, acc);
    if (i % 7 == 0) {
      rule.subnormals = false;
      ++flushed;
    }
    const int k = std::uniform_int_distribution<int>(1, 3 * rule.block)(rng);
    // Operands: any finite pattern, or values near one another's scale (cancellation), or tiny.
    auto draw = [&](const NumFormat& f) {
      for (;;) {
        uint64_t raw = std::uniform_int_distribution<uint64_t>(0, format_mask(f))(rng);
        const int kind = i % 3;
        if (kind == 1) raw = encode(f, std::normal_distribution<double>(0.0, 1.0)(rng));
        if (kind == 2) raw = encode(f, std::ldexp(std::normal_distribution<double>(0.0, 1.0)(rng), -20));
        const double v = decode(f, raw);
        if (std::isfinite(v) && std::fabs(v) < std::ldexp(1.0, f.emax() / 2 - 2)) return raw;  // no overflow
      }
    };
    std::vector<uint64_t> a(static_cast<size_t>(k)), b(static_cast<size_t>(k));
    for (auto& x : a) x = draw(in);
    for (auto& x : b) x = draw(in);
    const uint64_t c = draw(acc);
    uint64_t r = c;
    for (int k0 = 0; k0 < k; k0 += rule.block)
      r = block_multiply_accumulate(rule, r, in, &a[static_cast<size_t>(k0)], 1, in, &b[static_cast<size_t>(k0)], 1,
                                    std::min(rule.block, k - k0));
    want.push_back(r);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s %s %d %d %s %d %llx ", dtype_name(p.in).c_str(), dtype_name(p.acc).c_str(),
                  rule.block, rule.align_frac_bits, rule.rounding == Rounding::TowardZero ? "RZ" : "RN",
                  rule.subnormals ? 1 : 0, static_cast<unsigned long long>(c));
    cases << buf;
    for (int j = 0; j < k; ++j) cases << (j ? "," : "") << std::hex << a[static_cast<size_t>(j)] << std::dec;
    cases << ' ';
    for (int j = 0; j < k; ++j) cases << (j ? "," : "") << std::hex << b[static_cast<size_t>(j)] << std::dec;
    cases << '\n';
  }
  const std::string in_path = std::string(TESSERA_BINARY_DIR) + "/tensor_core_numerics_cases.txt";
  const std::string out_path = in_path + ".out";
  std::ofstream(in_path) << cases.str();
  const std::string cmd = std::string(TESSERA_DEBIAN_PYTHON) + " " + TESSERA_SOURCE_DIR +
                          "/tests/reference/block_fma.py < " + in_path + " > " + out_path;
  REQUIRE(std::system(cmd.c_str()) == 0);
  std::ifstream got(out_path);
  size_t i = 0, inexact = 0;
  std::string line;
  while (std::getline(got, line)) {
    REQUIRE(i < want.size());
    unsigned long long ref = 0, exact = 0;
    REQUIRE(std::sscanf(line.c_str(), "%llx %llx", &ref, &exact) == 2);
    INFO("case " << i);
    CHECK(want[i] == ref);
    inexact += ref != exact;  // the rule's answer differs from the correctly rounded exact sum
    ++i;
  }
  CHECK(i == want.size());
  CHECK(flushed > 800);
  CHECK(inexact > 500);  // the cases exercise the truncation, not only exact sums
}
