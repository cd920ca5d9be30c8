// The systolic engine's C++ model (closed form, per-cycle PE model, functional model) against
// its Verilated RTL (sim/cosim) on random tiles: every output bit, the cycle split and every
// action and traffic count equal, for os, ws and is, on every linked-in RTL build (2x2 .. 16x16,
// one at acc_bits 16; single and double-buffered), with ragged shapes (partial folds along
// every axis) and T from 1. The bit-weight PE (`mac: bitweight`, Verilog MAC=1) on its linked
// builds with random precisions and data distributions, and against the plain RTL: same
// outputs, cycles and traffic. Builds on first use: tests/rtl/rtl_cache_test.cpp.
#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <random>
#include <string>

#include "models/engine/i_engine.h"
#include "sim/cosim/compare.h"
#include "sim/cosim/rtl_engine.h"
#include "tests/random_operands.h"

using namespace tessera;

namespace {

ParamValues systolic_params(int64_t rows, int64_t cols, int in_bits, int acc_bits,
                            const std::string& buffering = "single") {
  const auto* e = EngineRegistry::instance().find("systolic");
  REQUIRE(e != nullptr);
  ParamValues p = default_params(e->params);
  p.set("rows", rows);
  p.set("cols", cols);
  p.set("in_bits", int64_t{in_bits});
  p.set("acc_bits", int64_t{acc_bits});
  p.set("weight_buffering", buffering);
  return p;
}

struct Build {
  int64_t rows, cols;
  int acc_bits;
};
const Build kBuilds[] = {{2, 2, 32}, {4, 4, 32}, {3, 5, 32}, {8, 8, 32}, {16, 16, 32}, {4, 4, 16}};
// weight_buffering: double (sim/cosim/CMakeLists.txt builds these with WEIGHT_DB=1).
const Build kDoubleBuilds[] = {{2, 2, 32}, {3, 5, 32}, {8, 8, 32}, {16, 16, 32}, {4, 4, 16}};

// Shapes up to three folds per spatial axis; 1, the array size and one past it come often.
int64_t pick_dim(std::mt19937_64& rng, int64_t array) {
  const int p = std::uniform_int_distribution<int>(0, 9)(rng);
  if (p == 0) return 1;
  if (p == 1) return array;
  if (p == 2) return array + 1;
  return std::uniform_int_distribution<int64_t>(1, 3 * array)(rng);
}

// mac: bitweight: the MAC=1 LINKED sets of rtl/src/systolic/rtl.cmake.
struct BwBuild {
  int64_t rows, cols;
  int in_bits, acc_bits;
  const char* buffering;
};
const BwBuild kBitweightBuilds[] = {{2, 2, 8, 32, "single"}, {3, 5, 8, 32, "single"}, {8, 8, 8, 32, "single"},
                                    {4, 4, 8, 16, "single"}, {3, 4, 4, 16, "single"}, {4, 3, 3, 12, "single"},
                                    {2, 2, 8, 32, "double"}, {3, 5, 5, 20, "double"}};

ParamValues bitweight_params(const BwBuild& b) {
  ParamValues p = systolic_params(b.rows, b.cols, b.in_bits, b.acc_bits, b.buffering);
  p.set("mac", std::string("bitweight"));
  return p;
}

}  // namespace

TEST_CASE("model and RTL agree on random tiles, every dataflow and build", "[rtl][cosim]") {
  const int kTilesPerBuild = 40;  // x 6 builds = 240 tiles per dataflow
  for (const char* df : {"os", "ws", "is"}) {
    int tiles = 0;
    for (const Build& b : kBuilds) {
      const ParamValues p = systolic_params(b.rows, b.cols, 8, b.acc_bits);
      const auto model = EngineRegistry::instance().find("systolic")->make(p);
      const auto rtl = make_rtl_engine("systolic", p);
      std::mt19937_64 rng(std::hash<std::string>{}(df) ^ static_cast<uint64_t>(b.rows * 1000 + b.cols * 10 + b.acc_bits));
      for (int i = 0; i < kTilesPerBuild; ++i) {
        TileRequest req;
        req.dataflow = df;
        const int64_t big = std::max(b.rows, b.cols);
        req.gemm = {pick_dim(rng, big), pick_dim(rng, big), pick_dim(rng, big)};
        const IntMatrix a = random_operands(req.gemm.m, req.gemm.k, 8, rng);
        const IntMatrix w = random_operands(req.gemm.k, req.gemm.n, 8, rng);
        const TileCheck chk = check_tile(*model, *rtl, req, a, w);
        INFO(df << " " << b.rows << "x" << b.cols << " acc" << b.acc_bits << " tile " << i << " m=" << req.gemm.m
                << " n=" << req.gemm.n << " k=" << req.gemm.k << ": " << chk.first_difference);
        REQUIRE(chk.ok);
        ++tiles;
      }
    }
    CHECK(tiles >= 200);
  }
}

TEST_CASE("double-buffered weights: model and RTL agree on random tiles", "[rtl][cosim][weight_buffering]") {
  const int kTilesPerBuild = 40;  // x 5 builds = 200 tiles per dataflow
  for (const char* df : {"ws", "is", "os"}) {
    int tiles = 0, hidden = 0;
    for (const Build& b : kDoubleBuilds) {
      const ParamValues p = systolic_params(b.rows, b.cols, 8, b.acc_bits, "double");
      const auto model = EngineRegistry::instance().find("systolic")->make(p);
      const auto single = EngineRegistry::instance().find("systolic")->make(systolic_params(b.rows, b.cols, 8, b.acc_bits));
      const auto rtl = make_rtl_engine("systolic", p);
      std::mt19937_64 rng(std::hash<std::string>{}(df) ^ static_cast<uint64_t>(b.rows * 7919 + b.cols * 31 + b.acc_bits));
      for (int i = 0; i < kTilesPerBuild; ++i) {
        TileRequest req;
        req.dataflow = df;
        const int64_t big = std::max(b.rows, b.cols);
        req.gemm = {pick_dim(rng, big), pick_dim(rng, big), pick_dim(rng, big)};
        const IntMatrix a = random_operands(req.gemm.m, req.gemm.k, 8, rng);
        const IntMatrix w = random_operands(req.gemm.k, req.gemm.n, 8, rng);
        const TileCheck chk = check_tile(*model, *rtl, req, a, w);
        INFO(df << " double " << b.rows << "x" << b.cols << " acc" << b.acc_bits << " tile " << i << " m=" << req.gemm.m
                << " n=" << req.gemm.n << " k=" << req.gemm.k << ": " << chk.first_difference);
        REQUIRE(chk.ok);
        hidden += chk.rtl.cycles.total() < single->cost(req).cycles.total();
        ++tiles;
      }
    }
    CHECK(tiles == 200);
    if (std::string(df) != "os") CHECK(hidden > 50);  // multi-fold tiles did hide loads
  }
}

TEST_CASE("narrow operands (int4, ternary) on the 8-bit RTL", "[rtl][cosim]") {
  const ParamValues p = systolic_params(4, 4, 8, 16);
  const auto model = EngineRegistry::instance().find("systolic")->make(p);
  const auto rtl = make_rtl_engine("systolic", p);
  std::mt19937_64 rng(7);
  for (const char* df : {"os", "ws", "is"}) {
    for (DType t : {DType::int4, DType::ternary}) {
      TileRequest req;
      req.dataflow = df;
      req.a_type = req.b_type = t;
      req.gemm = {9, 6, 11};
      const int bits = t == DType::ternary ? 2 : 4;
      IntMatrix a = random_operands(9, 11, bits, rng), w = random_operands(11, 6, bits, rng);
      if (t == DType::ternary)
        for (auto* m : {&a, &w})
          for (auto& x : m->v) x = x < -1 ? -1 : x;  // {-1, 0, 1}
      const TileCheck chk = check_tile(*model, *rtl, req, a, w);
      INFO(df << ": " << chk.first_difference);
      REQUIRE(chk.ok);
    }
  }
}

TEST_CASE("the adapter lists its linked-in builds; an engine without RTL is a UserError", "[rtl][cosim]") {
  const auto rtl = make_rtl_engine("systolic", systolic_params(4, 4, 8, 16));
  const auto b = rtl->builds();
  CHECK(b.size() == 19);
  CHECK(std::find(b.begin(), b.end(), "16x16 in_bits=8 acc_bits=32 weight_buffering=single") != b.end());
  CHECK(std::find(b.begin(), b.end(), "4x4 in_bits=8 acc_bits=16 weight_buffering=double") != b.end());
  CHECK(std::find(b.begin(), b.end(), "4x3 in_bits=3 acc_bits=12 weight_buffering=single mac=bitweight") != b.end());
  CHECK_THROWS_AS(make_rtl_engine("vector", ParamValues{}), UserError);
}

TEST_CASE("the RTL registry holds the systolic, bit-serial and term-serial adapters", "[rtl][cosim]") {
  const auto names = RtlEngineRegistry::instance().names();  // other engines may add theirs
  for (const char* e : {"bitserial", "systolic", "termserial"})
    CHECK(std::find(names.begin(), names.end(), e) != names.end());
}

TEST_CASE("back-to-back tiles on one RTL instance keep agreeing (state carried between tiles)", "[rtl][cosim]") {
  for (const char* buffering : {"single", "double"}) {
    const ParamValues p = systolic_params(3, 5, 8, 32, buffering);
    const auto model = EngineRegistry::instance().find("systolic")->make(p);
    const auto rtl = make_rtl_engine("systolic", p);
    std::mt19937_64 rng(11);
    for (int i = 0; i < 30; ++i) {
      TileRequest req;
      req.dataflow = i % 3 == 0 ? "os" : i % 3 == 1 ? "ws" : "is";
      req.gemm = {pick_dim(rng, 5), pick_dim(rng, 5), pick_dim(rng, 5)};
      const IntMatrix a = random_operands(req.gemm.m, req.gemm.k, 8, rng);
      const IntMatrix w = random_operands(req.gemm.k, req.gemm.n, 8, rng);
      const TileCheck chk = check_tile(*model, *rtl, req, a, w);
      INFO(buffering << " tile " << i << ": " << chk.first_difference);
      REQUIRE(chk.ok);
    }
  }
}

TEST_CASE("bit-weight PE: model and RTL agree on random tiles, precisions and data, and outputs, cycles and traffic "
          "equal the plain RTL's",
          "[rtl][cosim][bitweight]") {
  const DType all[] = {DType::int1, DType::int2, DType::int3, DType::int4,  DType::int5,
                       DType::int6, DType::int7, DType::int8, DType::int16, DType::ternary};
  const Dist dists[] = {Dist::Uniform, Dist::Gauss1, Dist::Gauss4, Dist::Sparse};
  const int kTiles = 8;  // per build and dataflow: 8 builds x 3 dataflows x 8 = 192 tiles
  int tiles = 0, twins = 0, hidden = 0;
  for (const BwBuild& b : kBitweightBuilds) {
    const ParamValues p = bitweight_params(b);
    const auto model = EngineRegistry::instance().find("systolic")->make(p);
    const auto rtl = make_rtl_engine("systolic", p);
    // The plain RTL at the same parameters, where it is linked in (no first-use builds here).
    const ParamValues pp = systolic_params(b.rows, b.cols, b.in_bits, b.acc_bits, b.buffering);
    const std::string twin_name = std::to_string(b.rows) + "x" + std::to_string(b.cols) +
                                  " in_bits=" + std::to_string(b.in_bits) + " acc_bits=" +
                                  std::to_string(b.acc_bits) + " weight_buffering=" + b.buffering;
    const auto linked = rtl->builds();
    const bool has_twin = std::find(linked.begin(), linked.end(), twin_name) != linked.end();
    const auto plain = has_twin ? make_rtl_engine("systolic", pp) : nullptr;
    ParamValues ps = bitweight_params(b);
    ps.set("weight_buffering", std::string("single"));
    const auto single = EngineRegistry::instance().find("systolic")->make(ps);
    std::vector<DType> ok;
    for (DType t : all)
      if (dtype_bits(t) <= b.in_bits) ok.push_back(t);
    std::uniform_int_distribution<size_t> pick(0, ok.size() - 1);
    std::mt19937_64 rng(static_cast<uint64_t>(b.rows * 10007 + b.cols * 101 + b.in_bits * 37 + b.acc_bits) ^
                        (b.buffering[0] == 'd' ? 0x5bd1e995u : 0u));
    for (const char* df : {"os", "ws", "is"}) {
      for (int i = 0; i < kTiles; ++i) {
        TileRequest req;
        req.dataflow = df;
        const int64_t big = std::max(b.rows, b.cols);
        req.gemm = {pick_dim(rng, big), pick_dim(rng, big), pick_dim(rng, big)};
        req.a_type = ok[pick(rng)];
        req.b_type = ok[pick(rng)];
        const Dist d = dists[static_cast<size_t>(i) % 4];
        const IntMatrix a = values(rng, req.gemm.m, req.gemm.k, req.a_type, d);
        const IntMatrix w = values(rng, req.gemm.k, req.gemm.n, req.b_type, d);
        model->check(req);
        rtl->check(req);
        const TileCheck chk = check_tile(*model, *rtl, req, a, w);
        INFO("bitweight " << b.buffering << " " << b.rows << "x" << b.cols << " i" << b.in_bits << " a" << b.acc_bits
                          << " " << df << " tile " << i << " m=" << req.gemm.m << " n=" << req.gemm.n
                          << " k=" << req.gemm.k << " " << dtype_name(req.a_type) << " x " << dtype_name(req.b_type)
                          << ": " << chk.first_difference);
        REQUIRE(chk.ok);
        CHECK(chk.rtl.actions.count("pe_array", "int_mul", b.in_bits) == 0);  // priced as the bit-weight PE
        CHECK(chk.rtl.actions.count("pe_array", "int_add", b.acc_bits) > 0);  // its final adds
        hidden += chk.rtl.cycles.total() < single->cost(req).cycles.total();
        ++tiles;
        if (!plain) continue;
        IntMatrix out_bw, out_plain;
        const TileCost bw = rtl->simulate_pe(req, &a, &w, &out_bw);
        const TileCost pl = plain->simulate_pe(req, &a, &w, &out_plain);
        REQUIRE(out_bw == out_plain);
        CHECK(bw.cycles == pl.cycles);
        CHECK(bw.traffic == pl.traffic);
        CHECK(bw.macs == pl.macs);
        ++twins;
      }
    }
  }
  CHECK(tiles == 192);
  CHECK(twins >= 100);  // 2x2, 3x5, 8x8, 4x4 acc 16 single and 2x2 double have a plain twin
  CHECK(hidden > 10);   // double-buffered multi-fold tiles did hide loads
}
