// libFuzzer target: any bytes as a mapping for a fixed small machine (with LUT engines, two of
// them with fused precompute, and a tensor core running int8 and int4 x int8) and each of two
// networks: one with branches, a skip connection, a
// fusable relu, a view and int4 fc weights; one of int4 GEMMs whose A operands a fused LUT can
// read as tables (a workload input two GEMMs read, a GEMM's output through a fusable relu and a
// view, a GEMM's output a later GEMM reads through a slice, a matmul reading one tensor as A and
// B). A mapping names one network's operators, so the other refuses it at once. Loading,
// validating and placing it (build_plan) must end in a plan or one UserError; a plan must then
// evaluate without crashing.
#include <cstddef>
#include <cstdint>
#include <string>

#include "sim/config/arch.h"
#include "sim/evaluate/evaluate.h"
#include "sim/mapper/mapping.h"
#include "sim/scheduler/placement.h"
#include "sim/workload/loader.h"

namespace {

const char* kArch = R"(name: fuzz
clock_ghz: 1.0
engines:
  - {name: a0, type: systolic, rows: 4, cols: 4, dataflow: ws, fuse: relu}
  - {name: a1, type: systolic, rows: 2, cols: 8, dataflow: os}
  - {name: vec, type: vector, lanes: 4}
  - {name: lut, type: lut, rows: 2, cols: 4, group: 4, weight_bits: 4, act: int8, table_store: 2}
  - {name: lutf, type: lut, rows: 2, cols: 4, group: 2, weight_bits: 4, act: int8, precompute: fused}
  - {name: lutf4, type: lut, rows: 2, cols: 4, group: 4, weight_bits: 4, act: int8, table_store: 1, precompute: fused}
  - {name: tc, type: tensor_core, sms: 1, tensor_cores: 2, warps: 2, warp_frags_m: 2, warp_frags_n: 2}
memory:
  scratchpads:
    - {name: ub, size_kb: 2, banks: 2, width_bits: 32, ports: 1, holds: [a, out]}
    - {name: wb, size_kb: 1, banks: 1, width_bits: 64, ports: 2, holds: [b]}
  dram: {bandwidth_gbps: 2, latency_ns: 5}
  dma: {channels: 2, setup_cycles: 1}
)";

const char* kNet = R"(name: net
tensors:
  x: {shape: [1, 3, 8, 8], role: input}
  w1: {shape: [8, 3, 3, 3], role: weight}
  c1: {shape: [1, 8, 8, 8]}
  r1: {shape: [1, 8, 8, 8]}
  w2: {shape: [8, 8, 1, 1], role: weight}
  c2: {shape: [1, 8, 8, 8]}
  s: {shape: [1, 8, 8, 8]}
  f: {shape: [1, 512]}
  wf: {shape: [512, 10], dtype: int4, role: weight}
  y: {shape: [1, 10], role: output}
ops:
  - {name: conv1, kind: conv2d, inputs: [x, w1], outputs: [c1], padding: 1}
  - {name: relu1, kind: elementwise, op: relu, inputs: [c1], outputs: [r1]}
  - {name: conv2, kind: conv2d, inputs: [r1, w2], outputs: [c2]}
  - {name: add, kind: elementwise, op: add, inputs: [c2, r1], outputs: [s]}
  - {name: flat, kind: reshape, inputs: [s], outputs: [f]}
  - {name: fc, kind: gemm, inputs: [f, wf], outputs: [y]}
)";

const char* kNet2 = R"(name: net2
tensors:
  x: {shape: [4, 16], role: input}
  w1: {shape: [16, 16], dtype: int4, role: weight}
  h: {shape: [4, 16]}
  w2: {shape: [16, 8], dtype: int4, role: weight}
  h2: {shape: [4, 8]}
  r: {shape: [4, 16]}
  v: {shape: [2, 32]}
  w3: {shape: [32, 8], dtype: int4, role: weight}
  y1: {shape: [2, 8], role: output}
  w5: {shape: [8, 4], dtype: int4, role: weight}
  y5: {shape: [4, 4], role: output}
  t: {shape: [4, 4]}
  w4: {shape: [4, 8], dtype: int4, role: weight}
  y4: {shape: [4, 8], role: output}
  z: {shape: [8, 8], role: input}
  yz: {shape: [8, 8], role: output}
ops:
  - {name: g1, kind: gemm, inputs: [x, w1], outputs: [h]}
  - {name: g2, kind: gemm, inputs: [x, w2], outputs: [h2]}
  - {name: relu, kind: elementwise, op: relu, inputs: [h], outputs: [r]}
  - {name: flat, kind: reshape, inputs: [r], outputs: [v]}
  - {name: g3, kind: gemm, inputs: [v, w3], outputs: [y1]}
  - {name: g5, kind: gemm, inputs: [h2, w5], outputs: [y5]}
  - {name: cut, kind: slice, inputs: [h2], outputs: [t], axis: 1, end: 4}
  - {name: g4, kind: gemm, inputs: [t, w4], outputs: [y4]}
  - {name: zz, kind: matmul, inputs: [z, z], outputs: [yz]}
)";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const tessera::Arch arch = tessera::load_arch_string(kArch, "fuzz_arch.yaml");
  static const tessera::Workload nets[] = {
      tessera::load_workload_string(kNet, "fuzz_net.yaml", tessera::WorkloadFormat::yaml),
      tessera::load_workload_string(kNet2, "fuzz_net2.yaml", tessera::WorkloadFormat::yaml)};
  const std::string text(reinterpret_cast<const char*>(data), size);
  tessera::Mapping mapping;
  try {
    mapping = tessera::load_mapping_string(text, "fuzz.yaml");
  } catch (const tessera::UserError&) {
    return 0;
  }
  for (const auto& wl : nets) {
    tessera::Plan plan;
    try {
      plan = tessera::build_plan(arch, wl, mapping);
    } catch (const tessera::UserError&) {
      continue;
    }
    size_t steps = 0;
    for (const auto& p : plan.ops) steps += p.steps();
    if (steps <= 200000) tessera::evaluate_plan(arch, plan);
  }
  return 0;
}
