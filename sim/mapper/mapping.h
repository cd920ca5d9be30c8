#pragma once
// The mapping: for each operator, which engine runs it, in which dataflow, cut into which tiles,
// visited in which loop order. `tessera map` writes it, `tessera run --mapping` reads it; the
// YAML round-trips (write -> read -> the same run). See docs/mapping-format.md.
#include <array>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <unordered_map>
#include <vector>

#include "models/common/error.h"

namespace tessera {

struct OpMapping {
  std::string op;         // operator name in the workload
  std::string engine;     // engine instance name in the arch
  std::string dataflow;   // GEMM work: one of the engine's dataflows
  int64_t tile_m = 0, tile_n = 0, tile_k = 0;  // GEMM tile (per group); 0 = whole dimension
  // A convolution tiled in its own dimensions instead (per group): N, K, C, P, Q, R, S; all 0 =
  // not used (the im2col tile above applies).
  std::array<int64_t, 7> conv_tile{};
  bool has_conv_tile() const { return conv_tile != std::array<int64_t, 7>{}; }
  std::string loop_order = "mnk";              // outer -> inner, a permutation of m, n, k
  // The accumulator tile (machines with an accumulator): m x n outputs of the tile above per
  // engine call, its whole k (0 = all); visited in acc_loop_order ("nm": n outer, or "mn").
  // acc_m < 0: not given, the largest that fits.
  int64_t acc_m = -1, acc_n = -1;
  std::string acc_loop_order = "nm";
  bool has_acc_tile() const { return acc_m >= 0; }
  int64_t tile_elements = 0;                   // vector work: elements per tile; 0 = all
  bool fused = false;  // element-wise work applied in the output path of the GEMM engine before it
  SourceLoc loc;
};

// The names of conv_tile's dimensions, in order: N K C P Q R S.
const std::array<const char*, 7>& conv_tile_dims();

struct Mapping {
  std::string arch, workload;  // what it was made for (informational)
  std::vector<OpMapping> ops;  // appended to only (find's index relies on it)
  SourceLoc loc;               // the file's `mapping:` list (empty for a mapping made in memory)
  // The first entry for `op`, or null; O(1) (an index over `ops`, extended as ops are appended).
  const OpMapping* find(const std::string& op) const;

 private:
  mutable std::unordered_map<std::string, size_t> index_;
  mutable size_t indexed_ = 0;
};

Mapping load_mapping(const std::string& path);
Mapping load_mapping_string(const std::string& text, const std::string& name);
void write_mapping(const Mapping& m, std::ostream& out);

}  // namespace tessera
