// What is registered, by name: a .cpp left out of the build, or a registration line lost in an
// edit, fails here rather than at a user's run. Also the vector unit's closed form against its
// per-cycle model.
#include <catch2/catch.hpp>

#include <random>

#include "models/engine/i_engine.h"
#include "models/memory/i_memory.h"
#include "sim/workload/op_kind.h"

using namespace tessera;

TEST_CASE("registries hold exactly the expected implementations", "[registry]") {
  using V = std::vector<std::string>;
  CHECK(EngineRegistry::instance().names() == V{"bitserial", "lut", "mactree", "systolic", "tensor_core", "termserial", "vector"});
  CHECK(ScratchpadRegistry::instance().names() == V{"scratchpad"});
  CHECK(DramRegistry::instance().names() == V{"dram"});
  CHECK(DmaRegistry::instance().names() == V{"dma"});
  CHECK(OpKindRegistry::instance().names() == V{"batched_matmul", "concat", "conv2d", "depthwise", "elementwise",
                                                 "fully_connected", "gemm", "matmul", "norm", "pad", "pool", "reshape",
                                                 "slice", "softmax", "transpose"});
  // Every declared parameter carries a meaning, and numeric ones a range that holds the default.
  for (const auto& [name, e] : EngineRegistry::instance().entries()) {
    INFO(name);
    CHECK_FALSE(e.doc.empty());
    for (const auto& p : e.params) {
      INFO(p.name);
      CHECK_FALSE(p.doc.empty());
      if (p.dflt) CHECK_NOTHROW(parse_param(p, *p.dflt, SourceLoc{}, p.name));
    }
  }
}

namespace {
std::unique_ptr<IEngine> vector_unit(int64_t lanes, int64_t depth) {
  ParamValues p = default_params(EngineRegistry::instance().find("vector")->params);
  p.set("lanes", lanes);
  p.set("pipeline_depth", depth);
  return EngineRegistry::instance().find("vector")->make(p);
}
TileRequest job(int64_t elements, int64_t ops, DType t = DType::int8) {
  TileRequest r;
  r.kind = WorkKind::Vector;
  r.vec = {elements, ops, "add"};
  r.a_type = t;
  return r;
}
}  // namespace

TEST_CASE("vector unit: hand-worked job", "[vector]") {
  // 1000 elements x 3 ops on 128 lanes: ceil(3000/128) = 24 issue cycles + 4 pipeline stages.
  const auto v = vector_unit(128, 4);
  const TileCost c = v->cost(job(1000, 3));
  CHECK(c.cycles.fill == 4);
  CHECK(c.cycles.steady == 24);
  CHECK(c.cycles.drain == 0);
  CHECK(c.macs == 3000);
  CHECK(c.actions.count("lanes", "int_add", 8) == 3000);
  CHECK(c.actions.count("lanes", "reg_write", 32) == 12000);
  CHECK(v->cost(job(10, 1, DType::fp16)).actions.count("lanes", "fp16_add", 16) == 10);
  CHECK(v->cost(job(0, 1)).cycles.total() == 0);
}

TEST_CASE("vector unit: closed form equals the per-cycle model", "[vector]") {
  std::mt19937_64 rng(11);
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  for (int i = 0; i < 1000; ++i) {
    const auto v = vector_unit(pick(1, 300), pick(0, 8));
    const TileRequest r = job(pick(0, 5000), pick(1, 6));
    CHECK(v->cost(r) == v->simulate_pe(r, nullptr, nullptr, nullptr));
  }
}
