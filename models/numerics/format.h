#pragma once
// Bit-exact number formats: the value of every bit pattern of every tensor format
// (models/common/dtype.h) and of the accumulators engines keep, and conversion of exact values
// into them. Pure C++, no I/O; every call is a function of its arguments.
//
// Representation. A value of a format is its raw bit pattern in the low `bits()` bits of a
// uint64_t (the bits above are zero). Integers are two's complement, sign-extended when decoded.
// Floats are sign | exponent | fraction, most significant first:
//   format     bits  exp frac  bias  specials                         max finite    min subnormal
//   fp8_e4m3     8    4    3     7   OCP: no inf; NaN = S.1111.111    448           2^-9
//   fp8_e5m2     8    5    2    15   IEEE: inf S.11111.00, NaN .01-.11 57344        2^-16
//   fp16        16    5   10    15   IEEE                              65504         2^-24
//   bf16        16    8    7   127   IEEE                              ~3.39e38      2^-133
//   tf32        19    8   10   127   IEEE                              ~3.40e38      2^-136
//   fp32        32    8   23   127   IEEE                              ~3.40e38      2^-149
// tf32 is kept as its own 19-bit pattern (bit 18 sign, 17..10 exponent, 9..0 fraction), as
// dtype_bits(tf32) says; in a 32-bit fp32 container (how GPUs hold it) the pattern is
// raw << 13, and the 13 low container bits are zero.
// `ternary` is {-1, 0, +1} in 2-bit two's complement; pattern 0b10 (-2) is not a ternary value
// (is_valid() is false, no conversion produces it; decode() reads it as -2).
//
// Exactness. decode() returns a double, which holds every value of every format above exactly
// (precision <= 24 bits, exponents within double's range) and every integer of up to 53 bits;
// for wider integers (accumulators of 54..64 bits) use decode_int(). NaN patterns decode to a
// quiet double NaN (sign and payload are not kept).
//
// Conversion from a double (encode) rounds once, by Conversion::rounding:
//   NearestEven  the nearest value; a tie goes to the even pattern (fraction LSB 0).
//   TowardZero   truncation of the magnitude.
// Float rules (subnormals are kept, never flushed):
//   - NaN in  -> the canonical quiet NaN: sign 0, exponent all ones, fraction MSB set (e4m3:
//     S.1111.111 with S = 0, its only NaN).
//   - overflow (the rounded magnitude exceeds max finite; with NearestEven this is from
//     max + ulp(max)/2 up, a tie there going to the even pattern, so e4m3's 464 -> 448):
//       NearestEven, saturate = false: inf for formats with inf (IEEE 754); e4m3: NaN (OCP
//                         "non-saturating" conversion).
//       TowardZero, saturate = false: +-max finite, every format (IEEE 754 rounds overflows
//                         toward zero to the largest finite value).
//       saturate = true:  +-max finite (OCP "saturating" / CUDA satfinite); +-inf in -> +-max.
//   - +-inf in, saturate = false: +-inf (e4m3: NaN).
//   - underflow: rounds into the subnormals or to a zero of the input's sign.
// Integer rules: round to an integer as above, then out of range values wrap modulo 2^bits
// (saturate = false, what a two's-complement register does) or clamp (saturate = true);
// +-inf clamps and NaN becomes 0 in both modes; ternary always clamps to [-1, 1].
#include <cstdint>
#include <optional>
#include <string>

#include "models/common/dtype.h"

namespace tessera {

enum class Rounding { NearestEven, TowardZero };

struct Conversion {
  Rounding rounding = Rounding::NearestEven;
  bool saturate = false;  // clamp out-of-range values instead of wrap (ints) / inf or NaN (floats)
  bool operator==(const Conversion& o) const { return rounding == o.rounding && saturate == o.saturate; }
};

// A number format: one of the tensor formats (DType) or a two's-complement integer of any
// width 1..64 (accumulators: int_bits(24), int_bits(48) ...). A small value type.
class NumFormat {
 public:
  enum class Kind : uint8_t { Int, Ternary, Float };

  NumFormat() : NumFormat(int_bits(32)) {}
  static NumFormat of(DType t);
  static NumFormat int_bits(int bits);  // two's complement, 1..64 (std::invalid_argument otherwise)

  Kind kind() const { return kind_; }
  int bits() const { return bits_; }
  bool is_int() const { return kind_ != Kind::Float; }  // Int and Ternary
  bool is_float() const { return kind_ == Kind::Float; }
  std::optional<DType> dtype() const;  // int_bits(8) -> int8; int_bits(24) -> none
  std::string name() const;            // dtype name, or "int<bits>"

  // Integers (ternary: -1, 1).
  int64_t int_min() const;
  int64_t int_max() const;

  // Floats.
  int exp_bits() const { return exp_; }
  int frac_bits() const { return frac_; }      // stored fraction bits
  int precision() const { return frac_ + 1; }  // significand bits with the hidden bit
  int bias() const { return (1 << (exp_ - 1)) - 1; }
  int emin() const { return 1 - bias(); }  // exponent of the smallest normal
  int emax() const;                        // exponent of the largest finite value
  bool has_inf() const { return kind_ == Kind::Float && !ocp_; }
  double max_finite() const;
  double min_normal() const;
  double min_subnormal() const;

  bool operator==(const NumFormat& o) const {
    return kind_ == o.kind_ && bits_ == o.bits_ && exp_ == o.exp_ && frac_ == o.frac_ && ocp_ == o.ocp_;
  }
  bool operator!=(const NumFormat& o) const { return !(*this == o); }

 private:
  NumFormat(Kind k, int bits, int exp, int frac, bool ocp) : kind_(k), bits_(bits), exp_(exp), frac_(frac), ocp_(ocp) {}
  Kind kind_;
  int bits_;
  int exp_ = 0, frac_ = 0;
  bool ocp_ = false;  // OCP e4m3 specials: no inf, the one NaN is all ones
};

uint64_t format_mask(const NumFormat& f);  // the low bits() ones

// Pattern classes. is_valid: fits in bits() (and is not ternary's 0b10).
bool is_valid(const NumFormat& f, uint64_t raw);
bool is_nan(const NumFormat& f, uint64_t raw);
bool is_inf(const NumFormat& f, uint64_t raw);
bool is_zero(const NumFormat& f, uint64_t raw);  // 0, +0 or -0
bool sign_bit(const NumFormat& f, uint64_t raw);
uint64_t quiet_nan(const NumFormat& f);               // canonical NaN (floats only)
uint64_t infinity(const NumFormat& f, bool negative);  // formats with inf only
uint64_t max_finite_pattern(const NumFormat& f, bool negative);

// Exact value (see the header note on integers wider than 53 bits).
double decode(const NumFormat& f, uint64_t raw);
// Integer formats: the sign-extended value.
int64_t decode_int(const NumFormat& f, uint64_t raw);

// The pattern nearest `v` under `c` (rules above).
uint64_t encode(const NumFormat& f, double v, Conversion c = {});
// Exactly hi + lo rounded once, for |lo| <= ulp(hi)/2 (what TwoSum / TwoProduct produce):
// how sums and products that double cannot hold are still rounded correctly.
uint64_t encode_sum(const NumFormat& f, double hi, double lo, Conversion c = {});
// Integer formats: `v` modulo 2^bits (saturate = false) or clamped (true); ternary clamps.
uint64_t encode_int(const NumFormat& f, int64_t v, bool saturate = false);

// Two's-complement wrap of `v` to `bits` (1..64), sign-extended: what a `bits`-wide integer
// register holds after unsigned arithmetic (whose low bits are exact modulo 2^64).
int64_t wrap_to_bits(uint64_t v, int bits);

}  // namespace tessera
