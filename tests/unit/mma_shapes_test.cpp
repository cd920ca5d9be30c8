// Tensor-core MMA shapes per generation and input format (models/engine/mma_shapes.h, after the
// PTX ISA's shape table), their errors, and the per-SM rates they give with DESIGN.md's A100
// figures.
#include "models/engine/mma_shapes.h"

#include <catch2/catch.hpp>

#include "models/common/error.h"

using namespace tessera;

TEST_CASE("mma shapes: what each generation takes", "[tensor_core]") {
  CHECK(mma_shapes("volta", DType::fp16) == std::vector<MmaShape>{{8, 8, 4}});
  CHECK(mma_shapes("volta", DType::int8).empty());
  CHECK(mma_shapes("ampere", DType::fp16).size() == 3);
  CHECK(mma_shapes("ampere", DType::fp8_e4m3).empty());
  CHECK(mma_shapes("hopper", DType::fp8_e5m2) == std::vector<MmaShape>{{16, 8, 32}});
  CHECK(MmaShape{16, 8, 16}.text() == "m16n8k16");
  CHECK_NOTHROW(check_mma_shape("ampere", DType::int4, {16, 8, 64}));
}

TEST_CASE("mma shapes: a shape or input a generation lacks is an error listing what it takes", "[tensor_core]") {
  CHECK_THROWS_WITH(check_mma_shape("ampere", DType::fp16, {16, 8, 32}),
                    "ampere tensor cores have no m16n8k32 MMA for fp16 inputs; they take m8n8k4, m16n8k8, m16n8k16");
  CHECK_THROWS_WITH(check_mma_shape("volta", DType::bf16, {16, 8, 16}),
                    "volta tensor cores take no bf16 inputs; they take fp16");
  CHECK_THROWS_WITH(check_mma_shape("ampere", DType::fp8_e4m3, {16, 8, 32}),
                    Catch::Contains("take no fp8_e4m3 inputs; they take fp16, bf16, tf32, int8, int4"));
  CHECK_THROWS_WITH(check_mma_shape("pascal", DType::fp16, {8, 8, 4}), Catch::Contains("known: volta, ampere, hopper"));
}

TEST_CASE("mma shapes: A100's largest shapes at one issue per 8 cycles per sub-partition give its per-SM rates",
          "[tensor_core]") {
  // DESIGN.md (after Sun et al., TPDS 2023): A100 mma m16n8k16 issues every 8 cycles per SM
  // sub-partition (4 per SM); per SM per clock FP16 1024, TF32 512, INT8 2048 FMAs.
  auto per_sm = [](const MmaShape& s) { return s.fmas() / 8 * 4; };
  CHECK(per_sm(mma_shapes("ampere", DType::fp16).back()) == 1024);
  CHECK(per_sm(mma_shapes("ampere", DType::tf32).back()) == 512);
  CHECK(per_sm(mma_shapes("ampere", DType::int8).back()) == 2048);
}
