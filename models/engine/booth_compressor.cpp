#include "models/engine/booth_compressor.h"

#include <algorithm>
#include <utility>

namespace tessera {

std::vector<BitRow> booth_product_rows(int in_bits, int width, uint64_t k_multiple) {
  const int D = (in_bits + 1) / 2;
  std::vector<BitRow> rows;
  for (int i = 0; i < D; ++i) {
    BitRow r(static_cast<size_t>(width), RowBit::Zero);
    for (int j = 0; j <= in_bits && 2 * i + j < width; ++j) r[static_cast<size_t>(2 * i + j)] = RowBit::Var;
    rows.push_back(std::move(r));
  }
  uint64_t k = 0;
  for (int i = 0; i < D; ++i)
    if (2 * i + in_bits < 64) k += uint64_t{1} << (2 * i + in_bits);
  k = (~k + 1) * k_multiple;
  BitRow corr(static_cast<size_t>(width), RowBit::Zero);
  for (int b = 0; b < width; ++b) {
    if (b % 2 == 0 && b / 2 < D) corr[static_cast<size_t>(b)] = RowBit::Var;
    // Any multiple of K is one of 2^in_bits, and the neg bits lie below in_bits: never the same bit.
    if (b < 64 && ((k >> b) & 1)) corr[static_cast<size_t>(b)] = RowBit::One;
  }
  rows.push_back(std::move(corr));
  return rows;
}

CompressorCells compress_rows(std::vector<BitRow> rows) {
  CompressorCells c;
  size_t head = 0;
  while (rows.size() - head > 2) {
    const size_t w = rows[head].size();
    BitRow sum(w), carry(w, RowBit::Zero);
    for (size_t b = 0; b < w; ++b) {
      int vars = 0, ones = 0;
      for (size_t r = head; r < head + 3; ++r) {
        vars += rows[r][b] == RowBit::Var;
        ones += rows[r][b] == RowBit::One;
      }
      if (vars == 3) ++c.fa;
      if (vars == 2) ++c.ha;
      sum[b] = vars ? RowBit::Var : (ones % 2 ? RowBit::One : RowBit::Zero);
      const RowBit maj = vars >= 2 || (vars == 1 && ones == 1) ? RowBit::Var
                         : vars + ones >= 2                     ? RowBit::One
                                                                : RowBit::Zero;
      if (b + 1 < w) carry[b + 1] = maj;
    }
    head += 3;
    rows.push_back(std::move(sum));
    rows.push_back(std::move(carry));
  }
  c.sum = std::move(rows[head]);
  c.carry = std::move(rows[head + 1]);
  return c;
}

// A digit's `two` is constant 0 when its window's top two bits are both x's sign: the top digit
// of an odd in_bits (and the only digit of in_bits 1). Then a product bit is one & y[j].
// Otherwise bit 0 is one & y[0] (y[-1] = 0) and bit in_bits is (one | two) & sign (y[in_bits]
// = y[in_bits - 1]), two cells; the others (one & y[j]) | (two & y[j-1]), three.
namespace {
bool two_is_zero(int in_bits, int digit) { return in_bits % 2 == 1 && digit == (in_bits + 1) / 2 - 1; }
}  // namespace

SelectionCells booth_selection_cells(int in_bits, int width) {
  SelectionCells s;
  for (int i = 0; i < (in_bits + 1) / 2; ++i) {
    for (int j = 0; j <= in_bits && 2 * i + j < width; ++j) {
      s.and2 += two_is_zero(in_bits, i) || j == 0 ? 1 : j == in_bits ? 2 : 3;
      s.xor2 += 1;  // ^ neg
    }
  }
  return s;
}

// Per digit one = x[2i] ^ x[2i-1], two = (x[2i+1] ^ x[2i]) & ~one, neg = x[2i+1] & ~(x[2i] &
// x[2i-1]): two XORs and three ANDs, less what constants leave. Digit 0 (x[-1] = 0): one = x[0]
// and neg = x[1] are wires, two = x[1] & ~x[0] one AND. A digit whose two is 0: one is an XOR
// and neg = x[2i] & ~x[2i-1] one AND (both wires for in_bits 1).
SelectionCells booth_encoder_cells(int in_bits) {
  SelectionCells e;
  for (int i = 0; i < (in_bits + 1) / 2; ++i) {
    if (in_bits == 1) continue;
    if (two_is_zero(in_bits, i)) {
      e.and2 += 1;
      e.xor2 += 1;
    } else if (i == 0) {
      e.and2 += 1;
    } else {
      e.and2 += 3;
      e.xor2 += 2;
    }
  }
  return e;
}

int booth_encoded_bits(int in_bits) { return 3 * ((in_bits + 1) / 2) - in_bits % 2; }

}  // namespace tessera
