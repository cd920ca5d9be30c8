// The multiplier-adder tree engine's C++ model (closed form, per-cycle model, functional model)
// against its Verilated RTL (rtl/src/mactree/): every output bit, the cycle split, every action and
// the traffic equal, on every linked-in build (rtl/src/mactree/rtl.cmake: six shapes, each plain
// and bit-weight), random shapes (ragged k and n folds), random precisions (int1..in_bits,
// ternary) and random data distributions (uniform, Gaussian of two widths, sparse). The plain
// and bit-weight RTL at the same parameters give the same outputs, cycles and traffic.
#include <algorithm>
#include <catch2/catch.hpp>
#include <random>
#include <string>

#include "models/common/error.h"
#include "models/engine/i_engine.h"
#include "sim/cosim/compare.h"
#include "sim/cosim/rtl_engine.h"
#include "tests/random_operands.h"

using namespace tessera;

namespace {

struct Shape {
  int64_t lanes, width;
  int in_bits, acc_bits;
};
// The LINKED set of rtl/src/mactree/rtl.cmake, each built plain and bit-weight.
const Shape kShapes[] = {{2, 3, 8, 32}, {4, 4, 8, 32}, {3, 5, 4, 16}, {1, 1, 16, 40}, {5, 4, 3, 12}, {2, 8, 8, 16}};

ParamValues params(const Shape& s, bool bitweight) {
  const auto* e = EngineRegistry::instance().find("mactree");
  REQUIRE(e != nullptr);
  ParamValues p = default_params(e->params);
  p.set("lanes", s.lanes);
  p.set("width", s.width);
  p.set("in_bits", int64_t{s.in_bits});
  p.set("acc_bits", int64_t{s.acc_bits});
  p.set("mac", std::string(bitweight ? "bitweight" : "plain"));
  return p;
}

}  // namespace

TEST_CASE("mactree: model and RTL agree on random tiles, precisions and data, plain and bit-weight, and the "
          "twins give equal outputs, cycles and traffic",
          "[rtl][cosim][mactree]") {
  const Dist dists[] = {Dist::Uniform, Dist::Gauss1, Dist::Gauss4, Dist::Sparse};
  const int kTiles = 14;  // per shape, each run on both builds: 6 x 14 x 2 = 168 tiles
  int tiles = 0, wrapped = 0, multi_k = 0, ragged = 0;
  for (const Shape& s : kShapes) {
    const ParamValues pp = params(s, false), pb = params(s, true);
    const auto model_p = EngineRegistry::instance().find("mactree")->make(pp);
    const auto model_b = EngineRegistry::instance().find("mactree")->make(pb);
    const auto rtl_p = make_rtl_engine("mactree", pp);
    const auto rtl_b = make_rtl_engine("mactree", pb);
    const std::vector<DType> ok = model_p->capabilities().a_types;
    std::mt19937_64 rng(static_cast<uint64_t>(s.lanes * 1000 + s.width * 100 + s.in_bits * 10 + s.acc_bits));
    const DType widest = *std::max_element(ok.begin(), ok.end(), [](DType x, DType y) { return dtype_bits(x) < dtype_bits(y); });
    std::uniform_int_distribution<size_t> pick(0, ok.size() - 1);
    std::uniform_int_distribution<int64_t> dm(1, 9), dn(1, 3 * s.lanes + 1), dk(1, 3 * s.width + 1);
    for (int i = 0; i < kTiles; ++i) {
      TileRequest req;
      req.dataflow = "ws";
      req.gemm = {dm(rng), dn(rng), dk(rng)};
      // Every distribution in turn; uniform and wide Gaussian tiles take the widest format, so
      // that the sums reach acc_bits where the tree can (lanes 2 width 8, int8, acc 16), the
      // others any format the engine accepts.
      const Dist d = dists[i % 4];
      const bool wide = d == Dist::Uniform || d == Dist::Gauss4;
      req.a_type = wide ? widest : ok[pick(rng)];
      req.b_type = wide ? widest : ok[pick(rng)];
      const IntMatrix a = values(rng, req.gemm.m, req.gemm.k, req.a_type, d);
      const IntMatrix w = values(rng, req.gemm.k, req.gemm.n, req.b_type, d);
      model_p->check(req);
      model_b->check(req);
      rtl_p->check(req);
      rtl_b->check(req);
      const TileCheck cp = check_tile(*model_p, *rtl_p, req, a, w);
      const TileCheck cb = check_tile(*model_b, *rtl_b, req, a, w);
      INFO("lanes " << s.lanes << " width " << s.width << " in_bits " << s.in_bits << " acc " << s.acc_bits
                    << " tile " << i << " m=" << req.gemm.m << " n=" << req.gemm.n << " k=" << req.gemm.k << " "
                    << dtype_name(req.a_type) << " x " << dtype_name(req.b_type) << ": plain "
                    << cp.first_difference << " / bitweight " << cb.first_difference);
      REQUIRE(cp.ok);
      REQUIRE(cb.ok);
      // The twins, RTL against RTL: same outputs, cycles and traffic (actions differ).
      IntMatrix op, ob;
      const TileCost tp = rtl_p->run_tile(req, &a, &w, &op, {});
      const TileCost tb = rtl_b->run_tile(req, &a, &w, &ob, {});
      CHECK(op == ob);
      CHECK(tp.cycles == tb.cycles);
      CHECK(tp.traffic == tb.traffic);
      CHECK(tp.macs == tb.macs);
      CHECK(!(tp.actions == tb.actions));
      tiles += 2;
      multi_k += req.gemm.k > s.width;
      ragged += req.gemm.k % s.width != 0 && req.gemm.n % s.lanes != 0;
      // A sum that left the acc_bits range: the wrap was exercised.
      const IntMatrix exact = int_gemm_wrapping(a, w, 64);
      for (size_t e = 0; e < exact.v.size(); ++e)
        if (exact.v[e] != op.v[e]) {
          ++wrapped;
          break;
        }
    }
  }
  CHECK(tiles == 6 * kTiles * 2);
  CHECK(tiles >= 150);
  CHECK(multi_k > 20);  // later k folds through the accumulator
  CHECK(ragged > 10);   // unused inputs and lanes in the last folds
  CHECK(wrapped >= 4);  // acc_bits wrap reached
}

TEST_CASE("mactree: the adapter lists its linked-in builds, and folds beyond the row register are a UserError",
          "[rtl][cosim][mactree]") {
  const auto rtl = make_rtl_engine("mactree", params(kShapes[0], false));
  const auto b = rtl->builds();
  CHECK(b.size() == 12);
  CHECK(std::find(b.begin(), b.end(), "lanes=5 width=4 in_bits=3 acc_bits=12 mac=bitweight") != b.end());
  CHECK(std::find(b.begin(), b.end(), "lanes=2 width=8 in_bits=8 acc_bits=16 mac=plain") != b.end());
  TileRequest req;
  req.gemm = {65536, 2, 3};
  CHECK_THROWS_AS(rtl->check(req), UserError);
  req.gemm = {65535, 2, 3};
  CHECK_NOTHROW(rtl->check(req));
  const std::vector<std::string> types = RtlEngineRegistry::instance().names();
  CHECK(std::find(types.begin(), types.end(), "mactree") != types.end());
}

TEST_CASE("mactree: a tile without data runs zeros and costs what the closed form says", "[rtl][cosim][mactree]") {
  for (bool bw : {false, true}) {
    const ParamValues p = params(kShapes[2], bw);
    const auto model = EngineRegistry::instance().find("mactree")->make(p);
    const auto rtl = make_rtl_engine("mactree", p);
    TileRequest req;
    req.dataflow = "ws";
    req.gemm = {7, 8, 11};  // 3 k folds (5, 5, 1 inputs) x 3 n folds (3, 3, 2 lanes)
    req.a_type = DType::int4;
    req.b_type = DType::int3;
    const TileCost c = rtl->cost(req);
    CHECK(c == model->cost(req));
    CHECK(c.cycles.total() == 3 * 11 + 9 * (7 + 1));  // Fn K + Fk Fn (M + 1)
  }
}
