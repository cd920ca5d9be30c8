// Tile sequences and their DRAM traffic, worked by hand, and invariants over random shapes.
#include <catch2/catch.hpp>

#include <random>

#include "sim/plan/plan.h"

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
