#pragma once
// The mapping space of one work item and the scoring every mapper shares.
//
// A GEMM item (a convolution is its im2col GEMM, or tiled in its own dimensions; grouped and
// depthwise ones per group) is run on an engine that accepts it, in one of its dataflows, cut
// into scratchpad tiles m x n x k or N x K x C x P x Q x R x S (ragged at the edges) visited in
// a loop order; on a machine with an accumulator, each tile runs as accumulator tiles (m x n
// outputs, its whole k) of the few shapes acc_choices offers. The engine folds each call onto its PE grid
// itself (models/engine), so the engine level follows from the tile. Candidate tile sizes per
// dimension: its divisors, the multiples of the engine's PE-grid multiple, and balanced ragged
// splits (ceil(D / 2^j)). Every candidate is scored by the analytic evaluator (sim/evaluate)
// with the item alone on its engine; energy is its dynamic energy (sim/evaluate/price.h).
//
// Where the item's operands live is assumed before mapping (the placement decides it after):
// an activation read or written by the item stays on chip when it takes at most half of the
// scratchpad that holds its role; the staging budget of each scratchpad is its capacity less
// the tensors assumed kept there. A vector item's only choice is its engine (its chunk is the
// largest that fits, as in the default mapper).
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/config/arch.h"
#include "sim/evaluate/evaluate.h"
#include "sim/mapper/mapping.h"
#include "sim/mapper/planner.h"
#include "sim/plan/plan.h"
#include "sim/workload/workload.h"

namespace tessera {

enum class Objective { latency, energy, edp };
Objective parse_objective(const std::string& s);  // UserError naming the choices
const char* objective_name(Objective o);

struct Score {
  uint64_t cycles = 0;
  double energy_pj = 0;
  double value(Objective o) const;  // cycles, pJ, or pJ x cycles
};

// One engine + dataflow for a GEMM item, with what its tiles depend on. A convolution has two
// options per engine and dataflow: its im2col GEMM tiled in m, n, k, and its own dimensions
// N, K, C, P, Q, R, S (`conv`; R and S whole unless the space is made with full_space:
// docs/mapper.md shows a split kernel is dominated; mapping files can still split it).
struct GemmOption {
  size_t engine = 0;
  std::string dataflow;
  std::array<int64_t, 3> multiple{1, 1, 1};  // the engine's PE-grid multiple (m, n, k)
  OperandBits bits;
  bool conv = false;
  std::vector<std::vector<int64_t>> sizes;  // candidate tile sizes per dimension (3 or 7), ascending
};

struct GemmCandidate {
  size_t option = 0;
  std::vector<int64_t> tile{1, 1, 1};  // m, n, k; or N, K, C, P, Q, R, S for a conv option
  std::string loop_order = "mnk";
  size_t acc = 0;  // which of ItemSpace::acc_choices runs the tile (0: acc_level's)
};

class ItemSpace {
 public:
  // full_space: without two reductions docs/mapper.md argues are dominated (and
  // tests/unit/mapper_test.cpp checks by exhaustive search of the full space): a convolution's
  // blocks also split R and S by their divisors, and the accumulator tile ranges over every
  // maximal m x n (acc_choices).
  ItemSpace(const Arch& arch, const Workload& wl, const WorkItem& item, bool full_space = false);

  const Arch& arch() const { return arch_; }
  const Workload& workload() const { return wl_; }
  const WorkItem& item() const { return item_; }
  bool is_gemm() const { return item_.work.kind == WorkKind::Gemm; }
  const std::vector<GemmOption>& options() const { return options_; }  // GEMM items
  const std::vector<size_t>& vector_engines() const { return vector_engines_; }
  const OperandHomes& homes() const { return homes_; }
  const std::vector<uint64_t>& budget() const { return budget_; }  // staging bits per scratchpad

  // The item's dimensions in an option's terms (M N K, or N K C P Q R S).
  std::vector<int64_t> dims(const GemmOption& o) const;
  ItemTile item_tile(const GemmOption& o, const std::vector<int64_t>& tile) const;
  // Staging bits per scratchpad of a tile (double-buffered), and whether it fits the budget.
  std::vector<uint64_t> staging(const GemmOption& o, const std::vector<int64_t>& tile) const;
  bool fits(const GemmOption& o, const std::vector<int64_t>& tile) const;
  // Accumulator tiles to try for a tile, the first acc_level's: on a machine whose accumulator
  // cannot hold the tile's partial sums (double-buffered), as many whole rows as fit and as
  // many whole columns (a convolution block: only its columns), each also rounded down to the
  // engine's PE-grid multiple and balanced, and calls split both ways about square (both call
  // orders); in the full space also every m with its widest n; else the one. The searches
  // score each (the best is the candidate's), so every mapper searches the same space.
  std::vector<AccLevel> acc_choices(const GemmOption& o, const std::vector<int64_t>& tile) const;
  // Candidates in the space: sum over options of (product of sizes) x 6 loop orders.
  double size() const;

  OpPlan plan(const GemmCandidate& c) const;
  OpPlan vector_plan(size_t engine) const;
  OpMapping mapping(const GemmCandidate& c) const;
  OpMapping vector_mapping(size_t engine) const;
  Score score(Evaluator& ev, const OpPlan& p) const;
  // A bound no candidate's score can be below, in O(1): cycles >= max(MACs / peak rate, one
  // cycle per tile step, DRAM data cycles of its traffic); energy >= the DRAM energy of that
  // traffic. Traffic from the stationarity law (exact for a plain GEMM, see mapper_test; a
  // convolution's input patches are left out). Exhaustive and random search skip candidates
  // whose bound cannot beat their best: the result is the same, found sooner.
  Score lower_bound(const GemmCandidate& c) const;

  // Why nothing fits: names the item and the scratchpad that cannot hold its smallest tile.
  std::string no_fit_reason() const;

 private:
  const Arch& arch_;
  const Workload& wl_;
  bool full_space_ = false;
  WorkItem item_;
  OperandHomes homes_;
  std::vector<uint64_t> budget_;
  std::vector<GemmOption> options_;
  std::vector<size_t> vector_engines_;
  int64_t vector_tile_ = 1;
};

// Candidate tile sizes for a dimension of extent `d` on a PE-grid multiple `multiple`.
std::vector<int64_t> tile_sizes(int64_t d, int64_t multiple);
// The loop-order dimension (0 m, 1 n, 2 k) of each tile dimension of an option.
size_t super_dim(const GemmOption& o, size_t d);

// The six loop orders, outer -> inner.
const std::array<const char*, 6>& loop_orders();

}  // namespace tessera
