// The LUT engine's C++ model (closed form, per-cycle model, functional model) against its
// Verilated RTL: every output bit pattern, the cycle split, every action and the traffic equal,
// on every linked-in build (rtl/src/lut/rtl.cmake): int activations with symmetric and full
// tables, K = 1..8, weights int1..int4 and ternary; fp16 activations with fp16 and fp32 tables
// and accumulators; table stores; fused precompute (table words on the row bus). Random shapes
// (ragged folds), random data (uniform, Gaussian, sparse; for fp16 any finite pattern,
// subnormals, values near overflow), and hand-made fp edge tiles.
#include <catch2/catch.hpp>
#include <cmath>
#include <random>
#include <string>

#include "models/engine/i_engine.h"
#include "sim/cosim/compare.h"
#include "sim/cosim/rtl_engine.h"
#include "tests/random_operands.h"

using namespace tessera;

namespace {

struct Build {
  int64_t rows, cols;
  int group;
  bool symmetric;
  int weight_bits;
  const char *act, *acc, *table;
  int64_t table_store = 0;
  bool fused = false;  // precompute: fused (table words on the row bus)
};
// The LINKED set of rtl/src/lut/rtl.cmake.
const Build kBuilds[] = {
    {2, 4, 4, true, 4, "int8", "int32", "auto"},     {3, 2, 2, false, 2, "int8", "int16", "auto", 3},
    {1, 3, 1, true, 1, "int8", "int24", "auto", 1},  {4, 1, 3, true, 3, "int8", "int32", "auto"},
    {1, 2, 8, true, 2, "int8", "int32", "auto"},     {2, 4, 4, true, 4, "fp16", "fp16", "fp16"},
    {2, 3, 3, false, 2, "fp16", "fp32", "fp16", 2},  {1, 2, 2, true, 4, "fp16", "fp16", "fp32"},
    {3, 2, 1, false, 1, "fp16", "fp32", "fp32", 4},
    {2, 4, 4, true, 4, "int8", "int32", "auto", 0, true},
    {2, 3, 3, false, 2, "fp16", "fp32", "fp16", 2, true},
};

ParamValues params(const Build& b) {
  const auto* e = EngineRegistry::instance().find("lut");
  REQUIRE(e != nullptr);
  ParamValues p = default_params(e->params);
  p.set("rows", b.rows);
  p.set("cols", b.cols);
  p.set("group", int64_t{b.group});
  p.set("symmetric", b.symmetric);
  p.set("weight_bits", int64_t{b.weight_bits});
  p.set("act", std::string(b.act));
  p.set("acc", std::string(b.acc));
  p.set("table", std::string(b.table));
  p.set("table_store", b.table_store);
  p.set("precompute", std::string(b.fused ? "fused" : "array"));
  return p;
}

// fp16 activations: 0 any finite pattern below 2^8 in magnitude, 1 Gaussian, 2 subnormals and
// zeros of both signs, 3 large values that overflow an fp16 accumulator.
TypedMatrix fp16_values(std::mt19937_64& rng, int64_t rows, int64_t cols, int kind) {
  const NumFormat f = NumFormat::of(DType::fp16);
  TypedMatrix x(rows, cols, f);
  std::uniform_int_distribution<uint64_t> raw(0, 0xffff), sub(0, 0x3ff);
  std::normal_distribution<double> g(0.0, 1.0);
  std::uniform_real_distribution<double> big(8000.0, 65504.0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      uint64_t p = 0;
      switch (kind) {
        case 0:
          do p = raw(rng);
          while (((p >> 10) & 0x1f) > 22);
          break;
        case 1:
          p = encode(f, g(rng));
          break;
        case 2:
          p = sub(rng) | (raw(rng) & 0x8000);
          break;
        default:
          p = encode(f, (raw(rng) & 1 ? -1 : 1) * big(rng));
          break;
      }
      x.set_raw(r, c, p);
    }
  return x;
}

}  // namespace

TEST_CASE("lut: model and RTL agree on random tiles, weight formats and data, every build", "[rtl][cosim][lut]") {
  const Dist dists[] = {Dist::Uniform, Dist::Gauss1, Dist::Gauss4, Dist::Sparse};
  const DType int_acts[] = {DType::int8, DType::int4, DType::ternary, DType::int1};
  int tiles = 0, holds = 0, fp_tiles = 0, nonzero = 0, reused = 0, partly = 0, fused = 0;
  for (const Build& b : kBuilds) {
    const ParamValues p = params(b);
    const auto model = EngineRegistry::instance().find("lut")->make(p);
    const auto rtl = make_rtl_engine("lut", p);
    const bool fp = std::string(b.act) == "fp16";
    const auto& wts = model->capabilities().b_types;
    std::mt19937_64 rng(static_cast<uint64_t>(b.rows * 1000 + b.cols * 100 + b.group * 10 + b.weight_bits) ^
                        (fp ? 99 : 0) ^ (b.symmetric ? 7 : 0) ^ (b.fused ? 1234 : 0));
    std::uniform_int_distribution<size_t> pick(0, wts.size() - 1);
    std::uniform_int_distribution<int64_t> dm(1, 3 * b.rows), dn(1, 3 * b.cols), dg(1, 4);
    for (int i = 0; i < 24; ++i) {
      TileRequest req;
      req.gemm = {dm(rng), dn(rng), b.group * dg(rng)};
      req.a_type = fp ? DType::fp16 : int_acts[i % 4];
      req.b_type = wts[pick(rng)];
      const TypedMatrix w =
          to_typed(values(rng, req.gemm.k, req.gemm.n, req.b_type, dists[(i / 4) % 4]), NumFormat::of(req.b_type));
      const TypedMatrix a =
          fp ? fp16_values(rng, req.gemm.m, req.gemm.k, i % 4)
             : to_typed(values(rng, req.gemm.m, req.gemm.k, req.a_type, dists[i % 4]), NumFormat::of(req.a_type));
      model->check(req);
      const TileCheck chk = check_tile_typed(*model, *rtl, req, a, w);
      INFO(b.rows << "x" << b.cols << " K" << b.group << (b.symmetric ? " sym" : " full") << " W" << b.weight_bits
 << " store " << b.table_store << (b.fused ? " fused" : "") << " " << b.act << "/" << b.table << "/" << b.acc << " tile " << i << " m=" << req.gemm.m
                  << " n=" << req.gemm.n << " k=" << req.gemm.k << " " << dtype_name(req.a_type) << " x "
                  << dtype_name(req.b_type) << ": " << chk.first_difference);
      REQUIRE(chk.ok);
      TypedMatrix out;
      model->compute(req, a, w, out);
      for (int64_t r = 0; r < out.rows(); ++r)
        for (int64_t c = 0; c < out.cols(); ++c) nonzero += !is_zero(out.format(), out.raw(r, c));
      holds += chk.rtl.cycles.fill > 0;
      const bool reuses = b.table_store > 0 && req.gemm.n > b.cols;  // later column folds load tables
      reused += reuses;
      partly += reuses && req.gemm.k / b.group > b.table_store;  // and rebuild the groups beyond it
      fp_tiles += fp;
      fused += b.fused;
      ++tiles;
    }
  }
  CHECK(tiles == 11 * 24);
  CHECK(fp_tiles == 5 * 24);
  CHECK(fused == 2 * 24);  // table words on the row bus (fused precompute), int and fp
  CHECK(holds > 5);       // read-out-bound folds were exercised, not only compute-bound ones
  CHECK(reused > 30);     // the table store served later column folds
  CHECK(partly > 3);      // ... and tiles had more groups than it keeps
  CHECK(nonzero > 1000);  // the data reached the array: outputs compared are not all zeros
}

TEST_CASE("lut: IntMatrix calls of the RTL equal the model's", "[rtl][cosim][lut]") {
  const ParamValues p = params(kBuilds[0]);
  const auto model = EngineRegistry::instance().find("lut")->make(p);
  const auto rtl = make_rtl_engine("lut", p);
  std::mt19937_64 rng(5);
  TileRequest req;
  req.gemm = {5, 9, 12};
  req.a_type = DType::int8;
  req.b_type = DType::ternary;
  const IntMatrix a = values(rng, 5, 12, req.a_type, Dist::Uniform), w = values(rng, 12, 9, req.b_type, Dist::Uniform);
  const TileCheck chk = check_tile(*model, *rtl, req, a, w);
  INFO(chk.first_difference);
  CHECK(chk.ok);
}

TEST_CASE("lut: fp edge tiles in model and RTL (zeros, subnormals, overflow, a rounding table)", "[rtl][cosim][lut]") {
  // The fp16-throughout build: one row of K = 4 activations times one column per case.
  const ParamValues p = params(kBuilds[5]);
  const auto model = EngineRegistry::instance().find("lut")->make(p);
  const auto rtl = make_rtl_engine("lut", p);
  const NumFormat h = NumFormat::of(DType::fp16);
  struct Case {
    const char* what;
    double a[4];
    int64_t w[4];
    double want;  // the value the rule gives (NaN: expect inf)
  };
  const double tiny = std::ldexp(1.0, -24);
  const Case cases[] = {
      {"zeros", {0.0, -0.0, 0.0, -0.0}, {1, -2, 0, -1}, 0.0},
      {"least subnormal x 1", {tiny, 0.0, 0.0, 0.0}, {1, 0, 0, 0}, tiny},
      {"least subnormal x -2", {tiny, 0.0, 0.0, 0.0}, {-2, 0, 0, 0}, -2 * tiny},
      {"subnormal sum", {3 * tiny, 5 * tiny, -7 * tiny, tiny}, {1, -1, 1, -2}, -11 * tiny},
      {"overflow", {20000.0, 20000.0, 0.0, 0.0}, {1, 1, 0, 0}, HUGE_VAL},
      {"table rounding", {1.0, std::ldexp(1.0, -11), 0.0, 0.0}, {0, -1, 0, 0}, -std::ldexp(1.0, -12) - 0.0},
  };
  for (const Case& c : cases) {
    TileRequest req;
    req.gemm = {1, 1, 4};
    req.a_type = DType::fp16;
    req.b_type = DType::int2;
    TypedMatrix a(1, 4, h), w(4, 1, NumFormat::of(DType::int2));
    for (int k = 0; k < 4; ++k) {
      a.set_value(0, k, c.a[k]);
      w.set_int(k, 0, c.w[k]);
    }
    const TileCheck chk = check_tile_typed(*model, *rtl, req, a, w);
    INFO(c.what << ": " << chk.first_difference);
    CHECK(chk.ok);
    TypedMatrix out;
    model->compute(req, a, w, out);
    CHECK(out.value(0, 0) == c.want);
  }
}
