// Tile sequences and their DRAM traffic, worked by hand, and invariants over random shapes.
#include <catch2/catch.hpp>

#include <set>

#include <algorithm>
#include <random>

#include "sim/plan/plan.h"
#include "sim/workload/loader.h"

using namespace tessera;

namespace {
std::vector<TileStep> gemm_steps(const GemmShape& g, const GemmShape& t, const std::string& order, const OperandBits& b) {
  return TileSequence::gemm(g, t, order, b).all();
}
struct Totals {
  uint64_t a = 0, b = 0, psum = 0, store = 0, steps = 0;
};
Totals totals(const std::vector<TileStep>& s) {
  Totals t;
  for (const auto& x : s) {
    t.a += x.load_a_bits;
    t.b += x.load_b_bits;
    t.psum += x.load_psum_bits;
    t.store += x.store_bits;
    ++t.steps;
  }
  return t;
}
}  // namespace

TEST_CASE("4x4x4 GEMM in 2x2x2 tiles, k innermost", "[tiling]") {
  // 8 steps; A (m,k) and B (k,n) change every step: 8 loads of 2*2*8 = 32 bits each.
  // Each (m,n) finishes before the next starts: 4 stores of 2*2 int8 = 32 bits, no psums.
  const Totals t = totals(gemm_steps({4, 4, 4}, {2, 2, 2}, "mnk", {8, 8, 32, 8}));
  CHECK(t.steps == 8);
  CHECK(t.a == 256);
  CHECK(t.b == 256);
  CHECK(t.psum == 0);
  CHECK(t.store == 128);
}

TEST_CASE("4x4x4 GEMM in 2x2x2 tiles, k outermost", "[tiling]") {
  // k0: (m0n0) (m0n1) (m1n0) (m1n1), then k1 the same. A (m,k) changes at m changes and at
  // the k step: 4 loads x 32 = 128. B (k,n) alternates n: 8 x 32 = 256. The output tile changes
  // every step: the four k0 visits leave as psums (2*2*32 = 128 bits each) and come back at k1
  // (4 x 128), the four k1 visits leave final (4 x 32).
  const auto steps = gemm_steps({4, 4, 4}, {2, 2, 2}, "kmn", {8, 8, 32, 8});
  const Totals t = totals(steps);
  CHECK(t.a == 128);
  CHECK(t.b == 256);
  CHECK(t.psum == 512);
  CHECK(t.store == 4 * 128 + 4 * 32);
  CHECK_FALSE(steps[3].accumulates);
  CHECK(steps[4].accumulates);
  CHECK(TileSequence::gemm({4, 4, 4}, {2, 2, 2}, "kmn", {8, 8, 32, 8}).dram_bits() == 128 + 256 + 512 + 640);
}

TEST_CASE("a single tile loads each operand once and stores the result", "[tiling]") {
  const auto steps = gemm_steps({8, 4, 4}, {8, 4, 4}, "nkm", {8, 4, 32, 16});
  REQUIRE(steps.size() == 1);
  CHECK(steps[0].load_a_bits == 8 * 4 * 8);
  CHECK(steps[0].load_b_bits == 4 * 4 * 4);
  CHECK(steps[0].store_bits == 8 * 4 * 16);
}

TEST_CASE("random tilings cover the GEMM exactly and store each output once at its final width", "[tiling]") {
  std::mt19937_64 rng(7);
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  const char* orders[] = {"mnk", "mkn", "nmk", "nkm", "kmn", "knm"};
  for (int i = 0; i < 500; ++i) {
    const GemmShape g{pick(1, 40), pick(1, 40), pick(1, 40)};
    const GemmShape t{pick(1, g.m), pick(1, g.n), pick(1, g.k)};
    const std::string order = orders[pick(0, 5)];
    INFO(g.m << "x" << g.n << "x" << g.k << " tile " << t.m << "x" << t.n << "x" << t.k << " " << order);
    const auto steps = gemm_steps(g, t, order, {8, 8, 32, 8});
    uint64_t volume = 0, final_store = 0, psum_store = 0, psum_load = 0;
    for (const auto& s : steps) {
      volume += static_cast<uint64_t>(s.shape.m * s.shape.n * s.shape.k);
      psum_load += s.load_psum_bits;
    }
    CHECK(volume == static_cast<uint64_t>(g.m * g.n * g.k));
    // Stores: final values once per output element (8 bits); every psum that leaves comes back.
    for (const auto& s : steps) {
      if (!s.store_bits) continue;
      const uint64_t mn = static_cast<uint64_t>(s.shape.m * s.shape.n);
      if (s.store_bits == mn * 32 && mn * 32 != mn * 8) psum_store += s.store_bits;
      else final_store += s.store_bits;
    }
    CHECK(final_store == static_cast<uint64_t>(g.m * g.n) * 8);
    CHECK(psum_store == psum_load);
    // k innermost never spills partial sums.
    if (order[2] == 'k') CHECK(psum_load == 0);
  }
}

TEST_CASE("vector chunks share their traffic exactly", "[tiling]") {
  const auto steps = TileSequence::vector(10, 3, 1000, 7).all();
  REQUIRE(steps.size() == 4);
  uint64_t in = 0, out = 0;
  for (const auto& s : steps) {
    in += s.load_a_bits;
    out += s.store_bits;
  }
  CHECK(in == 1000);
  CHECK(out == 7);
  CHECK(steps[3].shape.m == 1);
  CHECK(steps[0].load_a_bits == 300);  // floor(1000*3/10)
}

TEST_CASE("convolution blocks: patches by hand, and every im2col element covered once per output-channel tile", "[tiling]") {
  // x [1, 2, 6, 6], w [4, 2, 3, 3], padding 1: P = Q = 6, C R S = 2 3 3.
  const Workload wl = load_workload_string(
      "name: c\ndtype: int8\ntensors:\n  x: {shape: [1, 2, 6, 6], role: input}\n  w: {shape: [4, 2, 3, 3], role: weight}\n"
      "  y: {shape: [1, 4, 6, 6], role: output}\nops:\n  - {name: c, kind: conv2d, inputs: [x, w], outputs: [y], padding: 1}\n",
      "c.yaml", WorkloadFormat::yaml);
  const LoweredOp w = wl.lower(0).at(0);
  REQUIRE(w.conv);
  CHECK(w.conv->m == std::array<int64_t, 3>{1, 6, 6});
  CHECK(w.conv->k == std::array<int64_t, 3>{2, 3, 3});
  // A 2x3 block of outputs over one channel and the whole kernel: its receptive field is 4 rows
  // x 5 columns inside the image, and 3 x 4 at the top-left corner (the padding is not read).
  ConvBlock b;
  b.m_ext = {1, 2, 3};
  b.k_ext = {1, 3, 3};
  b.m0 = {0, 2, 2};
  CHECK(w.conv->a_elements(b) == 20);
  b.m0 = {0, 0, 0};
  CHECK(w.conv->a_elements(b) == 12);
  b.m0 = {-1, 0, 0};  // sizing: the most any such block reads
  CHECK(w.conv->a_elements(b) == 20);
  // One kernel row of two channels: 2 channels x 2 rows x 5 columns, at most the im2col count.
  b.m0 = {0, 2, 2};
  b.k_ext = {2, 1, 3};
  CHECK(w.conv->a_elements(b) == 2 * 2 * 5);

  std::mt19937_64 g(3);
  auto uni = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(g); };
  for (int trial = 0; trial < 50; ++trial) {
    const std::array<int64_t, 3> mt{1, uni(1, 6), uni(1, 6)}, kt{uni(1, 2), uni(1, 3), uni(1, 3)};
    const int64_t nt = uni(1, 4);
    const char* order = std::array<const char*, 6>{"mnk", "mkn", "nmk", "nkm", "kmn", "knm"}[static_cast<size_t>(uni(0, 5))];
    const TileSequence s = TileSequence::conv(*w.conv, 4, mt, nt, kt, order, {8, 8, 32, 8});
    std::vector<int> seen(36 * 18 * 4, 0);
    uint64_t a_bits = 0;
    for (const auto& t : s.all()) {
      const auto rows = s.rows_of(t), cols = s.cols_of(t);
      REQUIRE(static_cast<int64_t>(rows.size()) == t.shape.m);
      REQUIRE(static_cast<int64_t>(cols.size()) == t.shape.k);
      for (int64_t r : rows)
        for (int64_t c : cols)
          for (int64_t n = t.n0; n < t.n0 + t.shape.n; ++n) ++seen[static_cast<size_t>((r * 18 + c) * 4 + n)];
      if (t.a_changed) CHECK(t.load_a_bits == w.conv->a_elements(t.block) * 8);
      a_bits += t.load_a_bits;
    }
    INFO(order << " m " << mt[1] << "x" << mt[2] << " k " << kt[0] << "x" << kt[1] << "x" << kt[2] << " n " << nt);
    CHECK(std::count(seen.begin(), seen.end(), 1) == static_cast<long>(seen.size()));
    CHECK(a_bits > 0);
  }
}

namespace {
AccLevel acc(int64_t m, int64_t n, bool n_outer = true) {
  AccLevel a;
  a.on = true;
  a.m = m;
  a.n = n;
  a.n_outer = n_outer;
  return a;
}
}  // namespace

TEST_CASE("accumulator level, k tiles in a row: partial sums wait in out's scratchpad between them", "[tiling][acc]") {
  // 4x4x4 in 4x4x2 tiles (two k tiles, k innermost), each run as two 2x4 accumulator tiles.
  // Tile k0: a (4x2 int8 = 64 bits) and b (2x4 = 64) load with its first call; each call's
  // 2x4 partial sums (256 bits at 32) leave the accumulator for out's scratchpad. Tile k1: the
  // same loads; each call brings its partial sums back (256) and drains final values (2x4 int8
  // = 64 bits) on their way to DRAM (64 each).
  const auto s = TileSequence::gemm({4, 4, 4}, {4, 4, 2}, "mnk", {8, 8, 32, 8}, {}, {}, acc(2, 0)).all();
  REQUIRE(s.size() == 4);
  const std::vector<uint64_t> a{64, 0, 64, 0}, fill{0, 0, 256, 256}, drain{256, 256, 64, 64}, store{0, 0, 64, 64};
  const std::vector<int64_t> m0{0, 2, 0, 2};
  for (size_t i = 0; i < 4; ++i) {
    INFO("step " << i);
    CHECK(s[i].shape == GemmShape{2, 4, 2});
    CHECK(s[i].m0 == m0[i]);
    CHECK(s[i].opens_tile == (i % 2 == 0));
    CHECK(s[i].closes_tile == (i % 2 == 1));
    CHECK(s[i].load_a_bits == a[i]);
    CHECK(s[i].load_b_bits == a[i]);
    CHECK(s[i].load_psum_bits == 0);
    CHECK(s[i].acc_fill_bits == fill[i]);
    CHECK(s[i].acc_drain_bits == drain[i]);
    CHECK(s[i].store_bits == store[i]);
    CHECK_FALSE(s[i].stores_psums);
    CHECK(s[i].accumulates == (i >= 2));
    CHECK(s[i].a_changed);
    CHECK(s[i].b_changed == (i % 2 == 0));  // n outer: the calls of a tile share its weights
  }
}

TEST_CASE("accumulator level, k outermost: partial sums go to DRAM from the accumulator", "[tiling][acc]") {
  // 4x4x4 in 2x4x2 tiles visited k, m (n has one tile): (k0 m0) (k0 m1) (k1 m0) (k1 m1), each
  // two 1x4 calls. At k0 each call's partial sums (1x4x32 = 128 bits) leave for DRAM (the next
  // tile is another output tile); at k1 they come back (128) and leave final (1x4x8 = 32)
  // through out's scratchpad.
  const auto s = TileSequence::gemm({4, 4, 4}, {2, 4, 2}, "kmn", {8, 8, 32, 8}, {}, {}, acc(1, 4)).all();
  REQUIRE(s.size() == 8);
  for (size_t i = 0; i < 8; ++i) {
    INFO("step " << i);
    const bool k1 = i >= 4;
    CHECK(s[i].shape == GemmShape{1, 4, 2});
    CHECK(s[i].load_a_bits == (i % 2 == 0 ? 2 * 2 * 8u : 0u));
    CHECK(s[i].load_b_bits == (i == 0 || i == 4 ? 2 * 4 * 8u : 0u));
    CHECK(s[i].load_psum_bits == (k1 ? 128u : 0u));
    CHECK(s[i].acc_fill_bits == 0);
    CHECK(s[i].store_bits == (k1 ? 32u : 128u));
    CHECK(s[i].stores_psums == !k1);
    CHECK(s[i].acc_drain_bits == (k1 ? 32u : 0u));
  }
  // Without the accumulator level the same tiles are one call each, with the same DRAM traffic.
  const TileSequence plain = TileSequence::gemm({4, 4, 4}, {2, 4, 2}, "kmn", {8, 8, 32, 8});
  CHECK(plain.size() == 4);
  CHECK(plain.dram_bits() == TileSequence::gemm({4, 4, 4}, {2, 4, 2}, "kmn", {8, 8, 32, 8}, {}, {}, acc(1, 4)).dram_bits());
}

TEST_CASE("accumulator level: random tilings cover every output once per k tile, in the loop order", "[tiling][acc]") {
  std::mt19937_64 g(7);
  auto uni = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(g); };
  const char* orders[] = {"mnk", "mkn", "nmk", "nkm", "kmn", "knm"};
  for (int trial = 0; trial < 300; ++trial) {
    const GemmShape full{uni(1, 30), uni(1, 30), uni(1, 30)};
    const GemmShape tile{uni(1, full.m), uni(1, full.n), uni(1, full.k)};
    const std::string order = orders[uni(0, 5)];
    const AccLevel a = acc(uni(0, tile.m), uni(0, tile.n), uni(0, 1) == 1);
    INFO(full.m << "x" << full.n << "x" << full.k << " tile " << tile.m << "x" << tile.n << "x" << tile.k << " " << order
                 << " acc " << a.m << "x" << a.n << (a.n_outer ? " nm" : " mn"));
    const TileSequence seq = TileSequence::gemm(full, tile, order, {8, 8, 32, 8}, {}, {}, a);
    const auto steps = seq.all();
    // Every (output, k) pair exactly once; an output's k ranges in increasing order.
    std::vector<int> seen(static_cast<size_t>(full.m * full.n * full.k), 0);
    std::vector<int64_t> next_k(static_cast<size_t>(full.m * full.n), 0);
    uint64_t psum_in = 0, psum_out = 0, finals = 0;
    size_t tiles = 0;
    for (size_t i = 0; i < steps.size(); ++i) {
      const TileStep& t = steps[i];
      tiles += t.opens_tile;
      CHECK(t.opens_tile == (i == 0 || steps[i - 1].closes_tile));
      for (int64_t r = t.m0; r < t.m0 + t.shape.m; ++r)
        for (int64_t c = t.n0; c < t.n0 + t.shape.n; ++c) {
          CHECK(next_k[static_cast<size_t>(r * full.n + c)] == t.k0);
          next_k[static_cast<size_t>(r * full.n + c)] = t.k0 + t.shape.k;
          for (int64_t k = t.k0; k < t.k0 + t.shape.k; ++k) ++seen[static_cast<size_t>((r * full.n + c) * full.k + k)];
        }
      psum_in += t.load_psum_bits + t.acc_fill_bits;
      if (t.stores_psums) psum_out += t.store_bits;
      else if (t.acc_drain_bits && t.k0 + t.shape.k < full.k) psum_out += t.acc_drain_bits;
      else finals += t.acc_drain_bits;
    }
    CHECK(std::count(seen.begin(), seen.end(), 1) == static_cast<long>(seen.size()));
    // Partial sums that leave come back, once each; every output drains once at its final width.
    CHECK(psum_in == psum_out);
    CHECK(finals == static_cast<uint64_t>(full.m * full.n) * 8);
    const int64_t scratchpad_tiles = ((full.m + tile.m - 1) / tile.m) * ((full.n + tile.n - 1) / tile.n) * ((full.k + tile.k - 1) / tile.k);
    CHECK(tiles == static_cast<size_t>(scratchpad_tiles));
    // DRAM traffic of a and b is the scratchpad tiles', whatever the accumulator tile.
    const auto plain = TileSequence::gemm(full, tile, order, {8, 8, 32, 8}).all();
    uint64_t a_bits = 0, b_bits = 0, pa = 0, pb = 0;
    for (const auto& t : steps) a_bits += t.load_a_bits, b_bits += t.load_b_bits;
    for (const auto& t : plain) pa += t.load_a_bits, pb += t.load_b_bits;
    CHECK(a_bits == pa);
    CHECK(b_bits == pb);
  }
}

TEST_CASE("convolution with different height and width padding (Inception's 1x7): shapes and patches", "[tiling]") {
  // x [1, 1, 5, 9], w [1, 1, 1, 7], padding 0 in height, 3 in width: P = 5, Q = 9 + 6 - 7 + 1 = 9.
  const Workload wl = load_workload_string(
      "name: c\ndtype: int8\ntensors:\n  x: {shape: [1, 1, 5, 9], role: input}\n  w: {shape: [1, 1, 1, 7], role: weight}\n"
      "  y: {shape: [1, 1, 5, 9], role: output}\nops:\n"
      "  - {name: c, kind: conv2d, inputs: [x, w], outputs: [y], padding: 0, padding_w: 3}\n",
      "c.yaml", WorkloadFormat::yaml);
  const LoweredOp w = wl.lower(0).at(0);
  REQUIRE(w.conv);
  // Output column 0 reads columns -3..3: 4 inside; row 0 reads row 0 only.
  CHECK(w.conv->cols(0, 1, 0, 7) == 4);
  CHECK(w.conv->rows(0, 1, 0, 1) == 1);
  CHECK(w.conv->cols(3, 3, 0, 7) == 9);  // columns 0..11 clipped to 0..8
  // The im2col patch of GEMM tiles against a brute-force count of the input pixels they read.
  for (int64_t m0 = 0; m0 < 45; m0 += 4)
    for (int64_t tm : {1, 3, 9, 13}) {
      if (m0 + tm > 45) continue;
      std::set<std::pair<int64_t, int64_t>> read;
      for (int64_t m = m0; m < m0 + tm; ++m)
        for (int64_t kx = 0; kx < 7; ++kx) {
          const int64_t oy = m / 9, ox = m % 9, ix = ox - 3 + kx;
          if (ix >= 0 && ix < 9) read.insert({oy, ix});
        }
      INFO("m0 " << m0 << " tm " << tm);
      // The tile's bounding box of rows x columns, as the model counts it, holds what it reads.
      const uint64_t counted = w.a_tile_elements(m0, tm, 0, 7);
      CHECK(counted >= read.size());
      CHECK(counted <= static_cast<uint64_t>(tm * 7));
      if (tm <= 9 && m0 / 9 == (m0 + tm - 1) / 9) CHECK(counted == read.size());  // one output row: exact
    }
}
