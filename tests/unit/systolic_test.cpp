// The systolic engine against docs/engines/systolic.md: hand-derived cases, closed form ==
// per-cycle PE model on random shapes, PE model outputs == functional model, wraparound, and
// the registry entry.
#include <catch2/catch.hpp>

#include <memory>
#include <random>
#include <string>

#include "models/engine/i_engine.h"

using namespace tessera;

namespace {

struct Config {
  int64_t rows = 4, cols = 4;
  std::string dataflow = "ws";
  int acc_bits = 32;
  int in_bits = 8;
  std::string timing = "native";
  std::string buffering = "single";  // weight_buffering
};

std::unique_ptr<IEngine> make(const Config& c) {
  const auto* e = EngineRegistry::instance().find("systolic");
  REQUIRE(e != nullptr);
  ParamValues p = default_params(e->params);
  p.set("rows", c.rows);
  p.set("cols", c.cols);
  p.set("dataflow", c.dataflow);
  p.set("acc_bits", int64_t{c.acc_bits});
  p.set("in_bits", int64_t{c.in_bits});
  p.set("timing", c.timing);
  p.set("weight_buffering", c.buffering);
  return e->make(p);
}

TileRequest gemm(int64_t m, int64_t n, int64_t k, const std::string& df = "") {
  TileRequest r;
  r.gemm = {m, n, k};
  r.dataflow = df;
  return r;
}

IntMatrix matrix(int64_t rows, int64_t cols, std::initializer_list<int64_t> v) {
  IntMatrix x(rows, cols);
  x.v.assign(v);
  return x;
}

IntMatrix random_matrix(std::mt19937_64& rng, int64_t rows, int64_t cols, int bits) {
  std::uniform_int_distribution<int64_t> d(-(int64_t{1} << (bits - 1)), (int64_t{1} << (bits - 1)) - 1);
  IntMatrix x(rows, cols);
  for (auto& e : x.v) e = d(rng);
  return x;
}

// Runs the PE model with data and checks it agrees with the closed form and compute().
TileCost check_all(const IEngine& eng, const TileRequest& req, const IntMatrix& a, const IntMatrix& b) {
  IntMatrix pe_out, fn_out;
  const TileCost pe = eng.simulate_pe(req, &a, &b, &pe_out);
  eng.compute(req, a, b, fn_out);
  CHECK(pe == eng.cost(req));
  CHECK(pe == eng.simulate_pe(req, nullptr, nullptr, nullptr));
  CHECK(pe_out == fn_out);
  return pe;
}

}  // namespace

TEST_CASE("1x1 array, every dataflow", "[systolic]") {
  const IntMatrix a = matrix(2, 1, {3, -2}), b = matrix(1, 1, {5});
  SECTION("os, M=2 N=1 K=1: two folds of fill 0, steady 1, drain 1 (read-out)") {
    auto eng = make({1, 1, "os"});
    const TileCost t = check_all(*eng, gemm(2, 1, 1), a, b);
    CHECK(t.cycles == CycleSplit{0, 2, 2});
    CHECK(t.actions.count("pe_array", "mux", 32) == 2);
    CHECK(t.actions.count("pe_array", "reg_write", 8) == 4);  // a and b latched per MAC
  }
  SECTION("ws, M=2 N=1 K=1: load in cycle 0, a[0] and a[1] leave in cycles 1 and 2") {
    auto eng = make({1, 1, "ws"});
    const TileCost t = check_all(*eng, gemm(2, 1, 1), a, b);
    CHECK(t.cycles == CycleSplit{1, 2, 0});
    CHECK(t.actions.count("pe_array", "reg_write", 8) == 3);  // 2 streamed a + 1 weight
    CHECK(t.traffic == OperandTraffic{16, 8, 64, 0});
  }
  SECTION("is, M=2 N=1 K=1: Sr=K=1, Sc=M=2 -> two column folds of 1 + 1 + 0 cycles") {
    auto eng = make({1, 1, "is"});
    const TileCost t = check_all(*eng, gemm(2, 1, 1), a, b);
    CHECK(t.cycles == CycleSplit{2, 2, 0});
  }
  IntMatrix out;
  make({1, 1, "ws"})->compute(gemm(2, 1, 1), a, b, out);
  CHECK(out == matrix(2, 1, {15, -10}));
}

TEST_CASE("2x2 array with K=1", "[systolic]") {
  const IntMatrix a = matrix(2, 1, {1, 2}), b = matrix(1, 2, {3, 4});
  const IntMatrix expect = matrix(2, 2, {3, 4, 6, 8});
  SECTION("os: r=c=2, T=1: fill r+c-2=2, steady 1, drain r=2") {
    auto eng = make({2, 2, "os"});
    IntMatrix out;
    const TileCost t = eng->simulate_pe(gemm(2, 2, 1), &a, &b, &out);
    CHECK(out == expect);
    CHECK(t.cycles == CycleSplit{2, 1, 2});
    CHECK(t.macs == 4);
    CHECK(t.actions.count("pe_array", "int_mul", 8) == 4);
    CHECK(t.actions.count("pe_array", "reg_write", 8) == 8);
    CHECK(t.actions.count("pe_array", "reg_write", 32) == 4);
    CHECK(t.actions.count("pe_array", "mux", 32) == 4);
    CHECK(t.traffic == OperandTraffic{16, 16, 128, 0});
    CHECK(t == eng->cost(gemm(2, 2, 1)));
  }
  SECTION("ws: Sr=K=1, Sc=N=2, T=M=2: fill 2r-1=1, steady 2, drain c-1=1") {
    auto eng = make({2, 2, "ws"});
    const TileCost t = check_all(*eng, gemm(2, 2, 1), a, b);
    CHECK(t.cycles == CycleSplit{1, 2, 1});
    CHECK(t.actions.count("pe_array", "reg_write", 8) == 6);  // r*c*T + r*c
    CHECK(t.traffic == OperandTraffic{16, 16, 128, 0});
  }
  SECTION("is: Sr=K=1, Sc=M=2, T=N=2: same cycles as ws") {
    auto eng = make({2, 2, "is"});
    const TileCost t = check_all(*eng, gemm(2, 2, 1), a, b);
    CHECK(t.cycles == CycleSplit{1, 2, 1});
    CHECK(t.traffic == OperandTraffic{16, 16, 128, 0});
  }
}

TEST_CASE("3x2 array with ragged folds", "[systolic]") {
  // a 2x4, b 4x3: out[0] = (12, 1, 5), out[1] = (4, -1, -1).
  const IntMatrix a = matrix(2, 4, {1, 2, 3, 4, -1, 0, 1, 2});
  const IntMatrix b = matrix(4, 3, {1, 0, 2, 0, 1, 0, 1, 1, 1, 2, -1, 0});
  const IntMatrix expect = matrix(2, 3, {12, 1, 5, 4, -1, -1});
  SECTION("ws M=2 N=3 K=4: row folds r=3,1 (K), column folds c=2,1 (N), T=2") {
    // Folds (3,2) (3,1) (1,2) (1,1) take T+2r+c-2 = 8, 7, 4, 3 = 22 cycles;
    // fill sum(2r-1) = 5+5+1+1 = 12, steady 4*T = 8, drain sum(c-1) = 1+0+1+0 = 2.
    auto eng = make({3, 2, "ws"});
    IntMatrix out;
    const TileCost t = check_all(*eng, gemm(2, 3, 4), a, b);
    eng->simulate_pe(gemm(2, 3, 4), &a, &b, &out);
    CHECK(out == expect);
    CHECK(t.cycles == CycleSplit{12, 8, 2});
    CHECK(t.actions.count("accumulator", "int_add", 32) == 6);  // T*c over the second row fold
    CHECK(t.actions.count("pe_array", "reg_write", 8) == 24 + 12);
    // a: Fc*Sr*T*8 = 2*4*2*8; b: Sr*Sc*8; out written per row fold, read back for the second.
    CHECK(t.traffic == OperandTraffic{128, 96, 384, 192});
  }
  SECTION("os M=2 N=3 K=4 uses one row fold and column folds 2,1") {
    // Folds (2,2) (2,1) with T=4: fill (2+2-2)+(2+1-2) = 3, steady 8, drain 2+2 = 4.
    auto eng = make({3, 2, "os"});
    const TileCost t = check_all(*eng, gemm(2, 3, 4), a, b);
    CHECK(t.cycles == CycleSplit{3, 8, 4});
    CHECK(t.actions.count("pe_array", "mux", 32) == 6);
  }
  SECTION("is M=2 N=3 K=4: Sr=K=4 -> r=3,1; Sc=M=2 -> c=2; T=N=3") {
    // Folds (3,2) (1,2): fill 5+1 = 6, steady 6, drain 1+1 = 2.
    auto eng = make({3, 2, "is"});
    const TileCost t = check_all(*eng, gemm(2, 3, 4), a, b);
    CHECK(t.cycles == CycleSplit{6, 6, 2});
    CHECK(t.traffic.out_read_bits == 3 * 2 * 32);
  }
}

TEST_CASE("closed form equals the PE model on random shapes", "[systolic]") {
  std::mt19937_64 rng(20240611);
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  // Edge sizes (1, exact multiples of the array) come up often by construction.
  auto dim = [&](int64_t array) {
    switch (pick(0, 5)) {
      case 0: return int64_t{1};
      case 1: return array * pick(1, 3);
      default: return pick(1, 14);
    }
  };
  const DType types[] = {DType::int8, DType::int4, DType::ternary, DType::int2};
  for (const char* df : {"os", "ws", "is"}) {
    int with_data = 0;
    for (int i = 0; i < 1000; ++i) {
      Config c;
      c.rows = pick(0, 4) == 0 ? 1 : pick(1, 6);
      c.cols = pick(0, 4) == 0 ? 1 : pick(1, 6);
      c.dataflow = df;
      c.acc_bits = pick(0, 3) == 0 ? static_cast<int>(pick(8, 20)) : 32;
      c.buffering = i % 2 ? "double" : "single";
      auto eng = make(c);
      TileRequest req = gemm(dim(c.rows), dim(c.cols), dim(c.rows));
      req.a_type = types[pick(0, 3)];
      req.b_type = types[pick(0, 3)];
      INFO(df << " " << c.buffering << " array " << c.rows << "x" << c.cols << " M" << req.gemm.m << " N" << req.gemm.n << " K"
              << req.gemm.k);
      const TileCost closed = eng->cost(req);
      CHECK(closed == eng->simulate_pe(req, nullptr, nullptr, nullptr));
      CHECK(closed.macs == static_cast<uint64_t>(req.gemm.m * req.gemm.n * req.gemm.k));
      if (i % 4 == 0) {
        const int bits = std::min(dtype_bits(req.a_type), dtype_bits(req.b_type)) == 2 ? 2 : 4;
        check_all(*eng, req, random_matrix(rng, req.gemm.m, req.gemm.k, bits),
                  random_matrix(rng, req.gemm.k, req.gemm.n, bits));
        ++with_data;
      }
      if (i % 10 == 0) {
        c.timing = "scalesim";
        auto ss = make(c);
        CHECK(ss->cost(req) == ss->simulate_pe(req, nullptr, nullptr, nullptr));
      }
    }
    CHECK(with_data == 250);
  }
}

TEST_CASE("every fold costs T + 2r + c - 2 cycles", "[systolic]") {
  // The contract's tile total: Fr*Fc*(T-2) + 2*Fc*Sr + Fr*Sc.
  auto eng = make({16, 8, "os"});
  const TileCost t = eng->cost(gemm(40, 20, 9));  // Sr=40 (Fr=3), Sc=20 (Fc=3), T=9
  CHECK(t.cycles.total() == 9 * 7 + 2 * 3 * 40 + 3 * 20);
}

TEST_CASE("sums wrap modulo 2^acc_bits", "[systolic]") {
  // 127*127*2 = 32258 = 126*256 + 2; 100 + 100 = 200 = -56 in 8 bits.
  const IntMatrix a = matrix(2, 2, {127, 127, 100, 100}), b = matrix(2, 1, {127, 127});
  const IntMatrix ones = matrix(2, 1, {1, 1});
  for (const char* df : {"os", "ws", "is"}) {
    auto eng = make({2, 1, df, 8});
    IntMatrix out;
    check_all(*eng, gemm(2, 1, 2), a, b);
    eng->compute(gemm(2, 1, 2), a, b, out);
    CHECK(out.at(0, 0) == 2);
    eng->simulate_pe(gemm(2, 1, 2), &a, &ones, &out);
    CHECK(out.at(1, 0) == -56);
  }
  // K split over two row folds (1-row array): the accumulator wraps too.
  auto eng = make({1, 1, "ws", 8});
  IntMatrix out;
  eng->simulate_pe(gemm(2, 1, 2), &a, &ones, &out);
  CHECK(out.at(1, 0) == -56);
}

TEST_CASE("registry entry, capabilities and area", "[systolic]") {
  const auto* e = EngineRegistry::instance().find("systolic");
  REQUIRE(e != nullptr);
  std::vector<std::string> names;
  for (const auto& d : e->params) names.push_back(d.name);
  CHECK(names ==
        std::vector<std::string>{"rows", "cols", "in_bits", "acc_bits", "dataflow", "timing", "weight_buffering"});
  for (const auto& d : e->params) {
    REQUIRE(d.dflt.has_value());
    CHECK(!d.doc.empty());
  }
  CHECK(*e->params[0].dflt == "128");
  CHECK(e->params[0].max == 4096);
  CHECK(*e->params[4].dflt == "ws");
  CHECK(e->params[4].choices == std::vector<std::string>{"os", "ws", "is"});
  CHECK(e->params[5].choices == std::vector<std::string>{"native", "scalesim"});
  CHECK(*e->params[6].dflt == "single");
  CHECK(e->params[6].choices == std::vector<std::string>{"single", "double"});

  auto eng = make({4, 3, "is", 24, 4});
  const auto caps = eng->capabilities();
  CHECK(caps.dataflows == std::vector<std::string>{"is", "os", "ws"});
  CHECK(caps.peak_ops_per_cycle == 12);
  CHECK(caps.psum_bits == 24);
  CHECK(eng->type() == "systolic");
  TileRequest req = gemm(2, 2, 2);
  req.a_type = DType::int8;  // wider than in_bits = 4
  CHECK_THROWS_AS(eng->check(req), UserError);
  req.a_type = DType::ternary;
  req.b_type = DType::int4;
  CHECK_NOTHROW(eng->check(req));

  // Flip-flop bits as in rtl/src/systolic/systolic_array.v: per PE two 4-bit operand registers, a
  // 24-bit accumulator and a valid bit; the fold controller holds busy and mode (2), r
  // ($clog2(5) = 3), c ($clog2(4) = 2), T (16) and the cycle counter (16 + 1).
  uint64_t pe_bits = 0, controller_bits = 0;
  for (const auto& it : eng->area_items()) {
    if (it.primitive != "reg") continue;
    (it.component == "pe_array" ? pe_bits : controller_bits) += it.count * static_cast<uint64_t>(it.bits);
  }
  CHECK(pe_bits == 12 * (2 * 4 + 24 + 1));
  CHECK(controller_bits == 2 + 3 + 2 + 16 + 17);

  // Whole-array flip-flop counts that yosys reports for the RTL (docs/rtl.md).
  struct Synth {
    int64_t rows, cols;
    int in_bits, acc_bits;
    uint64_t flip_flops;
  };
  for (const Synth& y : {Synth{2, 2, 8, 32, 235}, Synth{3, 5, 8, 16, 535}, Synth{8, 8, 8, 32, 3179}}) {
    uint64_t bits = 0;
    for (const auto& it : make({y.rows, y.cols, "ws", y.acc_bits, y.in_bits})->area_items())
      if (it.primitive == "reg") bits += it.count * static_cast<uint64_t>(it.bits);
    CHECK(bits == y.flip_flops);
  }
}

TEST_CASE("double-buffered weights, by hand: 2x2 array, ws, M=3 N=2 K=4", "[systolic][weight_buffering]") {
  // Sr = K = 4 -> two row folds of r = 2 (k 0..1, k 2..3); Sc = N = 2 -> c = 2; T = M = 3.
  // Fold 1 (the tile's first: nothing loaded before it), s = r = 2 visible load cycles:
  //   cycle 0: row 0 latches b[0][0..1] into its shadows; cycle 1: row 1 latches b[1][0..1]
  //   a[m][i] reaches PE(i,j) in cycle s+m+i+j = 2+m+i+j; each PE's first MAC takes the
  //   shadow (swap): PE(0,0) in cycle 2, PE(0,1) and PE(1,0) in 3, PE(1,1) in 4
  //   row 1 emits out[m][j] in cycle 3+m+j: cycles 3..6   -> L = 7 = T + 2r + c - 2
  //   fill 0..2 (3 = s + r - 1), steady 3..5 (a[2][1] enters row 1 in cycle 5), drain 6 (1)
  //   prefetch of fold 2 from cycle s + c - 1 = 3 (PE(0,1) swaps in 3, reads the old shadow
  //   before the edge that loads the new one): cycle 3 row 0 <- b[2][0..1], cycle 4 row 1 <-
  //   b[3][0..1] (PE(1,1) swaps in 4). Both rows loaded: fold 2 has s = 0.
  // Fold 2 (cycles 7..11): a[m][2+i] reaches PE(i,j) in cycle m+i+j; row 1 emits in 1+m+j:
  //   cycles 1..4 -> L = 5 = T + r + c - 2; fill 0 (1 = r - 1), steady 1..3, drain 4 (1).
  // Tile: 12 cycles = fill 3+1, steady 3+3, drain 1+1 (single buffering: 7 + 7 = 14, fill 3+3).
  const IntMatrix a = matrix(3, 4, {1, 2, 3, 4, -1, 0, 1, 2, 5, -3, 0, 1});
  const IntMatrix b = matrix(4, 2, {1, 0, 0, 1, 1, 1, 2, -1});
  IntMatrix expect;
  make({2, 2, "ws"})->compute(gemm(3, 2, 4), a, b, expect);
  CHECK(expect == matrix(3, 2, {12, 1, 4, -1, 7, -4}));

  auto db = make({2, 2, "ws", 32, 8, "native", "double"});
  const TileCost t = check_all(*db, gemm(3, 2, 4), a, b);
  IntMatrix out;
  db->simulate_pe(gemm(3, 2, 4), &a, &b, &out);
  CHECK(out == expect);
  CHECK(t.cycles == CycleSplit{4, 6, 2});
  CHECK(t.macs == 24);
  // in_bits writes: 24 moving operands, 8 shadow loads, 8 swaps; one shadow-select mux per swap.
  CHECK(t.actions.count("pe_array", "reg_write", 8) == 24 + 8 + 8);
  CHECK(t.actions.count("pe_array", "mux", 8) == 8);
  CHECK(t.actions.count("pe_array", "reg_write", 32) == 24);
  CHECK(t.actions.count("accumulator", "int_add", 32) == 6);  // T*c of the second row fold
  // a: Fc*Sr*T*8 = 4*3*8; b: every weight once; out: T*c per fold; read back for fold 2.
  CHECK(t.traffic == OperandTraffic{96, 64, 384, 192});

  const TileCost single = check_all(*make({2, 2, "ws"}), gemm(3, 2, 4), a, b);
  CHECK(single.cycles == CycleSplit{6, 6, 2});
  CHECK(single.actions.count("pe_array", "reg_write", 8) == 24 + 8);
  CHECK(single.actions.count("pe_array", "mux", 8) == 0);
  CHECK(single.traffic == t.traffic);
}

TEST_CASE("double-buffered weights: only the tile's first fold shows its load", "[systolic][weight_buffering]") {
  for (const char* df : {"ws", "is"}) {
    // 8x4 array, Sr = K = 20 (row folds 8, 8, 4), Sc = 10 (column folds 4, 4, 2), T = 6.
    const TileRequest req = df == std::string("ws") ? gemm(6, 10, 20, df) : gemm(10, 6, 20, df);
    const TileCost s = make({8, 4, df})->cost(req);
    const TileCost d = make({8, 4, df, 32, 8, "native", "double"})->cost(req);
    INFO(df);
    // Nine folds: every fold but the first saves its r load cycles (sum r = 3*20 = 60, first 8).
    CHECK(s.cycles.fill - d.cycles.fill == 60 - 8);
    CHECK(s.cycles.steady == d.cycles.steady);
    CHECK(s.cycles.drain == d.cycles.drain);
    CHECK(d.actions.count("pe_array", "reg_write", 8) == s.actions.count("pe_array", "reg_write", 8) + 200);
    CHECK(d.actions.count("pe_array", "mux", 8) == 200);  // Sr * Sc swaps
    CHECK(d.traffic == s.traffic);
    // A one-fold tile gains nothing; os ignores the buffering.
    const TileRequest one = gemm(3, 3, 3, df);
    CHECK(make({8, 4, df, 32, 8, "native", "double"})->cost(one).cycles == make({8, 4, df})->cost(one).cycles);
  }
  const TileRequest os = gemm(20, 10, 7, "os");
  CHECK(make({8, 4, "os", 32, 8, "native", "double"})->cost(os) == make({8, 4, "os"})->cost(os));
  // SCALE-Sim timing is SCALE-Sim's, whatever the buffering; the actions are the hardware's.
  const TileRequest ws = gemm(6, 10, 20, "ws");
  const TileCost ss = make({8, 4, "ws", 32, 8, "scalesim", "double"})->cost(ws);
  CHECK(ss.cycles == make({8, 4, "ws", 32, 8, "scalesim", "single"})->cost(ws).cycles);
  CHECK(ss.actions.count("pe_array", "mux", 8) == 200);
}

TEST_CASE("double-buffered area: a shadow register and an operand mux per PE", "[systolic][weight_buffering]") {
  auto bits = [](const IEngine& e, const char* component, const char* prim) {
    uint64_t b = 0;
    for (const auto& it : e.area_items())
      if (it.component == component && it.primitive == prim) b += it.count * static_cast<uint64_t>(it.bits);
    return b;
  };
  const auto s = make({2, 2, "ws"}), d = make({2, 2, "ws", 32, 8, "native", "double"});
  CHECK(bits(*d, "pe_array", "reg") - bits(*s, "pe_array", "reg") == 4 * 8);
  CHECK(bits(*d, "pe_array", "mux") - bits(*s, "pe_array", "mux") == 4 * 8);
  // Flip-flops as yosys 0.23 counts them for systolic_array WEIGHT_DB=1 (docs/rtl.md): 2x2:
  // 4 PEs x (3*8 + 32 + 1) + controller 39 + next command (1 + 1 + 2 + 2 + 16) + load
  // counter 2 + visible loads 2 = 293.
  CHECK(bits(*d, "pe_array", "reg") + bits(*d, "controller", "reg") == 293);
}
