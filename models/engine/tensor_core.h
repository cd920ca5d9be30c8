#pragma once
// GPU-style tensor-core engine (`type: tensor_core`): SMs x tensor cores (one per SM
// sub-partition) running warp-level MMA chains. The timing and action contract is
// docs/engines/tensor_core.md; this header exposes the plain spec and the decomposition of a GEMM
// tile into warp tiles and MMA chains, so that the closed form, the per-cycle model and the
// reproduction of the published microbenchmarks (tools/bench) count one way.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "models/common/params.h"
#include "models/engine/i_engine.h"
#include "models/engine/mma_pipeline.h"
#include "models/engine/mma_shapes.h"

namespace tessera {

// The MMA classes a tensor core times separately: what one FMA of its datapath is.
//   fp16: fp16 or bf16 inputs into fp32;  fp16acc: fp16 into fp16;  tf32;  int8;  int4;
//   fp8: e4m3 or e5m2 inputs into fp32.
struct TcClass {
  const char* name;
  int64_t fmas = 0;   // dense FMAs per cycle per tensor core; 0: this part has no such MMA
  int64_t depth = 0;  // pipeline cycles an MMA spends after its issue interval (latency - interval)
};

struct TensorCoreSpec {
  std::string generation = "ampere";  // volta | ampere | hopper: numerics and MMA shapes
  int64_t sms = 108;
  int64_t tensor_cores = 4;   // per SM: one per sub-partition
  int64_t warps = 4;          // resident MMA warps per tensor core
  int64_t frags_m = 2, frags_n = 4;  // a warp's tile (auto: its largest), in MMA fragments along m and n
  bool auto_warp_tile = true;         // per tile, the warp tile that finishes first (tc_warp_tile_candidates)
  std::optional<MmaShape> shape;  // MMA shape for every format (m16n8k8); none: each format's largest
  NumFormat float_acc = NumFormat::of(DType::fp32);  // accumulator of float inputs
  std::vector<TcClass> classes;

  static TensorCoreSpec from_params(const ParamValues& p);
  int64_t units() const { return sms * tensor_cores; }
  // The accumulator MMAs of `in` run into on this part: `float_acc` for floats, int32 for ints.
  NumFormat acc_of(DType in) const { return dtype_is_float(in) ? float_acc : NumFormat::int_bits(32); }
  // Whether the generation has MMAs of `in` into acc_of(in) (tensor_core_numerics.h).
  bool generation_runs(DType in) const;
};

// The class name of `in` x `in` into `acc` ("fp16", "fp16acc", ...), empty when none.
std::string tc_class_name(DType in, const NumFormat& acc);

// The MMA input format of A x B: both operands are converted to it as they are loaded into
// registers (exactly). Equal formats run as they are (fp8 may mix e4m3 and e5m2); an int of at
// most 8 bits (ternary included) with fp16 or bf16 runs in that float (dequantised weights: W4A16);
// two ints run in int4 when both have at most 4 bits, else int8 when both have at most 8. nullopt:
// no MMA takes the pair.
std::optional<DType> tc_mma_input(DType a, DType b);

// The MMA a request runs: its shape and pipeline (interval = ceil(shape FMAs / class FMAs per
// cycle), latency = interval + depth). UserError naming what the engine supports otherwise.
struct TcMma {
  MmaShape shape;
  MmaPipe pipe;
};
TcMma tc_mma(const TensorCoreSpec& s, DType in, const NumFormat& acc);

// A GEMM tile as MMA work: frag_m x frag_n output fragments of the MMA shape (edges padded), each
// a chain of `chain` dependent MMAs over k (padded), grouped frags_m x frags_n per warp tile.
// Warp tiles come in at most four sizes (full, right edge, bottom edge, corner); `kinds` lists
// them as {fragments per warp tile, warp tiles}, largest first, and that is the order in which
// warp tiles are dealt to the tensor cores: warp tile i to tensor core i mod units.
struct TcWarpTiles {
  int64_t wm = 1, wn = 1;  // fragments per warp tile along m and n
  int64_t frag_m = 0, frag_n = 0, chain = 0;
  int64_t tiles_m = 0, tiles_n = 0;  // warp tiles along m and n
  std::vector<std::pair<int64_t, int64_t>> kinds;
  int64_t count() const { return tiles_m * tiles_n; }
};
TcWarpTiles tc_warp_tiles(const MmaShape& shape, const GemmShape& g, int64_t wm, int64_t wn);

// The warp tiles a tile may run with, best first on a tie: fixed, frags_m x frags_n only; auto,
// every wm x wn with wm <= frags_m and wn <= frags_n, by fragments (wm wn) descending, then wm
// descending. A tile runs with the first of them that takes the fewest cycles (a kernel library
// picking its tile configuration per problem size; the larger warp tile on a tie reads less).
std::vector<std::pair<int64_t, int64_t>> tc_warp_tile_candidates(const TensorCoreSpec& s);

// Cycles of the first tensor core (the slowest: dealt warp tiles 0, U, 2U, ... of `w`, largest
// first), run in waves of `warps` warp tiles, each wave's fragments as independent chains: the
// tile's cycles in closed form.
uint64_t tc_unit_cycles(const TensorCoreSpec& s, const MmaPipe& pipe, const TcWarpTiles& w);

}  // namespace tessera
