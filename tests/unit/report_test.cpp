// A two-operator run worked out by hand: cycles, DRAM traffic, scratchpad accesses, actions
// (including the partial sums of a second k tile combined in the accumulator), energy by
// component, leakage and utilization.
#include <catch2/catch.hpp>

#include <sstream>

#include "sim/config/arch.h"
#include "sim/kernel/kernel.h"
#include "sim/mapper/planner.h"
#include "sim/report/report.h"
#include "sim/scheduler/placement.h"
#include "sim/workload/loader.h"

using namespace tessera;

namespace {

// 4x4 weight-stationary array at 1 GHz; one scratchpad of 8 banks x 64 bits, 2 ports (the
// engine streams 8 words a cycle); DRAM 1 byte per cycle, 10 ns latency; 2 DMA channels.
const char* kArch = R"(name: hand
clock_ghz: 1.0
engines:
  - {name: array, type: systolic, rows: 4, cols: 4, dataflow: ws}
memory:
  scratchpads:
    - {name: spm, size_kb: 64, banks: 8, width_bits: 64, ports: 2}
  dram: {bandwidth_gbps: 1, latency_ns: 10}
  dma: {channels: 2, setup_cycles: 0}
)";

// fc1 (K = 8, cut in two k tiles) feeds fc2; y stays on chip.
const char* kNet = R"(name: two
tensors:
  x: {shape: [8, 8], role: input}
  w: {shape: [8, 4], role: weight}
  y: {shape: [8, 4]}
  v: {shape: [4, 4], role: weight}
  z: {shape: [8, 4], role: output}
ops:
  - {name: fc1, kind: gemm, inputs: [x, w], outputs: [y]}
  - {name: fc2, kind: gemm, inputs: [y, v], outputs: [z]}
)";

const char* kMapping = R"(mapping:
  - {op: fc1, engine: array, dataflow: ws, tile: {m: 8, n: 4, k: 4}, loop_order: mnk}
  - {op: fc2, engine: array, dataflow: ws}
)";

}  // namespace

TEST_CASE("two operators by hand: cycles, traffic, accesses, actions, energy, leakage", "[report][kernel]") {
  const Arch a = load_arch_string(kArch, "hand.yaml");
  const Workload wl = load_workload_string(kNet, "two.yaml", WorkloadFormat::yaml);
  const Plan plan = build_plan(a, wl, load_mapping_string(kMapping, "m.yaml"));
  const auto r = run_kernel(a, plan, Fidelity::Tile);
  REQUIRE(r.size() == 2);

  // Timing. fc1's two steps load x and w tiles (32 + 16 B each) at 0 on both channels: data
  // 0..48 (landed 58) and 48..96 (landed 106). Tile 0 computes 58..76 (ws: T + 2r + c - 2 =
  // 8 + 8 + 4 - 2 = 18), which frees a buffer: fc2's v (16 B) goes out at 76, data 96..112,
  // landed 122. Tile 1 computes 106..124; y stays: fc1 done at 124. fc2 computes 124..142,
  // stores z (32 B) on the channel free since 106: data 142..174, landed 184.
  CHECK(r[0].start_cycle == 0);
  CHECK(r[0].end_cycle == 124);
  CHECK(r[0].compute_cycles == 36);
  CHECK(r[1].start_cycle == 124);  // taken up when fc1 is done; v loaded from 76
  CHECK(r[1].end_cycle == 184);
  CHECK(r[1].compute_cycles == 18);
  CHECK(r[0].dram_read_bits == 96 * 8);
  CHECK(r[0].dram_write_bits == 0);
  CHECK(r[1].dram_read_bits == 16 * 8);
  CHECK(r[1].dram_write_bits == 32 * 8);
  CHECK(r[0].dram_busy_cycles == 96);
  CHECK(r[1].dram_busy_cycles == 48);

  // Actions per 8x4x4 ws tile: 128 MACs (int_mul 8, int_add 32), 128 + 16 operand-register
  // writes (streamed + the 16 stationary weights), 128 partial-sum register writes. fc1's
  // second k tile adds its 8x4 partial sums to the first's: 32 accumulator adds.
  const auto& acts = r[0].actions;
  CHECK(acts.count("pe_array", "int_mul", 8) == 256);
  CHECK(acts.count("pe_array", "int_add", 32) == 256);
  CHECK(acts.count("pe_array", "reg_write", 8) == 288);
  CHECK(acts.count("pe_array", "reg_write", 32) == 256);
  CHECK(acts.count("accumulator", "int_add", 32) == 32);
  CHECK(r[1].actions.count("accumulator", "int_add", 32) == 0);

  // Scratchpad bits. fc1 writes: DMA fills 96 B, the array's partial sums 2 x (4 columns x 8
  // rows x 32 bits) = 2048; reads: streamed x 2 x (4 rows x 8 x 8 bits) = 512, weights 2 x 128,
  // and the combine reads the first tile's partial sums back (32 x 32 = 1024).
  CHECK(r[0].spm[0].write_bits == 768 + 2048);
  CHECK(r[0].spm[0].read_bits == 512 + 256 + 1024);
  // fc2 writes: v (128 bits) + partial sums 1024; reads: y 256 + v 128 + the z store 256.
  CHECK(r[1].spm[0].write_bits == 128 + 1024);
  CHECK(r[1].spm[0].read_bits == 256 + 128 + 256);

  // Energy by component, priced from those counts with the tech library's per-action figures.
  const RunSummary s = summarize(a, wl, r, Fidelity::Tile);
  const TechLibrary& t = *a.tech;
  CHECK(s.total_cycles == 184);
  CHECK(s.energy_pj.at("array.accumulator") == Approx(32 * t.action_pj("int_add", 32)));
  CHECK(s.energy_pj.at("array.pe_array") ==
        Approx(384 * t.action_pj("int_mul", 8) + 384 * t.action_pj("int_add", 32) +
               432 * t.action_pj("reg_write", 8) + 384 * t.action_pj("reg_write", 32)));
  // Word accesses per operator: fc1 44 writes, 28 reads; fc2 18 writes, 10 reads (64-bit words).
  const double bank = 64.0 * 1024 / 8;
  CHECK(s.energy_pj.at("spm") == Approx(62 * t.sram_access_pj(bank, 64, true) + 38 * t.sram_access_pj(bank, 64, false)));
  CHECK(s.energy_pj.at("dram") == Approx(144 * 8 * t.dram_pj_per_bit(a.dram->technology())));
  // Leakage of the logic (cells, clock buffers, control; not the placement whitespace nor the
  // PHY) and the SRAM over the run's 184 ns.
  double logic = 0;
  for (const auto& [name, um2] : s.area_um2)
    if (name != "spm" && name != "placement" && name != "io_phy") logic += um2;
  const double leak_mw = t.logic_leakage_mw(logic) + t.sram_leakage_mw(64.0 * 1024);
  CHECK(s.energy_pj.at("leakage") == Approx(leak_mw * 184));
  // Chip level (configs/tech/45nm.yaml: clock 0.25 and control 0.02 of the power, beside the
  // logic's 0.73). The array's logic energy bought 384 MACs, 384 / 16 = 24 cycles at its peak:
  // at full use it burns logic / 24 pJ a cycle, and the clock tree 0.25 / 0.73 of that in all
  // 184 cycles. Control: 0.02 / 0.73 of the logic energy spent. The default lpddr4 PHY's
  // standing 5 mW per GB/s x 1 GB/s over 184 ns; no DRAM capacity given: no background or
  // refresh.
  double logic_pj = 0;
  for (const auto& [k, v] : s.energy_pj)
    if (k.rfind("array.", 0) == 0) logic_pj += v;
  CHECK(logic_pj > s.energy_pj.at("array.pe_array"));  // pe_array and accumulator at least
  CHECK(s.energy_pj.at("clock_tree") == Approx(logic_pj / 24 * 0.25 / 0.73 * 184));
  CHECK(s.energy_pj.at("control") == Approx(logic_pj * 0.02 / 0.73));
  CHECK(s.energy_pj.at("io_phy") == Approx(5.0 * 184));
  CHECK(s.energy_pj.at("dram.background") == 0);
  CHECK(s.energy_pj.at("dram.refresh") == 0);
  CHECK(s.idle_power_mw == Approx(logic_pj / 24 * 0.25 / 0.73 + leak_mw + 5.0));
  double sum = 0;
  for (const auto& [_, v] : s.energy_pj) sum += v;
  CHECK(s.total_energy_pj == Approx(sum));
  CHECK(s.power_mw == Approx(sum / 184));
  // Area: cells placed at 0.6 utilization (OpenROAD-flow-scripts' nangate45 tpu); clock and
  // control 0.02 each of the core, so 0.02 / (1 - 0.04) of the rest; PHY 0.05 mm^2.
  double cells = 0;
  for (const auto& [name, um2] : s.area_um2)
    if (name.rfind("array.", 0) == 0) cells += um2;
  const double core = cells / 0.6 + s.area_um2.at("spm");
  CHECK(s.area_um2.at("placement") == Approx(cells * (1 / 0.6 - 1)));
  CHECK(s.area_um2.at("clock_tree") == Approx(core * 0.02 / 0.96));
  CHECK(s.area_um2.at("control") == Approx(core * 0.02 / 0.96));
  CHECK(s.area_um2.at("io_phy") == Approx(0.05e6));
  // Utilization: 384 MACs over 16 PEs x 184 cycles.
  CHECK(s.array_utilization == Approx(384.0 / (16 * 184)));
  CHECK(s.ops[0].utilization == Approx(256.0 / (16 * 124)));
  CHECK(s.ops[1].utilization == Approx(128.0 / (16 * 60)));
}

TEST_CASE("single-port scratchpad: each step's stall includes its own loads and stores", "[kernel]") {
  // An 8x4x4 int8 gemm on a 4x4 ws array in two 4x4x4 tiles; the scratchpad has one port of
  // one 8-bit bank, so a tile's streams and its own DMA fill and drain share 8 bits a cycle.
  const Arch a = load_arch_string(kArch, "hand.yaml",
                                  {"memory.scratchpads.0.ports=1", "memory.scratchpads.0.banks=1",
                                   "memory.scratchpads.0.width_bits=8"});
  const Workload wl = load_workload_string(R"(name: one
tensors:
  x: {shape: [8, 4], role: input}
  w: {shape: [4, 4], role: weight}
  y: {shape: [8, 4], role: output}
ops:
  - {name: fc, kind: gemm, inputs: [x, w], outputs: [y]}
)", "g.yaml", WorkloadFormat::yaml);
  const Plan plan = build_plan(a, wl, load_mapping_string(R"(mapping:
  - {op: fc, engine: array, dataflow: ws, tile: {m: 4, n: 4, k: 4}, loop_order: nkm}
)", "m.yaml"));
  const auto r = run_kernel(a, plan, Fidelity::Tile);
  REQUIRE(r.size() == 1);
  // Per ws 4x4x4 tile the engine streams a (4 rows x 4 x 8 = 128 bits), b (16 x 8 = 128) and
  // partial sums (4 x 4 x 32 = 512): 768 bits. Tile 0 also loads x (128) and w (128) and
  // stores y (128): 1152 bits = 144 cycles. Tile 1 loads only x and stores y: 1024 bits = 128
  // cycles. The engine needs 4 + 8 + 4 - 2 = 14 cycles per tile. (A stall cached per shape
  // would give 2 x 130 = 260.)
  CHECK(r[0].compute_cycles == 28);
  CHECK(r[0].spm_stall_cycles == (144 - 14) + (128 - 14));
}

TEST_CASE("report.json written one operator at a time equals the whole tree's dump", "[report]") {
  const Arch a = load_arch_string(kArch, "hand.yaml");
  // A chain of 601 operators (the elements are made in chunks of 256, on several threads),
  // the first named with invalid UTF-8 (written as U+FFFD) and a line break (escaped).
  std::string net = "tensors:\n  t0: {shape: [8, 8], role: input}\n  w: {shape: [8, 8], role: weight}\n";
  std::string ops = "ops:\n";
  for (int i = 1; i <= 601; ++i) {
    net += "  t" + std::to_string(i) + ": {shape: [8, 8]}\n";
    const std::string name = i == 1 ? "\"f\xff" "c\\n1\"" : "op" + std::to_string(i);
    ops += "  - {name: " + name + ", kind: gemm, inputs: [t" + std::to_string(i - 1) + ", w], outputs: [t" +
           std::to_string(i) + "]}\n";
  }
  const Workload wl = load_workload_string(net + ops, "chain.yaml", WorkloadFormat::yaml);
  const Mapping mapping = default_mapping(a, wl);
  const Plan plan = build_plan(a, wl, mapping);
  const auto r = run_kernel(a, plan, Fidelity::Tile);
  const RunSummary s = summarize(a, wl, r, Fidelity::Tile);
  const PlanEval ev = evaluate_plan(a, plan);
  nlohmann::json head = report_json(a, wl, s, ev, r, 0.5);
  head["data"] = {{"seed", 1}, {"checksums", {{"z", 7}}}};  // what run adds, beside the streamed lists
  nlohmann::json whole = head;
  for (const auto& p : s.ops) whole["operators"].push_back(operator_json(a, mapping, p));
  whole["evaluator"] = evaluator_json(ev, r);
  REQUIRE(whole["operators"].size() == 601);
  REQUIRE(whole["evaluator"]["operators"].size() == 601);
  std::ostringstream streamed;
  write_report_json(streamed, head, a, mapping, s, ev, r);
  CHECK(streamed.str() == whole.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  CHECK(streamed.str().find("\"f\xef\xbf\xbd" "c\\n1\"") != std::string::npos);
}
