#include "models/numerics/typed_matrix.h"

#include <stdexcept>
#include <string>

namespace tessera {

TypedMatrix::TypedMatrix(int64_t rows, int64_t cols, NumFormat f)
    : rows_(rows), cols_(cols), format_(f), raw_(static_cast<size_t>(rows * cols), 0) {
  if (rows < 0 || cols < 0) throw std::invalid_argument("TypedMatrix: negative shape");
}

void TypedMatrix::set_raw(int64_t r, int64_t c, uint64_t pattern) {
  if (!is_valid(format_, pattern))
    throw std::invalid_argument("TypedMatrix: " + std::to_string(pattern) + " is not a " + format_.name() + " pattern");
  raw_[index(r, c)] = pattern;
}

TypedMatrix convert(const TypedMatrix& x, const NumFormat& to, Conversion c) {
  TypedMatrix out(x.rows(), x.cols(), to);
  const NumFormat& from = x.format();
  for (int64_t r = 0; r < x.rows(); ++r)
    for (int64_t k = 0; k < x.cols(); ++k) {
      const uint64_t raw = x.raw(r, k);
      uint64_t y;
      if (from.is_int() && to.is_int()) {
        y = encode_int(to, decode_int(from, raw), c.saturate);  // exact at any width
      } else if (from.is_int()) {
        // A wide integer may not fit a double: hi + lo is exact, |lo| <= ulp(hi)/2.
        const int64_t v = decode_int(from, raw);
        const double hi = static_cast<double>(v);
        const double lo = static_cast<double>(static_cast<__int128>(v) - static_cast<__int128>(hi));
        y = encode_sum(to, hi, lo, c);
      } else {
        y = encode(to, decode(from, raw), c);
      }
      out.set_raw(r, k, y);
    }
  return out;
}

}  // namespace tessera
