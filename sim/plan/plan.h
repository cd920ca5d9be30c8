#pragma once
// The plan: the mapped, scheduled program the kernel (sim/kernel) and the analytic evaluator
// (sim/evaluate) execute. The mapper decides each operator's engine and tiling, the scheduler
// (sim/scheduler) decides where each tensor lives; both write here, and nothing here knows
// how a plan was made.
//
// Per work item (an operator's engine job): its engine, the request its tiles share, its tile
// sequence (which tiles, in which order, and the DRAM traffic of each step given where the
// operands live), the items it must wait for, and the tensors it reads and writes with their
// residency. Tile steps are generated on demand (TileSequence::at is O(1)), so a plan's memory
// is bounded by the graph, not by its tile count.
#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "models/engine/i_engine.h"
#include "sim/workload/workload.h"

namespace tessera {

struct TileStep {
  GemmShape shape;                 // this tile (ragged at the edges)
  int64_t m0 = 0, n0 = 0, k0 = 0;  // where it starts in the GEMM (for functional data runs)
  bool accumulates = false;        // adds to partial sums of an earlier k tile
  bool a_changed = true, b_changed = true, out_changed = true;  // tile differs from the previous step's
  // With an accumulator level, a scratchpad tile runs as several engine calls (steps): the first
  // opens it (its a and b loads come with that step), the last closes it.
  bool opens_tile = true, closes_tile = true;
  uint64_t load_a_bits = 0;        // DRAM -> scratchpad before compute
  uint64_t load_b_bits = 0;
  uint64_t load_psum_bits = 0;     // DRAM -> where partial sums live (the accumulator, else out's scratchpad)
  uint64_t store_bits = 0;         // scratchpad -> DRAM after compute (0 = output stays)
  bool stores_psums = false;       // store_bits are partial sums (read from where they live)
  // Accumulator moves (on chip, only with a separate accumulator): partial sums brought back
  // from out's scratchpad before the step; partial sums (psum bits) or final values (out bits)
  // written to out's scratchpad after it, when the step's output tile leaves the accumulator.
  uint64_t acc_fill_bits = 0, acc_drain_bits = 0;
  // A convolution tiled in its own dimensions: the block (m0, k0 above are then the im2col
  // indices of its first row and column, its rows and columns gathered, not contiguous).
  bool is_block = false;
  ConvBlock block;
  uint64_t load_bits() const { return load_a_bits + load_b_bits + load_psum_bits; }
};

// Operand widths of a GEMM's tiles: activations, weights, partial sums, final outputs.
struct OperandBits {
  int a = 8, b = 8, psum = 32, out = 8;
};


// Where each operand of a GEMM item lives while it runs: true = read from / written to DRAM
// through the tiles; false = on chip for the whole operator (no DRAM traffic for it).
struct OperandHomes {
  bool a_dram = true, b_dram = true, out_dram = true;
};

// The accumulator level (a machine whose partial sums have their own scratchpad): each
// scratchpad tile runs as engine calls on accumulator tiles of m x n outputs (its whole k), n
// outer or m outer. Off: one engine call per scratchpad tile, partial sums in out's scratchpad.
struct AccLevel {
  bool on = false;
  int64_t m = 0, n = 0;  // 0 = the scratchpad tile's
  bool n_outer = true;   // acc loop order "nm" (weights stay for consecutive calls) or "mn"
};

// Engine calls one scratchpad tile may take (the evaluator keeps two tiles' calls in flight).
constexpr size_t kMaxCallsPerTile = 4096;

// A GEMM (per group) cut into tiles visited in a loop order (outer -> inner), or vector work in
// chunks. Staging holds one tile of each operand (plus its double-buffer twin): an operand in
// DRAM is loaded whenever its tile index changes between consecutive steps; an output tile
// leaves when the next step moves to another one, as partial sums (psum bits) while its
// reduction is unfinished -- read back when it returns -- or as final values (out bits).
class TileSequence {
 public:
  TileSequence() = default;
  static TileSequence gemm(const GemmShape& full, const GemmShape& tile, const std::string& loop_order,
                           const OperandBits& bits, const OperandHomes& homes = {}, ATileElements a_elems = {},
                           const AccLevel& acc = {});
  // A convolution in its own dimensions: blocks of m_tile (N, P, Q) output pixels, n_tile output
  // channels and k_tile (C, R, S) reduction elements, visited as a GEMM whose m tiles are the
  // (N, P, Q) blocks in row-major order and whose k tiles are the (C, R, S) blocks: the loop
  // order is over these three (m, n, k), as for a GEMM. An accumulator tile splits a block's
  // output channels only (acc.m is ignored: the block's pixels are the accumulator's rows).
  static TileSequence conv(const ConvDims& dims, int64_t n_full, const std::array<int64_t, 3>& m_tile, int64_t n_tile,
                           const std::array<int64_t, 3>& k_tile, const std::string& loop_order, const OperandBits& bits,
                           const OperandHomes& homes = {}, const AccLevel& acc = {});
  // Vector work in chunks of `tile_elements`: each step loads its share of `in_bits_total` and
  // stores its share of `out_bits_total` (exact integer shares; the last chunk takes the rest).
  static TileSequence vector(int64_t elements, int64_t tile_elements, uint64_t in_bits_total, uint64_t out_bits_total);

  size_t size() const { return size_; }  // engine calls
  size_t max_calls_per_tile() const { return static_cast<size_t>(subs_[0] * subs_[1]); }
  TileStep at(size_t i) const;
  std::vector<TileStep> all() const;  // for tests and small tools only
  uint64_t dram_bits() const;         // sum of loads and stores over all steps
  // The GEMM rows (m) and reduction columns (k) step `t` of this sequence covers, in order:
  // contiguous ranges, or a convolution block's gathered im2col rows and columns.
  std::vector<int64_t> rows_of(const TileStep& t) const;
  std::vector<int64_t> cols_of(const TileStep& t) const;
  std::vector<int64_t> out_cols_of(const TileStep& t) const;  // its output columns (n)

 private:
  bool is_gemm_ = true;
  size_t size_ = 0;
  // gemm
  std::array<int64_t, 3> full_{}, step_{}, count_{};
  std::array<int, 3> loop_{};  // outer -> inner dims (0 m, 1 n, 2 k)
  OperandBits bits_;
  OperandHomes homes_;
  ATileElements a_elems_;
  // conv blocks
  bool is_conv_ = false;
  ConvDims conv_;
  std::array<int64_t, 3> m_tile_{}, k_tile_{}, m_count_{}, k_count_{};
  // accumulator level: accumulator tile (m, n) and calls per interior / last scratchpad tile
  AccLevel acc_;
  std::array<int64_t, 3> sub_step_{}, subs_{1, 1, 1}, subs_last_{1, 1, 1};
  // vector
  int64_t elements_ = 0, tile_elements_ = 0;
  uint64_t in_bits_ = 0, out_bits_ = 0;
  struct Pos {
    std::array<int64_t, 3> t{};  // scratchpad tile indices (m, n, k)
    int64_t sm = 0, sn = 0;      // accumulator tile within it
    int64_t sub = 0, subs = 1;   // its position among the tile's calls, and their number
    bool same_tile(const Pos& o) const { return t == o.t; }
    bool same_out(const Pos& o) const { return t[0] == o.t[0] && t[1] == o.t[1]; }
    bool same_acc(const Pos& o) const { return same_out(o) && sm == o.sm && sn == o.sn; }
  };
  void set_counts();
  int64_t subs_of(int d, int64_t v) const { return v + 1 == count_[static_cast<size_t>(d)] ? subs_last_[static_cast<size_t>(d)] : subs_[static_cast<size_t>(d)]; }
  Pos pos_of(size_t i) const;
};

// A tensor an item reads or writes, and whether it is on chip (no DRAM traffic) for this item.
struct TensorUse {
  std::string tensor;
  bool on_chip = false;
};

struct OpPlan {
  std::string op, kind;  // work item name ("<op>" or "<op>#<i>") and operator kind
  size_t engine = 0;     // index into Arch::engines
  TileRequest request;   // shape fields are overwritten per tile
  int64_t groups = 1;
  TileSequence tiles;    // of one group, repeated `groups` times
  uint64_t macs = 0;     // useful operations of the whole item
  // Items (plan indices, all earlier) whose results this one reads: it computes once they are
  // done. Its DRAM loads of weights and graph inputs may start before; loads of activations
  // wait for their producers (`loads_wait`).
  std::vector<size_t> deps;
  bool loads_wait = false;
  // Tensors evicted from the scratchpad to make room, written to DRAM before this item starts.
  std::vector<std::string> spills;
  uint64_t spill_bits = 0;
  std::vector<TensorUse> reads;  // inputs, with residency
  TensorUse write;               // output (on_chip: kept for its consumers)
  // Fusion: element-wise work done in this GEMM's output path (counted with its actions, no
  // cycles of its own), or, on the fused item itself, the item it went into (it has no tiles).
  ActionCounts fused_actions;
  std::string fused_into;
  size_t steps() const { return tiles.size() * static_cast<size_t>(groups); }
  TileStep step(size_t i) const { return tiles.at(i % tiles.size()); }
};

// Where a tensor lives over the plan: on chip from item `from` to item `to` (plan indices)
// in scratchpad `scratchpad`, or in DRAM throughout.
struct TensorPlacement {
  std::string tensor;
  uint64_t bits = 0;
  bool on_chip = false;
  size_t scratchpad = 0;
  size_t from = 0, to = 0;  // on chip from its producer to its last on-chip consumer (or eviction)
  bool spilled = false;     // evicted before its last consumer; later readers load it from DRAM
};

struct Plan {
  std::vector<OpPlan> ops;  // in a valid execution order (producers first)
  std::vector<TensorPlacement> tensors;
};

}  // namespace tessera
