#include "models/numerics/format.h"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace tessera {

namespace {
uint64_t low_ones(int bits) { return bits >= 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1; }

void need_float(const NumFormat& f, const char* what) {
  if (!f.is_float()) throw std::invalid_argument(std::string(what) + ": " + f.name() + " is not a floating format");
}
void need_int(const NumFormat& f, const char* what) {
  if (!f.is_int()) throw std::invalid_argument(std::string(what) + ": " + f.name() + " is not an integer format");
}

struct Fields {
  bool sign;
  uint64_t exp, frac;
};
Fields fields(const NumFormat& f, uint64_t raw) {
  return {((raw >> (f.bits() - 1)) & 1) != 0, (raw >> f.frac_bits()) & low_ones(f.exp_bits()),
          raw & low_ones(f.frac_bits())};
}
uint64_t pack(const NumFormat& f, bool sign, uint64_t exp, uint64_t frac) {
  return (uint64_t{sign} << (f.bits() - 1)) | (exp << f.frac_bits()) | frac;
}
}  // namespace

NumFormat NumFormat::of(DType t) {
  switch (t) {
    case DType::ternary: return NumFormat(Kind::Ternary, 2, 0, 0, false);
    case DType::fp8_e4m3: return NumFormat(Kind::Float, 8, 4, 3, true);
    case DType::fp8_e5m2: return NumFormat(Kind::Float, 8, 5, 2, false);
    case DType::fp16: return NumFormat(Kind::Float, 16, 5, 10, false);
    case DType::bf16: return NumFormat(Kind::Float, 16, 8, 7, false);
    case DType::tf32: return NumFormat(Kind::Float, 19, 8, 10, false);
    case DType::fp32: return NumFormat(Kind::Float, 32, 8, 23, false);
    case DType::olive4: return int_bits(8);  // its decoded values (the pair constraint is the data's)
    default: return int_bits(dtype_bits(t));
  }
}

NumFormat NumFormat::int_bits(int bits) {
  if (bits < 1 || bits > 64) throw std::invalid_argument("integer formats are 1..64 bits, got " + std::to_string(bits));
  return NumFormat(Kind::Int, bits, 0, 0, false);
}

std::optional<DType> NumFormat::dtype() const {
  for (DType t : {DType::int1, DType::int2, DType::int3, DType::int4, DType::int5, DType::int6, DType::int7,
                  DType::int8, DType::int16, DType::int32, DType::ternary, DType::fp8_e4m3, DType::fp8_e5m2,
                  DType::fp16, DType::bf16, DType::tf32, DType::fp32})
    if (of(t) == *this) return t;
  return std::nullopt;
}

std::string NumFormat::name() const {
  if (const auto t = dtype()) return dtype_name(*t);
  return "int" + std::to_string(bits_);  // only integers lack a DType
}

int64_t NumFormat::int_min() const {
  need_int(*this, "int_min");
  if (kind_ == Kind::Ternary) return -1;
  return bits_ >= 64 ? std::numeric_limits<int64_t>::min() : -(int64_t{1} << (bits_ - 1));
}

int64_t NumFormat::int_max() const {
  need_int(*this, "int_max");
  if (kind_ == Kind::Ternary) return 1;
  return bits_ >= 64 ? std::numeric_limits<int64_t>::max() : (int64_t{1} << (bits_ - 1)) - 1;
}

int NumFormat::emax() const {
  need_float(*this, "emax");
  return int((uint64_t{1} << exp_) - (ocp_ ? 1 : 2)) - bias();
}

double NumFormat::max_finite() const {
  need_float(*this, "max_finite");
  const double sig = double((uint64_t{1} << precision()) - (ocp_ ? 2 : 1));  // e4m3: fraction 110
  return std::ldexp(sig, emax() - frac_);
}
double NumFormat::min_normal() const {
  need_float(*this, "min_normal");
  return std::ldexp(1.0, emin());
}
double NumFormat::min_subnormal() const {
  need_float(*this, "min_subnormal");
  return std::ldexp(1.0, emin() - frac_);
}

uint64_t format_mask(const NumFormat& f) { return low_ones(f.bits()); }

bool is_valid(const NumFormat& f, uint64_t raw) {
  if (raw & ~format_mask(f)) return false;
  return !(f.kind() == NumFormat::Kind::Ternary && raw == 2);
}

bool is_nan(const NumFormat& f, uint64_t raw) {
  if (!f.is_float()) return false;
  const Fields x = fields(f, raw);
  if (x.exp != low_ones(f.exp_bits())) return false;
  return f.has_inf() ? x.frac != 0 : x.frac == low_ones(f.frac_bits());
}

bool is_inf(const NumFormat& f, uint64_t raw) {
  if (!f.has_inf()) return false;
  const Fields x = fields(f, raw);
  return x.exp == low_ones(f.exp_bits()) && x.frac == 0;
}

bool is_zero(const NumFormat& f, uint64_t raw) {
  if (!f.is_float()) return raw == 0;
  const Fields x = fields(f, raw);
  return x.exp == 0 && x.frac == 0;
}

bool sign_bit(const NumFormat& f, uint64_t raw) { return ((raw >> (f.bits() - 1)) & 1) != 0; }

uint64_t quiet_nan(const NumFormat& f) {
  need_float(f, "quiet_nan");
  const uint64_t frac = f.has_inf() ? uint64_t{1} << (f.frac_bits() - 1) : low_ones(f.frac_bits());
  return pack(f, false, low_ones(f.exp_bits()), frac);
}

uint64_t infinity(const NumFormat& f, bool negative) {
  if (!f.has_inf()) throw std::invalid_argument("infinity: " + f.name() + " has no infinity");
  return pack(f, negative, low_ones(f.exp_bits()), 0);
}

uint64_t max_finite_pattern(const NumFormat& f, bool negative) {
  if (f.is_int()) return encode_int(f, negative ? f.int_min() : f.int_max());
  if (f.has_inf()) return pack(f, negative, low_ones(f.exp_bits()) - 1, low_ones(f.frac_bits()));
  return pack(f, negative, low_ones(f.exp_bits()), low_ones(f.frac_bits()) - 1);
}

int64_t decode_int(const NumFormat& f, uint64_t raw) {
  need_int(f, "decode_int");
  raw &= format_mask(f);
  if (f.bits() < 64 && ((raw >> (f.bits() - 1)) & 1)) raw |= ~format_mask(f);
  return static_cast<int64_t>(raw);
}

double decode(const NumFormat& f, uint64_t raw) {
  if (f.is_int()) return static_cast<double>(decode_int(f, raw));
  raw &= format_mask(f);
  if (is_nan(f, raw)) return std::numeric_limits<double>::quiet_NaN();
  const Fields x = fields(f, raw);
  double v;
  if (is_inf(f, raw)) {
    v = std::numeric_limits<double>::infinity();
  } else if (x.exp == 0) {
    v = std::ldexp(double(x.frac), f.emin() - f.frac_bits());
  } else {
    v = std::ldexp(double(x.frac | (uint64_t{1} << f.frac_bits())), int(x.exp) - f.bias() - f.frac_bits());
  }
  return x.sign ? -v : v;
}

uint64_t encode_int(const NumFormat& f, int64_t v, bool saturate) {
  need_int(f, "encode_int");
  if (saturate || f.kind() == NumFormat::Kind::Ternary) v = std::min(std::max(v, f.int_min()), f.int_max());
  return static_cast<uint64_t>(v) & format_mask(f);
}

namespace {

// Rounds the magnitude a + l (a > 0 finite, |l| <= ulp(a)/2, l signed relative to the
// magnitude) to an integer multiple n of 2^q, where q is chosen by the caller: n = the
// rounded a*2^-q. The decision uses a's fraction at the quantum and, only where a sits exactly
// on a representable value or a midpoint, the sign of l (which then decides: it cannot carry a
// past any other boundary, since every boundary is a double and |l| is below a's spacing).
double round_at(double a, double l, int q, Rounding r, bool& stepped_below) {
  const double scaled = std::ldexp(a, -q);
  const double n = std::floor(scaled);
  const double frac = scaled - n;  // exact: scaled < 2^53
  stepped_below = false;
  if (r == Rounding::TowardZero) {
    if (frac == 0 && l < 0) {
      stepped_below = true;  // a is representable, the value just below it
      return n - 1;
    }
    return n;
  }
  if (frac > 0.5) return n + 1;
  if (frac < 0.5) return n;
  if (l > 0) return n + 1;
  if (l < 0) return n;
  return std::fmod(n, 2.0) == 0 ? n : n + 1;  // a tie: to even
}

uint64_t encode_float(const NumFormat& f, double hi, double lo, Conversion c) {
  if (std::isnan(hi) || std::isnan(lo)) return quiet_nan(f);
  const bool neg = std::signbit(hi);
  if (std::isinf(hi)) {
    if (c.saturate) return max_finite_pattern(f, neg);
    return f.has_inf() ? infinity(f, neg) : quiet_nan(f);
  }
  if (hi == 0) return pack(f, neg, 0, 0);  // a signed zero (lo is 0 too)
  const double a = std::fabs(hi), l = neg ? -lo : lo;
  const int p = f.precision();
  int e;
  std::frexp(a, &e);
  e -= 1;  // a in [2^e, 2^(e+1))
  int q = std::max(e, f.emin()) - (p - 1);
  bool stepped = false;
  double n = round_at(a, l, q, c.rounding, stepped);
  const double full = std::ldexp(1.0, p), half = std::ldexp(1.0, p - 1);
  if (n >= full) {  // carried into the next binade
    n = half;
    ++q;
  } else if (stepped && n < half && e > f.emin()) {  // truncated below 2^e: the lower binade's largest
    n = full - 1;
    --q;
  }
  if (n == 0) return pack(f, neg, 0, 0);
  if (n < half) return pack(f, neg, 0, static_cast<uint64_t>(n));  // subnormal (q is the minimum)
  const int ex = q + p - 1;
  const auto frac = static_cast<uint64_t>(n - half);
  const bool overflow = ex > f.emax() || (!f.has_inf() && ex == f.emax() && frac == low_ones(f.frac_bits()));
  if (overflow) {
    if (c.saturate || c.rounding == Rounding::TowardZero) return max_finite_pattern(f, neg);
    return f.has_inf() ? infinity(f, neg) : quiet_nan(f);
  }
  return pack(f, neg, static_cast<uint64_t>(ex + f.bias()), frac);
}

uint64_t encode_integer(const NumFormat& f, double hi, double lo, Conversion c) {
  if (std::isnan(hi) || std::isnan(lo)) return 0;
  const bool neg = std::signbit(hi);
  if (std::isinf(hi)) return max_finite_pattern(f, neg);
  if (hi == 0) return 0;
  const double a = std::fabs(hi), l = neg ? -lo : lo;
  bool stepped;
  const double n = round_at(a, l, 0, c.rounding, stepped);  // |value| rounded to an integer
  const double limit = std::ldexp(1.0, f.bits() - 1);        // 2^(bits-1), exact
  if (c.saturate || f.kind() == NumFormat::Kind::Ternary) {
    if (!neg && n >= limit) return encode_int(f, f.int_max(), true);
    if (neg && n >= limit) return encode_int(f, f.int_min(), true);  // -2^(bits-1) is int_min itself
    const auto m = static_cast<uint64_t>(n);
    return encode_int(f, neg ? -static_cast<int64_t>(m) : static_cast<int64_t>(m), true);
  }
  // Wrap: n modulo 2^bits (fmod is exact), negated modulo 2^bits for negative values.
  const auto m = static_cast<uint64_t>(std::fmod(n, std::ldexp(1.0, f.bits())));
  return (neg ? uint64_t{0} - m : m) & format_mask(f);
}

}  // namespace

uint64_t encode_sum(const NumFormat& f, double hi, double lo, Conversion c) {
  return f.is_float() ? encode_float(f, hi, lo, c) : encode_integer(f, hi, lo, c);
}

uint64_t encode(const NumFormat& f, double v, Conversion c) { return encode_sum(f, v, 0.0, c); }

int64_t wrap_to_bits(uint64_t v, int bits) {
  if (bits >= 64) return static_cast<int64_t>(v);
  const uint64_t mask = (uint64_t{1} << bits) - 1;
  v &= mask;
  if ((v >> (bits - 1)) & 1) v |= ~mask;
  return static_cast<int64_t>(v);
}

}  // namespace tessera
