#pragma once
// The warp-level MMA shapes a tensor-core generation takes per input format (mma.sync), for the
// tensor-core engine (issue 12) and its bad-input errors. Source: NVIDIA PTX ISA, "Warp-level
// matrix multiply-accumulate instructions", the table of shapes and types per target (sm_70:
// m8n8k4 f16 only; sm_75 adds m16n8k8 f16, m8n8k16 s8, m8n8k32 s4; sm_80 adds m16n8k16 f16/bf16,
// m16n8k8 bf16, m16n8k4/k8 tf32, m16n8k16/k32 s8, m16n8k32/k64 s4; sm_89 and sm_90 add m16n8k32
// e4m3/e5m2). Hopper's warpgroup wgmma shapes are not listed here.
#include <cstdint>
#include <string>
#include <vector>

#include "models/common/dtype.h"

namespace tessera {

struct MmaShape {
  int64_t m = 16, n = 8, k = 16;
  int64_t fmas() const { return m * n * k; }
  std::string text() const;  // "m16n8k16"
  bool operator==(const MmaShape& o) const { return m == o.m && n == o.n && k == o.k; }
};

// The shapes of `generation` ("volta", "ampere", "hopper") for `in` x `in` inputs; empty when it
// has no MMA of that input format.
std::vector<MmaShape> mma_shapes(const std::string& generation, DType in);

// UserError naming what the generation supports when it has no `shape` MMA for `in`.
void check_mma_shape(const std::string& generation, DType in, const MmaShape& shape);

}  // namespace tessera
