#pragma once
// Term-serial engine (`type: termserial`): Pragmatic-like (activation terms serial, weights
// parallel) or Laconic-like (both operands' terms serial), a term being a signed power of two of a
// value's plain (sign-magnitude) or Booth (non-adjacent form) encoding. The timing and action
// contract is docs/engines/termserial.md; this header exposes the plain Spec and the arithmetic
// both the C++ model and the RTL adapter need (encodings, widths).
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "models/common/params.h"
#include "models/engine/i_engine.h"

namespace tessera {

struct TermserialSpec {
  int64_t rows = 16, cols = 16;  // serial inner-product units (SIPs): R output rows x C output columns
  int64_t lanes = 16;            // k elements a SIP takes per group (its adder tree's inputs)
  bool both_serial = false;      // false: activation terms serial, weights parallel; true: both
  bool booth = false;            // false: plain (sign-magnitude bits); true: Booth (non-adjacent form)
  int max_bits = 8;              // widest operand held (MB)
  int acc_bits = 32;             // accumulator width; sums wrap modulo 2^acc_bits

  static TermserialSpec from_params(const ParamValues& p);

  // A value's terms: `mask` bit e set when it has a term at 2^e (e < max_bits), `neg` bit e set
  // when that term is negative. Sum over e of (neg_e ? -1 : 1) * mask_e * 2^e == v.
  struct Terms {
    uint64_t mask = 0, neg = 0;
  };
  Terms encode(int64_t v) const;
  int terms(int64_t v) const;  // popcount of encode(v).mask

  int product_bits() const { return 2 * max_bits; }                     // PB: a lane's signed product
  int enc_bits() const { return booth ? 2 * max_bits : max_bits + 1; }  // an encoded register: mask + signs
  int tree_bits() const;  // product_bits() + clog2(lanes): a group's sum, never overflowing
  // The adder tree's adders by width, as the bit-serial SIP's: level l (1, 2, ...) pairs the
  // previous level's values with adders of product_bits() + l bits. {width, adders} per level.
  std::vector<std::pair<int, int>> tree_adders() const;
  // The one-hot shifter's primitive, priced at max_bits bits: mux<max_bits>, about max_bits^2
  // AND-OR crosspoints (each of the PB product bits selects among at most max_bits candidates).
  std::string shifter_primitive() const { return "mux" + std::to_string(max_bits); }
  // A picker's two-input gates: the decrement's borrow chain, the isolating and clearing ANDs
  // (max_bits each), and with Booth the sign select (max_bits more).
  int picker_gates() const { return (booth ? 4 : 3) * max_bits; }
};

// The counts of docs/engines/termserial.md's table for one tile, before pricing (doubles:
// expectations are fractional; exact counts are integers in them).
struct TermserialCounts {
  double hold = 0, steady = 0, drain = 0;  // the cycle split
  double products = 0;                     // lane products (lanes with a term)
  double sip_cycles = 0;                   // enabled SIP-cycles (tree, accumulator)
  double a_loads = 0, b_loads = 0;         // row / column lanes loaded (encoders, register writes)
  double a_drops = 0, b_drops = 0;         // mask register writes other than loads
  double a_picks = 0, b_picks = 0;         // terms taken by the row / column pickers
  double results = 0, readouts = 0;        // result register writes, read-out mux uses
};

// The contract's actions for `c` (each count rounded to the nearest integer): the one pricing of
// the counts, shared by the model and the RTL adapter (which counts them in the hardware).
ActionCounts termserial_actions(const TermserialSpec& s, const TermserialCounts& c);

// Exact, given the operands (a: m x k, b: k x n).
TermserialCounts termserial_counts(const TermserialSpec& s, const GemmShape& shape, const IntMatrix& a,
                                   const IntMatrix& b);
// Expected for values drawn independently, with term counts distributed as pa, pb (P(terms = t), t = 0 .. max_bits).
TermserialCounts termserial_expected_counts(const TermserialSpec& s, const GemmShape& shape,
                                            const std::vector<double>& pa, const std::vector<double>& pb);

}  // namespace tessera
