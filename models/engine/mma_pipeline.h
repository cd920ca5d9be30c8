#pragma once
// The MMA pipeline of one SM sub-partition's tensor core (the timing core of the tensor-core
// engine, issue 12): warp-level MMA instructions issue at most one per `interval` cycles (the
// unit's throughput: the instruction's FMAs over the unit's FMAs per cycle) and deliver their
// result `latency` cycles after they issue. The work is `chains` independent chains (warps x
// independent accumulators per warp, the microbenchmarks' ILP) of `length` MMAs each, every MMA
// depending on its chain's previous one (it accumulates into the same C fragment).
//
// Issue policy: round robin over the chains in a fixed order, each cycle the next chain in that
// order whose previous MMA's result is ready issues, if the unit is free. Then (I = interval,
// T = latency, C = chains, L = length):
//   cycles = (L - 1) max(C I, T) + (C - 1) I + T
// throughput-bound when C I >= T (the unit never idles after the first issue), latency-bound
// otherwise (every round waits for the first chain's result). One warp, one chain: L T, so the
// microbenchmarks' "latency" is T and their throughput with many warps is FMAs / I per unit.
#include <cstdint>

namespace tessera {

struct MmaPipe {
  int64_t interval = 8;  // cycles between MMA issues on one unit
  int64_t latency = 32;  // cycles from an MMA's issue to its result
};

// Closed form (above). chains >= 1, length >= 0.
uint64_t mma_pipe_cycles(const MmaPipe& p, int64_t chains, int64_t length);
// The per-cycle model of the same policy: the reference the closed form is held to.
uint64_t mma_pipe_simulate(const MmaPipe& p, int64_t chains, int64_t length);

}  // namespace tessera
