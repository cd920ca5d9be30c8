#pragma once
// Radix-4 Booth partial-product rows and the 3:2 compressor that sums them, followed bit by bit
// to count the cells a netlist of them needs (docs/engines/systolic.md, "mac: bitweight").
// Shared by the engines whose MACs sum encoded partial products by bit weight.
#include <cstdint>
#include <vector>

namespace tessera {

enum class RowBit : uint8_t { Zero, One, Var };  // a constant, or a signal
using BitRow = std::vector<RowBit>;

// The rows of one in_bits x in_bits product, cut at `width` bits: R_0..R_(D-1) (D =
// ceil(in_bits/2); R_i: bits 2i..2i+in_bits variable, the top one the inverted sign) and the
// correction row (neg_i at bit 2i) holding `k_multiple` times the sign-extension constant
// K = -sum_i 2^(2i + in_bits), modulo 2^width.
std::vector<BitRow> booth_product_rows(int in_bits, int width, uint64_t k_multiple);

struct CompressorCells {
  int64_t fa = 0;  // columns of a step with three variable inputs
  int64_t ha = 0;  // with two (a constant 1 as the third makes XNOR + OR: the same two cells)
  BitRow sum, carry;  // the two rows left
};

// Reduces `rows` (each `width` bits) three at a time, first three first, appending x^y^z and
// maj(x,y,z) << 1 (modulo 2^width), until two rows remain.
CompressorCells compress_rows(std::vector<BitRow> rows);

// Cells of the selection logic of one product, ((one & y[j]) | (two & y[j-1])) ^ neg for the
// in_bits + 1 product bits of each digit below `width`, less what constants remove (the .cpp
// says which); the XORs are counted in xor2.
struct SelectionCells {
  int64_t and2 = 0, xor2 = 0;
};
SelectionCells booth_selection_cells(int in_bits, int width);

// One radix-4 Booth encoder of an in_bits operand (one / two / neg per digit).
SelectionCells booth_encoder_cells(int in_bits);

// Bits of an encoded operand: one, two, neg per digit, but no two where it is constant 0 (the
// top digit of an odd in_bits).
int booth_encoded_bits(int in_bits);

}  // namespace tessera
