#pragma once
// Multiplier-adder tree engine (`type: mactree`). The timing and action contract is
// docs/engines/mactree.md; this header exposes its plain Spec and the pricing of its events, so
// that the closed form, the per-cycle model (and an RTL adapter) count one way.
#include <cstdint>
#include <vector>

#include "models/common/params.h"
#include "models/engine/i_engine.h"

namespace tessera {

struct MactreeSpec {
  int64_t lanes = 16;      // L dot-product units (output columns n)
  int64_t width = 16;      // W inputs per unit (reduction indices k)
  int in_bits = 8;         // operand width (signed)
  int acc_bits = 32;       // result and accumulator width; sums wrap modulo 2^acc_bits
  bool bitweight = false;  // mac: bitweight (one Booth compressor per lane, one final add)

  static MactreeSpec from_params(const ParamValues& p);
};

// The lane's arithmetic. plain: the adder tree's widths, level by level. bitweight: the
// compressor's cells (over all W products) and the selection cells per product.
struct MactreeLane {
  int sum_bits = 0;                  // bits a sum of W products has: min(acc, 2 in_bits + clog2(W))
  std::vector<int> tree_adder_bits;  // plain: one entry per adder
  int64_t fa = 0, ha = 0;            // bitweight compressor
  int64_t sel_and2 = 0, sel_xor2 = 0;  // bitweight selection, per product
  int64_t enc_and2 = 0, enc_xor2 = 0;  // bitweight encoder, per activation
  int enc_bits = 0;                    // bitweight activation register bits per input (3 D)
};
MactreeLane mactree_lane(const MactreeSpec& s);

struct MactreeCounts {
  uint64_t results = 0;           // lane results written (used lanes x stream cycles)
  uint64_t products = 0;          // products of used inputs in those results
  uint64_t act_writes = 0;        // activation register elements written (bitweight: encoded)
  uint64_t weight_writes = 0;     // weight register writes
  uint64_t accumulator_adds = 0;  // results of later k folds added to partial sums
};
ActionCounts mactree_actions(const MactreeSpec& s, const MactreeCounts& c);

}  // namespace tessera
