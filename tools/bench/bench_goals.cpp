// The machine-model goals, measured in one run: ResNet-50's DRAM traffic against its
// compulsory bytes and its latency; LLaMA-7B decode against its bytes over the DRAM bandwidth;
// two equal independent GEMM branches on two arrays against the same on one; tile, pe and rtl
// cycles of cnn3 in every dataflow; and the wall time of every built-in network. Run from the
// source tree (or pass it as the first argument).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <string>

#include "sim/config/arch.h"
#include "sim/kernel/kernel.h"
#include "sim/mapper/planner.h"
#include "sim/report/report.h"
#include "sim/scheduler/placement.h"
#include "sim/workload/loader.h"

using namespace tessera;

namespace {

std::string src;

RunSummary simulate(const Arch& arch, const Workload& wl, const Mapping& m, Fidelity fid = Fidelity::Tile) {
  return summarize(arch, wl, run_kernel(arch, build_plan(arch, wl, m), fid), fid);
}

// Weights and graph inputs read once, graph outputs written once.
uint64_t compulsory_bytes(const Workload& wl) {
  uint64_t bits = 0;
  for (const auto& t : wl.tensors())
    if (t.role != TensorRole::activation) bits += t.bits();
  return bits / 8;
}

double wall_of(const std::string& arch_path, const std::string& wl_name) {
  double best = 1e9;
  for (int i = 0; i < 3; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    const Arch arch = load_arch(arch_path);
    const Workload wl = load_workload(wl_name);
    simulate(arch, wl, default_mapping(arch, wl));
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  src = argc > 1 ? argv[1] : TESSERA_SOURCE_DIR;
  const std::string tpu = src + "/configs/arch/tpu_like.yaml";
  const Arch arch = load_arch(tpu);

  {
    const Workload wl = load_workload("resnet50");
    const RunSummary s = simulate(arch, wl, default_mapping(arch, wl));
    const uint64_t dram = s.dram_read_bytes + s.dram_write_bytes, need = compulsory_bytes(wl);
    fmt::print("ResNet-50 on tpu_like\n  DRAM {:.2f} MB / compulsory {:.2f} MB = {:.3f}x   (goal <= 1.10x)\n"
               "  latency {:.3f} ms   (goal <= 1.5 ms)\n",
               dram / 1e6, need / 1e6, static_cast<double>(dram) / static_cast<double>(need), s.seconds * 1e3);
  }
  {
    const Workload wl = load_workload("llama7b_decode");
    const RunSummary s = simulate(arch, wl, default_mapping(arch, wl));
    const double bytes_ms = static_cast<double>(compulsory_bytes(wl)) / (arch.dram->bandwidth_gbps() * 1e9) * 1e3;
    fmt::print("LLaMA-7B decode on tpu_like\n  latency {:.3f} ms, compulsory bytes / bandwidth {:.3f} ms: {:+.1f}%   "
               "(goal within 5%)\n",
               s.seconds * 1e3, bytes_ms, 100 * (s.seconds * 1e3 / bytes_ms - 1));
  }
  {
    // tpu_like with a second MXU; two branches of x [2048, 2048] times their own 2048 x 2048
    // (compute-bound on one array: 2048^3 MACs take 524k cycles, its 12 MB 259k at 34 GB/s).
    const Arch twin = load_arch_string(R"(name: twin_mxu
clock_ghz: 0.7
engines:
  - {name: mxu0, type: systolic, rows: 128, cols: 128, dataflow: ws}
  - {name: mxu1, type: systolic, rows: 128, cols: 128, dataflow: ws}
memory:
  scratchpads:
    - {name: unified_buffer, size_kb: 8192, banks: 16, width_bits: 256, ports: 2, holds: [a, out]}
    - {name: weight_buffer, size_kb: 4096, banks: 8, width_bits: 256, ports: 2, holds: [b]}
  dram: {technology: ddr4, bandwidth_gbps: 34, latency_ns: 100}
  dma: {channels: 2, setup_cycles: 16}
)", "twin.yaml");
    const Workload wl = load_workload_string(R"(name: branches
tensors:
  x: {shape: [2048, 2048], role: input}
  w1: {shape: [2048, 2048], role: weight}
  w2: {shape: [2048, 2048], role: weight}
  y1: {shape: [2048, 2048], role: output}
  y2: {shape: [2048, 2048], role: output}
ops:
  - {name: b1, kind: gemm, inputs: [x, w1], outputs: [y1]}
  - {name: b2, kind: gemm, inputs: [x, w2], outputs: [y2]}
)", "branches.yaml", WorkloadFormat::yaml);
    const Mapping both = default_mapping(twin, wl);
    Mapping one = both;
    for (auto& o : one.ops) o.engine = "mxu0";
    const RunSummary c = simulate(twin, wl, both), q = simulate(twin, wl, one);
    fmt::print("Two equal GEMM branches (2048x2048x2048 each) on two 128x128 arrays\n"
               "  engines {} and {}: {} cycles; both on mxu0: {} cycles; ratio {:.3f}   (goal <= 0.75)\n",
               both.ops[0].engine, both.ops[1].engine, c.total_cycles, q.total_cycles,
               static_cast<double>(c.total_cycles) / static_cast<double>(q.total_cycles));
  }
  {
    fmt::print("cnn3 on tests/data/cosim_8x8.yaml, total cycles at tile / pe / rtl\n");
    const Workload wl = load_workload(src + "/tests/data/cnn3.yaml");
    for (const char* df : {"os", "ws", "is"}) {
      const Arch a = load_arch(src + "/tests/data/cosim_8x8.yaml", {std::string("engines.0.dataflow=") + df});
      const Mapping m = default_mapping(a, wl);
      const uint64_t t = simulate(a, wl, m, Fidelity::Tile).total_cycles;
      const uint64_t p = simulate(a, wl, m, Fidelity::Pe).total_cycles;
      const uint64_t r = simulate(a, wl, m, Fidelity::Rtl).total_cycles;
      fmt::print("  {}  {} / {} / {}   {}\n", df, t, p, r, t == p && p == r ? "identical" : "DIFFER");
    }
  }
  fmt::print("Wall time on tpu_like, load to summary, best of 3   (goal < 0.5 s; ResNet-50 < 0.1 s)\n");
  for (const auto& w : builtin_workloads()) fmt::print("  {:<18} {:.3f} s\n", w, wall_of(tpu, w));
  return 0;
}
