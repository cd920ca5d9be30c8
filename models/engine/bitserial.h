#pragma once
// Bit-serial engine (`type: bitserial`): Stripes-like (activations serial, weights parallel) or
// Loom-like (both operands serial). The timing and action contract is docs/engines/bitserial.md;
// this header exposes the plain Spec and the arithmetic both the C++ model and the RTL adapter
// need (slices, widths), so neither re-derives them.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "models/common/dtype.h"
#include "models/common/params.h"

namespace tessera {

struct BitserialSpec {
  int64_t rows = 16, cols = 16;  // serial inner-product units (SIPs): R output rows x C output columns
  int64_t lanes = 16;            // k elements a SIP takes per group (its adder tree's inputs)
  bool both_serial = false;      // false: activations serial, weights parallel; true: both serial
  int bits_per_step = 1;         // serial operand bits per cycle
  int max_bits = 8;              // widest operand the datapath holds
  int acc_bits = 32;             // accumulator width; sums wrap modulo 2^acc_bits

  static BitserialSpec from_params(const ParamValues& p);

  // Serial steps of an operand of `bits` bits: ceil(bits / bits_per_step).
  int steps(int bits) const { return (bits + bits_per_step - 1) / bits_per_step; }
  int steps(DType t) const { return steps(dtype_bits(t)); }
  // Cycles per group of `lanes` k elements for a x b operands.
  int64_t steps_per_group(DType a, DType b) const { return both_serial ? int64_t{steps(a)} * steps(b) : steps(a); }
  // Lane multiplier: a (bits_per_step + 1)-bit signed slice by the other operand's register
  // width (max_bits when parallel, bits_per_step + 1 when serial). One bit per step the lanes are
  // magnitudes instead (rtl/src/bitserial/bitserial_sip.v, MAG): a slice is +-(its bit) with the
  // sign its operand's sign step gives every lane alike, so a lane is b_operand_bits() AND gates
  // (a ? b : 0; both serial: one AND, the tree a popcount) and the accumulator subtracts in a sign
  // step (a conditional complement of the shifted sum and the adder's carry-in).
  bool one_bit_lanes() const { return bits_per_step == 1; }
  int slice_bits() const { return bits_per_step + 1; }
  int b_operand_bits() const { return both_serial ? (one_bit_lanes() ? 1 : slice_bits()) : max_bits; }
  int product_bits() const { return one_bit_lanes() ? b_operand_bits() : slice_bits() + b_operand_bits(); }
  // The lane multiplier's tech-library primitive and its bits: slice x weight register
  // (int_mulx<max_bits>@slice_bits()), slice x slice (int_mul@slice_bits()), or one bit per
  // step and2@b_operand_bits().
  std::string lane_mul_primitive() const {
    if (one_bit_lanes()) return "and2";
    return both_serial ? "int_mul" : "int_mulx" + std::to_string(max_bits);
  }
  int lane_mul_bits() const { return one_bit_lanes() ? b_operand_bits() : slice_bits(); }
  // The accumulator's conditional complement (one bit per step): acc_bits XOR gates, priced as
  // 2:1 muxes (x or ~x); 0 otherwise.
  int negate_bits() const { return one_bit_lanes() ? acc_bits : 0; }
  // The slice mux's primitive (at bits_per_step bits): mux<steps(max_bits)>; none when 1.
  std::string slice_mux_primitive() const { return "mux" + std::to_string(steps(max_bits)); }
  int tree_bits() const;  // product_bits() + clog2(lanes): a group's sum, never overflowing
  // The sum's width as a signed value: tree_bits(), plus a zero sign bit when the products are
  // unsigned (one bit per step, both serial: a popcount).
  int sum_bits() const { return tree_bits() + (one_bit_lanes() && both_serial ? 1 : 0); }
  // The adder tree's adders by width: level l (1, 2, ...) pairs the previous level's values
  // (an odd one out passes up) into product_bits() + l-bit sums: adders of that many bits, or,
  // unsigned (a popcount), of product_bits() + l - 1 bits and their carry-out. {width, adders},
  // one entry per level; empty with one lane.
  std::vector<std::pair<int, int>> tree_adders() const;
  // Shift positions of a slice product: multiples of bits_per_step from 0 to
  // (steps(max_bits) - 1) * (1 or 2) * bits_per_step; the barrel shifter has clog2(positions)
  // levels of acc_bits-wide 2:1 muxes.
  int shift_positions() const;
  int shifter_levels() const;
  // 2:1 mux bits of that shifter on a sum_bits() value sign-extended to acc_bits: level b
  // (shift s = bits_per_step << b) needs a mux only for output bits s .. W + s - 1, W being the
  // width that still carries information (bits below s take a zero: an AND; bits above W + s
  // select between two sign copies: a wire). 0 when there is nothing to shift.
  int shifter_mux_bits() const;
  // Slice `j` (0 = least significant) of the `bits`-wide two's-complement value v, as the
  // (bits_per_step + 1)-bit signed multiplier input: the top slice (j = steps(bits) - 1) carries
  // the sign, the others are zero-extended.
  int64_t slice(int64_t v, int bits, int j) const;
};

}  // namespace tessera
