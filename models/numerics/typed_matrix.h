#pragma once
// A matrix of values of one number format, held as raw bit patterns (models/numerics/format.h):
// the operands and results of the engine contract's typed calls. Row-major; rows x cols
// patterns, each valid for the format (the setters refuse others with std::invalid_argument:
// a programmer error, not a user one).
#include <cstdint>
#include <vector>

#include "models/numerics/format.h"

namespace tessera {

class TypedMatrix {
 public:
  TypedMatrix() = default;  // 0 x 0
  // All elements zero (+0 for floats).
  TypedMatrix(int64_t rows, int64_t cols, NumFormat f);

  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  int64_t size() const { return rows_ * cols_; }
  const NumFormat& format() const { return format_; }

  uint64_t raw(int64_t r, int64_t c) const { return raw_[index(r, c)]; }
  void set_raw(int64_t r, int64_t c, uint64_t pattern);
  // Exact value (decode); ints wider than 53 bits: use int_value.
  double value(int64_t r, int64_t c) const { return decode(format_, raw(r, c)); }
  void set_value(int64_t r, int64_t c, double v, Conversion conv = {}) { raw_[index(r, c)] = encode(format_, v, conv); }
  // Integer formats only: the sign-extended value; set_int wraps modulo 2^bits (ternary clamps).
  int64_t int_value(int64_t r, int64_t c) const { return decode_int(format_, raw(r, c)); }
  void set_int(int64_t r, int64_t c, int64_t v) { raw_[index(r, c)] = encode_int(format_, v); }

  const std::vector<uint64_t>& raws() const { return raw_; }

  // Same shape, format and bit patterns (so NaNs compare equal by pattern, +0 != -0).
  bool operator==(const TypedMatrix& o) const {
    return rows_ == o.rows_ && cols_ == o.cols_ && format_ == o.format_ && raw_ == o.raw_;
  }
  bool operator!=(const TypedMatrix& o) const { return !(*this == o); }

 private:
  size_t index(int64_t r, int64_t c) const { return static_cast<size_t>(r * cols_ + c); }
  int64_t rows_ = 0, cols_ = 0;
  NumFormat format_;
  std::vector<uint64_t> raw_;
};

// `x` in format `to`, each element converted once under `c` (encode of its exact value; integer
// to integer conversions are exact wraps or clamps, at any width).
TypedMatrix convert(const TypedMatrix& x, const NumFormat& to, Conversion c = {});

}  // namespace tessera
