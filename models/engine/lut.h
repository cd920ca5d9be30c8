#pragma once
// LUT engine (`type: lut`), after LUT Tensor Core (ISCA'25): low-bit weights times int8 or fp16
// activations by table lookup. The timing, numbers and action contract is docs/engines/lut.md;
// this header exposes the plain Spec, the datapath arithmetic (one implementation, used by the
// functional model, the per-cycle model and the RTL adapter) and the pricing of its events.
#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "models/common/dtype.h"
#include "models/common/params.h"
#include "models/engine/i_engine.h"
#include "models/numerics/format.h"
#include "models/numerics/typed_matrix.h"

namespace tessera {

struct LutSpec {
  int64_t rows = 2;       // M: activation rows, one table each
  int64_t cols = 64;      // N: weight columns; a table entry is broadcast along them
  int group = 4;          // K: activations per table
  bool symmetric = true;  // store the 2^(K-1) entries whose weight-0 digit is -1; flip signs
  int weight_bits = 4;    // widest weight: planes (cycles) per group
  bool fp = false;        // activations: fp16 (true) or signed ints up to int8 (false)
  NumFormat table_fmt;    // table entries: int of entry_bits(), or fp16 / fp32
  NumFormat out_fmt;      // results (the engine's accumulator format as the contract sees it)
  int64_t table_store = 0;  // tables each row keeps for the tile's later column folds (0: none)
  // Fused precompute: the operator that writes the activations writes their tables instead
  // (its output path builds them); the row bus carries table words and the array has no
  // precompute adders.
  bool fused = false;

  static LutSpec from_params(const ParamValues& p);  // UserError on inconsistent choices

  static constexpr int kIntActBits = 8;
  int64_t entries() const { return int64_t{1} << select_bits(); }
  int select_bits() const { return symmetric ? group - 1 : group; }
  int entry_bits() const { return table_fmt.bits(); }
  // Bits the table register keeps per entry: every int entry has the parity of the group's
  // activation sum, so its LSB is stored once per table (one more flip-flop per row).
  int stored_entry_bits() const { return fp ? entry_bits() : entry_bits() - 1; }
  // Entries stored whole, and entries stored as a sign bit alone: a full fp table's negated half
  // (-t[~q]) has the magnitude of the stored half's entry, so only its sign is kept (synthesis
  // shares those flip-flops); ints negate in two's complement and store every entry.
  int64_t whole_entries() const { return fp && !symmetric ? entries() / 2 : entries(); }
  int64_t sign_only_entries() const { return entries() - whole_entries(); }
  // Flip-flops of one stored table (the table register and each store slot): the whole entries,
  // the sign-only entries, and the ints' shared LSB.
  // Groups whose tables the store keeps for a tile's later column folds: the first min(G, S)
  // when the tile has more than one column fold, else none (nothing would reuse them).
  int64_t kept_groups(int64_t groups, int64_t col_folds) const {
    return col_folds > 1 ? std::min(groups, table_store) : 0;
  }
  int table_word_bits() const {
    return static_cast<int>(whole_entries() * stored_entry_bits() + sign_only_entries()) + (fp ? 0 : 1);
  }
  // A table word in memory (fused precompute) occupies K fields, one per activation it replaces,
  // of ceil(word / K) bits each: the tiling and placement count operands per element.
  int table_field_bits() const { return (table_word_bits() + group - 1) / group; }
  int64_t stored_table_bits() const { return int64_t{group} * table_field_bits(); }
  // The array's accumulators hold twice the dot product plus the row's activation sum (odd
  // weight digits, see lut.md): ints one bit wider than the result, floats the result format.
  NumFormat acc_fmt() const { return fp ? out_fmt : NumFormat::int_bits(out_fmt.bits() + 1); }
  // Weight planes of a format: its bits (ternary: 2).
  static int planes(DType w) { return dtype_bits(w); }
  // Precompute adders per table by width: level l = 1..K-1 adds 2^l entries of l+1 terms
  // ({bits, adders}; fp: all at the table format's width).
  std::vector<std::pair<int, int64_t>> precompute_adders() const;
  // Shifter of an int entry to plane significance 2^b, b < weight_bits: 2:1 mux bits over its
  // clog2(weight_bits) levels (0 for fp, which adds b to the exponent, and for 1-bit weights).
  int shifter_mux_bits() const;
  int exp_bits() const { return fp ? table_fmt.exp_bits() : 0; }
  // The accumulator's and the offsets' adders take both operands in the wider of the table and
  // accumulator formats (ints: the accumulator).
  NumFormat adder_fmt() const {
    const NumFormat a = acc_fmt();
    return fp && table_fmt.bits() > a.bits() ? table_fmt : a;
  }
};

// The datapath's arithmetic on raw patterns (models/numerics/format.h), int or fp by the spec.
// Every fp operation rounds once to nearest even (IEEE 754 with subnormals, overflow to inf):
// numerics' add_scaled, what rtl/src/common/fp_add.v computes.
class LutArith {
 public:
  LutArith(const LutSpec& s, DType a_type);
  // The table of K activations `x` (patterns of the activation format): entry p is
  // c_0 x_0 + sum_{k>=1} c_k x_k with c_0 = -1 and c_k = +1 where bit k-1 of p is set (symmetric),
  // or c_k = +1 where bit k of p is set (full). Built by doubling: t = [-x_0], then per k
  // [t_i - x_k] ++ [t_i + x_k]; the full table interleaves the negations of the reversed half.
  void build_table(const uint64_t* x, std::vector<uint64_t>& table) const;
  // The looked-up value of a column's plane: `digits` bit k = the plane's bit of weight k's
  // offset-binary code. Symmetric: select = digits >> 1 (inverted if bit 0), negated if bit 0.
  uint64_t lookup(const std::vector<uint64_t>& table, unsigned digits) const;
  // The table's word as the table register, the store and (fused precompute) the row bus and
  // memory hold it, little-endian in 64-bit words, table_word_bits() bits: ints keep entry e's
  // bits 1.. at 1 + e (TB - 1) and the shared LSB at bit 0; symmetric fp tables keep entry e at
  // e TB; full fp tables keep even entry 2q at q TB and odd entry 2q+1's sign at (E/2) TB + q.
  std::vector<uint64_t> table_word(const std::vector<uint64_t>& table) const;
  // acc + v * 2^plane (v a table pattern), in the accumulator format.
  uint64_t accumulate(uint64_t acc, uint64_t v, int plane) const;
  // row offset + the group's activation sum (-table[0]: every digit of entry 0 is -1).
  uint64_t add_group_sum(uint64_t offset, const std::vector<uint64_t>& table) const;
  // The result: (acc - offset) / 2 in out_fmt.
  uint64_t result(uint64_t acc, uint64_t offset) const;
  // Offset-binary digit of a W-bit weight for plane b: bit b of w + 2^(W-1).
  static unsigned plane_bit(int64_t w, int W, int b) {
    return static_cast<unsigned>(((static_cast<uint64_t>(w) + (uint64_t{1} << (W - 1))) >> b) & 1);
  }
  uint64_t zero_acc() const { return 0; }  // +0 or integer 0

 private:
  uint64_t neg_entry(uint64_t v) const;
  uint64_t widen(const NumFormat& from, uint64_t v) const;  // exactly into wide_ (NaN canonical)
  const LutSpec& s_;
  NumFormat act_, table_, acc_, out_;
  NumFormat wide_;  // fp: the wider of table and accumulator, the adders' input format
};

// Events of one tile (the closed form and the per-cycle model both count these).
struct LutCounts {
  uint64_t act_reads = 0;      // activation elements into the precompute adders (0 when fused)
  uint64_t weight_writes = 0;  // weight elements into the column registers
  uint64_t tables = 0;         // tables built by the precompute, or (fused) taken off the row bus
  uint64_t table_stores = 0;   // built tables written into the table store
  uint64_t table_loads = 0;    // tables taken from the table store instead of being built
  uint64_t unit_cycles = 0;    // lookups: valid units x compute cycles
  uint64_t column_cycles = 0;  // column select decodes: valid columns x compute cycles
  uint64_t offset_adds = 0;    // row offsets accumulated (valid rows x groups x folds)
  uint64_t results = 0;        // outputs read out (m x n), each through its result register
  uint64_t offset_copies = 0;  // row offsets into their result registers (valid rows x folds)
  uint64_t macs = 0;
};
ActionCounts lut_actions(const LutSpec& s, const LutCounts& c);
// Building `tables` tables: the array's precompute, or (fused) the producing operator's output
// path, counted there under `table_precompute`.
ActionCounts lut_precompute_actions(const LutSpec& s, uint64_t tables, const char* component);

// The per-cycle model of one tile (cost; with a, b, out all given, also the result in out,
// m x n in s.out_fmt). a: m x k in req.a_type, b: k x n in req.b_type.
TileCost lut_simulate_pe(const LutSpec& s, const TileRequest& req, const TypedMatrix* a, const TypedMatrix* b,
                         TypedMatrix* out);

// Typed functional result of a LUT tile (the rule of lut.md), a: m x k in a_type, b: k x n in
// b_type (ints), out: m x n in s.out_fmt.
void lut_gemm(const LutSpec& s, const TypedMatrix& a, const TypedMatrix& b, DType a_type, TypedMatrix& out);

}  // namespace tessera
