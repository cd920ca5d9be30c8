// The tensor core's MMA pipeline (models/engine/mma_pipeline.h): the closed form against the
// per-cycle model over many shapes, and hand-derived cases.
#include "models/engine/mma_pipeline.h"

#include <catch2/catch.hpp>
#include <random>

using namespace tessera;

TEST_CASE("mma pipeline by hand: latency-bound and throughput-bound", "[tensor_core]") {
  const MmaPipe a100{8, 32};  // an issue every 8 cycles; 32 cycles to the result
  // One warp, one chain of 100 dependent MMAs: each waits for the previous result.
  CHECK(mma_pipe_cycles(a100, 1, 100) == 3200);
  // Four chains fill the 32-cycle latency exactly: an issue every 8 cycles from then on.
  CHECK(mma_pipe_cycles(a100, 4, 100) == 399 * 8 + 32);
  // Two chains: rounds of 32 cycles, the second chain 8 cycles behind the first.
  CHECK(mma_pipe_cycles(a100, 2, 10) == 9 * 32 + 8 + 32);
  // Six chains: throughput-bound, 60 issues 8 cycles apart.
  CHECK(mma_pipe_cycles(a100, 6, 10) == 59 * 8 + 32);
  CHECK(mma_pipe_cycles(a100, 3, 0) == 0);
  CHECK_THROWS(mma_pipe_cycles(a100, 0, 1));
}

TEST_CASE("mma pipeline: closed form == per-cycle model", "[tensor_core]") {
  std::mt19937_64 rng(3);
  std::uniform_int_distribution<int64_t> iv(1, 16), lat(1, 64), ch(1, 24), len(0, 40);
  for (int i = 0; i < 3000; ++i) {
    const MmaPipe p{iv(rng), lat(rng)};
    const int64_t c = ch(rng), l = len(rng);
    INFO("interval " << p.interval << " latency " << p.latency << " chains " << c << " length " << l);
    CHECK(mma_pipe_cycles(p, c, l) == mma_pipe_simulate(p, c, l));
  }
}
