// The bit-serial engine's C++ model (closed form, per-cycle model, functional model) against its
// Verilated RTL: every output bit, the cycle split, every action and the traffic equal, on every
// linked-in build (rtl/src/bitserial/rtl.cmake: both serial modes, 1..4 bits per step), random
// shapes (ragged folds and groups), random precisions (int1..max_bits, ternary) and random data
// distributions (uniform, Gaussian of several widths, sparse).
#include <catch2/catch.hpp>

#include <algorithm>
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
  int64_t rows, cols, lanes;
  int bps, max_bits, acc_bits;
  bool both;
};
// The LINKED set of rtl/src/bitserial/rtl.cmake.
const Build kBuilds[] = {{2, 2, 2, 1, 4, 16, false}, {3, 4, 4, 1, 8, 32, false}, {4, 4, 4, 3, 8, 32, false},
                         {4, 1, 4, 4, 4, 32, false}, {8, 8, 8, 2, 8, 32, false},  {4, 3, 3, 2, 8, 24, true},
                         {2, 5, 5, 1, 8, 32, true},  {1, 1, 1, 1, 16, 40, true}};

ParamValues params(const Build& b) {
  const auto* e = EngineRegistry::instance().find("bitserial");
  REQUIRE(e != nullptr);
  ParamValues p = default_params(e->params);
  p.set("rows", b.rows);
  p.set("cols", b.cols);
  p.set("lanes", b.lanes);
  p.set("serial", std::string(b.both ? "both" : "activations"));
  p.set("bits_per_step", int64_t{b.bps});
  p.set("max_bits", int64_t{b.max_bits});
  p.set("acc_bits", int64_t{b.acc_bits});
  return p;
}

}  // namespace

TEST_CASE("bitserial: model and RTL agree on random tiles, precisions and data, every build", "[rtl][cosim][bitserial]") {
  const DType all[] = {DType::int1, DType::int2, DType::int3, DType::int4, DType::int5,
                       DType::int6, DType::int7, DType::int8, DType::int16, DType::ternary};
  const Dist dists[] = {Dist::Uniform, Dist::Gauss1, Dist::Gauss4, Dist::Sparse};
  int tiles = 0, holds = 0;
  for (const Build& b : kBuilds) {
    const ParamValues p = params(b);
    const auto model = EngineRegistry::instance().find("bitserial")->make(p);
    const auto rtl = make_rtl_engine("bitserial", p);
    std::vector<DType> ok;
    for (DType t : all)
      if (dtype_bits(t) <= b.max_bits) ok.push_back(t);
    std::mt19937_64 rng(static_cast<uint64_t>(b.rows * 1000 + b.cols * 100 + b.lanes * 10 + b.bps) ^ (b.both ? 77 : 0));
    std::uniform_int_distribution<size_t> pick(0, ok.size() - 1);
    std::uniform_int_distribution<int64_t> dm(1, 3 * b.rows), dn(1, 3 * b.cols), dk(1, 3 * b.lanes + 1);
    for (int i = 0; i < 30; ++i) {
      TileRequest req;
      req.gemm = {dm(rng), dn(rng), dk(rng)};
      req.a_type = ok[pick(rng)];
      req.b_type = ok[pick(rng)];
      const Dist d = dists[i % 4];
      const IntMatrix a = values(rng, req.gemm.m, req.gemm.k, req.a_type, d);
      const IntMatrix w = values(rng, req.gemm.k, req.gemm.n, req.b_type, d);
      const TileCheck chk = check_tile(*model, *rtl, req, a, w);
      INFO((b.both ? "both " : "activations ") << b.rows << "x" << b.cols << " L" << b.lanes << " bps" << b.bps
                                               << " max" << b.max_bits << " acc" << b.acc_bits << " tile " << i
                                               << " m=" << req.gemm.m << " n=" << req.gemm.n << " k=" << req.gemm.k
                                               << " " << dtype_name(req.a_type) << " x " << dtype_name(req.b_type)
                                               << ": " << chk.first_difference);
      REQUIRE(chk.ok);
      holds += chk.rtl.cycles.fill > 0;
      ++tiles;
    }
  }
  CHECK(tiles == 8 * 30);
  CHECK(holds > 10);  // read-out-bound folds were exercised, not only compute-bound ones
}
