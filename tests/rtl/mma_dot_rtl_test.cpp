// The tensor-core dot-product unit (rtl/src/tensor_core/mma_dot.v) bit for bit and cycle for
// cycle against the numerics model: fp16 x fp16 -> fp32 under Ampere's block rule
// (tensor_core_rule("ampere", fp16, fp32): 8 products and c aligned to the largest exponent, 24
// fraction bits kept by truncation, rounded toward zero) and int8 x int8 -> int32 (exact,
// wrapping). Operands stream one set per cycle with random bubbles; every result must appear
// after the edge that follows the one taking its operands, and only then.
//   - hand-made edge sets: alignment loss, truncation, cancellation to +0, signed zeros, inf x 0,
//     inf - inf, NaN in, subnormal products and accumulators, the largest products;
//   - 120,000 random fp16 sets (uniform patterns with specials, Gaussian, near-cancelling c,
//     exponents spread over the whole range, subnormals, signed zeros) and 30,000 int8 sets.
// A mismatch prints the operands and both results; the test stops after five.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <random>
#include <vector>

#include "models/numerics/accumulate.h"
#include "models/numerics/tensor_core_numerics.h"
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "Vmma_dot.h"
#include "verilated.h"
#pragma GCC diagnostic pop

using namespace tessera;

namespace {

constexpr int kLanes = 8;

struct Set {
  bool int_mode = false;
  uint16_t a[kLanes] = {}, b[kLanes] = {};
  uint32_t c = 0;
};

const NumFormat kF16 = NumFormat::of(DType::fp16), kF32 = NumFormat::of(DType::fp32), kI8 = NumFormat::of(DType::int8),
                kI32 = NumFormat::int_bits(32);

uint32_t model(const Set& s) {
  uint64_t a[kLanes], b[kLanes];
  if (s.int_mode) {
    for (int i = 0; i < kLanes; ++i) {
      a[i] = s.a[i] & 0xff;
      b[i] = s.b[i] & 0xff;
    }
    return static_cast<uint32_t>(
        block_multiply_accumulate(AccumRule::baseline(kI32), s.c, kI8, a, 1, kI8, b, 1, kLanes));
  }
  for (int i = 0; i < kLanes; ++i) {
    a[i] = s.a[i];
    b[i] = s.b[i];
  }
  return static_cast<uint32_t>(
      block_multiply_accumulate(tensor_core_rule("ampere", DType::fp16, kF32), s.c, kF16, a, 1, kF16, b, 1, kLanes));
}

class Dut {
 public:
  Dut() : m_(&ctx_) {
    m_.rst = 1;
    m_.in_valid = 0;
    for (int i = 0; i < 3; ++i) edge();
    m_.rst = 0;
  }
  void drive(const Set* s) {
    m_.in_valid = s != nullptr;
    if (!s) return;
    m_.mode = s->int_mode;
    for (int w = 0; w < kLanes / 2; ++w) {
      m_.a[w] = static_cast<uint32_t>(s->a[2 * w]) | static_cast<uint32_t>(s->a[2 * w + 1]) << 16;
      m_.b[w] = static_cast<uint32_t>(s->b[2 * w]) | static_cast<uint32_t>(s->b[2 * w + 1]) << 16;
    }
    m_.c = s->c;
  }
  void edge() {
    m_.clk = 0;
    m_.eval();
    m_.clk = 1;
    m_.eval();
  }
  bool valid() const { return m_.out_valid; }
  uint32_t d() const { return m_.d; }

 private:
  VerilatedContext ctx_;
  Vmma_dot m_;
};

uint16_t h(double v) { return static_cast<uint16_t>(encode(kF16, v)); }
uint32_t s32(double v) { return static_cast<uint32_t>(encode(kF32, v)); }

std::vector<Set> hand_sets() {
  std::vector<Set> v;
  auto fp = [&](std::vector<double> a, std::vector<double> b, double c) {
    Set s;
    for (size_t i = 0; i < a.size(); ++i) {
      s.a[i] = h(a[i]);
      s.b[i] = h(b[i]);
    }
    s.c = s32(c);
    v.push_back(s);
  };
  const double t13 = std::ldexp(1.0, -13), t12 = std::ldexp(1.0, -12);
  fp({t13, t13, t13, t13}, {t12, t12, t12, t12}, 1.0);                          // alignment loss: 1.0
  fp({t12, t12}, {std::ldexp(1.0, -11), t12}, 1.0);                             // 1 + 1.5 ulp -> 1 + 1 ulp
  fp({1.0, std::ldexp(1.0, -15)}, {1.0, std::ldexp(1.0, -15)}, -1.0);           // cancellation: +0
  fp(std::vector<double>(8, -0.0), std::vector<double>(8, 1.0), -0.0);          // every term -0: -0
  fp({-0.0, 0.0}, {1.0, 1.0}, -0.0);                                            // +0
  fp({INFINITY}, {0.0}, 0.0);                                                   // NaN
  fp({INFINITY, INFINITY}, {1.0, -1.0}, 0.0);                                   // NaN
  fp({INFINITY, 2.0}, {-1.0, 3.0}, 5.0);                                        // -inf
  fp({1.0}, {1.0}, INFINITY);                                                   // inf
  fp({NAN}, {1.0}, 0.0);                                                        // NaN
  fp({std::ldexp(1.0, -24)}, {std::ldexp(1.0, -24)}, 0.0);                      // 2^-48
  fp({0.0}, {0.0}, std::ldexp(1.0, -140));                                      // a subnormal c
  fp({std::ldexp(1.0, -24)}, {std::ldexp(1.0, -24)}, -std::ldexp(1.0, -140));   // subnormal result
  fp(std::vector<double>(8, 65504.0), std::vector<double>(8, -65504.0), 3e38);  // largest products
  Set i8;  // int8: -128 x -128 x 8 + c wraps past 2^31
  i8.int_mode = true;
  for (int i = 0; i < kLanes; ++i) i8.a[i] = i8.b[i] = 0x80;
  i8.c = 0x7fffffffu;
  v.push_back(i8);
  return v;
}

Set random_set(std::mt19937_64& rng, int kind) {
  Set s;
  std::uniform_int_distribution<uint32_t> u16(0, 0xffff), u32(0, 0xffffffffu);
  std::normal_distribution<double> g(0.0, 1.0);
  std::uniform_int_distribution<int> ex(-24, 15);
  if (kind == 6) {
    s.int_mode = true;
    for (int i = 0; i < kLanes; ++i) {
      s.a[i] = static_cast<uint16_t>(u16(rng));  // the upper byte is ignored
      s.b[i] = static_cast<uint16_t>(u16(rng));
    }
    s.c = u32(rng);
    return s;
  }
  double exact = 0;
  for (int i = 0; i < kLanes; ++i) {
    switch (kind) {
      case 0:  // any pattern, specials included
        s.a[i] = static_cast<uint16_t>(u16(rng));
        s.b[i] = static_cast<uint16_t>(u16(rng));
        break;
      case 1:
      case 2:  // Gaussian; kind 2 cancels against c
        s.a[i] = h(g(rng));
        s.b[i] = h(g(rng));
        break;
      case 3:  // exponents over the whole range
        s.a[i] = h(std::ldexp(1.0 + std::fabs(g(rng)), ex(rng)) * (rng() & 1 ? -1 : 1));
        s.b[i] = h(std::ldexp(1.0 + std::fabs(g(rng)), ex(rng)));
        break;
      case 4:  // subnormals and small normals
        s.a[i] = static_cast<uint16_t>(u16(rng) & 0x87ff);
        s.b[i] = static_cast<uint16_t>(u16(rng) & 0x87ff);
        break;
      default:  // signed zeros among ones
        s.a[i] = static_cast<uint16_t>(rng() & 1 ? 0x8000 : (rng() & 1 ? 0x3c00 : 0));
        s.b[i] = static_cast<uint16_t>(rng() & 1 ? 0x8000 : 0xbc00);
        break;
    }
    const double p = decode(kF16, s.a[i]) * decode(kF16, s.b[i]);
    if (std::isfinite(p)) exact += p;
  }
  switch (kind) {
    case 0:
      s.c = u32(rng);
      break;
    case 2:
      s.c = s32(-exact * (1 + std::ldexp(g(rng), -20)));
      break;
    case 3:
      s.c = s32(std::ldexp(g(rng), ex(rng) * 2));
      break;
    case 4:
      s.c = static_cast<uint32_t>(u32(rng) & 0x80ffffffu);  // subnormal or tiny fp32
      break;
    case 5:
      s.c = rng() & 1 ? 0x80000000u : 0;
      break;
    default:
      s.c = s32(g(rng));
      break;
  }
  return s;
}

}  // namespace

TEST_CASE("mma_dot RTL == the block rule, fp16 -> fp32 (Ampere) and int8 -> int32, one result per cycle",
          "[rtl][tensor_core]") {
  std::mt19937_64 rng(12);
  std::vector<Set> sets = hand_sets();
  const size_t hand = sets.size();
  int fp = 0, ints = 0;
  for (int i = 0; i < 150000; ++i) {
    const int kind = i < 30000 ? 6 : i % 6;
    sets.push_back(random_set(rng, kind));
    (kind == 6 ? ints : fp)++;
  }
  CHECK(fp == 120000);
  CHECK(ints == 30000);
  // The literal answers of some hand sets, so that the model is held to them too.
  CHECK(model(sets[0]) == 0x3f800000u);
  CHECK(model(sets[1]) == 0x3f800001u);
  CHECK(model(sets[2]) == 0u);
  CHECK(model(sets[3]) == 0x80000000u);
  CHECK(model(sets[4]) == 0u);
  CHECK(model(sets[5]) == 0x7fc00000u);
  CHECK(model(sets[7]) == 0xff800000u);
  CHECK(model(sets[10]) == s32(std::ldexp(1.0, -48)));
  CHECK(model(sets[hand - 1]) == 0x7fffffffu + 0x20000u);  // 2^31 - 1 + 8 x 2^14, modulo 2^32

  Dut dut;
  std::deque<size_t> in_flight;  // the set taken at the previous edge (SIZE_MAX: none)
  in_flight.push_back(SIZE_MAX);
  std::bernoulli_distribution bubble(0.1);
  size_t next = 0, checked = 0, reported = 0, nan_or_inf = 0, zeros = 0;
  while (checked < sets.size()) {
    const bool issue = next < sets.size() && !bubble(rng);
    dut.drive(issue ? &sets[next] : nullptr);
    dut.edge();
    in_flight.push_back(issue ? next++ : SIZE_MAX);
    const size_t due = in_flight.front();  // taken at the edge before: its result is out now
    in_flight.pop_front();
    REQUIRE(dut.valid() == (due != SIZE_MAX));
    if (due == SIZE_MAX) continue;
    const uint32_t want = model(sets[due]), got = dut.d();
    ++checked;
    if (!sets[due].int_mode) {
      nan_or_inf += is_nan(kF32, want) || is_inf(kF32, want);
      zeros += is_zero(kF32, want);
    }
    if (want != got && reported++ < 5) {
      const Set& s = sets[due];
      std::printf("set %zu (%s): c %08x a", due, s.int_mode ? "int8" : "fp16", s.c);
      for (int i = 0; i < kLanes; ++i) std::printf(" %04x", s.a[i]);
      std::printf(" b");
      for (int i = 0; i < kLanes; ++i) std::printf(" %04x", s.b[i]);
      std::printf(": model %08x rtl %08x\n", want, got);
    }
    CHECK(want == got);
    if (reported >= 5) break;
  }
  CHECK(checked == sets.size());
  CHECK(nan_or_inf > 1000);  // specials were exercised
  CHECK(zeros > 1000);       // and signed zeros
}
