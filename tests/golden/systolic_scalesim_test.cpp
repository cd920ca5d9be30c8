// SCALE-Sim v2 compute cycles reproduced by `timing: scalesim`.
//
// Golden values: SCALE-Sim v2 itself (github scalesim-project/scale-sim-v2, commit
// 22f88b17f1dd3160e18bff5df165035bf8146e83), run through scalesim.scale_sim.scalesim with
// save_disk_space=True on configs like configs/scale.cfg but ArrayHeight x ArrayWidth = 4x4
// and 8x6, Dataflow os|ws|is, IfmapSramSzkB = FilterSramSzkB = OfmapSramSzkB = 1024,
// Bandwidth 10, InterfaceBandwidth CALC (no stall in any case). The number is column
// "Total Cycles" of COMPUTE_REPORT.csv (single_layer_sim.get_compute_report_items()[0]).
// GEMM rows come from a `-i gemm` topology (Layer, M, N, K); the conv rows from a conv
// topology, listed here as the GEMM SCALE-Sim lowers them to (M = ofmap pixels,
// N = filters, K = filter h * w * channels):
//   C0: ifmap 6x6, filter 3x3, 2 channels, 4 filters, stride 1 -> M=16 N=4 K=18
//   C1: ifmap 7x7, filter 3x3, 3 channels, 5 filters, stride 2 -> M=9  N=5 K=27
#include <catch2/catch.hpp>

#include <string>

#include "models/engine/i_engine.h"

using namespace tessera;

namespace {

struct Golden {
  int64_t rows, cols;
  const char* dataflow;
  int64_t m, n, k;
  uint64_t cycles;
};

constexpr Golden kGolden[] = {
    {4, 4, "os", 1, 1, 1, 6},
    {4, 4, "os", 3, 2, 5, 10},
    {4, 4, "os", 4, 4, 4, 9},
    {4, 4, "os", 5, 7, 3, 35},
    {4, 4, "os", 8, 8, 8, 55},
    {4, 4, "os", 9, 5, 13, 113},
    {4, 4, "os", 16, 3, 1, 27},
    {4, 4, "os", 2, 17, 9, 74},
    {4, 4, "os", 12, 10, 6, 107},
    {4, 4, "os", 7, 1, 20, 51},
    {4, 4, "ws", 1, 1, 1, 10},
    {4, 4, "ws", 3, 2, 5, 25},
    {4, 4, "ws", 4, 4, 4, 13},
    {4, 4, "ws", 5, 7, 3, 29},
    {4, 4, "ws", 8, 8, 8, 71},
    {4, 4, "ws", 9, 5, 13, 151},
    {4, 4, "ws", 16, 3, 1, 25},
    {4, 4, "ws", 2, 17, 9, 179},
    {4, 4, "ws", 12, 10, 6, 131},
    {4, 4, "ws", 7, 1, 20, 84},
    {4, 4, "is", 1, 1, 1, 10},
    {4, 4, "is", 3, 2, 5, 23},
    {4, 4, "is", 4, 4, 4, 13},
    {4, 4, "is", 5, 7, 3, 33},
    {4, 4, "is", 8, 8, 8, 71},
    {4, 4, "is", 9, 5, 13, 179},
    {4, 4, "is", 16, 3, 1, 51},
    {4, 4, "is", 2, 17, 9, 80},
    {4, 4, "is", 12, 10, 6, 119},
    {4, 4, "is", 7, 1, 20, 109},
    {8, 6, "os", 1, 1, 1, 12},
    {8, 6, "os", 3, 2, 5, 16},
    {8, 6, "os", 4, 4, 4, 15},
    {8, 6, "os", 5, 7, 3, 29},
    {8, 6, "os", 8, 8, 8, 39},
    {8, 6, "os", 9, 5, 13, 49},
    {8, 6, "os", 16, 3, 1, 25},
    {8, 6, "os", 2, 17, 9, 62},
    {8, 6, "os", 12, 10, 6, 71},
    {8, 6, "os", 7, 1, 20, 31},
    {8, 6, "ws", 1, 1, 1, 20},
    {8, 6, "ws", 3, 2, 5, 22},
    {8, 6, "ws", 4, 4, 4, 23},
    {8, 6, "ws", 5, 7, 3, 49},
    {8, 6, "ws", 8, 8, 8, 55},
    {8, 6, "ws", 9, 5, 13, 57},
    {8, 6, "ws", 16, 3, 1, 35},
    {8, 6, "ws", 2, 17, 9, 131},
    {8, 6, "ws", 12, 10, 6, 63},
    {8, 6, "ws", 7, 1, 20, 80},
    {8, 6, "is", 1, 1, 1, 20},
    {8, 6, "is", 3, 2, 5, 21},
    {8, 6, "is", 4, 4, 4, 23},
    {8, 6, "is", 5, 7, 3, 26},
    {8, 6, "is", 8, 8, 8, 55},
    {8, 6, "is", 9, 5, 13, 99},
    {8, 6, "is", 16, 3, 1, 68},
    {8, 6, "is", 2, 17, 9, 73},
    {8, 6, "is", 12, 10, 6, 59},
    {8, 6, "is", 7, 1, 20, 125},
    {4, 4, "os", 16, 4, 18, 95},
    {4, 4, "os", 9, 5, 27, 197},
    {4, 4, "ws", 16, 4, 18, 129},
    {4, 4, "ws", 9, 5, 27, 265},
    {4, 4, "is", 16, 4, 18, 279},
    {4, 4, "is", 9, 5, 27, 314},
    {8, 6, "os", 16, 4, 18, 59},
    {8, 6, "os", 9, 5, 27, 77},
    {8, 6, "ws", 16, 4, 18, 107},
    {8, 6, "ws", 9, 5, 27, 115},
    {8, 6, "is", 16, 4, 18, 215},
    {8, 6, "is", 9, 5, 27, 199},
};

std::unique_ptr<IEngine> make(int64_t rows, int64_t cols, const std::string& dataflow) {
  const auto* e = EngineRegistry::instance().find("systolic");
  REQUIRE(e != nullptr);
  ParamValues p = default_params(e->params);
  p.set("rows", rows);
  p.set("cols", cols);
  p.set("dataflow", dataflow);
  p.set("timing", std::string("scalesim"));
  return e->make(p);
}

}  // namespace

TEST_CASE("timing: scalesim matches SCALE-Sim v2 compute cycles", "[systolic][scalesim]") {
  for (const auto& g : kGolden) {
    auto eng = make(g.rows, g.cols, g.dataflow);
    TileRequest req;
    req.gemm = {g.m, g.n, g.k};
    INFO(g.dataflow << " " << g.rows << "x" << g.cols << " M" << g.m << " N" << g.n << " K" << g.k);
    const TileCost c = eng->cost(req);
    CHECK(c.cycles.total() == g.cycles);
    CHECK(c == eng->simulate_pe(req, nullptr, nullptr, nullptr));
  }
}

TEST_CASE("timing: scalesim changes cycles only", "[systolic][scalesim]") {
  auto ss = make(4, 4, "ws");
  const auto* e = EngineRegistry::instance().find("systolic");
  ParamValues p = default_params(e->params);
  p.set("rows", int64_t{4});
  p.set("cols", int64_t{4});
  auto native = e->make(p);
  TileRequest req;
  req.gemm = {12, 10, 6};
  const TileCost a = ss->cost(req), b = native->cost(req);
  CHECK(a.actions == b.actions);
  CHECK(a.traffic == b.traffic);
  CHECK(a.cycles.total() != b.cycles.total());
}
