// The analytic evaluator (sim/evaluate) against the SystemC kernel (sim/kernel), its reference:
// per item in isolation the two agree exactly, on random shapes, mappings and machines; whole
// plans compose without cross-item prefetch, so the analytic makespan is an upper bound of the
// kernel's on one engine, and equal where prefetch cannot help.
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <random>
#include <string>

#include "sim/config/arch.h"
#include "sim/evaluate/evaluate.h"
#include "sim/kernel/kernel.h"
#include "sim/mapper/planner.h"
#include "sim/report/report.h"
#include "sim/scheduler/placement.h"
#include "sim/workload/loader.h"

using namespace tessera;

namespace {

// Every figure the kernel reports for an item that runs alone equals the evaluator's.
void check_same(const ItemEval& e, const OpResult& k) {
  CHECK(k.start_cycle == 0);
  CHECK(e.start_cycle == 0);
  CHECK(e.end_cycle == k.end_cycle);
  CHECK(e.total_cycles == k.total_cycles);
  CHECK(e.compute_cycles == k.compute_cycles);
  CHECK(e.spm_stall_cycles == k.spm_stall_cycles);
  CHECK(e.stall_cycles == k.stall_cycles);
  CHECK(e.dram_busy_cycles == k.dram_busy_cycles);
  CHECK(e.dram_read_bits == k.dram_read_bits);
  CHECK(e.dram_write_bits == k.dram_write_bits);
  CHECK(e.spill_bits == k.spill_bits);
  CHECK(e.tiles == k.tiles);
  CHECK(e.macs == k.macs);
  CHECK(e.engine_split == k.engine_split);
  CHECK(e.actions == k.actions);
  REQUIRE(e.spm.size() == k.spm.size());
  for (size_t s = 0; s < e.spm.size(); ++s) {
    CHECK(e.spm[s].read_bits == k.spm[s].read_bits);
    CHECK(e.spm[s].write_bits == k.spm[s].write_bits);
  }
  CHECK(e.roofline_cycles == std::max(k.compute_cycles, k.dram_busy_cycles));
  CHECK(e.memory_bound() == k.memory_bound());
}

class Rng {
 public:
  explicit Rng(uint64_t seed) : g_(seed) {}
  int64_t uni(int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(g_); }
  template <class T>
  T pick(std::initializer_list<T> v) {
    return *(v.begin() + uni(0, static_cast<int64_t>(v.size()) - 1));
  }
  bool coin(int in) { return uni(0, in - 1) == 0; }  // true one time in `in`

 private:
  std::mt19937_64 g_;
};

// A small random machine: a systolic array and a vector unit; 1-3 DMA channels, any setup,
// bandwidth and latency; scratchpads unified or split by operand role, 1 or 2 ports each.
// `layout` (-1: random) picks the split: 0 unified, 1 {a, out} {b}, 2 {a} {b, out},
// 3 {a, b} {out}, 4 {a} {b} {out}; from 2 on, activations and outputs live apart. `acc`: an
// accumulator (a scratchpad holding psum) of 1-2 ports.
std::string random_arch(Rng& r, int layout = -1, bool acc = false) {
  const char* clock = r.pick({"0.5", "0.7", "1.0", "1.25"});
  std::string s = fmt::format(
      "name: rnd\nclock_ghz: {}\nengines:\n"
      "  - {{name: array, type: systolic, rows: {}, cols: {}, acc_bits: {}, dataflow: ws, timing: {}}}\n"
      "  - {{name: vpu, type: vector, lanes: {}, pipeline_depth: {}}}\n"
      "memory:\n  scratchpads:\n",
      clock, r.uni(1, 12), r.uni(1, 12), r.pick({16, 32}), r.coin(5) ? "scalesim" : "native", r.pick({1, 3, 16, 64}),
      r.uni(0, 6));
  // Which roles each scratchpad holds.
  static const std::vector<std::vector<std::string>> layouts = {
      {"[a, b, out]"}, {"[a, out]", "[b]"}, {"[a]", "[b, out]"}, {"[a, b]", "[out]"}, {"[a]", "[b]", "[out]"}};
  if (layout < 0) layout = static_cast<int>(r.uni(0, static_cast<int64_t>(layouts.size()) - 1));
  const auto& holds = layouts[static_cast<size_t>(layout)];
  for (size_t i = 0; i < holds.size(); ++i)
    s += fmt::format("    - {{name: spm{}, size_kb: 16384, banks: {}, width_bits: {}, ports: {}, holds: {}}}\n", i,
                     r.pick({1, 2, 4, 8}), r.pick({8, 32, 64, 256}), r.uni(1, 2), holds[i]);
  if (acc)
    s += fmt::format("    - {{name: acc, size_kb: 1024, banks: {}, width_bits: {}, ports: {}, holds: [psum]}}\n",
                     r.pick({1, 2, 4}), r.pick({32, 128, 512}), r.uni(1, 2));
  s += fmt::format("  dram: {{bandwidth_gbps: {}, latency_ns: {}}}\n  dma: {{channels: {}, setup_cycles: {}}}\n",
                   r.pick({"0.5", "1", "3.3", "8", "34"}), r.pick({"0", "1", "10", "37.5", "100"}), r.uni(1, 3),
                   r.pick({0, 1, 5, 16}));
  return s;
}

std::string loop_order(Rng& r) { return r.pick({"mnk", "mkn", "nmk", "nkm", "kmn", "knm"}); }

int64_t tiles_of(int64_t full, int64_t tile) { return (full + tile - 1) / tile; }

// A GEMM mapping entry with random tiles (0 = whole dimension) and at most ~400 steps; `acc`:
// with a random accumulator tile (a convolution's: output channels only).
std::string gemm_mapping(Rng& r, const std::string& op, GemmShape g, int64_t groups, bool acc = false, bool conv = false) {
  int64_t tm = r.coin(4) ? 0 : r.uni(1, g.m), tn = r.coin(4) ? 0 : r.uni(1, g.n), tk = r.coin(4) ? 0 : r.uni(1, g.k);
  auto steps = [&] {
    return groups * tiles_of(g.m, tm ? tm : g.m) * tiles_of(g.n, tn ? tn : g.n) * tiles_of(g.k, tk ? tk : g.k);
  };
  while (steps() > 400) {
    if (tm) tm *= 2;
    if (tn) tn *= 2;
    if (tk) tk *= 2;
  }
  std::string acc_tile;
  if (acc) {
    const int64_t am = conv ? 0 : r.uni(0, tm ? tm : g.m), an = r.uni(0, tn ? tn : g.n);
    acc_tile = fmt::format(", acc_tile: {{m: {}, n: {}}}, acc_loop_order: {}", am, an, r.pick({"nm", "mn"}));
  }
  return fmt::format("  - {{op: {}, engine: array, dataflow: {}, tile: {{m: {}, n: {}, k: {}}}, loop_order: {}{}}}\n", op,
                     r.pick({"os", "ws", "is"}), tm, tn, tk, loop_order(r), acc_tile);
}

struct Case {
  std::string arch, workload, mapping;
};

Case random_gemm(Rng& r, bool acc = false) {
  const GemmShape g{r.uni(1, 64), r.uni(1, 64), r.uni(1, 64)};
  const char* in = r.pick({"int8", "int4"});
  Case c;
  c.arch = random_arch(r, -1, acc);
  c.workload = fmt::format(
      "name: g\ntensors:\n  x: {{shape: [{}, {}], role: input, dtype: {}}}\n"
      "  w: {{shape: [{}, {}], role: weight, dtype: {}}}\n  y: {{shape: [{}, {}], role: output, dtype: {}}}\n"
      "ops:\n  - {{name: fc, kind: gemm, inputs: [x, w], outputs: [y]}}\n",
      g.m, g.k, in, g.k, g.n, in, g.m, g.n, r.pick({"int8", "int32"}));
  c.mapping = "mapping:\n" + gemm_mapping(r, "fc", g, 1, acc);
  return c;
}

Case random_conv(Rng& r, bool acc = false) {
  const int64_t groups = r.uni(1, 3), cin = groups * r.uni(1, 4), cout = groups * r.uni(1, 4);
  const int64_t kh = r.uni(1, 3), kw = r.uni(1, 3), stride = r.uni(1, 2), pad = r.uni(0, 1);
  const int64_t n = r.uni(1, 2), h = r.uni(kh, 10), w = r.uni(kw, 10);
  const int64_t ho = (h + 2 * pad - kh) / stride + 1, wo = (w + 2 * pad - kw) / stride + 1;
  Case c;
  c.arch = random_arch(r, -1, acc);
  c.workload = fmt::format(
      "name: c\ntensors:\n  x: {{shape: [{}, {}, {}, {}], role: input}}\n"
      "  w: {{shape: [{}, {}, {}, {}], role: weight}}\n  y: {{shape: [{}, {}, {}, {}], role: output}}\n"
      "ops:\n  - {{name: conv, kind: conv2d, inputs: [x, w], outputs: [y], stride: {}, padding: {}, groups: {}}}\n",
      n, cin, h, w, cout, cin / groups, kh, kw, n, cout, ho, wo, stride, pad, groups);
  const GemmShape g{n * ho * wo, cout / groups, cin / groups * kh * kw};
  c.mapping = "mapping:\n" + gemm_mapping(r, "conv", g, groups, acc, true);
  return c;
}

Case random_elementwise(Rng& r) {
  const int64_t a = r.uni(1, 40), b = r.uni(1, 60);
  const std::string op = r.pick({"relu", "exp", "add", "mul", "max"});
  const bool binary = op == "add" || op == "mul" || op == "max";
  Case c;
  c.arch = random_arch(r);
  c.workload = fmt::format("name: e\ntensors:\n  x: {{shape: [{}, {}], role: input, dtype: {}}}\n", a, b,
                           r.pick({"int8", "int16", "fp16"}));
  if (binary) c.workload += fmt::format("  z: {{shape: [{}], role: input}}\n", b);
  c.workload += fmt::format("  y: {{shape: [{}, {}], role: output}}\nops:\n"
                            "  - {{name: e, kind: elementwise, op: {}, inputs: [{}], outputs: [y]}}\n",
                            a, b, op, binary ? "x, z" : "x");
  const int64_t elems = a * b;
  int64_t te = r.coin(4) ? 0 : r.uni(1, elems);
  while (te && tiles_of(elems, te) > 400) te *= 2;
  c.mapping = fmt::format("mapping:\n  - {{op: e, engine: vpu, tile_elements: {}}}\n", te);
  return c;
}

// Runs one case through the kernel and the evaluator; returns false if the mapping did not fit.
bool check_case(const Case& c) {
  INFO("arch:\n" << c.arch << "workload:\n" << c.workload << c.mapping);
  const Arch arch = load_arch_string(c.arch, "rnd.yaml");
  const Workload wl = load_workload_string(c.workload, "w.yaml", WorkloadFormat::yaml);
  const Mapping m = load_mapping_string(c.mapping, "m.yaml");
  Plan plan;
  try {
    plan = build_plan(arch, wl, m);
  } catch (const UserError&) {
    return false;
  }
  REQUIRE(plan.ops.size() == 1);
  const auto k = run_kernel(arch, plan, Fidelity::Tile);
  const ItemEval e = evaluate_item(arch, plan.ops[0]);
  check_same(e, k[0]);
  // Without the tally: the same cycles and DRAM figures.
  const ItemEval lean = evaluate_item(arch, plan.ops[0], EvalOptions{false});
  CHECK(lean.total_cycles == e.total_cycles);
  CHECK(lean.compute_cycles == e.compute_cycles);
  CHECK(lean.dram_busy_cycles == e.dram_busy_cycles);
  CHECK(lean.dram_read_bits == e.dram_read_bits);
  CHECK(lean.dram_write_bits == e.dram_write_bits);
  // The composed plan of one item is the item.
  const PlanEval pe = evaluate_plan(arch, plan);
  CHECK(pe.makespan == makespan(k));
  return true;
}

template <class Gen>
void random_cases(uint64_t seed, int n, Gen gen) {
  Rng r(seed);
  int ran = 0;
  for (int i = 0; i < n; ++i) {
    const Case c = gen(r);
    if (check_case(c)) ++ran;
  }
  CHECK(ran >= n * 9 / 10);  // scratchpads are large: nearly every mapping fits
}

}  // namespace

TEST_CASE("evaluator equals the kernel on single gemm items: random shapes, mappings, machines", "[evaluate]") {
  random_cases(1, 250, [](Rng& r) { return random_gemm(r); });
}

TEST_CASE("evaluator equals the kernel on single conv2d items (halo, groups): random cases", "[evaluate]") {
  random_cases(2, 200, [](Rng& r) { return random_conv(r); });
}

TEST_CASE("evaluator equals the kernel with an accumulator level: random gemm and conv2d items", "[evaluate][acc]") {
  random_cases(71, 150, [](Rng& r) { return random_gemm(r, true); });
  random_cases(72, 100, [](Rng& r) { return random_conv(r, true); });
}

TEST_CASE("evaluator equals the kernel on single elementwise items: random cases", "[evaluate]") {
  random_cases(3, 150, random_elementwise);
}

// Items with on-chip operands, spills, psum round trips, groups and multi-pass vector jobs:
// every item of real plans, each run alone (its dependencies cleared) through the kernel.
TEST_CASE("evaluator equals the kernel on every item of built-in workloads, each alone", "[evaluate]") {
  const std::string dir = std::string(TESSERA_SOURCE_DIR) + "/configs/arch/";
  struct Run {
    std::string arch, workload;
    std::vector<std::string> sets;
  };
  for (const Run& run : {Run{"edge_small.yaml", "mobilenet_v2", {}},
                         Run{"edge_small.yaml", "resnet50", {"memory.scratchpads.0.size_kb=192"}},
                         Run{"tpu_like.yaml", "bert_base", {"memory.scratchpads.0.ports=1", "memory.dma.channels=3"}},
                         // an accumulator a quarter of TPUv1's: several calls per tile, single-ported
                         Run{"tpu_v1.yaml", "resnet50", {"memory.scratchpads.2.size_kb=1024", "memory.scratchpads.2.ports=1"}},
                         // the LUT's tables written by the norms, SwiGLU and head merge (fused precompute)
                         Run{"study_lut.yaml", "llama7b_w4a8_decode", {"engines.0.precompute=fused"}},
                         // the tensor cores and the CUDA cores of an A100, a decode step
                         Run{"a100.yaml", "llama7b_decode", {}}}) {
    const Arch arch = load_arch(dir + run.arch, run.sets);
    const Workload wl = load_workload(run.workload);
    const Plan plan = build_plan(arch, wl, default_mapping(arch, wl));
    size_t spills = 0, on_chip = 0;
    for (const OpPlan& item : plan.ops) {
      INFO(run.arch << " " << run.workload << ": " << item.op);
      Plan alone;
      alone.ops.push_back(item);
      alone.ops[0].deps.clear();
      const auto k = run_kernel(arch, alone, Fidelity::Tile);
      check_same(evaluate_item(arch, item), k[0]);
      spills += item.spill_bits > 0;
      on_chip += std::any_of(item.reads.begin(), item.reads.end(), [](const TensorUse& u) { return u.on_chip; });
    }
    INFO(run.arch << " " << run.workload);
    CHECK(on_chip > 0);
    if (run.arch == "edge_small.yaml") CHECK(spills > 0);
  }
}

// 4x4 weight-stationary array at 1 GHz, DRAM 1 byte per cycle, 10 cycles latency, 2 DMA
// channels without setup; x [4, 8] int8 times w [8, 4] in tiles m 2, k 4, loop order kmn: the
// first k tile's two output tiles leave as partial sums and come back for the second.
TEST_CASE("a hand-derived case: partial sums leave and come back", "[evaluate]") {
  const Arch a = load_arch_string(R"(name: hand
clock_ghz: 1.0
engines:
  - {name: array, type: systolic, rows: 4, cols: 4, dataflow: ws}
memory:
  scratchpads:
    - {name: spm, size_kb: 64, banks: 8, width_bits: 64, ports: 2}
  dram: {bandwidth_gbps: 1, latency_ns: 10}
  dma: {channels: 2, setup_cycles: 0}
)",
                                  "hand.yaml");
  const Workload wl = load_workload_string(R"(name: psum
tensors:
  x: {shape: [4, 8], role: input}
  w: {shape: [8, 4], role: weight}
  y: {shape: [4, 4], role: output}
ops:
  - {name: fc, kind: gemm, inputs: [x, w], outputs: [y]}
)",
                                           "p.yaml", WorkloadFormat::yaml);
  const Mapping m = load_mapping_string(
      "mapping:\n  - {op: fc, engine: array, dataflow: ws, tile: {m: 2, n: 4, k: 4}, loop_order: kmn}\n", "m.yaml");
  const Plan plan = build_plan(a, wl, m);
  // Steps (k, m): (0,0) loads x 8 B + w 16 B, stores a 2x4 psum tile (32 B); (0,1) loads x 8 B,
  // stores 32 B; (1,0) loads x 8 B + w 16 B + psum 32 B, stores the final 2x4 int8 (8 B);
  // (1,1) loads x 8 B + psum 32 B, stores 8 B.
  // Each tile: ws, Sr = K = 4, Sc = N = 4, T = M = 2: T + 2r + c - 2 = 12 cycles; its 448 bits
  // of operand traffic take one cycle of the scratchpad's free port.
  //   load 0: channel 0, data 0..24, arrives 34       load 1: channel 1, data 24..32, arrives 42
  //   compute 0: 34..46                               compute 1: 46..58
  //   store 0 asked 46: channel 0 (free at 34), data 46..78, arrives 88
  //   store 1 asked 58: channel 1 (free at 42), data 78..110, arrives 120
  //   load 2 waits for both stores (its psum comes back): asked 120, channel 0, data 120..176, arrives 186
  //   compute 2: 186..198 (its output buffer, tile 0's, left at 88)
  //   store 2 asked 198: channel 1, data 198..206, arrives 216
  //   load 3 waits for store 2: asked 216, channel 0, data 216..256, arrives 266
  //   compute 3: 266..278;  store 3 asked 278: channel 1, data 278..286, arrives 296.
  const ItemEval e = evaluate_item(a, plan.ops[0]);
  CHECK(e.tiles == 4);
  CHECK(e.compute_cycles == 48);
  CHECK(e.total_cycles == 296);
  CHECK(e.spm_stall_cycles == 0);
  CHECK(e.dram_busy_cycles == 24 + 8 + 32 + 32 + 56 + 8 + 40 + 8);
  CHECK(e.dram_read_bits == (24 + 8 + 56 + 40) * 8);
  CHECK(e.dram_write_bits == (32 + 32 + 8 + 8) * 8);
  CHECK(e.roofline_cycles == 208);
  CHECK(e.memory_bound());
  check_same(e, run_kernel(a, plan, Fidelity::Tile)[0]);
}

namespace {

// A chain of `layers` GEMMs, each consuming the previous one's output: x0 [m, k0] -> ... .
Case random_chain(Rng& r, int layout) {
  const int layers = static_cast<int>(r.uni(2, 5));
  const int64_t m = r.uni(1, 48);
  std::vector<int64_t> k{r.uni(1, 48)};
  for (int i = 0; i < layers; ++i) k.push_back(r.uni(1, 48));
  Case c;
  c.arch = random_arch(r, layout);
  c.workload = "name: chain\ntensors:\n";
  c.mapping = "mapping:\n";
  std::string ops;
  for (int i = 0; i <= layers; ++i)
    c.workload += fmt::format("  x{}: {{shape: [{}, {}]{}}}\n", i, m, k[static_cast<size_t>(i)],
                              i == 0 ? ", role: input" : i == layers ? ", role: output" : "");
  for (int i = 0; i < layers; ++i) {
    const auto ui = static_cast<size_t>(i);
    c.workload += fmt::format("  w{}: {{shape: [{}, {}], role: weight}}\n", i, k[ui], k[ui + 1]);
    ops += fmt::format("  - {{name: fc{}, kind: gemm, inputs: [x{}, w{}], outputs: [x{}]}}\n", i, i, i, i + 1);
    c.mapping += gemm_mapping(r, "fc" + std::to_string(i), GemmShape{m, k[ui + 1], k[ui]}, 1);
  }
  c.workload += "ops:\n" + ops;
  return c;
}

struct ChainRun {
  Plan plan;
  std::vector<OpResult> kernel;
  PlanEval eval;
};

bool run_chain(const Case& c, const Arch& arch, ChainRun& out) {
  const Workload wl = load_workload_string(c.workload, "chain.yaml", WorkloadFormat::yaml);
  try {
    out.plan = build_plan(arch, wl, load_mapping_string(c.mapping, "m.yaml"));
  } catch (const UserError&) {
    return false;
  }
  out.kernel = run_kernel(arch, out.plan, Fidelity::Tile);
  out.eval = evaluate_plan(arch, out.plan);
  return true;
}

}  // namespace

// Activations and outputs share a scratchpad: each layer's output stays on chip and the next
// layer's weights load while the previous layer computes (the kernel's cross-item prefetch),
// which the composition leaves out: its makespan is never below the kernel's.
TEST_CASE("a chain on one engine: the analytic makespan bounds the kernel's from above", "[evaluate]") {
  Rng r(4);
  int ran = 0, strictly_above = 0;
  for (int i = 0; i < 150; ++i) {
    const Case c = random_chain(r, r.pick({0, 1}));
    INFO("arch:\n" << c.arch << "workload:\n" << c.workload << c.mapping);
    const Arch arch = load_arch_string(c.arch, "rnd.yaml");
    ChainRun run;
    if (!run_chain(c, arch, run)) continue;
    ++ran;
    const uint64_t kernel = makespan(run.kernel);
    CHECK(run.eval.makespan >= kernel);
    strictly_above += run.eval.makespan > kernel;
    // The first item runs alone until the second one's loads go out.
    CHECK(run.eval.items[0].start_cycle == 0);
    uint64_t sum = 0;
    for (const auto& it : run.eval.items) sum += it.total_cycles;
    CHECK(run.eval.makespan == sum);  // a chain: one item after another
  }
  CHECK(ran >= 140);
  CHECK(strictly_above > ran / 2);  // prefetch usually helps the kernel
}

// Activations and outputs in different scratchpads: a layer's output cannot be read in place
// by the next layer, so the next layer spills it and reads it back from DRAM, and all of its
// loads wait for the previous layer to finish (loads_wait). Nothing of a layer can then start
// before its predecessor ends, and at that point every DMA channel and the DRAM are idle (the
// predecessor's last transfer has arrived): the kernel runs each layer exactly as it runs alone.
TEST_CASE("a chain where prefetch cannot help: the analytic makespan equals the kernel's", "[evaluate]") {
  Rng r(5);
  int ran = 0;
  for (int i = 0; i < 120; ++i) {
    const Case c = random_chain(r, r.pick({2, 3, 4}));
    INFO("arch:\n" << c.arch << "workload:\n" << c.workload << c.mapping);
    const Arch arch = load_arch_string(c.arch, "rnd.yaml");
    ChainRun run;
    if (!run_chain(c, arch, run)) continue;
    ++ran;
    for (size_t j = 1; j < run.plan.ops.size(); ++j) {
      REQUIRE(run.plan.ops[j].loads_wait);
      REQUIRE(run.plan.ops[j].spill_bits > 0);
    }
    CHECK(run.eval.makespan == makespan(run.kernel));
    for (size_t j = 0; j < run.plan.ops.size(); ++j) {
      CHECK(run.eval.items[j].start_cycle == run.kernel[j].start_cycle);
      CHECK(run.eval.items[j].end_cycle == run.kernel[j].end_cycle);
    }
  }
  CHECK(ran >= 110);
}

// report.json's "evaluator" object: both makespans, their difference, and per item its
// isolated cycles beside the kernel's.
TEST_CASE("the evaluator object of report.json", "[evaluate][report]") {
  Rng r(6);
  for (int layout : {0, 4}) {  // layers overlap in the kernel (0) or cannot (4)
    const Case c = random_chain(r, layout);
    INFO("arch:\n" << c.arch << "workload:\n" << c.workload << c.mapping);
    const Arch arch = load_arch_string(c.arch, "rnd.yaml");
    ChainRun run;
    REQUIRE(run_chain(c, arch, run));
    const nlohmann::json j = evaluator_json(run.eval, run.kernel);
    CHECK(j["makespan_cycles"] == run.eval.makespan);
    CHECK(j["kernel_makespan_cycles"] == makespan(run.kernel));
    const auto d = static_cast<int64_t>(run.eval.makespan) - static_cast<int64_t>(makespan(run.kernel));
    CHECK(j["difference_cycles"] == d);
    if (layout == 4) CHECK(d == 0);
    REQUIRE(j["operators"].size() == run.plan.ops.size());
    for (size_t i = 0; i < run.plan.ops.size(); ++i) {
      const auto& o = j["operators"][i];
      CHECK(o["name"] == run.plan.ops[i].op);
      CHECK(o["isolated_cycles"] == run.eval.items[i].total_cycles);
      CHECK(o["kernel_cycles"] == run.kernel[i].total_cycles);
      CHECK(o["difference_cycles"] == static_cast<int64_t>(run.eval.items[i].total_cycles) -
                                          static_cast<int64_t>(run.kernel[i].total_cycles));
      CHECK(o["roofline_cycles"] == run.eval.items[i].roofline_cycles);
    }
    CHECK(j.dump() == evaluator_json(evaluate_plan(arch, run.plan), run.kernel).dump());  // deterministic
  }
}

// An Evaluator kept across plans (tile costs cached) gives what a fresh evaluation gives.
TEST_CASE("a reused Evaluator equals fresh evaluations", "[evaluate]") {
  const Arch arch = load_arch(std::string(TESSERA_SOURCE_DIR) + "/configs/arch/edge_small.yaml");
  Evaluator ev(arch);
  for (const char* name : {"mobilenet_v2", "bert_base", "mobilenet_v2"}) {
    const Workload wl = load_workload(name);
    const Plan plan = build_plan(arch, wl, default_mapping(arch, wl));
    const PlanEval warm = ev.plan(plan), fresh = evaluate_plan(arch, plan);
    INFO(name);
    CHECK(warm.makespan == fresh.makespan);
    REQUIRE(warm.items.size() == fresh.items.size());
    for (size_t i = 0; i < warm.items.size(); ++i) {
      const ItemEval &a = warm.items[i], &b = fresh.items[i];
      CHECK(a.start_cycle == b.start_cycle);
      CHECK(a.end_cycle == b.end_cycle);
      CHECK(a.total_cycles == b.total_cycles);
      CHECK(a.compute_cycles == b.compute_cycles);
      CHECK(a.dram_busy_cycles == b.dram_busy_cycles);
      CHECK(a.actions == b.actions);
    }
  }
  CHECK(ev.cached_shapes() > 0);
}
