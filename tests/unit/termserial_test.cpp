// The term-serial engine against docs/engines/termserial.md: encodings exhaustively, hand-derived
// tiles (every action, traffic, the hold), closed form given the data == per-cycle model on random
// shapes, configurations, formats and data, outputs == the functional model, the expectation given
// term distributions == the exact mean over every data combination, the shape-only default,
// declared actions, and the tech library's and2 cell.
#include "models/engine/termserial.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <memory>
#include <random>
#include <string>

#include "models/engine/i_engine.h"
#include "models/numerics/histogram.h"
#include "sim/config/tech_loader.h"

using namespace tessera;

namespace {

struct Config {
  int64_t rows = 2, cols = 2, lanes = 2;
  std::string serial = "activations", encoding = "plain";
  int max_bits = 8, acc_bits = 32;
};

ParamValues params(const Config& c) {
  const auto* e = EngineRegistry::instance().find("termserial");
  REQUIRE(e != nullptr);
  ParamValues p = default_params(e->params);
  p.set("rows", c.rows);
  p.set("cols", c.cols);
  p.set("lanes", c.lanes);
  p.set("serial", c.serial);
  p.set("encoding", c.encoding);
  p.set("max_bits", int64_t{c.max_bits});
  p.set("acc_bits", int64_t{c.acc_bits});
  return p;
}

std::unique_ptr<IEngine> make(const Config& c) {
  return EngineRegistry::instance().find("termserial")->make(params(c));
}
TermserialSpec spec(const Config& c) { return TermserialSpec::from_params(params(c)); }

TileRequest gemm(int64_t m, int64_t n, int64_t k, DType a = DType::int8, DType b = DType::int8) {
  TileRequest r;
  r.gemm = {m, n, k};
  r.a_type = a;
  r.b_type = b;
  return r;
}

IntMatrix matrix(int64_t rows, int64_t cols, std::vector<int64_t> v) {
  IntMatrix x(rows, cols);
  x.v = std::move(v);
  return x;
}

OperandStats data_stats(const TileRequest& r, const IntMatrix& a, const IntMatrix& b, TypedMatrix& ta,
                        TypedMatrix& tb) {
  ta = to_typed(a, NumFormat::of(r.a_type));
  tb = to_typed(b, NumFormat::of(r.b_type));
  return stats_of(ta, tb);
}

// The closed form given the data, the per-cycle model and the functional model agree; returns the cost.
TileCost check_all(const IEngine& e, const TileRequest& r, const IntMatrix& a, const IntMatrix& b) {
  TypedMatrix ta, tb;
  const TileCost closed = e.cost(r, data_stats(r, a, b, ta, tb));
  IntMatrix pe_out, fn_out;
  const TileCost pe = e.simulate_pe(r, &a, &b, &pe_out);
  e.compute(r, a, b, fn_out);
  CHECK(closed.cycles == pe.cycles);
  CHECK(closed.macs == pe.macs);
  CHECK(closed.actions == pe.actions);
  CHECK(closed.traffic == pe.traffic);
  CHECK(pe_out == fn_out);
  return pe;
}

IntMatrix random_values(std::mt19937_64& rng, int64_t rows, int64_t cols, DType t, int dist) {
  const int bits = dtype_bits(t);
  const int64_t lo = t == DType::ternary ? -1 : -(int64_t{1} << (bits - 1));
  const int64_t hi = t == DType::ternary ? 1 : (int64_t{1} << (bits - 1)) - 1;
  std::uniform_int_distribution<int64_t> uni(lo, hi);
  std::normal_distribution<double> gauss(0.0, dist == 1 ? 1.0 : std::max(1.0, (hi - lo) / 8.0));
  std::uniform_real_distribution<double> p(0, 1);
  IntMatrix x(rows, cols);
  for (auto& e : x.v) {
    if (dist == 0)
      e = uni(rng);
    else if (dist == 3)
      e = p(rng) < 0.7 ? 0 : uni(rng);
    else
      e = std::clamp<int64_t>(std::llround(gauss(rng)), lo, hi);
  }
  return x;
}

// Non-adjacent form by the textbook recurrence (digit 2 - (v mod 4) where v is odd).
int naf_weight(int64_t v) {
  int w = 0;
  while (v != 0) {
    if (v & 1) {
      const int64_t z = 2 - (((v % 4) + 4) % 4);
      v -= z;
      ++w;
    }
    v /= 2;
  }
  return w;
}

}  // namespace

TEST_CASE(
    "encodings: every value of every width is the sum of its terms; "
    "Booth is the non-adjacent form",
    "[termserial]") {
  for (int mb = 2; mb <= 16; ++mb)
    for (const bool booth : {false, true}) {
      Config c;
      c.max_bits = mb;
      c.encoding = booth ? "booth" : "plain";
      const TermserialSpec s = spec(c);
      for (int64_t v = -(int64_t{1} << (mb - 1)); v < (int64_t{1} << (mb - 1)); ++v) {
        const auto t = s.encode(v);
        int64_t sum = 0;
        for (int e = 0; e < mb; ++e)
          if (t.mask >> e & 1) sum += ((t.neg >> e) & 1 ? -1 : 1) * (int64_t{1} << e);
        INFO("max_bits " << mb << (booth ? " booth " : " plain ") << v);
        REQUIRE(sum == v);
        REQUIRE((t.neg & ~t.mask) == 0);
        REQUIRE(t.mask >> mb == 0);
        if (booth) {
          REQUIRE((t.mask & (t.mask >> 1)) == 0);  // no two adjacent non-zero digits
          REQUIRE(s.terms(v) == naf_weight(v));
        } else {
          REQUIRE(s.terms(v) == __builtin_popcountll(static_cast<uint64_t>(v < 0 ? -v : v)));
        }
      }
    }
  Config c;
  c.encoding = "booth";
  CHECK(spec(c).terms(7) == 2);  // 8 - 1
  CHECK(spec(c).terms(-128) == 1);
  CHECK(spec(c).terms(85) == 4);  // 0101 0101: no run to merge
  c.encoding = "plain";
  CHECK(spec(c).terms(7) == 3);
  CHECK(spec(c).terms(-128) == 1);
  CHECK(spec(c).terms(-1) == 1);
}

// Hand-derived (docs/engines/termserial.md): 2x1 SIPs, 2 lanes, int4,
// activations serial, m=2 n=1 k=3; a = [[3, -4, 7], [0, 1, -1]], b = [2, -3,
// 1]. Group 0 (k 0..1): row lanes 3, -4 | 0, 1; group 1 (k 2, one lane): 7 |
// -1.
TEST_CASE("hand-derived tile, activations serial: plain and Booth terms", "[termserial]") {
  const IntMatrix a = matrix(2, 3, {3, -4, 7, 0, 1, -1}), b = matrix(3, 1, {2, -3, 1});
  const TileRequest r = gemm(2, 1, 3, DType::int4, DType::int4);
  {
    // plain terms: 3 -> 2, -4 -> 1, 7 -> 3, 0, 1, -1 -> 1 each; A = 2 then 3: X = 5.
    const auto e = make({2, 1, 2, "activations", "plain", 4, 32});
    const TileCost t = check_all(*e, r, a, b);
    CHECK(t.cycles == CycleSplit{0, 5, 2});
    CHECK(t.macs == 2 * 1 * 3);
    const auto& x = t.actions;
    CHECK(x.count("sip_array", "mux4", 4) == 8);  // lane products: n * sum of terms = 8
    CHECK(x.count("sip_array", "and2", 8) == 8);  // their negations
    CHECK(x.count("sip_array", "mux", 8) == 8);
    CHECK(x.count("sip_array", "int_add", 9) == 10);  // one tree adder per SIP-cycle: 2 SIPs x 5
    CHECK(x.count("sip_array", "int_add", 32) == 10);
    CHECK(x.count("sip_array", "reg_write", 32) == 10);
    CHECK(x.count("operand_regs", "reg_write", 5) == 6);          // encoded activations (4 + sign) loaded
    CHECK(x.count("operand_regs", "reg_write", 4) == 4 + 4 + 3);  // drops 2*2*1 + 2*1*2, weights 3
    CHECK(x.count("term_logic", "mux", 4) == 6);                  // encoders: 6 loads
    CHECK(x.count("term_logic", "and2", 4) == 6);
    CHECK(x.count("term_logic", "and2", 12) == 8);  // pickers: 8 terms taken
    CHECK(x.count("readout", "reg_write", 32) == 2);
    CHECK(x.count("readout", "mux", 32) == 2);
    CHECK(x.items().size() == 13);
    CHECK(t.traffic == OperandTraffic{2 * 3 * 4, 3 * 4, 2 * 32, 0});
    IntMatrix out;
    e->simulate_pe(r, &a, &b, &out);
    CHECK(out == matrix(2, 1, {3 * 2 + -4 * -3 + 7 * 1, 0 + 1 * -3 + -1 * 1}));
  }
  {
    // Booth: 3 = 4 - 1 and 7 = 8 - 1 take two terms; A = 2 and 2: X = 4.
    const auto e = make({2, 1, 2, "activations", "booth", 4, 32});
    const TileCost t = check_all(*e, r, a, b);
    CHECK(t.cycles == CycleSplit{0, 4, 2});
    const auto& x = t.actions;
    CHECK(x.count("sip_array", "mux4", 4) == 7);
    CHECK(x.count("sip_array", "int_add", 9) == 8);
    CHECK(x.count("operand_regs", "reg_write", 8) == 6);  // mask + digit signs
    CHECK(x.count("operand_regs", "reg_write", 4) == 4 + 2 + 3);
    CHECK(x.count("term_logic", "int_add", 5) == 6);  // 3v = v + 2v
    CHECK(x.count("term_logic", "and2", 4) == 6);
    CHECK(x.count("term_logic", "and2", 16) == 7);  // pickers
  }
}

// Hand-derived, both serial, Booth: 1x2 SIPs, one lane, int4; m=1 n=2 k=2; a = [3, 0], b = [[1,
// -6], [5, 2]]. Terms: 3 -> 2, 0 -> 0; 1 -> 1, -6 = -8 + 2 -> 2, 5 -> 2, 2 -> 1. Group 0: A = 2, B
// = 2: 4 cycles; group 1: A = 0 (one outer pass), B = 2: 2 cycles.
TEST_CASE(
    "hand-derived tile, both serial: outer activation terms, inner "
    "weight terms",
    "[termserial]") {
  const IntMatrix a = matrix(1, 2, {3, 0}), b = matrix(2, 2, {1, -6, 5, 2});
  const TileRequest r = gemm(1, 2, 2, DType::int4, DType::int4);
  const auto e = make({1, 2, 1, "both", "booth", 4, 32});
  const TileCost t = check_all(*e, r, a, b);
  CHECK(t.cycles == CycleSplit{0, 6, 1});
  const auto& x = t.actions;
  CHECK(x.count("sip_array", "mux4", 4) == 6);              // sum_k (sum_i na)(sum_j nb) = 2*3 + 0*3
  CHECK(x.count("sip_array", "int_add", 32) == 12);         // 2 SIPs x 6 cycles
  CHECK(x.count("operand_regs", "reg_write", 8) == 2);      // activations loaded
  CHECK(x.count("operand_regs", "reg_write", 12) == 4);     // weights loaded: mask, signs, working mask
  CHECK(x.count("operand_regs", "reg_write", 4) == 1 + 8);  // row drops 1*1*(2-1); column 2*1*3 + 2*1*1
  CHECK(x.count("term_logic", "int_add", 5) == 6);          // encoders: 2 rows + 4 columns
  CHECK(x.count("term_logic", "and2", 16) == 2 + 9);        // pickers: row terms 2; column 2*3 + 1*3
  IntMatrix out;
  e->simulate_pe(r, &a, &b, &out);
  CHECK(out == matrix(1, 2, {3, -18}));
}

// The read-out hold: 4x1 SIPs, 2 lanes, k=2 (one group), m=8: fold 0 (rows 0-3) has a 3-term
// activation (7, plain): 3 cycles; fold 1's activations have at most one term: one cycle, held 4 -
// 1 = 3 cycles for fold 0's read-out. Total 3 + 1 + 3 hold + 4 drain.
TEST_CASE("hand-derived tile: a fast fold holds for the previous read-out", "[termserial]") {
  const IntMatrix a = matrix(8, 2, {7, 0, 1, 1, 2, 2, 0, 3, 1, 2, 0, 0, -1, 4, 0, 1});
  const IntMatrix b = matrix(2, 1, {1, -1});
  const auto e = make({4, 1, 2, "activations", "plain", 4, 32});
  const TileCost t = check_all(*e, gemm(8, 1, 2, DType::int4, DType::int4), a, b);
  CHECK(t.cycles == CycleSplit{3, 3 + 1, 4});
}

TEST_CASE(
    "cycles follow the data: zeros take one cycle per group, full terms "
    "max_bits",
    "[termserial]") {
  const TileRequest r = gemm(4, 4, 16, DType::int8, DType::int8);
  IntMatrix zeros(4, 16), ones(16, 4), full(4, 16);
  std::fill(ones.v.begin(), ones.v.end(), 1);
  std::fill(full.v.begin(), full.v.end(), -1);
  full.at(2, 9) = 127;  // plain: 7 terms in group 1 (one lane of one row)
  for (const char* enc : {"plain", "booth"}) {
    const auto e = make({4, 4, 8, "activations", enc, 8, 32});
    CHECK(check_all(*e, r, zeros, ones).cycles.steady == 2);
    CHECK(check_all(*e, r, full, ones).cycles.steady == 1 + (std::string(enc) == "plain" ? 7 : 2));
    const auto both = make({4, 4, 8, "both", enc, 8, 32});
    CHECK(check_all(*both, r, full, ones).cycles.steady == 1 + (std::string(enc) == "plain" ? 7 : 2));
  }
}

TEST_CASE("closed form given the data equals the per-cycle model on random tiles", "[termserial]") {
  std::mt19937_64 rng(11);
  const DType types[] = {DType::int1, DType::int2, DType::int3, DType::int4,  DType::int5,
                         DType::int6, DType::int7, DType::int8, DType::int16, DType::ternary};
  std::uniform_int_distribution<int64_t> arr(1, 5), lanes(1, 6);
  int tiles = 0, holds = 0;
  for (const char* serial : {"activations", "both"})
    for (const char* enc : {"plain", "booth"})
      for (int max_bits : {4, 8, 16})
        for (int c = 0; c < 4; ++c) {
          const Config cfg{arr(rng), arr(rng), lanes(rng), serial, enc, max_bits, c % 2 ? 12 : 32};
          const auto eng = make(cfg);
          std::vector<DType> ok;
          for (DType t : types)
            if (dtype_bits(t) <= max_bits) ok.push_back(t);
          std::uniform_int_distribution<size_t> pick(0, ok.size() - 1);
          std::uniform_int_distribution<int64_t> dm(1, 3 * cfg.rows), dn(1, 3 * cfg.cols), dk(1, 3 * cfg.lanes + 2);
          for (int i = 0; i < 8; ++i) {
            const TileRequest r = gemm(dm(rng), dn(rng), dk(rng), ok[pick(rng)], ok[pick(rng)]);
            INFO(serial << " " << enc << " " << cfg.rows << "x" << cfg.cols << " L" << cfg.lanes << " max" << max_bits
                        << " acc" << cfg.acc_bits << " " << r.gemm.m << "x" << r.gemm.n << "x" << r.gemm.k << " "
                        << dtype_name(r.a_type) << " x " << dtype_name(r.b_type) << " dist " << i % 4);
            holds += check_all(*eng, r, random_values(rng, r.gemm.m, r.gemm.k, r.a_type, i % 4),
                               random_values(rng, r.gemm.k, r.gemm.n, r.b_type, (i + 1) % 4))
                         .cycles.fill > 0;
            ++tiles;
          }
        }
  CHECK(tiles == 2 * 2 * 3 * 4 * 8);
  CHECK(holds > 10);
}

TEST_CASE("sums wrap modulo 2^acc_bits", "[termserial]") {
  const auto eng = make({2, 2, 4, "both", "booth", 8, 8});
  IntMatrix a(1, 4), b(4, 1);
  for (int64_t k = 0; k < 4; ++k) {
    a.at(0, k) = -128;
    b.at(k, 0) = 127;
  }
  IntMatrix out;
  eng->simulate_pe(gemm(1, 1, 4), &a, &b, &out);
  CHECK(out.at(0, 0) == wrap_to_bits(static_cast<uint64_t>(int64_t{-128} * 127 * 4), 8));
}

namespace {

// The mean of the exact counts over every combination of operand values, each value drawn
// independently from (values, probabilities).
struct Support {
  std::vector<int64_t> v;
  std::vector<double> p;
};

TermserialCounts exhaustive_mean(const TermserialSpec& s, const GemmShape& g, const Support& sa, const Support& sb) {
  IntMatrix a(g.m, g.k), b(g.k, g.n);
  const size_t na = a.v.size(), total = na + b.v.size();
  std::vector<size_t> idx(total, 0);
  TermserialCounts mean;
  for (;;) {
    double p = 1;
    for (size_t i = 0; i < total; ++i) {
      const Support& su = i < na ? sa : sb;
      (i < na ? a.v[i] : b.v[i - na]) = su.v[idx[i]];
      p *= su.p[idx[i]];
    }
    const TermserialCounts c = termserial_counts(s, g, a, b);
    mean.hold += p * c.hold;
    mean.steady += p * c.steady;
    mean.drain += p * c.drain;
    mean.products += p * c.products;
    mean.sip_cycles += p * c.sip_cycles;
    mean.a_loads += p * c.a_loads;
    mean.b_loads += p * c.b_loads;
    mean.a_drops += p * c.a_drops;
    mean.b_drops += p * c.b_drops;
    mean.a_picks += p * c.a_picks;
    mean.b_picks += p * c.b_picks;
    size_t i = 0;
    while (i < total && ++idx[i] == (i < na ? sa : sb).v.size()) idx[i++] = 0;
    if (i == total) break;
  }
  return mean;
}

std::vector<double> term_probabilities(const TermserialSpec& s, const Support& su) {
  std::vector<double> p(static_cast<size_t>(s.max_bits) + 1, 0.0);
  for (size_t i = 0; i < su.v.size(); ++i) p[static_cast<size_t>(s.terms(su.v[i]))] += su.p[i];
  return p;
}

void check_expectation(const Config& c, const GemmShape& g, const Support& sa, const Support& sb) {
  const TermserialSpec s = spec(c);
  const TermserialCounts want = exhaustive_mean(s, g, sa, sb);
  const TermserialCounts got = termserial_expected_counts(s, g, term_probabilities(s, sa), term_probabilities(s, sb));
  INFO(c.serial << " " << c.encoding << " " << c.rows << "x" << c.cols << " L" << c.lanes << " tile " << g.m << "x"
                << g.n << "x" << g.k);
  auto same = [](double x) { return Approx(x).epsilon(1e-9).margin(1e-9); };
  CHECK(got.hold == same(want.hold));
  CHECK(got.steady == same(want.steady));
  CHECK(got.drain == same(want.drain));
  CHECK(got.products == same(want.products));
  CHECK(got.sip_cycles == same(want.sip_cycles));
  CHECK(got.a_loads == same(want.a_loads));
  CHECK(got.b_loads == same(want.b_loads));
  CHECK(got.a_drops == same(want.a_drops));
  CHECK(got.b_drops == same(want.b_drops));
  CHECK(got.a_picks == same(want.a_picks));
  CHECK(got.b_picks == same(want.b_picks));
}

Support uniform(int bits) {
  Support s;
  for (int64_t v = -(int64_t{1} << (bits - 1)); v < (int64_t{1} << (bits - 1)); ++v) s.v.push_back(v);
  s.p.assign(s.v.size(), 1.0 / static_cast<double>(s.v.size()));
  return s;
}

}  // namespace

TEST_CASE(
    "given term distributions only, the cost is the exact expectation "
    "over independent values",
    "[termserial]") {
  // Two row folds of 2 and 1 rows: the second holds for the first's read-out when it is fast.
  check_expectation({2, 1, 1, "activations", "plain", 4, 32}, {3, 1, 1}, uniform(4), {{1, -3}, {0.5, 0.5}});
  // Three groups fewer than the previous fold's rows: the hold needs X's distribution.
  check_expectation({3, 1, 1, "activations", "booth", 4, 32}, {4, 1, 2}, {{0, 1, 3, 7}, {0.4, 0.3, 0.2, 0.1}},
                    {{2}, {1.0}});
  check_expectation({2, 2, 1, "both", "plain", 4, 32}, {3, 2, 1}, {{0, 1, 3}, {0.5, 0.25, 0.25}},
                    {{1, -3, 5}, {0.2, 0.3, 0.5}});
  check_expectation({1, 1, 2, "both", "booth", 4, 32}, {2, 2, 3}, {{0, 3, -5}, {0.3, 0.3, 0.4}}, {{1, 6}, {0.6, 0.4}});
  check_expectation({2, 2, 2, "both", "plain", 4, 32}, {3, 2, 2}, {{0, 7}, {0.5, 0.5}}, {{-8, 3}, {0.5, 0.5}});
}

TEST_CASE(
    "histograms feed the expectation; without them values are uniform "
    "over the format",
    "[termserial]") {
  const auto e = make({4, 4, 8, "both", "booth", 8, 32});
  const TileRequest r = gemm(9, 7, 20, DType::int4, DType::int8);
  OperandStats uni;
  uni.a = histogram_uniform(NumFormat::of(DType::int4), 16 * 100, 1.0 / 16);
  uni.b = histogram_uniform(NumFormat::of(DType::int8), 256 * 100, 1.0 / 256);
  CHECK(e->cost(r) == e->cost(r, uni));
  // Sparser data is faster: 90% zeros.
  OperandStats sparse;
  sparse.a = histogram_uniform(NumFormat::of(DType::int4), 1000, 0.9);
  sparse.b = histogram_uniform(NumFormat::of(DType::int8), 1000, 0.9);
  CHECK(e->cost(r, sparse).cycles.total() < e->cost(r).cycles.total());
  // Shape only is the documented default, not a bound: data of more terms is slower.
  IntMatrix a(9, 20), b(20, 7);
  std::fill(a.v.begin(), a.v.end(), 5);   // 0101: two terms (Booth too)
  std::fill(b.v.begin(), b.v.end(), 85);  // 01010101: four terms
  TypedMatrix ta, tb;
  CHECK(e->cost(r, data_stats(r, a, b, ta, tb)).cycles.steady == 6 * 3 * (2 * 4));  // 6 folds x 3 groups x A*B
}

TEST_CASE(
    "termserial declares every action it emits, and emits every one it "
    "declares",
    "[termserial][contract]") {
  std::mt19937_64 rng(3);
  for (const char* serial : {"activations", "both"})
    for (const char* enc : {"plain", "booth"})
      for (int lanes : {1, 3}) {
        const auto e = make({3, 2, lanes, serial, enc, 8, 24});
        const auto declared = e->action_primitives();
        ActionCounts all;
        for (int i = 0; i < 5; ++i) {
          const TileRequest r = gemm(1 + i * 2, 2 + i, 1 + i * 3, i % 2 ? DType::int8 : DType::int3);
          const IntMatrix a = random_values(rng, r.gemm.m, r.gemm.k, r.a_type, 0);
          const IntMatrix b = random_values(rng, r.gemm.k, r.gemm.n, r.b_type, 0);
          IntMatrix out;
          INFO(serial << " " << enc << " lanes " << lanes);
          CHECK(describe_actions(undeclared_actions(declared, e->cost(r).actions)) == "");
          CHECK(describe_actions(undeclared_actions(declared, e->simulate_pe(r, &a, &b, &out).actions)) == "");
          CHECK(describe_actions(undeclared_actions(declared, e->combine_cost(r).actions)) == "");
          all.merge(e->cost(r).actions);
          all.merge(e->combine_cost(r).actions);
        }
        for (const auto& p : declared) {
          INFO(serial << " " << enc << " lanes " << lanes << ": " << p.component << "/" << p.primitive << "@"
                      << p.bits);
          CHECK(all.count(p.component, p.primitive, p.bits) > 0);
        }
      }
}

TEST_CASE(
    "termserial capabilities: data-dependent timing, formats up to "
    "max_bits, os only",
    "[termserial]") {
  const auto e = make({4, 8, 16, "activations", "booth", 4, 32});
  const auto& c = e->capabilities();
  CHECK(c.timing == TimingDependence::Data);
  CHECK(c.dataflows == std::vector<std::string>{"os"});
  CHECK(c.a_types == std::vector<DType>{DType::int1, DType::int2, DType::int3, DType::int4, DType::ternary});
  CHECK(c.peak_ops_per_cycle == 4 * 8 * 16);
  CHECK_THROWS_AS(e->check(gemm(4, 4, 4, DType::int8, DType::int4)), UserError);
  CHECK_THROWS_AS(e->simulate_pe(gemm(4, 4, 4, DType::int4, DType::int4), nullptr, nullptr, nullptr),
                  std::invalid_argument);
}

TEST_CASE("declared value distributions on the request feed the expectation", "[termserial]") {
  const auto e = make({4, 4, 8, "activations", "booth", 8, 32});
  TileRequest r = gemm(9, 7, 20, DType::int8, DType::int8);
  const TileCost uniform = e->cost(r);
  r.a_values = ValueDistribution{0.5, 20, true};  // post-ReLU
  r.b_values = ValueDistribution{0, 30, false};
  OperandStats declared;
  declared.a = histogram_of_distribution(NumFormat::of(DType::int8), *r.a_values);
  declared.b = histogram_of_distribution(NumFormat::of(DType::int8), *r.b_values);
  CHECK(e->cost(r) == e->cost(r, declared));
  CHECK(e->cost(r).cycles.steady < uniform.cycles.steady);
  // Histograms given win over the declaration.
  OperandStats sparse;
  sparse.a = histogram_uniform(NumFormat::of(DType::int8), 1000, 0.99);
  sparse.b = histogram_uniform(NumFormat::of(DType::int8), 1000, 0.99);
  CHECK(e->cost(r, sparse).cycles.steady < e->cost(r).cycles.steady);
}

TEST_CASE("tech library: the and2 cell", "[termserial][tech]") {
  const std::string path = std::string(TESSERA_SOURCE_DIR) + "/configs/tech/45nm.yaml";
  const TechLibrary lib = load_tech(path);
  CHECK(lib.area_um2("and2", 10) == Approx(10 * 1.064));                    // [N45] AND2_X1
  CHECK(lib.action_pj("and2", 10) == Approx(10 * 0.0014 * 1.064 / 1.862));  // mux2 energy by area
  TechSpec none = load_tech_spec(path);
  none.and2_um2 = 0;
  CHECK_THROWS_AS(TechLibrary(none).area_um2("and2", 1), UserError);
}
