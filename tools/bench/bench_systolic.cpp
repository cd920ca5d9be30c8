// Speed of the systolic engine's per-cycle PE model against its closed form on a fixed set of
// GEMMs (ResNet-like convolutions lowered to GEMM, small enough for the PE model), all
// dataflows, 16x16 and 128x128 arrays. Prints one row per case and the overall ratio; it also
// checks that both give the same cost. Not a timed test: numbers depend on the machine.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "models/engine/i_engine.h"

using namespace tessera;

namespace {

struct Case {
  const char* name;
  int64_t m, n, k;
};

// name: layer (output pixels M, output channels N, reduction K = kh*kw*in_channels)
constexpr Case kCases[] = {
    {"conv3x3 64->64 @14x14", 196, 64, 576},
    {"conv1x1 256->64 @14x14", 196, 64, 256},
    {"conv3x3 128->128 @7x7", 49, 128, 1152},
    {"fc 512->1000", 1, 1000, 512},
    {"gemm 256^3", 256, 256, 256},
};

std::unique_ptr<IEngine> make(int64_t side) {
  const auto* e = EngineRegistry::instance().find("systolic");
  ParamValues p = default_params(e->params);
  p.set("rows", side);
  p.set("cols", side);
  return e->make(p);
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main() {
  std::printf("%-8s %-24s %-3s %12s %12s %12s %10s\n", "array", "gemm", "df", "cycles", "pe_model_s",
              "closed_s", "ratio");
  double pe_total = 0, closed_total = 0;
  int mismatches = 0;
  for (int64_t side : {16, 128}) {
    auto eng = make(side);
    for (const auto& c : kCases) {
      for (const char* df : {"os", "ws", "is"}) {
        TileRequest req;
        req.gemm = {c.m, c.n, c.k};
        req.dataflow = df;
        auto t0 = std::chrono::steady_clock::now();
        const TileCost pe = eng->simulate_pe(req, nullptr, nullptr, nullptr);
        const double pe_s = seconds_since(t0);
        // The closed form takes well under a microsecond: time many calls.
        constexpr int kReps = 100000;
        uint64_t sink = 0;
        t0 = std::chrono::steady_clock::now();
        for (int i = 0; i < kReps; ++i) sink += eng->cost(req).cycles.total();
        const double closed_s = seconds_since(t0) / kReps;
        const TileCost closed = eng->cost(req);
        if (!(closed == pe) || sink != kReps * closed.cycles.total()) ++mismatches;
        pe_total += pe_s;
        closed_total += closed_s;
        std::printf("%4lldx%-3lld %-24s %-3s %12llu %12.4f %12.2e %10.3g\n", static_cast<long long>(side),
                    static_cast<long long>(side), c.name, df, static_cast<unsigned long long>(pe.cycles.total()),
                    pe_s, closed_s, pe_s / closed_s);
      }
    }
  }
  std::printf("total: PE model %.3f s, closed form %.3e s, ratio %.3g; mismatches %d\n", pe_total, closed_total,
              pe_total / closed_total, mismatches);
  return mismatches == 0 ? 0 : 1;
}
