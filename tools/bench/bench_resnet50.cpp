// ResNet-50 (batch 1, int8) on the bundled 128x128 TPU-like machine at tile fidelity: wall time
// of each stage, best of several runs, and simulated cycles per wall second. Goal: < 1 s.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "sim/config/arch.h"
#include "sim/kernel/kernel.h"
#include "sim/mapper/planner.h"
#include "sim/scheduler/placement.h"
#include "sim/report/report.h"
#include "sim/workload/loader.h"

using namespace tessera;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  const std::string arch_path = argc > 1 ? argv[1] : std::string(TESSERA_SOURCE_DIR) + "/configs/arch/tpu_like.yaml";
  const std::string wl_name = argc > 2 ? argv[2] : "resnet50";
  const int runs = 5;
  double best[5] = {1e9, 1e9, 1e9, 1e9, 1e9};
  uint64_t cycles = 0;
  size_t tiles = 0;
  for (int i = 0; i < runs; ++i) {
    const auto t0 = Clock::now();
    const Arch arch = load_arch(arch_path);
    const Workload wl = load_workload(wl_name);
    const auto t1 = Clock::now();
    const Mapping m = default_mapping(arch, wl);
    const auto plans = build_plan(arch, wl, m);
    const auto t2 = Clock::now();
    const auto results = run_kernel(arch, plans, Fidelity::Tile);
    const auto t3 = Clock::now();
    const RunSummary s = summarize(arch, wl, results, Fidelity::Tile);
    const auto t4 = Clock::now();
    cycles = s.total_cycles;
    tiles = 0;
    for (const auto& r : results) tiles += r.tiles;
    const double d[5] = {std::chrono::duration<double>(t1 - t0).count(), std::chrono::duration<double>(t2 - t1).count(),
                         std::chrono::duration<double>(t3 - t2).count(), std::chrono::duration<double>(t4 - t3).count(),
                         std::chrono::duration<double>(t4 - t0).count()};
    for (int k = 0; k < 5; ++k) best[k] = std::min(best[k], d[k]);
  }
  fmt::print("{} on {} at tile fidelity, best of {} runs\n", wl_name, arch_path, runs);
  fmt::print("  load arch+workload  {:8.4f} s\n  map + plan          {:8.4f} s\n  SystemC kernel      {:8.4f} s ({} tiles)\n"
             "  price + summarize   {:8.4f} s\n  total               {:8.4f} s   (goal < 1 s)\n",
             best[0], best[1], best[2], tiles, best[3], best[4]);
  fmt::print("  simulated {} cycles: {:.3g} simulated cycles per wall second, {:.3g} tiles/s in the kernel\n", cycles,
             static_cast<double>(cycles) / best[4], static_cast<double>(tiles) / best[2]);
  return 0;
}
