// The LUT engine against docs/engines/lut.md: tables and lookups by hand,
// hand-derived tiles (cycles with and without read-out holds, every action,
// traffic), closed form == per-cycle model on random shapes over every
// configuration axis, int outputs == the exact wrapping GEMM, fp outputs == the
// functional model and, where nothing rounds, the exact dot product; the fp
// rule on hand-made edge cases (rounding in a table, zeros, subnormals,
// overflow); bad input.
#include "models/engine/lut.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <memory>
#include <random>
#include <string>

#include "models/engine/i_engine.h"
#include "models/tech/engine_pricing.h"
#include "sim/config/tech_loader.h"

using namespace tessera;

namespace {

struct Config {
  int64_t rows = 2, cols = 2;
  int group = 2;
  bool symmetric = true;
  int weight_bits = 2;
  std::string act = "int8", acc = "auto", table = "auto";
  int64_t table_store = 0;
  std::string precompute = "array";
};

ParamValues params(const Config &c) {
  const auto *e = EngineRegistry::instance().find("lut");
  REQUIRE(e != nullptr);
  ParamValues p = default_params(e->params);
  p.set("rows", c.rows);
  p.set("cols", c.cols);
  p.set("group", int64_t{c.group});
  p.set("symmetric", c.symmetric);
  p.set("weight_bits", int64_t{c.weight_bits});
  p.set("act", c.act);
  p.set("acc", c.acc);
  p.set("table", c.table);
  p.set("table_store", c.table_store);
  p.set("precompute", c.precompute);
  return p;
}

std::unique_ptr<IEngine> make(const Config &c) { return EngineRegistry::instance().find("lut")->make(params(c)); }
LutSpec spec(const Config &c) { return LutSpec::from_params(params(c)); }

TileRequest gemm(int64_t m, int64_t n, int64_t k, DType a, DType b) {
  TileRequest r;
  r.gemm = {m, n, k};
  r.a_type = a;
  r.b_type = b;
  return r;
}

TypedMatrix random_ints(std::mt19937_64 &rng, int64_t rows, int64_t cols, DType t) {
  const NumFormat f = NumFormat::of(t);
  std::uniform_int_distribution<int64_t> d(f.int_min(), f.int_max());
  TypedMatrix x(rows, cols, f);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) x.set_int(r, c, d(rng));
  return x;
}

// fp16 activations: random finite patterns of three kinds (any finite, near
// one, small ints).
TypedMatrix random_fp16(std::mt19937_64 &rng, int64_t rows, int64_t cols, int kind) {
  const NumFormat f = NumFormat::of(DType::fp16);
  TypedMatrix x(rows, cols, f);
  std::uniform_int_distribution<uint64_t> raw(0, 0xffff);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_int_distribution<int> small(-64, 64);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      if (kind == 0) {
        uint64_t p;
        do p = raw(rng);
        while (((p >> 10) & 0x1f) == 0x1f || ((p >> 10) & 0x1f) > 24);  // finite, |x| < 2^10
        x.set_raw(r, c, p);
      } else if (kind == 1) {
        x.set_value(r, c, normal(rng));
      } else {
        x.set_value(r, c, small(rng));
      }
    }
  return x;
}

TypedMatrix fp16_row(std::initializer_list<double> v) {
  TypedMatrix x(1, static_cast<int64_t>(v.size()), NumFormat::of(DType::fp16));
  int64_t c = 0;
  for (double d : v) x.set_value(0, c++, d);
  return x;
}

TypedMatrix weight_col(DType t, std::initializer_list<int64_t> v) {
  TypedMatrix x(static_cast<int64_t>(v.size()), 1, NumFormat::of(t));
  int64_t r = 0;
  for (int64_t w : v) x.set_int(r++, 0, w);
  return x;
}

}  // namespace

TEST_CASE("lut: tables by hand, symmetric and full, and their lookups", "[lut]") {
  Config c;
  c.group = 4;
  const LutSpec sym = spec(c);
  c.symmetric = false;
  const LutSpec full = spec(c);
  CHECK(sym.entries() == 8);
  CHECK(full.entries() == 16);
  CHECK(sym.entry_bits() == 11);  // 4 x (-128) negated is 512: 8 + clog2(5) bits
  const NumFormat i8 = NumFormat::of(DType::int8);
  const uint64_t x[4] = {encode_int(i8, 1), encode_int(i8, 2), encode_int(i8, 3), encode_int(i8, 4)};
  const LutArith as(sym, DType::int8), af(full, DType::int8);
  std::vector<uint64_t> ts, tf;
  as.build_table(x, ts);
  af.build_table(x, tf);
  REQUIRE(ts.size() == 8);
  REQUIRE(tf.size() == 16);
  auto v = [&](uint64_t raw) { return decode_int(sym.table_fmt, raw); };
  CHECK(v(ts[0]) == -10);  // -1 -2 -3 -4
  CHECK(v(ts[1]) == -6);   // -1 +2 -3 -4
  CHECK(v(ts[7]) == 8);    // -1 +2 +3 +4
  CHECK(v(tf[1]) == -8);   // +1 -2 -3 -4
  CHECK(v(tf[15]) == 10);
  // Every digit pattern: both tables give sum_k (2 d_k - 1) x_k.
  for (unsigned d = 0; d < 16; ++d) {
    int64_t want = 0;
    for (int k = 0; k < 4; ++k) want += ((d >> k) & 1 ? 1 : -1) * (k + 1);
    CHECK(v(as.lookup(ts, d)) == want);
    CHECK(v(af.lookup(tf, d)) == want);
  }
  // Offset-binary digits: int2 -2 -> 00, -1 -> 01, 0 -> 10, 1 -> 11.
  CHECK(LutArith::plane_bit(-2, 2, 0) == 0);
  CHECK(LutArith::plane_bit(-1, 2, 0) == 1);
  CHECK(LutArith::plane_bit(0, 2, 1) == 1);
  CHECK(LutArith::plane_bit(1, 2, 0) == 1);
}

TEST_CASE("lut: a hand-derived tile, every cycle and action", "[lut]") {
  // 2 x 2 units, K = 2, weights int2 on a weight_bits 2 engine, int8
  // activations, int32 out. Tile 3 x 2 x 4: G = 2 groups x W = 2 planes = 4
  // cycles per fold, Fr = 2 row folds (2 + 1 rows), Fc = 1. Fill 1 (the first
  // tables), no hold (4 cycles > 2 rows), steady 8, drain 1.
  const auto e = make(Config{});
  const TileRequest req = gemm(3, 2, 4, DType::int8, DType::int2);
  const TileCost t = e->cost(req);
  CHECK(t.cycles == CycleSplit{0, 8, 1});
  CHECK(t.macs == 24);
  // Tables: Fc m G = 6; entries 2 of 8 + clog2(3) = 10 bits; accumulators 33
  // bits.
  const ActionCounts &a = t.actions;
  CHECK(a.count("precompute", "int_add", 9) == 6);      // -x0
  CHECK(a.count("precompute", "int_add", 10) == 12);    // 2 doubling adds per table
  CHECK(a.count("precompute", "reg_write", 9) == 12);   // 2 entries per table, but their LSB
  CHECK(a.count("precompute", "reg_write", 1) == 6);    // the LSB all entries share
  CHECK(a.count("precompute", "int_add", 33) == 6);     // row offsets
  CHECK(a.count("precompute", "reg_write", 33) == 6);
  CHECK(a.count("weight_columns", "reg_write", 2) == 16);  // Fr n k
  CHECK(a.count("weight_columns", "mux2", 2) == 16);       // Fr n X: the plane's digit of K weights
  CHECK(a.count("weight_columns", "mux", 1) == 16);        // K - 1 select inversions
  CHECK(a.count("lut_array", "mux2", 10) == 24);           // m n X lookups
  CHECK(a.count("lut_array", "mux", 11) == 24);            // sign flips of the shifted entry
  CHECK(a.count("lut_array", "mux", 10) == 24);            // one shifter level of 10 bits
  CHECK(a.count("lut_array", "int_add", 33) == 24);
  CHECK(a.count("lut_array", "reg_write", 33) == 24);
  CHECK(a.count("readout", "reg_write", 33) == 6 + 3);  // results and row offsets (Fc m)
  CHECK(a.count("readout", "mux2", 33) == 6);
  CHECK(a.count("readout", "int_add", 33) == 6);
  CHECK(a.items().size() == 17);
  CHECK(t.traffic == OperandTraffic{12 * 8, 16 * 2, 6 * 32, 0});
  CHECK(e->simulate_pe(req, nullptr, nullptr, nullptr) == t);
}

TEST_CASE("lut: the table store serves later column folds; groups beyond it are rebuilt", "[lut]") {
  // 2 x 2 units, K 2, int2 weights, int8 activations; tile 2 x 6 x 6: Fr 1, Fc 3, G 3. A store of
  // 2 tables per row keeps groups 0 and 1 of column fold 0; column folds 1 and 2 load them and
  // rebuild group 2. Tables built m G + (Fc - 1) m (G - S) = 6 + 4 = 10; stored m S = 4; loaded
  // (Fc - 1) m S = 8. A stored table is 2 entries of 9 bits + their shared LSB = 19 bits.
  Config c;
  c.table_store = 2;
  const auto e = make(c), plain = make(Config{});
  const TileRequest req = gemm(2, 6, 6, DType::int8, DType::int2);
  const TileCost t = e->cost(req), t0 = plain->cost(req);
  CHECK(t.cycles == t0.cycles);  // the store loads at the same edges as the precompute
  const ActionCounts &a = t.actions;
  CHECK(a.count("precompute", "int_add", 9) == 10);       // -x0 per built table
  CHECK(a.count("precompute", "int_add", 10) == 20);      // 2 doubling adds per built table
  CHECK(a.count("precompute", "reg_write", 9) == 2 * 18);  // the table register: 10 built + 8 loaded
  CHECK(a.count("precompute", "reg_write", 1) == 18);
  CHECK(a.count("precompute", "int_add", 33) == 18);  // row offsets: every fold's groups, Fc m G
  CHECK(a.count("table_store", "reg_write", 19) == 4);
  CHECK(a.count("table_store", "reg_read", 19) == 8);
  CHECK(a.count("table_store", "mux2", 19) == 8);
  CHECK(t0.actions.count("precompute", "int_add", 9) == 18);  // without the store: Fc m G
  CHECK(t.traffic.a_read_bits == 10 * 2 * 8);                 // activations of built tables only
  CHECK(t0.traffic.a_read_bits == 18 * 2 * 8);
  CHECK(e->simulate_pe(req, nullptr, nullptr, nullptr) == t);
  // One column fold: nothing to reuse, so nothing is stored: the same cost as without a store.
  const TileRequest narrow = gemm(2, 2, 6, DType::int8, DType::int2);
  CHECK(e->cost(narrow) == plain->cost(narrow));
  uint64_t store_regs = 0, store_mux = 0;
  for (const AreaItem &i : e->area_items()) {
    if (i.component == "table_store" && i.primitive == "reg" && i.bits == 19) store_regs += i.count;
    if (i.component == "table_store" && i.primitive == "mux2" && i.bits == 19) store_mux += i.count;
  }
  CHECK(store_regs == 2 * 2);  // rows x slots
  CHECK(store_mux == 2);       // a slot mux per row
  // Same results with and without the store.
  std::mt19937_64 rng(5);
  const TypedMatrix x = random_ints(rng, 2, 6, DType::int8), w = random_ints(rng, 6, 6, DType::int2);
  TypedMatrix with, without;
  lut_simulate_pe(spec(c), req, &x, &w, &with);
  lut_simulate_pe(spec(Config{}), req, &x, &w, &without);
  CHECK(with == without);
}

TEST_CASE("lut: a fold shorter than the read-out holds its last cycle", "[lut]") {
  // int1 weights, k = K = 2: one cycle per fold; m = 4 on 2 rows: the second
  // fold's only cycle waits one cycle for the first fold's second row. Fill 1 +
  // 1 hold, steady 2, drain 2.
  Config c;
  c.weight_bits = 1;
  const auto e = make(c);
  const TileRequest req = gemm(4, 2, 2, DType::int8, DType::int1);
  CHECK(e->cost(req).cycles == CycleSplit{1, 2, 2});
  CHECK(e->simulate_pe(req, nullptr, nullptr, nullptr) == e->cost(req));
}

TEST_CASE("lut: closed form == per-cycle model; int outputs == the wrapping GEMM", "[lut]") {
  std::mt19937_64 rng(11);
  const std::vector<DType> acts = {DType::int8, DType::int4, DType::int1, DType::ternary};
  for (int trial = 0; trial < 300; ++trial) {
    Config c;
    c.rows = std::uniform_int_distribution<int64_t>(1, 5)(rng);
    c.cols = std::uniform_int_distribution<int64_t>(1, 6)(rng);
    c.group = std::uniform_int_distribution<int>(1, 8)(rng);
    c.symmetric = trial % 2 == 0;
    c.weight_bits = std::uniform_int_distribution<int>(1, 4)(rng);
    c.acc = trial % 3 == 0 ? "int16" : "int32";
    c.table_store = std::uniform_int_distribution<int64_t>(0, 4)(rng);
    const auto e = make(c);
    const auto &wt = e->capabilities().b_types;
    const DType w = wt[std::uniform_int_distribution<size_t>(0, wt.size() - 1)(rng)];
    const DType at = acts[static_cast<size_t>(trial) % acts.size()];
    const int64_t m = std::uniform_int_distribution<int64_t>(1, 11)(rng);
    const int64_t n = std::uniform_int_distribution<int64_t>(1, 13)(rng);
    const int64_t k = c.group * std::uniform_int_distribution<int64_t>(1, 6)(rng);
    const TileRequest req = gemm(m, n, k, at, w);
    INFO("trial " << trial << " " << m << "x" << n << "x" << k << " K " << c.group << " W " << dtype_name(w));
    e->check(req);
    const TypedMatrix a = random_ints(rng, m, k, at), b = random_ints(rng, k, n, w);
    TypedMatrix pe_out, fn_out;
    const TileCost pe = lut_simulate_pe(spec(c), req, &a, &b, &pe_out);
    CHECK(pe == e->cost(req));
    e->compute(req, a, b, fn_out);
    const TypedMatrix ref = gemm(a, b, AccumRule::baseline(NumFormat::int_bits(c.acc == "int16" ? 16 : 32)));
    CHECK(pe_out == ref);
    CHECK(fn_out == ref);
    IntMatrix ia = to_int_matrix(a), ib = to_int_matrix(b), io;
    CHECK(e->simulate_pe(req, &ia, &ib, &io) == pe);
    CHECK(io == to_int_matrix(ref));
  }
}

TEST_CASE(
    "lut: fp16 activations: closed form == per-cycle model, outputs == "
    "the functional model",
    "[lut]") {
  std::mt19937_64 rng(12);
  int exact_checked = 0;
  for (int trial = 0; trial < 200; ++trial) {
    Config c;
    c.act = "fp16";
    c.rows = std::uniform_int_distribution<int64_t>(1, 4)(rng);
    c.cols = std::uniform_int_distribution<int64_t>(1, 5)(rng);
    c.group = std::uniform_int_distribution<int>(1, 8)(rng);
    c.symmetric = trial % 2 == 1;
    c.weight_bits = std::uniform_int_distribution<int>(1, 4)(rng);
    c.acc = (trial / 3) % 2 == 0 ? "fp32" : "fp16";
    c.table = trial % 4 == 0 ? "fp32" : "fp16";
    c.table_store = std::uniform_int_distribution<int64_t>(0, 3)(rng);
    const auto e = make(c);
    const auto &wt = e->capabilities().b_types;
    const DType w = wt[std::uniform_int_distribution<size_t>(0, wt.size() - 1)(rng)];
    const int64_t m = std::uniform_int_distribution<int64_t>(1, 9)(rng);
    const int64_t n = std::uniform_int_distribution<int64_t>(1, 9)(rng);
    const int64_t k = c.group * std::uniform_int_distribution<int64_t>(1, 5)(rng);
    const TileRequest req = gemm(m, n, k, DType::fp16, w);
    INFO("trial " << trial);
    const TypedMatrix a = random_fp16(rng, m, k, trial % 3), b = random_ints(rng, k, n, w);
    TypedMatrix pe_out, fn_out;
    const TileCost pe = lut_simulate_pe(spec(c), req, &a, &b, &pe_out);
    CHECK(pe == e->cost(req));
    e->compute(req, a, b, fn_out);
    CHECK(pe_out == fn_out);
    if (trial % 3 == 2 && c.acc == "fp32") {
      ++exact_checked;
      // Small integers: every table entry, sum and result is exact.
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
          double want = 0;
          for (int64_t l = 0; l < k; ++l) want += a.value(i, l) * static_cast<double>(b.int_value(l, j));
          CHECK(fn_out.value(i, j) == want);
        }
    }
  }
  CHECK(exact_checked > 20);
}

TEST_CASE("lut: the fp rule on hand-made cases", "[lut]") {
  Config c;
  c.act = "fp16";
  c.rows = c.cols = 1;
  c.weight_bits = 2;
  auto run = [](const Config &cfg, const TypedMatrix &a, const TypedMatrix &b) {
    TypedMatrix out;
    lut_gemm(spec(cfg), a, b, DType::fp16, out);
    return out;
  };
  SECTION("a table entry rounds: the sum a0 + a1 ties to even and loses a1") {
    // a = (1, 2^-11), w = (0, -1) as int1: digits (1, 0), the entry a0 - a1 = 1
    // - 2^-11 is exact; the row's sum -t[0] = 1 + 2^-11 ties to 1. (acc -
    // offset) / 2 = -2^-11 / 2 = -2^-12, where the exact dot product is -2^-11.
    c.weight_bits = 1;
    const TypedMatrix out = run(c, fp16_row({1.0, std::ldexp(1.0, -11)}), weight_col(DType::int1, {0, -1}));
    CHECK(out.value(0, 0) == -std::ldexp(1.0, -12));
  }
  SECTION("zeros: a zero row gives +0 for every weight") {
    for (int64_t w0 = -2; w0 <= 1; ++w0) {
      const TypedMatrix out = run(c, fp16_row({0.0, -0.0}), weight_col(DType::int2, {w0, 1}));
      CHECK(out.raw(0, 0) == 0);  // +0: x + (-x) and +0 + -0 are +0 under nearest even
    }
  }
  SECTION("subnormals are kept: the least subnormal times weights -2..1") {
    const double tiny = std::ldexp(1.0, -24);
    for (int64_t w0 = -2; w0 <= 1; ++w0) {
      const TypedMatrix out = run(c, fp16_row({tiny, 0.0}), weight_col(DType::int2, {w0, 0}));
      CHECK(out.value(0, 0) == static_cast<double>(w0) * tiny);
    }
  }
  SECTION("overflow: fp16 accumulators hold twice the sum plus the row sum") {
    // 20000 x 1 + 20000 x 1 = 40000 fits fp16, but the accumulator reaches 2 x
    // 40000 + ... > 65504.
    const TypedMatrix a = fp16_row({20000.0, 20000.0}), b = weight_col(DType::int2, {1, 1});
    const TypedMatrix out16 = run(c, a, b);
    CHECK(is_inf(out16.format(), out16.raw(0, 0)));
    CHECK_FALSE(sign_bit(out16.format(), out16.raw(0, 0)));
    c.acc = "fp32";
    CHECK(run(c, a, b).value(0, 0) == 40000.0);
  }
}

TEST_CASE("lut: bad requests and configurations are named errors", "[lut]") {
  const auto e = make(Config{});
  CHECK_THROWS_WITH(e->check(gemm(2, 2, 3, DType::int8, DType::int2)),
                    Catch::Contains("groups of 2") && Catch::Contains("k = 3"));
  CHECK_THROWS_WITH(e->check(gemm(2, 2, 4, DType::int8, DType::int4)),
                    Catch::Contains("at most 2 bits") && Catch::Contains("int4"));
  CHECK_THROWS_WITH(e->check(gemm(2, 2, 4, DType::fp16, DType::int2)), Catch::Contains("fp16"));
  Config c;
  c.acc = "fp32";
  CHECK_THROWS_WITH(make(c), Catch::Contains("acc fp32") && Catch::Contains("act int8"));
  c = Config{};
  c.table = "fp16";
  CHECK_THROWS_WITH(make(c), Catch::Contains("table fp16"));
}

TEST_CASE("lut: table words as memory and the row bus hold them, by hand", "[lut]") {
  auto word = [](const Config& c, DType at, const TypedMatrix& x) {
    const LutSpec s = spec(c);
    const LutArith ar(s, at);
    std::vector<uint64_t> raw, table;
    for (int64_t l = 0; l < x.cols(); ++l) raw.push_back(x.raw(0, l));
    ar.build_table(raw.data(), table);
    return ar.table_word(table);
  };
  Config c;  // int8, K 2, symmetric: entries -x0-x1, -x0+x1 of 10 bits; 2 x 9 bits + the LSB
  TypedMatrix x(1, 2, NumFormat::of(DType::int8));
  x.set_int(0, 0, 3);
  x.set_int(0, 1, 5);
  CHECK(spec(c).table_word_bits() == 19);
  CHECK(spec(c).table_field_bits() == 10);  // ceil(19 / 2) bits per activation in memory
  // -8 = 0x3f8 (10 bits): bits 1.. = 0x1fc at bit 1; 2: bits 1.. = 1 at bit 10; LSB 0.
  CHECK(word(c, DType::int8, x) == std::vector<uint64_t>{0x7f8});
  c.group = 1;  // fp16, K 1, full: entry 0 = -x0 whole, entry 1 = x0 by its sign only
  c.symmetric = false;
  c.act = "fp16";
  c.table = "fp16";
  CHECK(spec(c).table_word_bits() == 17);
  CHECK(word(c, DType::fp16, fp16_row({1.0})) == std::vector<uint64_t>{0xbc00});
  CHECK(word(c, DType::fp16, fp16_row({-2.0})) == std::vector<uint64_t>{0x14000});
  c.group = 8;  // int8, K 8, full: 256 entries of 12 bits, 11 kept -> 2817 bits in 45 words
  c.act = "int8";
  c.table = "auto";
  CHECK(spec(c).table_word_bits() == 256 * 11 + 1);
  TypedMatrix x8(1, 8, NumFormat::of(DType::int8));
  for (int64_t l = 0; l < 8; ++l) x8.set_int(0, l, l - 4);
  CHECK(word(c, DType::int8, x8).size() == 45);
}

TEST_CASE("lut: fused precompute: the same tile without the precompute, reading table words", "[lut]") {
  std::mt19937_64 rng(13);
  for (int trial = 0; trial < 200; ++trial) {
    Config c;
    c.rows = std::uniform_int_distribution<int64_t>(1, 4)(rng);
    c.cols = std::uniform_int_distribution<int64_t>(1, 5)(rng);
    c.group = std::uniform_int_distribution<int>(1, 8)(rng);
    c.symmetric = trial % 2 == 0;
    c.weight_bits = std::uniform_int_distribution<int>(1, 4)(rng);
    c.table_store = std::uniform_int_distribution<int64_t>(0, 3)(rng);
    const bool fp = trial % 3 == 0;
    if (fp) {
      c.act = "fp16";
      c.acc = trial % 2 ? "fp32" : "fp16";
      c.table = trial % 4 == 0 ? "fp32" : "fp16";
    }
    const auto array = make(c);
    c.precompute = "fused";
    const auto fused = make(c);
    const LutSpec s = spec(c);
    const auto& wt = fused->capabilities().b_types;
    const DType w = wt[std::uniform_int_distribution<size_t>(0, wt.size() - 1)(rng)];
    const DType at = fp ? DType::fp16 : DType::int8;
    const int64_t m = std::uniform_int_distribution<int64_t>(1, 9)(rng);
    const int64_t n = std::uniform_int_distribution<int64_t>(1, 11)(rng);
    const int64_t k = c.group * std::uniform_int_distribution<int64_t>(1, 5)(rng);
    const TileRequest req = gemm(m, n, k, at, w);
    INFO("trial " << trial << " " << m << "x" << n << "x" << k << " K " << c.group);
    const TypedMatrix a = fp ? random_fp16(rng, m, k, trial % 3) : random_ints(rng, m, k, at);
    const TypedMatrix b = random_ints(rng, k, n, w);
    TypedMatrix f_out, a_out;
    const TileCost f = lut_simulate_pe(s, req, &a, &b, &f_out);
    const TileCost ar = lut_simulate_pe(spec([&] { Config x = c; x.precompute = "array"; return x; }()), req, &a, &b,
                                        &a_out);
    CHECK(f == fused->cost(req));
    CHECK(ar == array->cost(req));
    CHECK(f_out == a_out);
    CHECK(f.cycles == ar.cycles);
    // The array reads one table word per table instead of K activations; its actions are the
    // array's less the precompute's.
    const uint64_t tables = ar.traffic.a_read_bits / (static_cast<uint64_t>(c.group) * dtype_bits(at));
    CHECK(f.traffic.a_read_bits == tables * static_cast<uint64_t>(s.stored_table_bits()));
    ActionCounts both = f.actions;
    both.merge(lut_precompute_actions(s, tables, "precompute"));
    CHECK(both == ar.actions);
    // What the operator writing the activations does: the same precompute per table, once.
    CHECK(fused->prepared_a(req)->bits == s.table_field_bits());
    CHECK(!array->prepared_a(req));
    CHECK(fused->a_preparation(req, 3, static_cast<uint64_t>(k)) ==
          lut_precompute_actions(s, 3 * static_cast<uint64_t>(k / c.group), "table_precompute"));
    CHECK(array->a_preparation(req, 3, static_cast<uint64_t>(k)).items().empty());
    CHECK(undeclared_actions(fused->action_primitives(), fused->a_preparation(req, 3, static_cast<uint64_t>(k)))
              .empty());
  }
  // Area: no precompute adders; the row offset's adder stays.
  Config c;
  c.group = 4;
  c.precompute = "fused";
  int adders = 0;
  for (const AreaItem& a : make(c)->area_items())
    if (a.component == "precompute" && a.primitive == "int_add") adders += static_cast<int>(a.count);
  CHECK(adders == 2);  // one offset adder per row
}

TEST_CASE("lut: declared actions cover every count, and the tech library prices them", "[lut]") {
  const TechLibrary lib = load_tech(std::string(TESSERA_SOURCE_DIR) + "/configs/tech/45nm.yaml");
  for (int group : {1, 4, 8})
    for (bool sym : {true, false})
      for (const char *act : {"int8", "fp16"}) {
        Config c;
        c.group = group;
        c.symmetric = sym;
        c.weight_bits = 4;
        c.act = act;
        const auto e = make(c);
        CHECK_NOTHROW(check_engine_pricing(*e, "lut", lib));
        const TileRequest req = gemm(3, 5, 2 * group, e->capabilities().a_types[0], DType::int3);
        CHECK(undeclared_actions(e->action_primitives(), e->cost(req).actions).empty());
      }
}

TEST_CASE("lut: the table register as synthesis keeps it (docs/area.md)", "[lut]") {
  auto regs = [](const Config& c, int bits) {
    uint64_t n = 0;
    for (const AreaItem& a : make(c)->area_items())
      if (a.component == "precompute" && a.primitive == "reg" && a.bits == bits) n += a.count;
    return n;
  };
  Config c;  // int8, K 4, symmetric, 2 rows: 8 entries of 11 bits, their shared LSB once per row
  c.group = 4;
  CHECK(regs(c, 10) == 2 * 8);
  CHECK(regs(c, 1) == 2);
  c.symmetric = false;  // ints keep all 16 entries
  CHECK(regs(c, 10) == 2 * 16);
  c.act = "fp16";  // a full fp16 table: 8 whole entries and 8 sign bits per row
  c.acc = "fp16";
  c.table = "fp16";
  CHECK(regs(c, 16) == 2 * 8 + 2);  // + the row offsets (fp16)
  CHECK(regs(c, 1) == 2 * 8);
}
