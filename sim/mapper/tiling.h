#pragma once
// Tile sequences: a GEMM (per group) cut into tm x tn x tk tiles visited in a loop order, with
// the DRAM traffic each step causes. The on-chip buffer holds one tile of each operand (plus its
// double-buffer twin), so an operand is reloaded whenever its tile index changes between
// consecutive steps, and an output tile leaves for DRAM when the next step moves to another
// one: as partial sums (psum_bits) if its reduction is unfinished — and they are read back
// when it returns — or as final values (out_bits) otherwise.
#include <cstdint>
#include <string>
#include <vector>

#include "models/engine/i_engine.h"

namespace tessera {

struct TileStep {
  GemmShape shape;               // this tile (ragged at the edges)
  int64_t m0 = 0, n0 = 0, k0 = 0;  // where it starts in the GEMM (for functional data runs)
  bool accumulates = false;      // adds to partial sums of an earlier k tile
  uint64_t load_a_bits = 0;      // DRAM -> scratchpad before compute
  uint64_t load_b_bits = 0;
  uint64_t load_psum_bits = 0;
  uint64_t store_bits = 0;       // scratchpad -> DRAM after compute (0 = output stays)
  uint64_t load_bits() const { return load_a_bits + load_b_bits + load_psum_bits; }
};

struct OperandBits {
  int a = 8, b = 8, psum = 32, out = 8;
};

std::vector<TileStep> gemm_tile_steps(const GemmShape& full, const GemmShape& tile, const std::string& loop_order,
                                      const OperandBits& bits);

// Vector work in chunks of `tile_elements`: each step loads its share of `in_bits_total`
// and stores its share of `out_bits_total` (shares exact: the last chunk takes the remainder).
std::vector<TileStep> vector_tile_steps(int64_t elements, int64_t tile_elements, uint64_t in_bits_total,
                                        uint64_t out_bits_total);

uint64_t dram_bits(const std::vector<TileStep>& steps);

}  // namespace tessera
