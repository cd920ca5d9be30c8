// The term-serial engine's C++ model (closed form given the data, per-cycle model, functional
// model) against its Verilated RTL: every output bit, the cycle split, every action and the traffic
// equal, on every linked-in build (rtl/src/termserial/rtl.cmake: both serial modes, both encodings,
// 4..16-bit registers), random shapes (ragged folds and groups), random precisions (int1..max_bits,
// ternary) and random data distributions (uniform, Gaussian of several widths, sparse), which make
// the groups' lengths vary.
#include <algorithm>
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
  int64_t rows, cols, lanes;
  int max_bits, acc_bits;
  bool both, booth;
};
// The LINKED set of rtl/src/termserial/rtl.cmake.
const Build kBuilds[] = {{2, 2, 2, 4, 16, false, false}, {3, 4, 4, 8, 32, false, true},  {4, 1, 4, 4, 32, false, true},
                         {5, 6, 8, 8, 32, false, false}, {3, 2, 3, 16, 12, false, true}, {4, 3, 3, 8, 24, true, false},
                         {2, 5, 5, 8, 32, true, true},   {1, 1, 1, 16, 40, true, true}};

ParamValues params(const Build& b) {
  const auto* e = EngineRegistry::instance().find("termserial");
  REQUIRE(e != nullptr);
  ParamValues p = default_params(e->params);
  p.set("rows", b.rows);
  p.set("cols", b.cols);
  p.set("lanes", b.lanes);
  p.set("serial", std::string(b.both ? "both" : "activations"));
  p.set("encoding", std::string(b.booth ? "booth" : "plain"));
  p.set("max_bits", int64_t{b.max_bits});
  p.set("acc_bits", int64_t{b.acc_bits});
  return p;
}

}  // namespace

TEST_CASE(
    "termserial: model and RTL agree on random tiles, precisions and "
    "data, every build",
    "[rtl][cosim][termserial]") {
  const DType all[] = {DType::int1, DType::int2, DType::int3, DType::int4,  DType::int5,
                       DType::int6, DType::int7, DType::int8, DType::int16, DType::ternary};
  const Dist dists[] = {Dist::Uniform, Dist::Gauss1, Dist::Gauss4, Dist::Sparse};
  int tiles = 0, holds = 0, long_groups = 0;
  double per_group[4] = {0, 0, 0, 0};  // per distribution: the sum of steady cycles per fold-group
  int per_dist[4] = {0, 0, 0, 0};
  for (const Build& b : kBuilds) {
    const ParamValues p = params(b);
    const auto model = EngineRegistry::instance().find("termserial")->make(p);
    const auto rtl = make_rtl_engine("termserial", p);
    std::vector<DType> ok;
    for (DType t : all)
      if (dtype_bits(t) <= b.max_bits) ok.push_back(t);
    std::mt19937_64 rng(static_cast<uint64_t>(b.rows * 1000 + b.cols * 100 + b.lanes * 10 + b.max_bits) ^
                        (b.both ? 77 : 0) ^ (b.booth ? 1313 : 0));
    std::uniform_int_distribution<size_t> pick(0, ok.size() - 1);
    std::uniform_int_distribution<int64_t> dm(1, 3 * b.rows), dn(1, 3 * b.cols), dk(1, 3 * b.lanes + 1);
    for (int i = 0; i < 30; ++i) {
      TileRequest req;
      req.gemm = {dm(rng), dn(rng), dk(rng)};
      req.a_type = ok[pick(rng)];
      req.b_type = ok[pick(rng)];
      const int di = i % 4;
      const IntMatrix a = values(rng, req.gemm.m, req.gemm.k, req.a_type, dists[di]);
      const IntMatrix w = values(rng, req.gemm.k, req.gemm.n, req.b_type, dists[di]);
      model->check(req);
      rtl->check(req);
      const TileCheck chk = check_tile(*model, *rtl, req, a, w);
      INFO((b.both ? "both " : "activations ")
           << (b.booth ? "booth " : "plain ") << b.rows << "x" << b.cols << " L" << b.lanes << " max" << b.max_bits
           << " acc" << b.acc_bits << " tile " << i << " m=" << req.gemm.m << " n=" << req.gemm.n << " k=" << req.gemm.k
           << " " << dtype_name(req.a_type) << " x " << dtype_name(req.b_type) << ": " << chk.first_difference);
      REQUIRE(chk.ok);
      holds += chk.rtl.cycles.fill > 0;
      ++tiles;
      // Fold-groups: each takes at least one cycle, more when its lanes have several terms.
      const int64_t fg = ((req.gemm.m + b.rows - 1) / b.rows) * ((req.gemm.n + b.cols - 1) / b.cols) *
                         ((req.gemm.k + b.lanes - 1) / b.lanes);
      const double t = static_cast<double>(chk.rtl.cycles.steady) / static_cast<double>(fg);
      per_group[di] += t;
      ++per_dist[di];
      long_groups += chk.rtl.cycles.steady > static_cast<uint64_t>(fg);
    }
  }
  CHECK(tiles == 8 * 30);
  CHECK(holds > 10);        // read-out-bound folds were exercised, not only compute-bound ones
  CHECK(long_groups > 80);  // groups of several cycles, not only one term per lane
  // The data decides the groups' lengths: sparse operands (80% zeros) run faster than uniform ones.
  const double uniform = per_group[0] / per_dist[0], sparse = per_group[3] / per_dist[3];
  INFO("cycles per fold-group: uniform " << uniform << ", sparse " << sparse);
  CHECK(sparse < uniform);
}

TEST_CASE("termserial: the RTL costs a tile from its data when the stats carry it", "[rtl][cosim][termserial]") {
  const Build b = kBuilds[5];  // both serial, plain
  const ParamValues p = params(b);
  const auto model = EngineRegistry::instance().find("termserial")->make(p);
  const auto rtl = make_rtl_engine("termserial", p);
  std::mt19937_64 rng(5);
  TileRequest req;
  req.gemm = {7, 5, 8};
  req.a_type = DType::int8;
  req.b_type = DType::int4;
  const IntMatrix a = values(rng, 7, 8, req.a_type, Dist::Uniform), w = values(rng, 8, 5, req.b_type, Dist::Gauss4);
  const TypedMatrix ta = to_typed(a, NumFormat::of(req.a_type)), tw = to_typed(w, NumFormat::of(req.b_type));
  const OperandStats st = stats_of(ta, tw);
  const IEngine& as_engine = *rtl;  // IRtlEngine's cost(req) hides the overload with stats
  const TileCost from_rtl = as_engine.cost(req, st);
  CHECK(from_rtl == model->cost(req, st));
  CHECK(from_rtl.cycles.steady > rtl->cost(req).cycles.steady);  // zeros: one cycle per group
  CHECK(rtl->builds().size() == 8);
}
