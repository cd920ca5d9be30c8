// Speed of the three views of the systolic array on the same tiles, in one run: the Verilated
// RTL clocked from a SystemC thread (one wait per clock cycle, as `--fidelity rtl` runs it),
// the per-cycle PE model (simulate_pe with data) and the closed form (cost). Prints simulated
// array cycles per wall-clock second for each, per case and overall, and checks that the three
// agree on every cost. Not a timed test: numbers depend on the machine.
#define SC_INCLUDE_DYNAMIC_PROCESSES
#include <systemc>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>

#include "models/engine/i_engine.h"
#include "sim/cosim/compare.h"
#include "sim/cosim/rtl_engine.h"

using namespace tessera;

namespace {

struct Case {
  const char* name;
  int64_t m, n, k;
};

constexpr Case kCases[] = {
    {"gemm 64^3", 64, 64, 64},
    {"conv3x3 8->32 @14x14", 196, 32, 72},
    {"fc 48->128 x32", 32, 128, 48},
};

ParamValues params(int64_t side) {
  const auto* e = EngineRegistry::instance().find("systolic");
  ParamValues p = default_params(e->params);
  p.set("rows", side);
  p.set("cols", side);
  return p;
}

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// The RTL run inside a SystemC thread, simulated time advancing one cycle per RTL clock.
TileCost rtl_in_systemc(const IRtlEngine& rtl, const TileRequest& req, const IntMatrix& a, const IntMatrix& b,
                        IntMatrix& out) {
  TileCost cost;
  sc_core::sc_spawn([&] {
    cost = rtl.run_tile(req, &a, &b, &out, [] { sc_core::wait(1, sc_core::SC_NS); });
  });
  sc_core::sc_start();
  return cost;
}

}  // namespace

int main() {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  std::printf("%-7s %-22s %-3s %9s %14s %14s %14s\n", "array", "tile", "df", "cycles", "rtl+sc cyc/s",
              "pe cyc/s", "closed cyc/s");
  double rtl_s = 0, pe_s = 0, closed_s = 0, cycles_total = 0;
  int mismatches = 0;
  std::mt19937_64 rng(1);
  for (int64_t side : {8, 16}) {
    const ParamValues p = params(side);
    const auto model = EngineRegistry::instance().find("systolic")->make(p);
    const auto rtl = make_rtl_engine("systolic", p);
    for (const auto& c : kCases) {
      for (const char* df : {"os", "ws", "is"}) {
        TileRequest req;
        req.gemm = {c.m, c.n, c.k};
        req.dataflow = df;
        const IntMatrix a = random_operands(c.m, c.k, 8, rng), b = random_operands(c.k, c.n, 8, rng);
        IntMatrix rtl_out, pe_out;

        auto t0 = Clock::now();
        const TileCost r = rtl_in_systemc(*rtl, req, a, b, rtl_out);
        const double rs = seconds_since(t0);

        t0 = Clock::now();
        const TileCost pe = model->simulate_pe(req, &a, &b, &pe_out);
        const double ps = seconds_since(t0);

        // The closed form takes well under a microsecond: time many calls.
        const int reps = 20000;
        TileCost closed;
        t0 = Clock::now();
        for (int i = 0; i < reps; ++i) closed = model->cost(req);
        const double cs = seconds_since(t0) / reps;

        if (!(r == pe) || !(r == closed) || !(rtl_out == pe_out)) ++mismatches;
        const double cyc = static_cast<double>(r.cycles.total());
        std::printf("%3lldx%-3lld %-22s %-3s %9.0f %14.3g %14.3g %14.3g\n", static_cast<long long>(side),
                    static_cast<long long>(side), c.name, df, cyc, cyc / rs, cyc / ps, cyc / cs);
        rtl_s += rs;
        pe_s += ps;
        closed_s += cs;
        cycles_total += cyc;
      }
    }
  }
  std::printf("\noverall: rtl+systemc %.3g cycles/s, pe model %.3g cycles/s (%.0fx the RTL), closed form %.3g "
              "cycles/s (%.3gx the RTL)\n",
              cycles_total / rtl_s, cycles_total / pe_s, rtl_s / pe_s, cycles_total / closed_s, rtl_s / closed_s);
  std::printf("costs and outputs equal on every case: %s\n", mismatches ? "NO" : "yes");
  return mismatches ? 1 : 0;
}
