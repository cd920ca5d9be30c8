// The analytic evaluator (sim/evaluate) against the SystemC kernel on the same plans: for each
// built-in workload on a machine (default configs/arch/tpu_like.yaml), whole-plan evaluations
// per second (cold, and warm with tile costs cached, with and without the action/scratchpad
// tally), the kernel's wall time for the same plan (best of several runs), their ratio, and
// how far the analytic makespan lies from the kernel's, in one run. Not a timed test: numbers
// depend on the machine. docs/evaluate.md has a table of them.
//   bench_evaluate [arch.yaml] [min seconds per measurement, default 0.5]
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>

#include "sim/config/arch.h"
#include "sim/evaluate/evaluate.h"
#include "sim/kernel/kernel.h"
#include "sim/mapper/planner.h"
#include "sim/scheduler/placement.h"
#include "sim/workload/loader.h"

using namespace tessera;
using Clock = std::chrono::steady_clock;

namespace {

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Evaluations per second of the whole plan, repeated for at least `min_s` seconds: `cold`, a
// fresh evaluate_plan() each time (tile costs asked again); otherwise one Evaluator whose tile
// costs are cached from the first evaluation on, as a mapper or a sweep would keep it.
double evals_per_second(const Arch& arch, const Plan& plan, const EvalOptions& opt, bool cold, double min_s,
                        uint64_t& sink) {
  Evaluator ev(arch, opt);
  size_t n = 0;
  const auto t0 = Clock::now();
  double t = 0;
  do {
    for (int i = 0; i < 16; ++i, ++n) sink += cold ? evaluate_plan(arch, plan, opt).makespan : ev.plan(plan).makespan;
    t = since(t0);
  } while (t < min_s);
  return static_cast<double>(n) / t;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string arch_path = argc > 1 ? argv[1] : std::string(TESSERA_SOURCE_DIR) + "/configs/arch/tpu_like.yaml";
  const double min_s = argc > 2 ? std::atof(argv[2]) : 0.5;
  const Arch arch = load_arch(arch_path);
  fmt::print("evaluator vs kernel on {} (kernel: best of 5 runs at tile fidelity)\n", arch.name);
  fmt::print("{:<16} {:>5} {:>6} {:>9} {:>9} {:>9} {:>9} {:>7} {:>7} {:>11} {:>11} {:>7}\n", "workload", "items",
             "tiles", "cold/s", "warm/s", "lean/s", "kernel ms", "x cold", "x warm", "analytic", "kernel", "diff %");
  uint64_t sink = 0;
  for (const std::string& name : builtin_workloads()) {
    const Workload wl = load_workload(name);
    const Plan plan = build_plan(arch, wl, default_mapping(arch, wl));
    size_t tiles = 0;
    for (const auto& p : plan.ops) tiles += p.steps();
    double kernel_s = 1e30;
    uint64_t kernel_cycles = 0;
    for (int i = 0; i < 5; ++i) {
      const auto t0 = Clock::now();
      const auto r = run_kernel(arch, plan, Fidelity::Tile);
      kernel_s = std::min(kernel_s, since(t0));
      kernel_cycles = makespan(r);
    }
    const double cold = evals_per_second(arch, plan, EvalOptions{}, true, min_s, sink);
    const double warm = evals_per_second(arch, plan, EvalOptions{}, false, min_s, sink);
    const double lean = evals_per_second(arch, plan, EvalOptions{false}, false, min_s, sink);
    const uint64_t analytic = evaluate_plan(arch, plan).makespan;
    const double diff = 100.0 * (static_cast<double>(analytic) - static_cast<double>(kernel_cycles)) /
                        static_cast<double>(std::max<uint64_t>(1, kernel_cycles));
    fmt::print("{:<16} {:>5} {:>6} {:>9.0f} {:>9.0f} {:>9.0f} {:>9.3f} {:>7.0f} {:>7.0f} {:>11} {:>11} {:>+7.2f}\n",
               name, plan.ops.size(), tiles, cold, warm, lean, kernel_s * 1e3, kernel_s * cold, kernel_s * warm,
               analytic, kernel_cycles, diff);
  }
  fmt::print(
      "cold/s: evaluate_plan() per evaluation; warm/s: one Evaluator reused (tile costs cached); lean/s: warm,\n"
      "without the action/scratchpad tally. x cold, x warm: kernel wall time / evaluator wall time.\n"
      "analytic, kernel: makespan cycles; diff: (analytic - kernel) / kernel.\n");
  return sink == 42 ? 1 : 0;  // keeps the evaluations from being optimised away
}
