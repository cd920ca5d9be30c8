#pragma once
// Random layers and machines for the mapper tests (tests/unit/mapper_test.cpp, small; and
// tests/slow/mapper_exhaustive_test.cpp, large): the ILP against exhaustive search.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <array>
#include <random>
#include <string>

#include "sim/config/arch.h"
#include "sim/mapper/search.h"
#include "sim/scheduler/placement.h"
#include "sim/workload/loader.h"

namespace tessera::test {

// `acc_kb` > 0: with an accumulator of that size (partial sums apart from the outputs).
inline std::string machine(int rows, int cols, const std::string& df, int act_kb, int w_kb, double gbps, int acc_kb = 0) {
  const std::string acc = acc_kb ? fmt::format("    - {{name: acc, size_kb: {}, banks: 2, width_bits: 64, ports: 2, holds: [psum]}}\n", acc_kb) : "";
  return fmt::format(R"(name: m
clock_ghz: 1.0
tech: {}/configs/tech/45nm.yaml
engines:
  - {{name: array, type: systolic, rows: {}, cols: {}, in_bits: 8, acc_bits: 32, dataflow: {}}}
  - {{name: vec, type: vector, lanes: 8}}
memory:
  scratchpads:
    - {{name: act, size_kb: {}, banks: 4, width_bits: 64, ports: 2, holds: [a, out]}}
    - {{name: wgt, size_kb: {}, banks: 2, width_bits: 64, ports: 2, holds: [b]}}
{}  dram: {{technology: lpddr4, bandwidth_gbps: {}, latency_ns: 100}}
  dma: {{channels: 2, setup_cycles: 8}}
)",
                     TESSERA_SOURCE_DIR, rows, cols, df, act_kb, w_kb, acc, gbps);
}

inline std::string gemm_workload(int64_t m, int64_t n, int64_t k) {
  return fmt::format(R"(name: g
dtype: int8
tensors:
  x: {{shape: [{}, {}], role: input}}
  w: {{shape: [{}, {}], role: weight}}
  y: {{shape: [{}, {}], role: output}}
ops:
  - {{name: g, kind: gemm, inputs: [x, w], outputs: [y]}}
)",
                     m, k, k, n, m, n);
}

inline std::string conv_workload(int64_t c, int64_t hw, int64_t cout, int64_t r, int64_t stride, int64_t pad, int64_t groups) {
  const int64_t ho = (hw + 2 * pad - r) / stride + 1;
  return fmt::format(R"(name: c
dtype: int8
tensors:
  x: {{shape: [1, {}, {}, {}], role: input}}
  w: {{shape: [{}, {}, {}, {}], role: weight}}
  y: {{shape: [1, {}, {}, {}], role: output}}
ops:
  - {{name: conv, kind: conv2d, inputs: [x, w], outputs: [y], stride: {}, padding: {}, groups: {}}}
)",
                     c, hw, hw, cout, c / groups, r, r, cout, ho, ho, stride, pad, groups);
}

// Goal of the issue: within 1% of the exhaustive optimum wherever exhaustive search is possible.
// Random GEMMs (dimensions up to `max_dim`) and convolutions (grouped, strided, padded) on
// random machines (array, dataflow, scratchpads, DRAM bandwidth; `acc`: an accumulator of 1-4
// KiB, smaller than most tiles' partial sums); the space is the same for both.
inline void ilp_against_exhaustive(int trials, int64_t max_dim, uint64_t seed, bool acc = false) {
  std::mt19937_64 g(seed);
  auto uni = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(g); };
  int layers = 0, exact = 0, split = 0;
  double worst = 0;
  for (int trial = 0; trial < trials; ++trial) {
    const int rows = static_cast<int>(uni(2, 16)), cols = static_cast<int>(uni(2, 16));
    const std::string df = std::array<const char*, 3>{"os", "ws", "is"}[static_cast<size_t>(uni(0, 2))];
    const std::string arch_text = machine(rows, cols, df, static_cast<int>(uni(2, 32)), static_cast<int>(uni(1, 16)),
                                          static_cast<double>(uni(1, 32)), acc ? static_cast<int>(uni(1, 4)) : 0);
    const Arch arch = load_arch_string(arch_text, "m.yaml");
    std::string wl_text;
    if (trial % 2 == 0) {
      wl_text = gemm_workload(uni(1, max_dim), uni(1, max_dim), uni(1, max_dim));
    } else {
      const int64_t groups = uni(0, 3) == 0 ? 4 : 1;
      wl_text = conv_workload(groups * uni(1, max_dim / 16 + 1), uni(4, max_dim / 6 + 4), groups * uni(1, max_dim / 10 + 1),
                              uni(0, 1) ? 3 : 1, uni(1, 2), uni(0, 1), groups);
    }
    const Workload wl = load_workload_string(wl_text, "w.yaml", WorkloadFormat::yaml);
    MapperOptions ilp, ex;
    ilp.kind = MapperKind::ilp;
    ilp.time_limit = 60;  // optimality, not speed, is checked here (sanitizer builds are slow)
    ex.kind = MapperKind::exhaustive;
    ex.exhaustive_limit = 1e9;
    const MapResult ri = map_workload(arch, wl, ilp), re = map_workload(arch, wl, ex);
    const double ci = static_cast<double>(ri.items[0].score.cycles), ce = static_cast<double>(re.items[0].score.cycles);
    const OpMapping &mi = ri.mapping.ops[0], &me = re.mapping.ops[0];
    INFO(wl_text << "\n" << arch_text << "\nilp " << mi.dataflow << " " << mi.tile_m << "x" << mi.tile_n << "x" << mi.tile_k << " "
                 << mi.loop_order << " acc " << mi.acc_m << "x" << mi.acc_n << " model " << ri.items[0].model_cycles
                 << "\nexhaustive " << me.dataflow << " " << me.tile_m << "x" << me.tile_n << "x" << me.tile_k << " " << me.loop_order
                 << " acc " << me.acc_m << "x" << me.acc_n);
    CHECK(ri.items[0].how == "optimal");
    CHECK(ci <= ce * 1.01);
    CHECK(ce <= ci);  // exhaustive search is the optimum of the space
    worst = std::max(worst, ci / ce - 1);
    exact += ci == ce;
    ++layers;
    build_plan(arch, wl, ri.mapping);  // the mapping runs
    if (acc) split += mi.acc_m > 0 || mi.acc_n > 0;
  }
  if (acc) CHECK(split > 0);  // the accumulator tile mattered somewhere
  WARN(fmt::format("ILP vs exhaustive: {}/{} equal, worst +{:.3f}%", exact, layers, 100 * worst));
}

}  // namespace tessera::test

