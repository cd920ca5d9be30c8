// The floating-point shift-and-add RTL (rtl/src/common/fp_add.v) bit for bit against its C++
// reference add_scaled() (models/numerics/accumulate.h), at the LUT engine's three parameter sets
// (fp16 -> fp16, fp32 -> fp32, fp32 -> fp16; SHW = 2), each Verilated by tests/rtl/fp_add.cmake:
//   - hand-made edge operands: signed zeros, x - x, the smallest subnormal scaled and halved,
//     overflow, ties to even, inf - inf, NaN payloads, inf + finite, and for fp32 -> fp16 values
//     that overflow, underflow and round when narrowed; where the answer is plain, the reference
//     is held to the literal pattern too;
//   - 200,000 random operands per set from a mix: uniform patterns, near-equal exponents
//     (cancellation), far-apart exponents (sticky bits), subnormals, values near overflow, values
//     around the output's range, specials, short fractions (exact ties).
// A mismatch prints the operands and both results in hex; a set stops after five.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "models/numerics/accumulate.h"
#include "models/numerics/format.h"
// Verilator's headers are not clean under -Wextra (an unused parameter in verilated_types.h).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "Vfp_add_h16.h"
#include "Vfp_add_s32.h"
#include "Vfp_add_s32h16.h"
#include "verilated.h"
#pragma GCC diagnostic pop

using namespace tessera;

namespace {

constexpr int kShMax = 3;           // SHW = 2: sh_b in 0..3
constexpr int kRandomCases = 200000;  // per parameter set
constexpr int kMaxReported = 5;

struct Case {
  uint64_t a, b;
  bool neg;
  int sh;
  bool half;
};

// A hand-made case; want >= 0: the result the reference must give too.
struct Hand {
  Case c;
  int64_t want = -1;
};

// One Verilated fp_add.
template <class Model>
class Dut {
 public:
  Dut() : model_(&ctx_) {}
  ~Dut() { model_.final(); }
  uint64_t eval(const Case& c) {
    model_.a = static_cast<std::remove_reference_t<decltype(model_.a)>>(c.a);
    model_.b = static_cast<std::remove_reference_t<decltype(model_.b)>>(c.b);
    model_.neg_b = c.neg;
    model_.sh_b = static_cast<uint8_t>(c.sh);
    model_.half = c.half;
    model_.eval();
    return model_.y;
  }

 private:
  VerilatedContext ctx_;
  Model model_;
};

uint64_t low_ones(int n) { return (uint64_t{1} << n) - 1; }

// Patterns of a float format.
struct Fmt {
  NumFormat f;
  int E, F;
  explicit Fmt(DType t) : f(NumFormat::of(t)), E(f.exp_bits()), F(f.frac_bits()) {}
  uint64_t ones() const { return low_ones(E); }  // the inf/NaN exponent field
  uint64_t pack(bool s, uint64_t e, uint64_t m) const {
    return (uint64_t{s} << (E + F)) | ((e & ones()) << F) | (m & low_ones(F));
  }
  uint64_t of(double v) const {  // an exactly representable value
    const uint64_t p = encode(f, v);
    REQUIRE(decode(f, p) == v);
    return p;
  }
  uint64_t inf(bool s) const { return pack(s, ones(), 0); }
  uint64_t max(bool s) const { return pack(s, ones() - 1, low_ones(F)); }
  uint64_t qnan() const { return pack(false, ones(), uint64_t{1} << (F - 1)); }
  uint64_t neg(uint64_t p) const { return p ^ (uint64_t{1} << (E + F)); }
};

std::string hex(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// Random operands for input format `in` and output format `out` (see the file comment).
class Gen {
 public:
  Gen(const Fmt& in, const Fmt& out, uint64_t seed) : in_(in), out_(out), rng_(seed) {}

  Case next() {
    Case c{0, 0, coin(), pick(0, kShMax), coin()};
    switch (pick(0, 9)) {
      case 0:
      case 1:  // uniform patterns (NaN and inf among them)
        c.a = rng_() & low_ones(in_.E + in_.F + 1);
        c.b = rng_() & low_ones(in_.E + in_.F + 1);
        break;
      case 2:
      case 3: {  // effective exponents within one binade: cancellation, a large left shift
        const int ea = pick(0, int(in_.ones()) - 1);
        const int eb = clamp_exp(ea - c.sh + pick(-1, 1));
        const bool sa = coin();
        c.a = in_.pack(sa, ea, frac());
        // b: a's fraction with a few low bits changed, or any; opposite effective sign mostly.
        const uint64_t fb = coin() ? (c.a ^ (rng_() & low_ones(pick(0, in_.F)))) : frac();
        c.b = in_.pack(pick(0, 7) ? (sa ^ c.neg ^ 1) : coin(), eb, fb);
        break;
      }
      case 4: {  // exponents far apart: the smaller one only rounds or is sticky
        const int gap = pick(0, 3) ? pick(in_.F - 2, in_.F + 8) : pick(in_.F + 8, 3 * in_.F + 20);
        const int hi = pick(0, int(in_.ones()) - 1);
        const int lo = clamp_exp(hi - gap);
        const bool a_hi = coin();
        c.a = in_.pack(coin(), a_hi ? hi : lo, frac());
        c.b = in_.pack(coin(), a_hi ? clamp_exp(lo - c.sh) : clamp_exp(hi - c.sh), frac());
        break;
      }
      case 5:  // subnormals (and the smallest normals)
        c.a = in_.pack(coin(), pick(0, 3) ? 0 : 1, small_frac());
        c.b = in_.pack(coin(), pick(0, 3) ? 0 : pick(0, 2), small_frac());
        break;
      case 6: {  // near overflow: the largest binades, fractions near all ones, mostly one sign
        const bool s = coin();
        c.a = in_.pack(s, in_.ones() - 1 - pick(0, 1), low_ones(in_.F) - (rng_() & low_ones(pick(0, in_.F))));
        c.b = in_.pack(pick(0, 7) ? s ^ c.neg : coin(), in_.ones() - 1 - pick(0, kShMax + 1),
                       low_ones(in_.F) - (rng_() & low_ones(pick(0, in_.F))));
        break;
      }
      case 7:  // around the output's range: overflow, underflow and rounding when narrowed
        c.a = out_range();
        c.b = coin() ? out_range() : in_.pack(coin(), clamp_exp(int(exp_of(c.a)) - pick(0, in_.F + 4)), frac());
        break;
      case 8: {  // a special or an extreme against anything
        const uint64_t s[] = {in_.pack(0, 0, 0),        in_.pack(1, 0, 0),
                              in_.inf(false),           in_.inf(true),
                              in_.pack(coin(), in_.ones(), (rng_() & low_ones(in_.F)) | 1),  // NaN
                              in_.pack(coin(), 0, 1),   in_.max(coin())};
        c.a = s[pick(0, 6)];
        c.b = coin() ? s[pick(0, 6)] : in_.pack(coin(), pick(0, int(in_.ones()) - 1), frac());
        if (coin()) std::swap(c.a, c.b);
        break;
      }
      default: {  // short fractions near 1: exact ties at the output precision
        const int ea = int(in_.f.bias()) + pick(-3, 3);
        c.a = in_.pack(coin(), ea, short_frac());
        c.b = in_.pack(coin(), clamp_exp(ea - pick(0, out_.F + 3)), short_frac());
        break;
      }
    }
    return c;
  }

 private:
  bool coin() { return rng_() & 1; }
  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  int clamp_exp(int e) const { return std::min(std::max(e, 0), int(in_.ones()) - 1); }  // finite
  uint64_t exp_of(uint64_t p) const { return (p >> in_.F) & in_.ones(); }
  uint64_t frac() {  // random, or short (only the top bits), or with a rounding pattern below
    switch (pick(0, 3)) {
      case 0: return short_frac();
      case 1: {  // the bits under the output precision: half, half +- 1, zero, all ones
        const int d = in_.F - out_.F;
        const uint64_t top = (rng_() & low_ones(out_.F)) << d;
        if (d == 0) return top;
        const uint64_t h = uint64_t{1} << (d - 1);
        const uint64_t lows[] = {h, h - 1, h + 1, 0, low_ones(d)};
        return top | (lows[pick(0, 4)] & low_ones(d));
      }
      default: return rng_() & low_ones(in_.F);
    }
  }
  uint64_t short_frac() { return (rng_() & low_ones(in_.F)) & ~low_ones(in_.F - pick(0, in_.F)); }
  uint64_t small_frac() { return coin() ? rng_() & low_ones(pick(1, in_.F)) : frac(); }
  // A finite input whose value lies in or just beyond the output's range.
  uint64_t out_range() {
    const int lo = out_.f.emin() - out_.F - 3, hi = out_.f.emax() + 2;
    const int e = pick(lo, hi) + in_.f.bias();  // the input's biased exponent field
    return in_.pack(coin(), clamp_exp(e), frac());
  }

  const Fmt& in_;
  const Fmt& out_;
  std::mt19937_64 rng_;
};

// Hand-made cases for every set (the literal results hold when in == out).
std::vector<Hand> hand_cases(const Fmt& in, const Fmt& out) {
  const bool same = in.E == out.E && in.F == out.F;
  auto lit = [&](int64_t v) { return same ? v : -1; };
  std::vector<Hand> h;
  // Signed zeros: -0 only for -0 + -0 (neg_b applied first).
  for (int sa = 0; sa < 2; ++sa)
    for (int sb = 0; sb < 2; ++sb)
      for (int neg = 0; neg < 2; ++neg)
        for (int sh : {0, kShMax})
          for (int half = 0; half < 2; ++half)
            h.push_back({{in.pack(sa, 0, 0), in.pack(sb, 0, 0), neg != 0, sh, half != 0},
                         int64_t(out.pack(sa && (sb != neg), 0, 0))});
  // x + (-x) = +0, also through the shift and the halving.
  for (uint64_t x : {in.of(1.0), in.max(false), in.pack(0, 0, 1), in.pack(0, 0, low_ones(in.F)),
                     in.pack(0, 1, 0), in.of(-3.25), in.pack(1, in.ones() - 2, 0x5a5a5 & low_ones(in.F))}) {
    for (int half = 0; half < 2; ++half) {
      h.push_back({{x, x, true, 0, half != 0}, int64_t(out.pack(0, 0, 0))});
      h.push_back({{in.neg(x), x, false, 0, half != 0}, int64_t(out.pack(0, 0, 0))});
      h.push_back({{x, in.neg(x), false, 0, half != 0}, int64_t(out.pack(0, 0, 0))});
    }
  }
  h.push_back({{in.of(2.0), in.of(1.0), true, 1, false}, int64_t(out.pack(0, 0, 0))});
  h.push_back({{in.of(-8.0), in.of(1.0), false, 3, true}, int64_t(out.pack(0, 0, 0))});
  h.push_back({{in.pack(0, 0, 8), in.pack(0, 0, 1), true, 3, false}, int64_t(out.pack(0, 0, 0))});
  // The smallest subnormal scaled by 2^sh, and halved: 1/2 min rounds to 0 (even), 3/2 min to 2 min.
  for (int sh = 0; sh <= kShMax; ++sh)
    for (int half = 0; half < 2; ++half)
      for (int neg = 0; neg < 2; ++neg) {
        const int64_t n = (int64_t{1} << sh) >> half;  // sh = 0, half: 1/2 -> 0
        h.push_back({{in.pack(0, 0, 0), in.pack(0, 0, 1), neg != 0, sh, half != 0}, lit(int64_t(out.pack(neg, 0, n)))});
      }
  h.push_back({{in.pack(0, 0, 3), in.pack(0, 0, 0), false, 0, true}, lit(int64_t(out.pack(0, 0, 2)))});
  h.push_back({{in.pack(1, 0, 3), in.pack(0, 0, 0), false, 0, true}, lit(int64_t(out.pack(1, 0, 2)))});
  h.push_back({{in.pack(0, 0, 5), in.pack(0, 0, 0), false, 0, true}, lit(int64_t(out.pack(0, 0, 2)))});
  h.push_back({{in.pack(0, 0, 1), in.pack(0, 0, 2), false, 0, true}, lit(int64_t(out.pack(0, 0, 2)))});
  h.push_back({{in.pack(0, 0, 1), in.pack(0, 0, 0), true, 0, true}, lit(int64_t(out.pack(0, 0, 0)))});
  // Subnormal + subnormal into the smallest normal; a subnormal b scaled past a.
  h.push_back({{in.pack(0, 0, low_ones(in.F)), in.pack(0, 0, 1), false, 0, false}, lit(int64_t(out.pack(0, 1, 0)))});
  h.push_back({{in.pack(0, 0, 1), in.pack(0, 0, 3), true, 3, false}, lit(int64_t(out.pack(1, 0, 23)))});
  h.push_back({{in.pack(0, 1, 0), in.pack(0, 0, low_ones(in.F)), true, 1, false},
               lit(int64_t(out.pack(1, 0, low_ones(out.F) - 1)))});
  // ... and the larger exponent holding the smaller magnitude (the RTL's negated difference).
  h.push_back({{in.pack(0, 1, 0), in.pack(0, 0, low_ones(in.F - 1)), true, 1, false}, lit(int64_t(out.pack(0, 0, 2)))});
  h.push_back({{in.pack(1, 2, 5), in.pack(0, 0, low_ones(in.F - 2)), false, 3, false}, lit(int64_t(out.pack(1, 0, 18)))});
  // Max finite + max finite overflows; halved it is max finite again; max - max = +0.
  h.push_back({{in.max(false), in.max(false), false, 0, false}, int64_t(out.inf(false))});
  h.push_back({{in.max(true), in.max(false), true, 2, false}, int64_t(out.inf(true))});
  h.push_back({{in.max(false), in.max(false), false, 0, true}, lit(int64_t(out.max(false)))});
  h.push_back({{in.max(false), in.max(false), true, 0, true}, int64_t(out.pack(0, 0, 0))});
  // Max + half an ulp ties up to inf (max is odd); max + a quarter ulp stays.
  const double ulp_max = std::ldexp(1.0, in.f.emax() - in.F);
  h.push_back({{in.max(false), in.of(ulp_max / 2), false, 0, false}, lit(int64_t(out.inf(false)))});
  h.push_back({{in.max(false), in.of(ulp_max / 8), false, 1, false}, lit(int64_t(out.max(false)))});
  h.push_back({{in.max(true), in.of(ulp_max / 2), true, 0, true}, lit(int64_t(out.pack(1, out.ones() - 1, 0)))});  // a tie up to 2^emax
  // Ties at the output precision: 1 + 2^-(FO+1) to even (down), 1 + 3 2^-(FO+1) to even (up),
  // (1 + ulp) + 2^-(FO+1) up, a tie broken by a sticky bit, a tie made by the shift or the halving.
  const double t = std::ldexp(1.0, -(out.F + 1));
  const int64_t one_o = int64_t(out.pack(0, uint64_t(out.f.bias()), 0));
  for (int s = 0; s < 2; ++s) {
    const double sg = s ? -1.0 : 1.0;
    const int64_t sgn = int64_t(s) << (out.E + out.F);
    h.push_back({{in.of(sg), in.of(sg * t), false, 0, false}, one_o | sgn});
    h.push_back({{in.of(sg), in.of(sg * 3 * t), false, 0, false}, (one_o + 2) | sgn});
    h.push_back({{in.of(sg * (1 + 2 * t)), in.of(sg * t), false, 0, false}, (one_o + 2) | sgn});
    h.push_back({{in.of(sg), in.of(sg * t * (1 + std::ldexp(1.0, -(in.F - 1)))), false, 0, false}, (one_o + 1) | sgn});
    h.push_back({{in.of(sg), in.of(sg * t / 8), false, 3, false}, one_o | sgn});
    h.push_back({{in.of(sg * 2), in.of(sg * 2 * t), false, 0, true}, one_o | sgn});
    h.push_back({{in.of(sg * 2), in.of(-sg * 6 * t), true, 0, true}, (one_o + 2) | sgn});
    h.push_back({{in.of(sg * (1 + 4 * t)), in.of(sg * t), true, 0, false}, (one_o + 2) | sgn});  // 1 + 3t
  }
  // inf - inf is NaN; inf + inf is inf; NaNs (any sign, any payload) come out canonical.
  h.push_back({{in.inf(false), in.inf(false), true, 0, false}, int64_t(out.qnan())});
  h.push_back({{in.inf(false), in.inf(true), false, 1, true}, int64_t(out.qnan())});
  h.push_back({{in.inf(true), in.inf(false), false, 3, false}, int64_t(out.qnan())});
  h.push_back({{in.inf(true), in.inf(false), true, 0, true}, int64_t(out.inf(true))});
  h.push_back({{in.inf(false), in.inf(false), false, 2, false}, int64_t(out.inf(false))});
  for (uint64_t nan : {in.pack(1, in.ones(), 1), in.pack(0, in.ones(), low_ones(in.F)), in.qnan(),
                       in.pack(1, in.ones(), uint64_t{1} << (in.F - 1) | 0x15)}) {
    h.push_back({{nan, in.of(1.0), false, 0, false}, int64_t(out.qnan())});
    h.push_back({{in.of(-2.5), nan, true, 2, true}, int64_t(out.qnan())});
    h.push_back({{nan, in.inf(true), false, 0, false}, int64_t(out.qnan())});
    h.push_back({{in.inf(false), nan, true, 1, false}, int64_t(out.qnan())});
    h.push_back({{nan, nan, false, 0, false}, int64_t(out.qnan())});
  }
  // inf + finite is that inf (b's after neg_b).
  h.push_back({{in.inf(false), in.of(1.0), false, 0, false}, int64_t(out.inf(false))});
  h.push_back({{in.inf(true), in.max(false), false, 3, true}, int64_t(out.inf(true))});
  h.push_back({{in.of(1.0), in.inf(false), true, 0, false}, int64_t(out.inf(true))});
  h.push_back({{in.max(true), in.inf(true), true, 3, false}, int64_t(out.inf(false))});
  h.push_back({{in.pack(1, 0, 0), in.inf(false), false, 0, true}, int64_t(out.inf(false))});
  h.push_back({{in.pack(0, 0, 1), in.inf(true), false, 1, false}, int64_t(out.inf(true))});
  if (!same) {
    // Narrowing: overflow, underflow and rounding when the sum becomes the output format.
    const double omax = out.f.max_finite(), ohalf = std::ldexp(1.0, out.f.emax() - out.F - 1);
    const double omin = out.f.min_subnormal(), onorm = out.f.min_normal();
    auto add = [&](double a, double b, int64_t want, int sh = 0, bool half = false) {
      h.push_back({{in.of(a), in.of(b), false, sh, half}, want});
      h.push_back({{in.of(-a), in.of(-b), false, sh, half}, want | (int64_t{1} << (out.E + out.F))});
    };
    add(omax, 0, int64_t(out.max(false)));
    add(omax, ohalf - std::ldexp(1.0, -20), int64_t(out.max(false)));  // just below the tie
    add(omax - ohalf, ohalf, int64_t(out.max(false)));
    add(omax, ohalf / 2, int64_t(out.inf(false)), 1);  // the tie: up to 2^16 (max is odd)
    add(omax, ohalf * 2, int64_t(out.inf(false)));
    add(std::ldexp(1.0, out.f.emax() + 3), 0, int64_t(out.inf(false)));
    add(std::ldexp(1.0, out.f.emax() + 1), 0, int64_t(out.pack(0, out.ones() - 1, 0)), 0, true);  // 2^16 / 2
    add(omax, omax, int64_t(out.max(false)), 0, true);
    add(omin, 0, int64_t(out.pack(0, 0, 1)));
    add(omin / 2, 0, int64_t(out.pack(0, 0, 0)));  // a tie to even: 0, signed
    add(omin / 2, omin / 1024, int64_t(out.pack(0, 0, 1)));
    add(omin, 0, int64_t(out.pack(0, 0, 0)), 0, true);
    add(3 * omin / 2, 0, int64_t(out.pack(0, 0, 2)));
    add(5 * omin / 2, 0, int64_t(out.pack(0, 0, 2)));
    add(omin / 4, omin / 8, int64_t(out.pack(0, 0, 0)), 1);  // 1/4 + 2 * 1/8: the tie at 1/2 again
    add(onorm - omin / 2, 0, int64_t(out.pack(0, 1, 0)));  // a tie between 0x3ff and 0x400: even
    add(onorm - omin, omin / 4, int64_t(out.pack(0, 0, low_ones(out.F))));
    add(onorm, -omin / 2, int64_t(out.pack(0, 1, 0)));     // 2^-14 - 2^-25: the tie again
    add(std::ldexp(1.0, -100), 0, int64_t(out.pack(0, 0, 0)));
    add(std::ldexp(1.0, -100), std::ldexp(1.0, -110), int64_t(out.pack(0, 0, 0)), 3, true);
    add(1.0, t, int64_t(one_o));
    add(1.0, 3 * t, one_o + 2);
    add(1.0, t + std::ldexp(1.0, -(in.F + 1)), one_o + 1);
    add(1.0, t - std::ldexp(1.0, -(in.F + 1)), one_o);
    add(1.0, std::ldexp(1.0, -60), one_o);
    add(1.0 + 2 * t, t - std::ldexp(1.0, -(out.F + 1 + in.F)), one_o + 1);
  }
  return h;
}

std::string show(const Case& c) {
  return "a=" + hex(c.a) + " b=" + hex(c.b) + " neg_b=" + std::to_string(c.neg) + " sh_b=" + std::to_string(c.sh) +
         " half=" + std::to_string(c.half);
}

// Every hand-made case and kRandomCases random ones through the RTL and add_scaled().
template <class Model>
void check_set(DType tin, DType tout, uint64_t seed) {
  const Fmt in(tin), out(tout);
  Dut<Model> dut;
  int bad = 0;
  int64_t checked = 0;
  auto check = [&](const Case& c, int64_t want) {
    const uint64_t ref = add_scaled(in.f, out.f, c.a, c.b, c.neg, c.sh, c.half ? -1 : 0);
    const uint64_t rtl = dut.eval(c);
    ++checked;
    if (want >= 0 && ref != uint64_t(want)) {
      FAIL_CHECK("reference: " << show(c) << ": add_scaled " << hex(ref) << ", expected " << hex(uint64_t(want)));
    }
    if (rtl != ref) {
      ++bad;
      FAIL_CHECK("mismatch: " << show(c) << ": add_scaled " << hex(ref) << ", RTL " << hex(rtl));
    }
  };
  const std::vector<Hand> hand = hand_cases(in, out);
  for (const Hand& hc : hand) {
    check(hc.c, hc.want);
    if (bad >= kMaxReported) break;
  }
  Gen gen(in, out, seed);
  for (int i = 0; i < kRandomCases && bad < kMaxReported; ++i) check(gen.next(), -1);
  std::printf("fp_add %s -> %s: %lld operands (%zu hand-made), %d mismatches\n", in.f.name().c_str(),
              out.f.name().c_str(), static_cast<long long>(checked), hand.size(), bad);
  CHECK(bad == 0);
  CHECK(checked >= 100000);
}

}  // namespace

TEST_CASE("fp_add fp16 -> fp16 equals add_scaled", "[fp_add]") {
  check_set<Vfp_add_h16>(DType::fp16, DType::fp16, 0x16);
}

TEST_CASE("fp_add fp32 -> fp32 equals add_scaled", "[fp_add]") {
  check_set<Vfp_add_s32>(DType::fp32, DType::fp32, 0x32);
}

TEST_CASE("fp_add fp32 -> fp16 equals add_scaled", "[fp_add]") {
  check_set<Vfp_add_s32h16>(DType::fp32, DType::fp16, 0x3216);
}
