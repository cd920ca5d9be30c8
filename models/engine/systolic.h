#pragma once
// Systolic-array engine (`type: systolic`). The timing and action contract is
// docs/engines/systolic.md; this header only exposes the engine's plain Spec, so tools can
// read a resolved configuration without naming the engine class (which is private to
// systolic.cpp and reached through the engine registry).
#include <cstdint>
#include <string>

#include "models/common/params.h"
#include "models/engine/i_engine.h"

namespace tessera {

struct SystolicSpec {
  int64_t rows = 128, cols = 128;  // PE grid R x C
  int in_bits = 8;                 // multiplier operand width
  int acc_bits = 32;               // accumulator / partial-sum width
  std::string dataflow = "ws";     // default dataflow: os | ws | is
  bool scalesim_timing = false;    // report SCALE-Sim v2's cycle count instead of the native one
  bool weight_db = false;          // double-buffered stationary operand (shadow register per PE)
  bool bitweight = false;          // mac: bitweight (Booth-encoded partial products, carry-save accumulation)
  bool olive_decoder = false;      // decoder: olive (OliVe pair decoders at the array's edges; olive4 operands)

  static SystolicSpec from_params(const ParamValues& p);
};

// The bit-weight PE's logic (docs/engines/systolic.md, "mac: bitweight"), derived from in_bits
// and acc_bits by following the compressor's rows bit by bit.
struct BitweightPe {
  int digits = 0;      // D = ceil(in_bits / 2) radix-4 Booth digits
  int enc_bits = 0;    // 3 D: the encoded x operand (one, two, neg per digit)
  int cy_bits = 0;     // flip-flops of the carry row Cy (its low bits are always 0)
  int64_t fa = 0;      // full adders of the compressor (three non-constant inputs)
  int64_t ha = 0;      // half adders: two non-constant inputs, or two and a constant 1
  int64_t pp_and2 = 0, pp_xor2 = 0;    // partial-product selection per MAC
  int64_t enc_and2 = 0, enc_xor2 = 0;  // one encoder (per element entering a row)
};
BitweightPe bitweight_pe(int in_bits, int acc_bits);

// What one run of the array did, in the events the actions are priced from. The closed form,
// the PE model and the RTL's counters all produce these; systolic_actions() prices them once.
struct SystolicCounts {
  uint64_t macs = 0;             // PE multiply-accumulates
  uint64_t x_writes = 0;         // moving-operand (x) register writes
  uint64_t y_writes = 0;         // y register writes: os pipeline, ws/is stationary loads and swaps, shadows
  uint64_t os_reads = 0;         // os read-outs through the column output muxes
  uint64_t swaps = 0;            // double buffering: multiplier operands taken from the shadow
  uint64_t encodes = 0;          // elements entering a row at the west edge (bitweight: encoded)
  uint64_t outputs = 0;          // results leaving the array (bitweight: one final add each)
  uint64_t accumulator_adds = 0; // partial sums of later K folds added outside the array
};
ActionCounts systolic_actions(const SystolicSpec& s, const SystolicCounts& c);

// decoder: olive. Every element of an olive4 operand the array reads (its traffic) passes an OliVe
// decoder at the array's edge on its way in: the identifier test (a 4-bit AND) and the selection
// of the int8 value among the normal value, the shifted outlier and the victim's 0 (an 8-bit 4:1
// mux). The closed form, the PE model and the RTL adapter add these to their actions.
ActionCounts systolic_decoder_actions(const SystolicSpec& s, const TileRequest& req, const OperandTraffic& t);

}  // namespace tessera
