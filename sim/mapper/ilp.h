#pragma once
// The ILP mapper of one GEMM item: per engine + dataflow option, a mixed-integer program solved
// by CBC (sim/mapper/mip.h) picks the scratchpad tile and the stationary tensor; the evaluator
// then scores the MIP's solutions in every loop order and keeps the best. docs/mapper.md gives
// the formulation; in short:
//
// - one binary per candidate tile size per dimension (one-hot), so every per-dimension quantity
//   (tile count, PE-grid folds, ragged edges) is exact and linear; for a convolution tiled in
//   its own dimensions a candidate of the m loop is an (N, P, Q) block and one of the k loop a
//   (C, R, S) block with R and S whole, and its input patch is exact and separable (images x
//   rows in P x columns in Q, times channels);
// - loop order = which tensor stays resident across the innermost loop: every GEMM loop is
//   irrelevant to exactly one tensor (n -> a, m -> b, k -> out), and only the tensor whose
//   irrelevant loop is innermost is not reloaded: a 3-way choice, linearised against the tile
//   counts that multiply the other tensors' traffic;
// - products of dimensions (compute work over PE-grid folds, capacity, a convolution's input
//   patch) are exp(linear) in the binaries, bounded below by tangents added lazily (outer
//   approximation, each tangent a row on the term's argument column) until the solution's true
//   objective is within 0.1% of the MIP's: it is then within 0.1% of the model's optimum, not
//   of a piecewise approximation's;
// - a convolution's patch capacity is relaxed and enforced exactly by cover cuts (a tile that
//   does not fit excludes every tile at least as large in all three dimensions);
// - objective: latency = max(compute, DRAM transfer) + the first tile's load (roofline with
//   pipeline fill), or DRAM traffic (energy), both per the engine's compute law, fitted by
//   asking the engine's closed form for a few tile shapes (cycles = u * work over folds +
//   o * folds).
#include <vector>

#include "sim/mapper/space.h"

namespace tessera {

struct IlpOutcome {
  std::vector<GemmCandidate> candidates;  // MIP solutions, best first per option
  bool proven_optimal = true;  // every option's MIP was proven optimal (model optimum)
  bool timed_out = false;      // some option stopped on the time limit (incumbent used)
  bool solver_failed = false;  // CBC died on some option's model (sim/mapper/mip.h)
  int solves = 0;              // solver calls: the options' LP bounds (Clp) and CBC's MIP rounds
  double model_cycles = 0;     // the model's latency of the first candidate (for disagreement)
};

// Solves every option of `space` within `seconds` in total, in the order of their LP
// relaxations' bounds (an option whose bound is past the cutoff is not solved).
// `known_cycles`: the cycles of some mapping of the item (tile sizes with more steps cannot win
// and are left out of the model).
IlpOutcome ilp_map_item(const ItemSpace& space, Objective objective, double seconds, double known_cycles);

}  // namespace tessera
