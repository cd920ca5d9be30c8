// The multiplier-adder tree engine against docs/engines/mactree.md: a hand-derived tile,
// hand-derived compressor cells, closed form == per-cycle model on random shapes, outputs ==
// the functional model, and the plain / bitweight twins.
#include <catch2/catch.hpp>

#include <memory>
#include <random>
#include <string>
#include <tuple>

#include "models/engine/i_engine.h"
#include "models/common/int_math.h"
#include "models/engine/mactree.h"

using namespace tessera;

namespace {

std::unique_ptr<IEngine> make(int64_t lanes, int64_t width, int in_bits = 8, int acc_bits = 32,
                              const std::string& mac = "plain") {
  const auto* e = EngineRegistry::instance().find("mactree");
  REQUIRE(e != nullptr);
  ParamValues p = default_params(e->params);
  p.set("lanes", lanes);
  p.set("width", width);
  p.set("in_bits", int64_t{in_bits});
  p.set("acc_bits", int64_t{acc_bits});
  p.set("mac", mac);
  return e->make(p);
}

TileRequest gemm(int64_t m, int64_t n, int64_t k) {
  TileRequest r;
  r.gemm = {m, n, k};
  return r;
}

IntMatrix random_matrix(std::mt19937_64& rng, int64_t rows, int64_t cols, int bits) {
  std::uniform_int_distribution<int64_t> d(-(int64_t{1} << (bits - 1)), (int64_t{1} << (bits - 1)) - 1);
  IntMatrix x(rows, cols);
  for (auto& e : x.v) e = d(rng);
  return x;
}

}  // namespace

TEST_CASE("a 2-lane, 3-input tree, by hand", "[mactree]") {
  // M=2 N=3 K=4: k folds of 3 and 1 inputs, n folds of 2 and 1 lanes; each fold loads k cycles,
  // streams M = 2 and drains 1: 6 + 6 + 4 + 4 = 20 cycles. W = 3: level 1 one adder of 17 bits,
  // level 2 one of 18 (= the sum's bits: 2 x 8 + clog2(3), the result register's width). 12
  // results (2 rows x 3 columns x 2 k folds), 24 products, 16 activation
  // writes (2 rows x (3 + 3 + 1 + 1)), 12 weight writes, 6 partial sums of the second k fold.
  auto e = make(2, 3);
  const TileCost t = e->cost(gemm(2, 3, 4));
  CHECK(t.cycles.fill == 8);
  CHECK(t.cycles.steady == 8);
  CHECK(t.cycles.drain == 4);
  CHECK(t.macs == 24);
  CHECK(t.actions.count("lanes", "int_mul", 8) == 24);
  CHECK(t.actions.count("lanes", "int_add", 17) == 12);
  CHECK(t.actions.count("lanes", "int_add", 18) == 12);
  CHECK(t.actions.count("lanes", "reg_write", 18) == 12);
  CHECK(t.actions.count("lanes", "reg_write", 8) == 16 + 12);
  CHECK(t.actions.count("accumulator", "int_add", 32) == 6);
  CHECK(t.actions.items().size() == 6);
  CHECK(t.traffic.a_read_bits == 16 * 8);
  CHECK(t.traffic.b_read_bits == 12 * 8);
  CHECK(t.traffic.out_write_bits == 12 * 32);
  CHECK(t.traffic.out_read_bits == 6 * 32);
  CHECK(t == e->simulate_pe(gemm(2, 3, 4), nullptr, nullptr, nullptr));
}

TEST_CASE("bit-weight lane cells, by hand", "[mactree][bitweight]") {
  // W = 2, in_bits 2, acc_bits 8: the sum has 2 x 2 + clog2(2) = 5 bits, the rows are 5 wide.
  // Rows [R_0 (bits 0-2), corr_0 (neg at 0; 2K = -8 mod 32: ones at 3-4), R_1 (bits 0-2),
  // corr_1 (neg at 0)]. Step 1 (R_0, corr_0, R_1): bit 0 a full adder, bits 1 and 2 half
  // adders, bits 3-4 constant. Step 2 (corr_1, s1, c1 = bits 1-3): bits 0, 1, 2 half adders,
  // bit 3 one signal and a 1 (a wire), bit 4 constant: 1 fa, 5 ha.
  MactreeSpec s;
  s.width = 2;
  s.in_bits = 2;
  s.acc_bits = 8;
  s.bitweight = true;
  const MactreeLane lane = mactree_lane(s);
  CHECK(lane.fa == 1);
  CHECK(lane.ha == 5);
  CHECK(lane.sel_and2 == 6);
  CHECK(lane.sel_xor2 == 3);
  CHECK(lane.enc_bits == 3);
  CHECK(lane.sum_bits == 5);
  // Above the sum's bits nothing is built: a wider accumulator changes no compressor cell.
  for (int in_bits : {2, 3, 5, 8}) {
    for (int64_t width : {1, 3, 4, 7}) {
      MactreeSpec narrow = s, wide = s;
      narrow.in_bits = wide.in_bits = in_bits;
      narrow.width = wide.width = width;
      narrow.acc_bits = 2 * in_bits + clog2(static_cast<uint64_t>(width));
      wide.acc_bits = 64;
      const MactreeLane n = mactree_lane(narrow), w = mactree_lane(wide);
      INFO("in " << in_bits << " W " << width);
      CHECK(w.sum_bits == narrow.acc_bits);
      CHECK(std::make_tuple(n.fa, n.ha, n.sel_and2, n.sel_xor2) == std::make_tuple(w.fa, w.ha, w.sel_and2, w.sel_xor2));
    }
  }
  s.bitweight = false;
  s.width = 5;  // levels: 2 adders (n 5 -> 3), 1 (3 -> 2), 1 (2 -> 1)
  CHECK(mactree_lane(s).tree_adder_bits == std::vector<int>{5, 5, 6, 7});
}

TEST_CASE("closed form == per-cycle model, outputs == functional, twins agree", "[mactree]") {
  std::mt19937_64 rng(31);
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  for (int i = 0; i < 400; ++i) {
    const int64_t lanes = pick(1, 6), width = pick(1, 9);
    const int in_bits = static_cast<int>(pick(1, 8)), acc_bits = static_cast<int>(pick(std::max(8, in_bits), 32));
    auto plain = make(lanes, width, in_bits, acc_bits), bw = make(lanes, width, in_bits, acc_bits, "bitweight");
    const TileRequest req = gemm(pick(1, 12), pick(1, 14), pick(1, 20));
    INFO("L" << lanes << " W" << width << " in " << in_bits << " acc " << acc_bits << " M" << req.gemm.m << " N"
             << req.gemm.n << " K" << req.gemm.k);
    const IntMatrix a = random_matrix(rng, req.gemm.m, req.gemm.k, in_bits);
    const IntMatrix b = random_matrix(rng, req.gemm.k, req.gemm.n, in_bits);
    for (const IEngine* e : {plain.get(), bw.get()}) {
      IntMatrix pe_out, fn_out;
      const TileCost pe = e->simulate_pe(req, &a, &b, &pe_out);
      e->compute(req, a, b, fn_out);
      CHECK(pe == e->cost(req));
      CHECK(pe_out == fn_out);
      CHECK(pe.cycles.total() == static_cast<uint64_t>(
                                     (req.gemm.n + lanes - 1) / lanes *
                                     (req.gemm.k + ((req.gemm.k + width - 1) / width) * (req.gemm.m + 1))));
    }
    const TileCost p = plain->cost(req), w = bw->cost(req);
    CHECK(p.cycles == w.cycles);
    CHECK(p.traffic == w.traffic);
  }
}
