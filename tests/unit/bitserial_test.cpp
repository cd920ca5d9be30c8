// The bit-serial engine against docs/engines/bitserial.md: slices by hand, hand-derived tiles
// (cycles with and without read-out stalls, every action, traffic), closed form == per-cycle
// model on random shapes, configurations and formats in both serial modes, outputs == the
// functional model, wraparound, declared actions, and the tech library's p x q multiplier.
#include <catch2/catch.hpp>

#include <memory>
#include <random>
#include <string>

#include "models/engine/bitserial.h"
#include "models/engine/i_engine.h"
#include "sim/config/tech_loader.h"

using namespace tessera;

namespace {

struct Config {
  int64_t rows = 2, cols = 2, lanes = 2;
  std::string serial = "activations";
  int bits_per_step = 1, max_bits = 8, acc_bits = 32;
};

ParamValues params(const Config& c) {
  const auto* e = EngineRegistry::instance().find("bitserial");
  REQUIRE(e != nullptr);
  ParamValues p = default_params(e->params);
  p.set("rows", c.rows);
  p.set("cols", c.cols);
  p.set("lanes", c.lanes);
  p.set("serial", c.serial);
  p.set("bits_per_step", int64_t{c.bits_per_step});
  p.set("max_bits", int64_t{c.max_bits});
  p.set("acc_bits", int64_t{c.acc_bits});
  return p;
}

std::unique_ptr<IEngine> make(const Config& c) { return EngineRegistry::instance().find("bitserial")->make(params(c)); }

TileRequest gemm(int64_t m, int64_t n, int64_t k, DType a = DType::int8, DType b = DType::int8) {
  TileRequest r;
  r.gemm = {m, n, k};
  r.a_type = a;
  r.b_type = b;
  return r;
}

IntMatrix random_values(std::mt19937_64& rng, int64_t rows, int64_t cols, DType t) {
  const int bits = dtype_bits(t);
  const int64_t lo = t == DType::ternary ? -1 : -(int64_t{1} << (bits - 1));
  const int64_t hi = t == DType::ternary ? 1 : (int64_t{1} << (bits - 1)) - 1;
  std::uniform_int_distribution<int64_t> d(lo, hi);
  IntMatrix x(rows, cols);
  for (auto& e : x.v) e = d(rng);
  return x;
}

// The per-cycle model with data against the closed form, the model without data, compute()
// and the typed compute.
TileCost check_all(const IEngine& eng, const TileRequest& req, const IntMatrix& a, const IntMatrix& b) {
  IntMatrix pe_out, fn_out;
  const TileCost pe = eng.simulate_pe(req, &a, &b, &pe_out);
  eng.compute(req, a, b, fn_out);
  CHECK(pe == eng.cost(req));
  CHECK(pe == eng.simulate_pe(req, nullptr, nullptr, nullptr));
  CHECK(pe_out == fn_out);
  TypedMatrix typed;
  eng.compute(req, to_typed(a, NumFormat::of(req.a_type)), to_typed(b, NumFormat::of(req.b_type)), typed);
  CHECK(to_int_matrix(typed) == fn_out);
  return pe;
}

}  // namespace

TEST_CASE("slices: two's complement, the top slice signed", "[bitserial]") {
  BitserialSpec s;
  s.bits_per_step = 1;  // -3 = 1101: 1, 0, 1, then the sign bit weighs -8
  CHECK(s.steps(4) == 4);
  CHECK(s.slice(-3, 4, 0) == 1);
  CHECK(s.slice(-3, 4, 1) == 0);
  CHECK(s.slice(-3, 4, 2) == 1);
  CHECK(s.slice(-3, 4, 3) == -1);
  s.bits_per_step = 2;  // 01 -> 1, then 11 signed -> -1: 1 - 4 = -3
  CHECK(s.slice(-3, 4, 0) == 1);
  CHECK(s.slice(-3, 4, 1) == -1);
  s.bits_per_step = 3;  // two steps: 101 = 5, then the sign-extended 111 = -1: 5 - 8 = -3
  CHECK(s.steps(4) == 2);
  CHECK(s.slice(-3, 4, 0) == 5);
  CHECK(s.slice(-3, 4, 1) == -1);
  CHECK(s.slice(7, 4, 1) == 0);
  s.bits_per_step = 1;  // ternary -1 = 11: 1 - 2
  CHECK(s.slice(-1, 2, 0) == 1);
  CHECK(s.slice(-1, 2, 1) == -1);
  s.bits_per_step = 4;  // int1: -1 in one step, sign-extended to 1111
  CHECK(s.steps(1) == 1);
  CHECK(s.slice(-1, 1, 0) == -1);
  // Every value of every width and step survives slicing.
  for (int bps = 1; bps <= 4; ++bps) {
    s.bits_per_step = bps;
    for (int bits = 1; bits <= 8; ++bits)
      for (int64_t v = -(int64_t{1} << (bits - 1)); v < (int64_t{1} << (bits - 1)); ++v) {
        int64_t sum = 0;
        for (int j = 0; j < s.steps(bits); ++j) sum += s.slice(v, bits, j) * (int64_t{1} << (j * bps));
        INFO("bps " << bps << " bits " << bits << " v " << v);
        REQUIRE(sum == v);
      }
  }
}

TEST_CASE("by hand: 2x2 SIPs, 2 lanes, activations serial 1 bit per step, int4 x int4", "[bitserial]") {
  // m=3 n=2 k=3: groups G = 2, S = 4 steps (int4) -> X = 8 cycles per fold. Two row folds
  // (2 rows, then 1): fold 1 starts right after fold 0 (its 2 read-out rows fit in 8 cycles);
  // the last fold's single row is the drain.
  const auto eng = make({2, 2, 2, "activations", 1, 4, 16});
  std::mt19937_64 rng(1);
  const TileRequest r = gemm(3, 2, 3, DType::int4, DType::int4);
  const TileCost t = check_all(*eng, r, random_values(rng, 3, 3, DType::int4), random_values(rng, 3, 2, DType::int4));
  CHECK(t.cycles == CycleSplit{0, 16, 1});
  CHECK(t.macs == 3 * 2 * 3);                                       // useful MACs
  // One bit per step the lanes are AND gates (a ? w : 0, 4 bits) and the sign step subtracts.
  CHECK(t.actions.count("sip_array", "and2", 4) == 72);              // lane-steps: 4 ANDs with the 4-bit weight
  CHECK(t.actions.count("sip_array", "int_mulx4", 2) == 0);
  CHECK(t.actions.count("sip_array", "int_add", 5) == 6 * 8);        // tree: 1 adder, 4+1 bits, per SIP-cycle
  // Shifter: 4 positions, 2 levels on a 5-bit sum: shift 1 muxes bits 1..5 (5), shift 2 bits
  // 2..7 (6).
  CHECK(t.actions.count("sip_array", "mux", 5 + 6) == 6 * 8);
  CHECK(t.actions.count("sip_array", "mux", 16) == 6 * 8);           // the accumulator's complement, 16 bits
  CHECK(t.actions.count("sip_array", "int_add", 16) == 48);
  CHECK(t.actions.count("sip_array", "reg_write", 16) == 48);
  CHECK(t.actions.count("operand_regs", "reg_write", 4) == (3 + 2 * 2) * 3);  // a once, b per row fold
  CHECK(t.actions.count("operand_regs", "mux4", 1) == 3 * 3 * 4);   // an a slice per lane-step
  CHECK(t.actions.count("readout", "reg_write", 16) == 6);
  CHECK(t.actions.count("readout", "mux", 16) == 6);
  CHECK(t.traffic == OperandTraffic{3 * 3 * 4, 2 * 3 * 2 * 4, 6 * 16, 0});
  IntMatrix out;
  eng->compute(r, IntMatrix(3, 3), IntMatrix(3, 2), out);
  CHECK(out == IntMatrix(3, 2));
}

TEST_CASE("by hand: read-out stalls when a fold computes faster than it reads out", "[bitserial]") {
  // 4x1 SIPs, 4 lanes, 4 bits per step: int4 x int4 k=4 is one cycle per fold. m=8: fold 0
  // computes in cycle 0 and reads out in cycles 1-4; fold 1 may copy its result at the end of
  // cycle 4 at the earliest, so it computes in cycle 4 after 3 stall cycles, and reads out in 5-8.
  const auto eng = make({4, 1, 4, "activations", 4, 4, 32});
  IntMatrix a(8, 4), b(4, 1);
  for (int64_t i = 0; i < 8; ++i)
    for (int64_t k = 0; k < 4; ++k) a.at(i, k) = (i + k) % 16 - 8;
  for (int64_t k = 0; k < 4; ++k) b.at(k, 0) = 7 - 5 * k;  // 7, 2, -3, -8
  const TileCost t = check_all(*eng, gemm(8, 1, 4, DType::int4, DType::int4), a, b);
  CHECK(t.cycles == CycleSplit{3, 2, 4});
  IntMatrix out;
  eng->simulate_pe(gemm(8, 1, 4, DType::int4, DType::int4), &a, &b, &out);
  CHECK(out.at(0, 0) == -8 * 7 + -7 * 2 + -6 * -3 + -5 * -8);
}

TEST_CASE("cycles scale with operand bits: serial steps per group", "[bitserial]") {
  const TileRequest r8 = gemm(16, 16, 64, DType::int8, DType::int8), r4 = gemm(16, 16, 64, DType::int4, DType::int4);
  const TileRequest r2 = gemm(16, 16, 64, DType::ternary, DType::int8);
  const auto stripes = make({16, 16, 16, "activations", 1, 8, 32});
  CHECK(stripes->cost(r8).cycles.steady == 4 * 8);  // G = 4 groups of 8 steps
  CHECK(stripes->cost(r4).cycles.steady == 4 * 4);
  CHECK(stripes->cost(r2).cycles.steady == 4 * 2);
  const auto loom = make({16, 16, 16, "both", 1, 8, 32});
  CHECK(loom->cost(r8).cycles.steady == 4 * 64);
  CHECK(loom->cost(r4).cycles.steady == 4 * 16);
  CHECK(loom->cost(r2).cycles.steady == 4 * 16);
  const auto loom2 = make({16, 16, 16, "both", 2, 8, 32});
  CHECK(loom2->cost(r8).cycles.steady == 4 * 16);
  CHECK(loom2->cost(r2).cycles.steady == 4 * 4);
}

TEST_CASE("closed form equals the per-cycle model on random shapes, configurations and formats", "[bitserial]") {
  std::mt19937_64 rng(7);
  const DType types[] = {DType::int1, DType::int2, DType::int3, DType::int4, DType::int5,
                         DType::int6, DType::int7, DType::int8, DType::int16, DType::ternary};
  std::uniform_int_distribution<int64_t> arr(1, 5), lanes(1, 6), bps(1, 4);
  int tiles = 0;
  for (const char* serial : {"activations", "both"})
    for (int max_bits : {4, 8, 16}) {
      for (int c = 0; c < 6; ++c) {
        const Config cfg{arr(rng), arr(rng), lanes(rng), serial, static_cast<int>(bps(rng)), max_bits,
                         c % 3 == 0 ? 12 : 32};
        const auto eng = make(cfg);
        std::vector<DType> ok;
        for (DType t : types)
          if (dtype_bits(t) <= max_bits) ok.push_back(t);
        std::uniform_int_distribution<size_t> pick(0, ok.size() - 1);
        std::uniform_int_distribution<int64_t> dm(1, 3 * cfg.rows), dn(1, 3 * cfg.cols), dk(1, 3 * cfg.lanes + 2);
        for (int i = 0; i < 8; ++i) {
          const TileRequest r = gemm(dm(rng), dn(rng), dk(rng), ok[pick(rng)], ok[pick(rng)]);
          INFO(serial << " " << cfg.rows << "x" << cfg.cols << " L" << cfg.lanes << " bps" << cfg.bits_per_step << " max"
                      << max_bits << " acc" << cfg.acc_bits << " " << r.gemm.m << "x" << r.gemm.n << "x" << r.gemm.k
                      << " " << dtype_name(r.a_type) << " x " << dtype_name(r.b_type));
          check_all(*eng, r, random_values(rng, r.gemm.m, r.gemm.k, r.a_type),
                    random_values(rng, r.gemm.k, r.gemm.n, r.b_type));
          ++tiles;
        }
      }
    }
  CHECK(tiles == 2 * 3 * 6 * 8);
}

TEST_CASE("sums wrap modulo 2^acc_bits", "[bitserial]") {
  const auto eng = make({2, 2, 4, "both", 2, 8, 8});
  IntMatrix a(1, 4), b(4, 1);
  for (int64_t k = 0; k < 4; ++k) {
    a.at(0, k) = -128;
    b.at(k, 0) = 127;
  }
  IntMatrix out;
  eng->simulate_pe(gemm(1, 1, 4), &a, &b, &out);
  CHECK(out.at(0, 0) == wrap_to_bits(static_cast<uint64_t>(int64_t{-128} * 127 * 4), 8));
}

TEST_CASE("bitserial declares every action it emits, and emits every one it declares", "[bitserial][contract]") {
  std::mt19937_64 rng(3);
  for (const char* serial : {"activations", "both"})
    for (int bps : {1, 2, 4})
      for (int lanes : {1, 3}) {
        const auto e = make({3, 2, lanes, serial, bps, 8, 24});
        const auto declared = e->action_primitives();
        ActionCounts all;
        for (int i = 0; i < 5; ++i) {
          const TileRequest r = gemm(1 + i * 2, 2 + i, 1 + i * 3, i % 2 ? DType::int8 : DType::int3);
          INFO(serial << " bps " << bps << " lanes " << lanes);
          CHECK(describe_actions(undeclared_actions(declared, e->cost(r).actions)) == "");
          CHECK(describe_actions(undeclared_actions(declared, e->simulate_pe(r, nullptr, nullptr, nullptr).actions)) == "");
          CHECK(describe_actions(undeclared_actions(declared, e->combine_cost(r).actions)) == "");
          all.merge(e->cost(r).actions);
          all.merge(e->combine_cost(r).actions);
        }
        for (const auto& p : declared) {
          INFO(serial << " bps " << bps << " lanes " << lanes << ": " << p.component << "/" << p.primitive << "@" << p.bits);
          CHECK(all.count(p.component, p.primitive, p.bits) > 0);
        }
      }
}

TEST_CASE("by hand: area items of one-bit lanes (both serial, a popcount tree)", "[bitserial][area]") {
  // 2x2 SIPs, 4 lanes, both serial, 1 bit per step, max_bits 4, acc 16 (rtl/src/bitserial, MAG).
  const auto e = make({2, 2, 4, "both", 1, 4, 16});
  const auto items = e->area_items();
  auto count = [&](const std::string& comp, const std::string& prim, int bits) {
    uint64_t n = 0;
    for (const auto& it : items)
      if (it.component == comp && it.primitive == prim && it.bits == bits) n += it.count;
    return n;
  };
  CHECK(count("sip_array", "and2", 1) == 4 * 4);      // one AND per lane: 4 SIPs x 4 lanes
  CHECK(count("sip_array", "int_mul", 2) == 0);       // no 2 x 2 multipliers
  // Popcount tree: level 1 adds two 1-bit values (a 1-bit adder and its carry-out), 2 per SIP;
  // level 2 two 2-bit counts, 1 per SIP.
  CHECK(count("sip_array", "int_add", 1) == 2 * 4);
  CHECK(count("sip_array", "int_add", 2) == 1 * 4);
  CHECK(count("sip_array", "int_add", 3) == 0);
  // mux@16: the accumulator's complement (16 bits) and the shifter, which happens to be 16 too:
  // 7 positions, 3 levels on the 4-bit signed sum (3-bit count and a zero sign): shift 1 muxes
  // bits 1..4 (4), shift 2 bits 2..6 (5), shift 4 bits 4..10 (7): 4 + 5 + 7 = 16. One each per SIP.
  CHECK(count("sip_array", "mux", 16) == 2 * 4);
  CHECK(count("sip_array", "int_add", 16) == 4);      // accumulator
  // Activations serial, same grid: 4 ANDs per lane with the 4-bit weight, a 4+1-bit signed tree
  // level then 4+2: the sum is 6 bits; shifter 4 positions, 2 levels: bits 1..6 (6), 2..8 (7).
  const auto a = make({2, 2, 4, "activations", 1, 4, 16});
  uint64_t and4 = 0, add5 = 0, mux13 = 0;
  for (const auto& it : a->area_items()) {
    if (it.primitive == "and2" && it.bits == 4) and4 += it.count;
    if (it.primitive == "int_add" && it.bits == 5) add5 += it.count;
    if (it.primitive == "mux" && it.bits == 13) mux13 += it.count;
  }
  CHECK(and4 == 16);
  CHECK(add5 == 8);
  CHECK(mux13 == 4);
}

TEST_CASE("capabilities: formats up to max_bits, os only, peak one group per cycle", "[bitserial]") {
  const auto e = make({4, 8, 16, "activations", 1, 4, 32});
  const auto& c = e->capabilities();
  CHECK(c.dataflows == std::vector<std::string>{"os"});
  CHECK(c.a_types == std::vector<DType>{DType::int1, DType::int2, DType::int3, DType::int4, DType::ternary});
  CHECK(c.peak_ops_per_cycle == 4 * 8 * 16);
  CHECK(c.tile_multiple.at("os") == std::array<int64_t, 3>{4, 8, 16});
  CHECK_THROWS_AS(e->check(gemm(4, 4, 4, DType::int8, DType::int4)), UserError);
}

TEST_CASE("tech library: a p x q multiplier (int_mulx<q>)", "[bitserial][tech]") {
  const TechLibrary lib = load_tech(std::string(TESSERA_SOURCE_DIR) + "/configs/tech/45nm.yaml");
  CHECK(lib.action_pj("int_mulx8", 8) == Approx(lib.action_pj("int_mul", 8)));  // p = q is int_mul
  CHECK(lib.area_um2("int_mulx16", 16) == Approx(lib.area_um2("int_mul", 16)));
  CHECK(lib.action_pj("int_mulx8", 2) == Approx(lib.action_pj("int_mulx2", 8)));  // symmetric
  CHECK(lib.action_pj("int_mulx8", 2) < lib.action_pj("int_mul", 8) / 2);
  // Array law (the yosys calibration): 2 x 8 = 16 ANDs and 8 full adders.
  const TechLibrary arr = load_tech(std::string(TESSERA_SOURCE_DIR) + "/tools/area/yosys_45nm.yaml");
  CHECK(arr.area_um2("int_mulx8", 2) == Approx(16 * 1.064 + 8 * 4.256));
  CHECK_THROWS_AS(lib.action_pj("int_mulx0", 2), UserError);
  CHECK_THROWS_AS(lib.action_pj("int_mulx65", 2), UserError);
}
