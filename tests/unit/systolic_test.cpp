// The systolic engine against docs/engines/systolic.md: hand-derived cases, closed form ==
// per-cycle PE model on random shapes, PE model outputs == functional model, wraparound, and
// the registry entry.
#include <catch2/catch.hpp>

#include <memory>
#include <random>
#include <string>

#include "models/engine/i_engine.h"
#include "models/engine/systolic.h"
#include "models/tech/tech_library.h"
#include "sim/config/tech_loader.h"

using namespace tessera;

namespace {

struct Config {
  int64_t rows = 4, cols = 4;
  std::string dataflow = "ws";
  int acc_bits = 32;
  int in_bits = 8;
  std::string timing = "native";
  std::string buffering = "single";  // weight_buffering
  std::string decoder = "none";
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
  p.set("decoder", c.decoder);
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
  CHECK(names == std::vector<std::string>{"rows", "cols", "in_bits", "acc_bits", "dataflow", "timing",
                                          "weight_buffering", "mac", "decoder"});
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

// ---- mac: bitweight (docs/engines/systolic.md, "mac: bitweight") ----

namespace {

std::unique_ptr<IEngine> make_bitweight(Config c) {
  const auto* e = EngineRegistry::instance().find("systolic");
  ParamValues p = default_params(e->params);
  p.set("rows", c.rows);
  p.set("cols", c.cols);
  p.set("dataflow", c.dataflow);
  p.set("acc_bits", int64_t{c.acc_bits});
  p.set("in_bits", int64_t{c.in_bits});
  p.set("weight_buffering", c.buffering);
  p.set("mac", std::string("bitweight"));
  return e->make(p);
}

// The contract's PE arithmetic written out on values, independently of the model: encode x,
// build the rows, compress them three at a time. Returns the new (S, Cy).
std::pair<uint64_t, uint64_t> bitweight_mac(int in_bits, int acc_bits, int64_t x, int64_t y, uint64_t S, uint64_t Cy) {
  const uint64_t mask = acc_bits == 64 ? ~uint64_t{0} : (uint64_t{1} << acc_bits) - 1;
  const int D = (in_bits + 1) / 2;
  auto xb = [&](int i) -> uint64_t { return i < 0 ? 0 : (static_cast<uint64_t>(x) >> std::min(i, 63)) & 1; };
  const uint64_t ys = static_cast<uint64_t>(y);  // sign-extended: bit in_bits repeats bit in_bits - 1
  auto yb = [&](int j) -> uint64_t { return j < 0 ? 0 : (ys >> std::min(j, 63)) & 1; };
  std::vector<uint64_t> rows;
  uint64_t corr = 0;
  for (int i = 0; i < D; ++i) {
    const uint64_t one = xb(2 * i) ^ xb(2 * i - 1), two = (xb(2 * i + 1) ^ xb(2 * i)) & (one ^ 1);
    const uint64_t neg = xb(2 * i + 1) & ((xb(2 * i) & xb(2 * i - 1)) ^ 1);
    uint64_t r = 0;
    for (int j = 0; j <= in_bits && 2 * i + j < 64; ++j) {
      uint64_t p = ((one & yb(j)) | (two & yb(j - 1))) ^ neg;
      if (j == in_bits) p ^= 1;  // the sign-extension rule: the top bit inverted, zeros above
      r |= p << (2 * i + j);
    }
    rows.push_back(r & mask);
    if (2 * i < 64) corr |= neg << (2 * i);
    if (2 * i + in_bits < 64) corr -= uint64_t{1} << (2 * i + in_bits);  // K, no carries into neg bits
  }
  rows.push_back(corr & mask);
  rows.push_back(S);
  rows.push_back(Cy);
  for (size_t h = 0; rows.size() - h > 2; h += 3) {
    const uint64_t a = rows[h], b = rows[h + 1], c = rows[h + 2];
    rows.push_back((a ^ b ^ c) & mask);
    rows.push_back((((a & b) | (a & c) | (b & c)) << 1) & mask);
  }
  return {rows[rows.size() - 2], rows.back()};
}

}  // namespace

TEST_CASE("bit-weight PE: its cells, by hand", "[systolic][bitweight]") {
  // in_bits 2, acc_bits 8: one digit; rows [R0 (bits 0-2), corr (neg0 at bit 0, K = -4 = bits
  // 2-7), S, Cy]. Step 1 (R0, corr, S): bit 0 three inputs (fa), bit 1 two (ha), bit 2 two and a
  // constant 1 (ha), bits 3-7 one and a 1 (wires); its carry row is 0 at bit 0 only. Step 2
  // (Cy, s1, c1) with Cy = 00xxxxxx: bit 0 one input, bit 1 two (ha), bits 2-7 three (6 fa);
  // its carry is 0 at bits 0 and 1, so Cy keeps 6 flip-flops: 7 fa, 3 ha.
  BitweightPe p = bitweight_pe(2, 8);
  CHECK(p.digits == 1);
  CHECK(p.enc_bits == 3);
  CHECK(p.fa == 7);
  CHECK(p.ha == 3);
  CHECK(p.cy_bits == 6);
  CHECK(p.pp_and2 == 1 + 3 + 2);  // bit 0: one & y0; bit 1: (one & y1) | (two & y0); bit 2: (one | two) & sign
  CHECK(p.pp_xor2 == 3);          // ^ neg
  CHECK(p.enc_and2 == 1);         // digit 0 (x[-1] = 0): one = x0, neg = x1, two = x1 & ~x0
  CHECK(p.enc_xor2 == 0);
  // in_bits 8, acc_bits 32 (counted by an independent Python walk of the same rules).
  p = bitweight_pe(8, 32);
  CHECK(p.digits == 4);
  CHECK(p.fa == 54);
  CHECK(p.ha == 41);
  CHECK(p.cy_bits == 30);
  CHECK(p.pp_and2 == 4 * (1 + 3 * 7 + 2));
  CHECK(p.enc_and2 == 1 + 3 * 3);
  CHECK(p.enc_xor2 == 2 * 3);
  // Odd in_bits: the top digit's window is (sign, sign, x[1]), so its two is 0: no flip-flop for
  // it, and its product bits are one & y[j]; in_bits 3: digits 0 (bits 1+3+3+2) and 1 (4 x 1).
  p = bitweight_pe(3, 12);
  CHECK(p.enc_bits == 5);
  CHECK(p.pp_and2 == 9 + 4);
  CHECK(p.enc_and2 == 1 + 1);
  CHECK(p.enc_xor2 == 1);
}

TEST_CASE("tech library: the fa cell", "[systolic][bitweight][tech]") {
  const std::string path = std::string(TESSERA_SOURCE_DIR) + "/configs/tech/45nm.yaml";
  const TechLibrary lib = load_tech(path);
  CHECK(lib.area_um2("fa", 10) == Approx(10 * 4.256));                    // [N45] FA_X1
  CHECK(lib.action_pj("fa", 10) == Approx(10 * 0.0014 * 4.256 / 1.862));  // mux2 energy by area
  TechSpec none = load_tech_spec(path);
  none.full_adder_um2 = 0;
  CHECK_THROWS_AS(TechLibrary(none).area_um2("fa", 1), UserError);
}

TEST_CASE("bit-weight PE: the compressor accumulates x*y, and Cy's low bits stay 0", "[systolic][bitweight]") {
  std::mt19937_64 rng(7);
  for (int in_bits = 1; in_bits <= 16; ++in_bits)
    for (int acc_bits : {8, 12, 32, 64}) {
      if (acc_bits < in_bits) continue;
      const BitweightPe p = bitweight_pe(in_bits, acc_bits);
      const uint64_t mask = acc_bits == 64 ? ~uint64_t{0} : (uint64_t{1} << acc_bits) - 1;
      const uint64_t cy_zero = (uint64_t{1} << (acc_bits - p.cy_bits)) - 1;  // the constant low bits
      const int64_t lo = -(int64_t{1} << (in_bits - 1)), hi = (int64_t{1} << (in_bits - 1)) - 1;
      const bool exhaustive = in_bits <= 6;
      std::uniform_int_distribution<int64_t> v(lo, hi);
      const int64_t n = exhaustive ? (hi - lo + 1) * (hi - lo + 1) : 4000;
      for (int64_t t = 0; t < n; ++t) {
        const int64_t x = exhaustive ? lo + t / (hi - lo + 1) : v(rng), y = exhaustive ? lo + t % (hi - lo + 1) : v(rng);
        const uint64_t S = rng() & mask, Cy = rng() & mask & ~cy_zero;
        const auto [s2, c2] = bitweight_mac(in_bits, acc_bits, x, y, S, Cy);
        INFO("in " << in_bits << " acc " << acc_bits << " x " << x << " y " << y);
        REQUIRE(((s2 + c2) & mask) == ((S + Cy + static_cast<uint64_t>(x * y)) & mask));
        REQUIRE((c2 & cy_zero) == 0);
      }
    }
}

TEST_CASE("bit-weight array: the plain array's twin, closed form == PE model", "[systolic][bitweight]") {
  std::mt19937_64 rng(99);
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  for (const char* df : {"os", "ws", "is"})
    for (int i = 0; i < 120; ++i) {
      Config c;
      c.rows = pick(1, 6);
      c.cols = pick(1, 6);
      c.dataflow = df;
      c.in_bits = static_cast<int>(pick(2, 8));
      c.acc_bits = static_cast<int>(pick(c.in_bits, 32));
      c.buffering = i % 2 ? "double" : "single";
      auto bw = make_bitweight(c), plain = make(c);
      const TileRequest req = gemm(pick(1, 14), pick(1, 14), pick(1, 14));
      INFO(df << " " << c.buffering << " " << c.rows << "x" << c.cols << " in " << c.in_bits << " acc " << c.acc_bits);
      const IntMatrix a = random_matrix(rng, req.gemm.m, req.gemm.k, c.in_bits);
      const IntMatrix b = random_matrix(rng, req.gemm.k, req.gemm.n, c.in_bits);
      const TileCost t = check_all(*bw, req, a, b), p = check_all(*plain, req, a, b);
      CHECK(t.cycles == p.cycles);
      CHECK(t.traffic == p.traffic);
      CHECK(t.macs == p.macs);
      IntMatrix ob, op;
      bw->simulate_pe(req, &a, &b, &ob);
      plain->simulate_pe(req, &a, &b, &op);
      CHECK(ob == op);
    }
}

TEST_CASE("bit-weight array: actions of a 2x2 os tile, by hand", "[systolic][bitweight]") {
  // M = N = 2, K = 3 on a 2x2 array: 12 MACs, 6 elements encoded at the west edge (2 rows x 3),
  // 4 results read out, each through one final add. in 8, acc 32: per MAC 96 selection
  // and2 + 41 half adders' and2, 36 XORs + 41 (as mux), 54 fa; x is 12 bits, Cy 30; an encoder
  // is 10 and2 and 6 XORs.
  auto e = make_bitweight({2, 2, "os"});
  const ActionCounts a = e->cost(gemm(2, 2, 3)).actions;
  CHECK(a.count("pe_array", "and2", 137) == 12);
  CHECK(a.count("pe_array", "mux", 77) == 12);
  CHECK(a.count("pe_array", "fa", 54) == 12);
  CHECK(a.count("pe_array", "reg_write", 12) == 12);  // x pipeline
  CHECK(a.count("pe_array", "reg_write", 8) == 12);   // y pipeline
  CHECK(a.count("pe_array", "reg_write", 32) == 12);  // S
  CHECK(a.count("pe_array", "reg_write", 30) == 12);  // Cy
  CHECK(a.count("pe_array", "mux", 62) == 4);         // read-out of S and Cy
  CHECK(a.count("pe_array", "and2", 10) == 6);        // encoders
  CHECK(a.count("pe_array", "mux", 6) == 6);
  CHECK(a.count("pe_array", "int_add", 32) == 4);     // final adds
  CHECK(a.items().size() == 11);
}

TEST_CASE("bit-weight array: narrow operands price without empty cells", "[systolic][bitweight]") {
  // in_bits 1 and 2: the encoder has no XOR (in_bits 1: no gate at all); no zero-width action
  // or area item may reach the tech library, which refuses them.
  const TechLibrary lib = load_tech(std::string(TESSERA_SOURCE_DIR) + "/configs/tech/45nm.yaml");
  for (int in_bits : {1, 2, 3}) {
    Config c{3, 2, "os", 12, in_bits};
    auto e = make_bitweight(c);
    const TileCost t = e->cost(gemm(4, 3, 5));
    for (const Action& a : t.actions.items()) CHECK(lib.action_pj(a.primitive, a.bits) > 0);
    for (const AreaItem& i : e->area_items()) CHECK(lib.area_um2(i.primitive, i.bits) > 0);
  }
}

TEST_CASE("decoder: olive reads olive4 operands through one decoder per element read", "[systolic][olive]") {
  // 4 x 4 ws, m 3 x n 4 x k 4, A olive4: one fold; A streams 4 rows x 3 = 12 elements, each
  // decoded (a 4-bit identifier AND and an 8-bit 4:1 mux); B (int8) is not. At 4 bits stored.
  Config c;
  c.decoder = "olive";
  auto e = make(c);
  TileRequest r = gemm(3, 4, 4, "ws");
  r.a_type = DType::olive4;
  const TileCost t = e->cost(r);
  CHECK(t.actions.count("decoder", "mux4", 8) == 12);
  CHECK(t.actions.count("decoder", "and2", 4) == 12);
  CHECK(t.traffic.a_read_bits == 12 * 4);
  CHECK(t == e->simulate_pe(r, nullptr, nullptr, nullptr));
  // The int8 twin: same cycles and array actions, no decodes.
  TileRequest plain = gemm(3, 4, 4, "ws");
  const TileCost p = e->cost(plain);
  CHECK(p.cycles == t.cycles);
  CHECK(p.actions.count("decoder", "mux4", 8) == 0);
  // Every dataflow, both operands, random shapes: closed form == PE model, outputs exact.
  std::mt19937_64 rng(9);
  for (const char* df : {"os", "ws", "is"})
    for (int it = 0; it < 30; ++it) {
      TileRequest q = gemm(1 + static_cast<int64_t>(rng() % 9), 1 + static_cast<int64_t>(rng() % 9),
                           1 + static_cast<int64_t>(rng() % 9), df);
      q.a_type = rng() % 2 ? DType::olive4 : DType::int8;
      q.b_type = DType::olive4;
      INFO(df << " " << q.gemm.m << "x" << q.gemm.n << "x" << q.gemm.k);
      const TileCost closed = e->cost(q);
      CHECK(closed == e->simulate_pe(q, nullptr, nullptr, nullptr));
      CHECK(closed.actions.count("decoder", "mux4", 8) ==
            closed.traffic.b_read_bits / 4 + (q.a_type == DType::olive4 ? closed.traffic.a_read_bits / 4 : 0));
      CHECK(describe_actions(undeclared_actions(e->action_primitives(), closed.actions)) == "");
    }
  // Without decoders, or with a narrower multiplier, olive4 is not accepted.
  CHECK_THROWS(make({})->check(r));
  Config narrow = c;
  narrow.in_bits = 4;
  CHECK_THROWS(make(narrow)->check(r));
  // Area: one decoder per row and column.
  int decoders = 0;
  for (const auto& a : e->area_items())
    if (a.component == "decoder" && a.primitive == "mux4") decoders += static_cast<int>(a.count);
  CHECK(decoders == 8);
}
