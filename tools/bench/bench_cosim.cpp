// Speed of the three views of every engine that has RTL, on the same tiles, in one run: the
// Verilated RTL clocked from a SystemC thread (one wait per clock cycle, as `--fidelity rtl`
// runs it), the per-cycle PE model (simulate_pe with data) and the closed form (cost). Prints
// simulated engine cycles per wall-clock second for each, per case and per engine, and checks
// that the three agree on every cost and that RTL and PE model agree on the outputs. The
// configurations are linked-in RTL builds (rtl/src/*/rtl.cmake), so nothing is verilated on the
// way. Not a timed test: numbers depend on the machine.
#define SC_INCLUDE_DYNAMIC_PROCESSES
#include <systemc>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

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

struct Machine {
  const char* type;
  std::vector<std::pair<const char*, const char*>> params;  // over the type's defaults
  const char* label;
};

// One linked build per engine and arithmetic.
const std::vector<Machine>& machines() {
  static const std::vector<Machine> m = {
      {"systolic", {{"rows", "8"}, {"cols", "8"}}, "systolic 8x8"},
      {"systolic", {{"rows", "16"}, {"cols", "16"}}, "systolic 16x16"},
      {"systolic", {{"rows", "8"}, {"cols", "8"}, {"mac", "bitweight"}}, "systolic 8x8 bitweight"},
      {"mactree", {{"lanes", "4"}, {"width", "4"}}, "mactree 4x4"},
      {"mactree", {{"lanes", "4"}, {"width", "4"}, {"mac", "bitweight"}}, "mactree 4x4 bitweight"},
      {"bitserial", {{"rows", "8"}, {"cols", "8"}, {"lanes", "8"}, {"bits_per_step", "2"}}, "bitserial 8x8x8 b2"},
      {"bitserial", {{"rows", "3"}, {"cols", "4"}, {"lanes", "4"}, {"bits_per_step", "1"}}, "bitserial 3x4x4 b1"},
      {"termserial", {{"rows", "5"}, {"cols", "6"}, {"lanes", "8"}}, "termserial 5x6x8"},
      {"termserial", {{"rows", "3"}, {"cols", "4"}, {"lanes", "4"}, {"encoding", "booth"}}, "termserial 3x4x4 booth"},
      {"lut", {{"rows", "2"}, {"cols", "4"}, {"act", "int8"}}, "lut 2x4x4 int8"},
  };
  return m;
}

ParamValues params(const Machine& mc) {
  const auto* e = EngineRegistry::instance().find(mc.type);
  ParamValues p = default_params(e->params);
  for (const auto& [k, v] : mc.params)
    for (const ParamDecl& d : e->params)
      if (d.name == k) p.set(k, parse_param(d, v, SourceLoc{}, k));
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
  std::printf("%-24s %-22s %-3s %9s %14s %14s %14s\n", "engine", "tile", "df", "cycles", "rtl+sc cyc/s",
              "pe cyc/s", "closed cyc/s");
  double rtl_all = 0, pe_all = 0, closed_all = 0;
  int mismatches = 0;
  std::mt19937_64 rng(1);
  for (const Machine& mc : machines()) {
    const ParamValues p = params(mc);
    const auto model = EngineRegistry::instance().find(mc.type)->make(p);
    const auto rtl = make_rtl_engine(mc.type, p);
    const EngineCapabilities caps = model->capabilities();
    // The widest integer operands the engine reads, at most 8 bits (the LUT: int4 weights).
    auto widest = [](const std::vector<DType>& v) {
      DType dt = v.front();
      for (DType t : v)
        if (dtype_is_int(t) && dtype_bits(t) <= 8 && dtype_bits(t) > dtype_bits(dt)) dt = t;
      return dt;
    };
    const DType at = widest(caps.a_types), bt = widest(caps.b_types);
    double rtl_s = 0, pe_s = 0, closed_s = 0, cycles = 0;
    for (const auto& c : kCases) {
      for (const std::string& df : caps.dataflows) {
        TileRequest req;
        req.gemm = {c.m, c.n, c.k};
        req.dataflow = df;
        req.a_type = at;
        req.b_type = bt;
        const IntMatrix a = random_operands(c.m, c.k, dtype_bits(at), rng);
        const IntMatrix b = random_operands(c.k, c.n, dtype_bits(bt), rng);
        IntMatrix rtl_out, pe_out;

        auto t0 = Clock::now();
        const TileCost r = rtl_in_systemc(*rtl, req, a, b, rtl_out);
        const double rs = seconds_since(t0);

        t0 = Clock::now();
        const TileCost pe = model->simulate_pe(req, &a, &b, &pe_out);
        const double ps = seconds_since(t0);

        // The closed form takes about a microsecond: time many calls. (Data-timed engines' cost()
        // is their expectation over uniform values, so only the data-given costs are compared.)
        const int reps = 2000;
        TileCost closed;
        t0 = Clock::now();
        for (int i = 0; i < reps; ++i) closed = model->cost(req);
        const double cs = seconds_since(t0) / reps;

        const bool shape_timed = caps.timing == TimingDependence::Shape;
        if (!(r == pe) || (shape_timed && !(r == closed)) || !(rtl_out == pe_out)) ++mismatches;
        const double cyc = static_cast<double>(r.cycles.total());
        std::printf("%-24s %-22s %-3s %9.0f %14.3g %14.3g %14.3g\n", mc.label, c.name, df.c_str(), cyc, cyc / rs,
                    cyc / ps, static_cast<double>(closed.cycles.total()) / cs);
        rtl_s += rs;
        pe_s += ps;
        closed_s += cs;
        cycles += cyc;
      }
    }
    std::printf("  %s: rtl+systemc %.3g cycles/s, pe model %.0fx the RTL, closed form %.3gx the RTL\n", mc.label,
                cycles / rtl_s, rtl_s / pe_s, rtl_s / closed_s);
    rtl_all += rtl_s;
    pe_all += pe_s;
    closed_all += closed_s;
  }
  std::printf("\noverall wall time: rtl+systemc %.2f s, pe model %.3f s (%.0fx faster), closed form %.5f s "
              "(%.3gx faster)\n",
              rtl_all, pe_all, rtl_all / pe_all, closed_all, rtl_all / closed_all);
  std::printf("costs and outputs equal on every case: %s\n", mismatches ? "NO" : "yes");
  return mismatches ? 1 : 0;
}
