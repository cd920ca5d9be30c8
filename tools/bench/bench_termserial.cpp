// Speed of the term-serial engine's views on the same tiles, in one run: the per-cycle model
// (simulate_pe), the closed form given the data (cost with the operands attached) and the
// expectation from histograms (cost with the operands' histograms only). Prints the wall time
// of each per tile, the ratios against the closed form, and how far the expectation is from
// the exact cycles on that data. Checks that the per-cycle model and the closed form agree.
// Not a timed test: numbers depend on the machine.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>

#include "models/engine/i_engine.h"

using namespace tessera;

namespace {

struct Case {
  const char* name;
  int64_t m, n, k;
  const char* serial;
};

constexpr Case kCases[] = {
    {"gemm 64x64x256, activations", 64, 64, 256, "activations"},
    {"conv3x3 32->64 @14x14, activations", 196, 64, 288, "activations"},
    {"gemm 64x64x256, both", 64, 64, 256, "both"},
};

// Post-ReLU-like activations (half zeros, the rest a folded Gaussian) and Gaussian weights,
// int8.
IntMatrix values(std::mt19937_64& rng, int64_t rows, int64_t cols, bool relu) {
  std::normal_distribution<double> g(0.0, 24.0);
  IntMatrix x(rows, cols);
  for (auto& e : x.v) {
    const double v = g(rng);
    e = std::max<int64_t>(-128, std::min<int64_t>(127, std::llround(relu ? std::max(0.0, v) : v)));
  }
  return x;
}

template <class F>
double seconds(int reps, F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < reps; ++i) f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / reps;
}

}  // namespace

int main() {
  std::mt19937_64 rng(1);
  std::printf("%-38s %12s %12s %12s %9s %9s %10s\n", "case (16x16 SIPs, 16 lanes, booth)", "per-cycle s",
              "closed s", "expected s", "pe/closed", "exp/closed", "exp cycles");
  for (const Case& c : kCases) {
    const auto* reg = EngineRegistry::instance().find("termserial");
    ParamValues p = default_params(reg->params);
    p.set("serial", std::string(c.serial));
    const auto e = reg->make(p);
    TileRequest req;
    req.gemm = {c.m, c.n, c.k};
    const IntMatrix a = values(rng, c.m, c.k, true), b = values(rng, c.k, c.n, false);
    const TypedMatrix ta = to_typed(a, NumFormat::of(req.a_type)), tb = to_typed(b, NumFormat::of(req.b_type));
    const OperandStats with_data = stats_of(ta, tb), histograms = stats_of(ta, tb, false);
    IntMatrix out;
    TileCost pe, closed, expected;
    const double t_pe = seconds(2, [&] { pe = e->simulate_pe(req, &a, &b, &out); });
    const double t_closed = seconds(20, [&] { closed = e->cost(req, with_data); });
    const double t_exp = seconds(20, [&] { expected = e->cost(req, histograms); });
    if (!(pe == closed)) {
      std::fprintf(stderr, "%s: per-cycle model and closed form disagree\n", c.name);
      return 1;
    }
    const double exact = static_cast<double>(closed.cycles.total());
    std::printf("%-38s %12.3e %12.3e %12.3e %8.0fx %8.2fx %+9.1f%%\n", c.name, t_pe, t_closed, t_exp,
                t_pe / t_closed, t_exp / t_closed, 100.0 * (static_cast<double>(expected.cycles.total()) - exact) / exact);
  }
  return 0;
}
