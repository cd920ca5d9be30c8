#pragma once
// The default mapping, used when the user gives none: each work item on the first engine that
// accepts it, in the engine's default dataflow, with the largest tiles whose double-buffered
// staging fits half of each scratchpad (the other half is left to tensors kept on chip, see
// sim/scheduler), in the loop order that moves the fewest DRAM bits when activations stay on
// chip. The ILP mapper replaces it later; it produces the same Mapping.
#include <array>
#include <string>
#include <vector>

#include "sim/config/arch.h"
#include "sim/mapper/mapping.h"
#include "sim/plan/plan.h"
#include "sim/workload/workload.h"

namespace tessera {

// Mapping entries are per lowered item: "<op>" for an operator's first (usually only) engine
// job, "<op>#<i>" for the i-th further one (e.g. softmax's max/sub-exp/sum/div passes).
std::string work_item_name(const std::string& op, size_t item);

struct WorkItem {
  const Operator* op = nullptr;
  int op_index = -1;
  LoweredOp work;
  std::string name;
  size_t index = 0, count = 1;  // position among the operator's engine jobs
};
// Every engine job of the workload, operators in topological order.
std::vector<WorkItem> work_items(const Workload& wl);

OperandBits operand_bits(const Workload& wl, const LoweredOp& w, const IEngine& e);
TileRequest request_for(const Workload& wl, const LoweredOp& w, const std::string& dataflow);

// A GEMM item's scratchpad tile: m x n x k of its GEMM (a convolution's im2col GEMM), or a
// convolution's block in its own dimensions N, K, C, P, Q, R, S (`conv`, all 0 = not a block).
struct ItemTile {
  GemmShape gemm;
  std::array<int64_t, 7> conv{};
  // The accumulator tile, on a machine with an accumulator: m x n outputs of this tile (0 = all
  // of it; a convolution block's m is always all its pixels), visited n outer ("nm") or m outer.
  // acc_m < 0: not chosen, the largest that fits (acc_level).
  int64_t acc_m = -1, acc_n = -1;
  bool acc_n_outer = true;
  bool is_conv() const { return conv != std::array<int64_t, 7>{}; }
  // The block's (N, P, Q), K and (C, R, S) parts, and its largest GEMM tile.
  std::array<int64_t, 3> conv_m() const { return {conv[0], conv[3], conv[4]}; }
  std::array<int64_t, 3> conv_k() const { return {conv[2], conv[5], conv[6]}; }
  GemmShape largest() const;
  std::string text() const;  // "m=.. n=.. k=.." or "N=.. K=.. C=.. P=.. Q=.. R=.. S=.."
};
// The tile a mapping entry gives for GEMM item `w` (0 = the whole dimension; larger values
// are clipped to it); a conv_tile on an item that is not a convolution is a UserError.
ItemTile tile_of(const OpMapping& om, const LoweredOp& w);
// The accumulator level of `tile` on `arch` (off without an accumulator): the tile's accumulator
// tile, or the largest whose double-buffered partial sums fit the accumulator -- all of the
// tile, else whole rows of it (a convolution block: all its pixels, as many channels as fit).
AccLevel acc_level(const Arch& arch, const ItemTile& tile, int psum_bits);
// Outputs one accumulator tile may hold: the accumulator's capacity over two tiles of partial
// sums (double-buffered); 0 without an accumulator.
uint64_t acc_fit_outputs(const Arch& arch, int psum_bits);
// The item's tile sequence for `tile` visited in `loop_order`.
TileSequence tile_sequence(const LoweredOp& w, const ItemTile& tile, const std::string& loop_order,
                           const OperandBits& bits, const OperandHomes& homes, const AccLevel& acc);

// Bits each scratchpad stages for a GEMM tile, double-buffered: the operands read from DRAM
// (homes) and the partial-sum tile of the output -- with an accumulator, the accumulator tile's
// partial sums there, and in out's scratchpad the tile's final values (its partial sums when
// it runs as several accumulator tiles, whose partial sums wait there between k tiles).
std::vector<uint64_t> gemm_staging(const Arch& arch, const LoweredOp& w, const GemmShape& tile, const OperandBits& b,
                                   const OperandHomes& homes);
std::vector<uint64_t> gemm_staging(const Arch& arch, const LoweredOp& w, const ItemTile& tile, const OperandBits& b,
                                   const OperandHomes& homes);
// The same for a vector job of `tile` elements; `in_dram`: its inputs are loaded from DRAM;
// `out_stored_bits`: its output's bits in memory when it is written in a prepared form (0: plain).
std::vector<uint64_t> vector_staging(const Arch& arch, const Workload& wl, const LoweredOp& w, int64_t tile,
                                     bool in_dram, uint64_t out_stored_bits = 0);

// Whether engine `e` can run work like `req` (kind, operand formats, its own checks), and if not,
// why ("" = it can).
bool engine_accepts(const EngineInstance& e, const TileRequest& req);
std::string engine_refusal(const EngineInstance& e, const TileRequest& req);
// "no engine of machine M can run X (kind); 'e1' <why>; 'e2' <why>".
std::string no_engine_message(const Arch& arch, const std::string& item, const std::string& kind, const TileRequest& req);

Mapping default_mapping(const Arch& arch, const Workload& wl);

// Why element-wise `op` cannot be fused into the GEMM operator that produces its input on
// engine `engine` ("" = it can): it must take one input, produced by a GEMM operator whose
// output nothing else reads, and the engine must list the op in its `fuse` key.
std::string fusion_obstacle(const Workload& wl, const Operator& op, const EngineInstance& engine);
// The operator producing `op`'s first input, or -1.
int fusion_producer(const Workload& wl, const Operator& op);

}  // namespace tessera
