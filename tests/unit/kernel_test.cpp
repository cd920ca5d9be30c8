// The SystemC kernel on cases small enough to work out by hand: the DRAM channel, the
// double-buffered loader/engine/writer pipeline, and the stall that is left.
#include <catch2/catch.hpp>

#include "sim/config/arch.h"
#include "sim/kernel/kernel.h"
#include "sim/mapper/planner.h"
#include "sim/scheduler/placement.h"
#include "sim/report/report.h"
#include "sim/workload/loader.h"

using namespace tessera;

namespace {

// 4x4 weight-stationary array at 1 GHz; DRAM 1 GB/s = 1 byte per cycle, 10 ns latency.
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

const char* kGemm = R"(name: one_gemm
tensors:
  x: {shape: [8, 4], role: input}
  w: {shape: [4, 4], role: weight}
  y: {shape: [8, 4], role: output}
ops:
  - {name: fc, kind: gemm, inputs: [x, w], outputs: [y]}
)";

std::vector<OpResult> run(const Workload& wl, const Mapping& m, const Arch& a) {
  return run_kernel(a, build_plan(a, wl, m), Fidelity::Tile);
}

}  // namespace

TEST_CASE("one tile: load, compute, store in sequence", "[kernel]") {
  const Arch a = load_arch_string(kArch, "hand.yaml");
  const Workload wl = load_workload_string(kGemm, "g.yaml", WorkloadFormat::yaml);
  const Mapping m = default_mapping(a, wl);
  REQUIRE(m.ops.size() == 1);
  CHECK(m.ops[0].tile_m == 8);  // everything fits: one tile
  const auto r = run(wl, m, a);
  REQUIRE(r.size() == 1);
  // Load x (32 B) + w (16 B): 48 data cycles + 10 latency -> loaded at 58.
  // WS: Sr = K = 4, Sc = N = 4, T = M = 8: one fold of T + 2r + c - 2 = 18 cycles -> 76.
  // Store y (32 B): 32 + 10 -> 118.
  CHECK(r[0].compute_cycles == 18);
  CHECK(r[0].total_cycles == 118);
  CHECK(r[0].stall_cycles == 100);
  CHECK(r[0].dram_read_bits == 48 * 8);
  CHECK(r[0].dram_write_bits == 32 * 8);
  CHECK(r[0].dram_busy_cycles == 80);
  CHECK(r[0].memory_bound());
  CHECK(r[0].macs == 8 * 4 * 4);
}

TEST_CASE("two tiles overlap the second load with the first compute", "[kernel]") {
  const Arch a = load_arch_string(kArch, "hand.yaml");
  const Workload wl = load_workload_string(kGemm, "g.yaml", WorkloadFormat::yaml);
  Mapping m = default_mapping(a, wl);
  m.ops[0].tile_m = 4;
  m.ops[0].loop_order = "nkm";
  const auto r = run(wl, m, a);
  // Both loads issue at once on the two DMA channels; the DRAM serialises their data phases.
  // Tile 0: x rows 0-3 (16 B) + w (16 B): data 0..32, loaded at 42; compute 4+8+4-2 = 14 -> 56.
  // Tile 1: x rows 4-7 (16 B), w unchanged: data 32..48, loaded at 58.
  // Store 0 (16 B) at 56: data 56..72, done 82. Compute 1: 58..72.
  // Store 1 at 72 on the channel tile 1's load freed: data 72..88, done 98.
  CHECK(r[0].tiles == 2);
  CHECK(r[0].compute_cycles == 28);
  CHECK(r[0].total_cycles == 98);
  CHECK(r[0].dram_busy_cycles == 80);  // 32 + 16 loading, 16 + 16 storing
  CHECK(r[0].dram_read_bits == 48 * 8);
  CHECK(r[0].dram_write_bits == 32 * 8);

  // One DMA channel serialises everything: load 0 done 42, load 1 issues then (data 42..58,
  // done 68), compute 0 42..56, store 0 waits for the channel until 68 (data 68..84, done 94),
  // compute 1 68..82, store 1 at 94: data 94..110, done 120.
  const Arch one = load_arch_string(kArch, "hand.yaml", {"memory.dma.channels=1"});
  const auto s = run(wl, m, one);
  CHECK(s[0].total_cycles == 120);
}

TEST_CASE("a tensor kept on chip: the consumer reads it in place and its weights load ahead", "[kernel][report]") {
  const Arch a = load_arch_string(kArch, "hand.yaml");
  const char* two = R"(name: two
tensors:
  x: {shape: [8, 4], role: input}
  w: {shape: [4, 4], role: weight}
  y: {shape: [8, 4]}
  v: {shape: [4, 4], role: weight}
  z: {shape: [8, 4], role: output}
ops:
  - {name: fc1, kind: gemm, inputs: [x, w], outputs: [y]}
  - {name: fc2, kind: gemm, inputs: [y, v], outputs: [z]}
)";
  const Workload wl = load_workload_string(two, "two.yaml", WorkloadFormat::yaml);
  const Mapping m = default_mapping(a, wl);
  const Plan plan = build_plan(a, wl, m);
  REQUIRE(plan.ops.size() == 2);
  CHECK(plan.ops[0].write.on_chip);      // y stays in the scratchpad...
  CHECK(plan.ops[1].reads[0].on_chip);   // ...and fc2 reads it there
  CHECK_FALSE(plan.ops[1].reads[1].on_chip);  // v comes from DRAM
  CHECK(plan.ops[1].deps == std::vector<size_t>{0});
  CHECK_FALSE(plan.ops[1].loads_wait);   // a weight load need not wait for fc1
  const auto r = run(wl, m, a);
  REQUIRE(r.size() == 2);
  // Both loads issue at 0 on the two DMA channels: x + w (48 B) data 0..48, landed 58; v (16 B)
  // data 48..64, landed 74. fc1 computes 58..76 (T + 2r + c - 2 = 18) and keeps y: done at 76.
  // fc2 computes once fc1 is done: 76..94, then stores z (32 B): data 94..126, done 136.
  CHECK(r[0].start_cycle == 0);
  CHECK(r[0].end_cycle == 76);
  CHECK(r[0].dram_write_bits == 0);
  CHECK(r[1].start_cycle == 76);  // its engine took it up then; v had been loading since 0
  CHECK(r[1].end_cycle == 136);
  CHECK(r[1].total_cycles == 60);
  CHECK(r[1].compute_cycles == 18);
  CHECK(r[1].dram_read_bits == 16 * 8);
  CHECK(r[1].dram_write_bits == 32 * 8);
  const RunSummary s = summarize(a, wl, r, Fidelity::Tile);
  CHECK(s.total_cycles == 136);  // against 2 x 118 = 236 with y through DRAM, one after another
  CHECK(s.gemm_macs == 256);
  CHECK(s.dram_read_bytes == 64);
  CHECK(s.dram_write_bytes == 32);
  CHECK(s.on_chip_reads == 1);
  CHECK(s.dram_reads == 3);
  CHECK(s.energy_pj.count("dram"));
  CHECK(s.energy_pj.count("array.pe_array"));
  CHECK(s.area_um2.count("spm"));
  // pe fidelity runs the per-cycle model in the engine's place: the same cycles.
  const auto pe = run_kernel(a, build_plan(a, wl, m), Fidelity::Pe);
  CHECK(pe[0].total_cycles == r[0].total_cycles);
  CHECK(pe[1].end_cycle == r[1].end_cycle);
  CHECK(pe[1].actions == r[1].actions);
}

TEST_CASE("a tile that cannot fit is an error naming the scratchpad", "[kernel]") {
  const Arch a = load_arch_string(kArch, "hand.yaml", {"memory.scratchpads.0.size_kb=1"});
  const Workload wl = load_workload_string(kGemm, "g.yaml", WorkloadFormat::yaml);
  Mapping m = default_mapping(a, wl);  // the default mapper shrinks tiles to fit
  CHECK_NOTHROW(build_plan(a, wl, m));
  const Mapping user = load_mapping_string(R"(mapping:
  - {op: fc, engine: array, dataflow: ws, tile: {m: 8, n: 4, k: 4}}
)", "m.yaml");
  CHECK_NOTHROW(build_plan(a, wl, user));
  const Workload big = load_workload_string(R"(name: big
tensors:
  x: {shape: [512, 512], role: input}
  w: {shape: [512, 512], role: weight}
  y: {shape: [512, 512], role: output}
ops:
  - {name: fc, kind: gemm, inputs: [x, w], outputs: [y]}
)", "b.yaml", WorkloadFormat::yaml);
  const Mapping whole = load_mapping_string(R"(mapping:
  - {op: fc, engine: array, dataflow: ws, tile: {m: 512, n: 512, k: 512}}
)", "m.yaml");
  try {
    build_plan(a, big, whole);
    FAIL("expected an error");
  } catch (const UserError& e) {
    CHECK(e.loc().file == "m.yaml");
    CHECK(e.loc().line == 2);
    CHECK_THAT(e.message(), Catch::Contains("scratchpad 'spm'"));
  }
}

TEST_CASE("mapping errors: unknown engine, dataflow, operator", "[kernel][mapping]") {
  const Arch a = load_arch_string(kArch, "hand.yaml");
  const Workload wl = load_workload_string(kGemm, "g.yaml", WorkloadFormat::yaml);
  auto err = [&](const std::string& text) {
    try {
      build_plan(a, wl, load_mapping_string(text, "m.yaml"));
    } catch (const UserError& e) {
      return std::string(e.message());
    }
    return std::string("no error");
  };
  CHECK_THAT(err("mapping:\n  - {op: fc, engine: aray, dataflow: ws}\n"), Catch::Contains("did you mean 'array'"));
  CHECK_THAT(err("mapping:\n  - {op: fc, engine: array, dataflow: xs}\n"), Catch::Contains("no dataflow 'xs'"));
  CHECK_THAT(err("mapping:\n  - {op: fc, engine: array, dataflow: ws}\n  - {op: fcc, engine: array}\n"),
             Catch::Contains("did you mean 'fc'"));
  CHECK_THAT(err("mapping: []\n"), Catch::Contains("has no mapping entry"));
  // Issue 13, item 9: a misspelt entry is named at its line, with the operator it was meant for,
  // before the operator left without an entry is reported (that error had no file or line).
  auto error_of = [&](const std::string& text) {
    try {
      build_plan(a, wl, load_mapping_string(text, "m.yaml"));
    } catch (const UserError& e) {
      return e;
    }
    FAIL("expected an error");
    return UserError("", SourceLoc{});
  };
  const UserError misspelt = error_of("mapping:\n  - {op: fx, engine: array, dataflow: ws}\n");
  CHECK(misspelt.loc().file == "m.yaml");
  CHECK(misspelt.loc().line == 2);
  CHECK(misspelt.key() == "op");
  CHECK(misspelt.message() == "mapping names operator 'fx', which workload 'one_gemm' does not have -- did you mean 'fc'?");
  const UserError missing = error_of("# nothing yet\nmapping: []\n");
  CHECK(missing.loc().file == "m.yaml");
  CHECK(missing.loc().line == 2);
  CHECK(missing.key() == "mapping");
  CHECK_THAT(missing.message(), Catch::StartsWith("operator 'fc' of workload 'one_gemm' has no mapping entry"));
  CHECK_THAT(err("mapping:\n  - {op: fc, engine: array, dataflow: ws, loop_order: mmk}\n"), Catch::Contains("permutation"));
  // An accumulator tile on a machine without an accumulator, or in an order that is not one.
  CHECK_THAT(err("mapping:\n  - {op: fc, engine: array, dataflow: ws, acc_tile: {m: 4, n: 4}}\n"),
             Catch::Contains("acc_tile needs an accumulator"));
  CHECK_THAT(err("mapping:\n  - {op: fc, engine: array, dataflow: ws, acc_loop_order: nk}\n"),
             Catch::Contains("expected nm (n outer) or mn"));
  CHECK_THAT(err("mapping:\n  - {op: fc, engine: array, dataflow: ws, acc_tile: {m: 4, q: 4}}\n"),
             Catch::Contains("did you mean 'm'"));
  // Keys for the other kind of work (issue 13, item 7): tile_elements on a GEMM, a tile on vector work.
  CHECK_THAT(err("mapping:\n  - {op: fc, engine: array, dataflow: ws, tile_elements: 4}\n"),
             Catch::Contains("'fc' is GEMM work (gemm): 'tile_elements' is for vector work"));
}

TEST_CASE("a tile on vector work is an error at its key", "[kernel][mapping]") {
  const Arch a = load_arch_string(std::string(kArch).replace(std::string(kArch).find("  - {name: array"), 0,
                                                             "  - {name: vpu, type: vector, lanes: 4}\n"),
                                  "hand.yaml");
  const Workload wl = load_workload_string(R"(name: e
tensors:
  x: {shape: [8, 4], role: input}
  y: {shape: [8, 4], role: output}
ops:
  - {name: act, kind: elementwise, op: relu, inputs: [x], outputs: [y]}
)", "e.yaml", WorkloadFormat::yaml);
  try {
    build_plan(a, wl, load_mapping_string("mapping:\n  - {op: act, engine: vpu, tile: {m: 4}}\n", "m.yaml"));
    FAIL("no error");
  } catch (const UserError& e) {
    CHECK(e.key() == "tile");
    CHECK(e.loc().line == 2);
    CHECK_THAT(e.message(), Catch::Contains("'act' is vector work (elementwise): 'tile' is for GEMM work"));
  }
}

TEST_CASE("accumulator tiles: too small for the tile, or larger than the accumulator, are errors at the key", "[kernel][mapping][acc]") {
  std::string text = kArch;
  text.insert(text.find("  dram:"), "    - {name: acc, size_kb: 1, holds: [psum]}\n");
  text.replace(text.find("size_kb: 64"), 11, "size_kb: 256");
  const Arch a = load_arch_string(text, "hand.yaml");
  const Workload big = load_workload_string(R"(name: g
tensors:
  x: {shape: [128, 4], role: input}
  w: {shape: [4, 64], role: weight}
  y: {shape: [128, 64], role: output}
ops:
  - {name: fc, kind: gemm, inputs: [x, w], outputs: [y]}
)", "g.yaml", WorkloadFormat::yaml);
  auto err = [&](const std::string& acc) {
    try {
      build_plan(a, big, load_mapping_string("mapping:\n  - {op: fc, engine: array, dataflow: ws, acc_tile: " + acc + "}\n", "m.yaml"));
    } catch (const UserError& e) {
      return std::string(e.key()) + ": " + e.message();
    }
    return std::string("no error");
  };
  // 128 x 64 outputs in 1 x 1 accumulator tiles: 8192 calls.
  CHECK_THAT(err("{m: 1, n: 1}"), Catch::Contains("acc_tile: 'fc': the accumulator tile splits tile m=128 n=64 k=4 into 8192 engine calls"));
  // 1 KiB holds 256 partial sums of 32 bits, 128 double-buffered: 16 x 16 does not fit.
  CHECK(err("{m: 16, n: 16}") ==
        "acc_tile: 'fc': accumulator tile m=16 n=16 of tile m=128 n=64 k=4 needs 2048 bytes of partial sums double-buffered in "
        "accumulator 'acc', which holds 1024 bytes");
  CHECK(err("{m: 2, n: 64}") == "no error");
  // Without acc_tile the largest that fits: whole rows of 64 outputs, two to a call.
  const Plan p = build_plan(a, big, default_mapping(a, big));
  CHECK(p.ops[0].tiles.size() == 64);
  CHECK(p.ops[0].tiles.at(0).shape == GemmShape{2, 64, 4});
}

TEST_CASE("a mapping round-trips through YAML to the same run", "[mapping]") {
  const Arch a = load_arch(std::string(TESSERA_SOURCE_DIR) + "/configs/arch/tpu_like.yaml");
  const Workload wl = load_workload("resnet50");
  const Mapping m = default_mapping(a, wl);
  std::ostringstream text;
  write_mapping(m, text);
  const Mapping back = load_mapping_string(text.str(), "rt.yaml");
  REQUIRE(back.ops.size() == m.ops.size());
  const auto r1 = run_kernel(a, build_plan(a, wl, m), Fidelity::Tile);
  const auto r2 = run_kernel(a, build_plan(a, wl, back), Fidelity::Tile);
  uint64_t c1 = 0, c2 = 0;
  for (const auto& r : r1) c1 += r.total_cycles;
  for (const auto& r : r2) c2 += r.total_cycles;
  CHECK(c1 == c2);
  CHECK(c1 > 0);

  // An empty mapping round-trips too (an empty YAML block would read back as null).
  std::ostringstream empty;
  write_mapping(Mapping{}, empty);
  CHECK(load_mapping_string(empty.str(), "empty.yaml").ops.empty());
}

TEST_CASE("two independent branches on two arrays run at the same time", "[kernel][concurrency]") {
  // Two 4x4 ws arrays share one DRAM channel of 16 bytes per cycle (10 ns latency) and 2 DMA
  // channels. Each branch: x [64, 4] (256 B) times its own w [4, 4] (16 B) -> y [64, 4] (256 B).
  const std::string arch = R"(name: twin
clock_ghz: 1.0
engines:
  - {name: a0, type: systolic, rows: 4, cols: 4, dataflow: ws}
  - {name: a1, type: systolic, rows: 4, cols: 4, dataflow: ws}
memory:
  scratchpads:
    - {name: spm, size_kb: 64, banks: 8, width_bits: 64, ports: 2}
  dram: {bandwidth_gbps: 16, latency_ns: 10}
  dma: {channels: 2, setup_cycles: 0}
)";
  const Arch a = load_arch_string(arch, "twin.yaml");
  const Workload wl = load_workload_string(R"(name: branches
tensors:
  x: {shape: [64, 4], role: input}
  w1: {shape: [4, 4], role: weight}
  w2: {shape: [4, 4], role: weight}
  y1: {shape: [64, 4], role: output}
  y2: {shape: [64, 4], role: output}
ops:
  - {name: g1, kind: gemm, inputs: [x, w1], outputs: [y1]}
  - {name: g2, kind: gemm, inputs: [x, w2], outputs: [y2]}
)", "b.yaml", WorkloadFormat::yaml);
  const Mapping m = default_mapping(a, wl);
  REQUIRE(m.ops.size() == 2);
  CHECK(m.ops[0].engine == "a0");
  CHECK(m.ops[1].engine == "a1");  // the list scheduler spreads independent work
  const auto r = run(wl, m, a);
  // g1 (a0, first in the fixed arbitration order): x + w1 (272 B) data 0..17, landed 27;
  // computes 27..101 (T + 2r + c - 2 = 64 + 8 + 4 - 2 = 74); stores y1 (256 B) 101..117,
  // landed 127. g2 (a1): data 17..34, landed 44; computes 44..118 at the same time; stores
  // 118..134, landed 144.
  CHECK(r[0].end_cycle == 127);
  CHECK(r[1].start_cycle == 0);  // at once, on the other array
  CHECK(r[1].end_cycle == 144);
  CHECK(makespan(r) == 144);

  // Both on a0: g2's operands still load ahead (landed 44), but it computes after g1: 101..175,
  // stores 175..191, landed 201. 144 / 201 = 0.72.
  Mapping seq = m;
  seq.ops[1].engine = "a0";
  const auto s = run(wl, seq, a);
  CHECK(s[1].end_cycle == 201);
  CHECK(makespan(s) == 201);
}

TEST_CASE("placement: tensors stay on chip while they fit; the one used furthest ahead spills", "[kernel][placement]") {
  // A 1 KiB scratchpad. Activations are [64, 4] int8 = 256 B; every gemm runs in 8-row tiles,
  // staging 2 x (a 32 + b 16 + psums 8 x 4 x 4 = 128) = 352 B with a from DRAM, 288 B with a
  // on chip.
  const Arch a = load_arch_string(kArch, "hand.yaml", {"memory.scratchpads.0.size_kb=1"});
  const Workload wl = load_workload_string(R"(name: skip
tensors:
  x: {shape: [64, 4], role: input}
  w1: {shape: [4, 4], role: weight}
  w2: {shape: [4, 4], role: weight}
  w3: {shape: [4, 4], role: weight}
  w4: {shape: [4, 4], role: weight}
  w5: {shape: [4, 4], role: weight}
  w6: {shape: [4, 4], role: weight}
  p: {shape: [64, 4]}
  q: {shape: [64, 4]}
  r: {shape: [64, 4]}
  s: {shape: [64, 4], role: output}
  t: {shape: [64, 4], role: output}
  u: {shape: [64, 4], role: output}
ops:
  - {name: g1, kind: gemm, inputs: [x, w1], outputs: [p]}
  - {name: g2, kind: gemm, inputs: [x, w2], outputs: [q]}
  - {name: g3, kind: gemm, inputs: [x, w3], outputs: [r]}
  - {name: g4, kind: gemm, inputs: [p, w4], outputs: [s]}
  - {name: g5, kind: gemm, inputs: [r, w5], outputs: [t]}
  - {name: g6, kind: gemm, inputs: [q, w6], outputs: [u]}
)", "skip.yaml", WorkloadFormat::yaml);
  std::string text = "mapping:\n";
  for (const char* op : {"g1", "g2", "g3", "g4", "g5", "g6"})
    text += std::string("  - {op: ") + op + ", engine: array, dataflow: ws, tile: {m: 8}, loop_order: mnk}\n";
  const Plan plan = build_plan(a, wl, load_mapping_string(text, "m.yaml"));
  REQUIRE(plan.ops.size() == 6);
  // g1: 352 + p 256 = 608 B: p kept. g2: 352 + 256 + q 256 = 864: q kept. g3: 352 + 512 +
  // r 256 = 1120 > 1024: of p (next read by g4) and q (by g6), q is read furthest ahead and
  // goes to DRAM before g3 runs; 864 B then. g4 reads p (288 + p, r = 800), g5 r, g6 q from DRAM.
  CHECK(plan.ops[0].write.on_chip);
  CHECK(plan.ops[1].write.on_chip);
  CHECK(plan.ops[2].spills == std::vector<std::string>{"q"});
  CHECK(plan.ops[2].spill_bits == 256 * 8);
  CHECK(plan.ops[2].write.on_chip);
  CHECK(plan.ops[3].reads[0].on_chip);
  CHECK(plan.ops[4].reads[0].on_chip);
  CHECK_FALSE(plan.ops[5].reads[0].on_chip);
  CHECK(plan.ops[5].loads_wait);
  CHECK(std::find(plan.ops[2].deps.begin(), plan.ops[2].deps.end(), size_t{1}) != plan.ops[2].deps.end());
  const auto r = run_kernel(a, plan, Fidelity::Tile);
  uint64_t read = 0, write = 0;
  for (const auto& o : r) {
    read += o.dram_read_bits / 8;
    write += o.dram_write_bits / 8;
  }
  // Reads: x three times (3 x 256), q once back (256), six weights of 16 B. Writes: the spill
  // of q (256) and the three outputs (3 x 256).
  CHECK(read == 768 + 256 + 96);
  CHECK(write == 256 + 768);
  CHECK(r[2].dram_write_bits == 256 * 8);
}

TEST_CASE("fusion: an element-wise op after a GEMM runs in the engine's output path", "[kernel][fusion]") {
  const std::string net = R"(name: fc_relu
tensors:
  x: {shape: [8, 4], role: input}
  w: {shape: [4, 4], role: weight}
  y: {shape: [8, 4]}
  z: {shape: [8, 4], role: output}
ops:
  - {name: fc, kind: gemm, inputs: [x, w], outputs: [y]}
  - {name: act, kind: elementwise, op: relu, inputs: [y], outputs: [z]}
)";
  const Workload wl = load_workload_string(net, "n.yaml", WorkloadFormat::yaml);
  // The hand machine plus a vector unit; `fusing` lets the array apply relu.
  std::string with_vec = kArch;
  with_vec.replace(with_vec.find("memory:"), 0, "  - {name: vec, type: vector, lanes: 4}\n");
  const Arch plain = load_arch_string(with_vec, "hand.yaml");
  const Arch fusing = load_arch_string(with_vec, "hand.yaml", {"engines.0.fuse=relu"});

  // Asking for a fusion the machine does not allow is an error at the mapping entry. (Checked
  // before any kernel runs: AddressSanitizer misreports a throw once SystemC switched stacks.)
  Mapping bad = default_mapping(plain, wl);
  bad.ops[1].engine = "array";
  bad.ops[1].fused = true;
  bad.ops[1].loc = SourceLoc{"m.yaml", 3, 5};
  try {
    build_plan(plain, wl, bad);
    FAIL("expected an error");
  } catch (const UserError& e) {
    CHECK(e.loc().line == 3);
    CHECK(e.key() == "fused");
    CHECK_THAT(e.message(), Catch::Contains("'act' cannot be fused") && Catch::Contains("does not apply relu"));
  }

  const Mapping m = default_mapping(fusing, wl);
  REQUIRE(m.ops.size() == 2);
  CHECK(m.ops[1].fused);
  CHECK(m.ops[1].engine == "array");
  const auto r = run(wl, m, fusing);
  // The array writes z directly: y never exists; 32 int_max in the output path at 32 bits.
  CHECK(r[0].actions.count("output_path", "int_max", 32) == 32);
  CHECK(r[0].dram_write_bits == 32 * 8);
  CHECK(r[1].fused_into == "fc");
  CHECK(r[1].compute_cycles == 0);
  CHECK(r[1].total_cycles == 0);
  CHECK(r[1].dram_read_bits + r[1].dram_write_bits == 0);
  // It round-trips through the mapping file.
  std::ostringstream text;
  write_mapping(m, text);
  CHECK_THAT(text.str(), Catch::Contains("fused: true"));
  CHECK(load_mapping_string(text.str(), "rt.yaml").ops[1].fused);

  // Without the fuse key relu runs on the vector unit, and y stays on chip in between.
  const Mapping p = default_mapping(plain, wl);
  CHECK_FALSE(p.ops[1].fused);
  CHECK(p.ops[1].engine == "vec");
  const auto q = run(wl, p, plain);
  CHECK(q[0].write.on_chip);
  CHECK(q[0].dram_write_bits == 0);
  CHECK(q[1].compute_cycles > 0);
}

TEST_CASE("a tensor format the engine cannot read is an error before anything simulates", "[kernel][mapping]") {
  const Arch a = load_arch_string(kArch, "hand.yaml");
  const Workload wl = load_workload_string(R"(name: fp
tensors:
  x: {shape: [8, 4], role: input, dtype: fp16}
  w: {shape: [4, 4], role: weight, dtype: fp16}
  y: {shape: [8, 4], role: output, dtype: fp16}
ops:
  - {name: fc, kind: gemm, inputs: [x, w], outputs: [y]}
)", "fp.yaml", WorkloadFormat::yaml);
  // The default mapper finds no engine for it...
  CHECK_THROWS_WITH(default_mapping(a, wl), Catch::Contains("no engine of machine 'hand' can run 'fc'"));
  // ...and a mapping that insists names the operator, the engine and the formats, at its line.
  try {
    build_plan(a, wl, load_mapping_string("mapping:\n  - {op: fc, engine: array, dataflow: ws}\n", "m.yaml"));
    FAIL("expected an error");
  } catch (const UserError& e) {
    CHECK(e.loc().line == 2);
    CHECK_THAT(e.message(), Catch::Contains("'fc'") && Catch::Contains("fp16 x fp16"));
  }
}

TEST_CASE("an accumulator: a tile's calls share its loads, the next tile loads while they run", "[kernel][acc]") {
  const Arch a = load_arch_string(R"(name: hand
clock_ghz: 1.0
engines:
  - {name: array, type: systolic, rows: 4, cols: 4, dataflow: ws}
memory:
  scratchpads:
    - {name: spm, size_kb: 64, banks: 8, width_bits: 64, ports: 2, holds: [a, b, out]}
    - {name: acc, size_kb: 1, banks: 8, width_bits: 64, ports: 2, holds: [psum]}
  dram: {bandwidth_gbps: 1, latency_ns: 10}
  dma: {channels: 2, setup_cycles: 0}
)", "hand.yaml");
  const Workload wl = load_workload_string(R"(name: g
tensors:
  x: {shape: [8, 6], role: input}
  w: {shape: [6, 4], role: weight}
  y: {shape: [8, 4], role: output}
ops:
  - {name: fc, kind: gemm, inputs: [x, w], outputs: [y]}
)", "g.yaml", WorkloadFormat::yaml);
  // Three 8x4x2 tiles (k innermost), each two 4x4x2 calls on 4x4 accumulator tiles.
  const Mapping m = load_mapping_string(
      "mapping:\n  - {op: fc, engine: array, dataflow: ws, tile: {m: 8, n: 4, k: 2}, loop_order: mnk, acc_tile: {m: 4, n: 0}}\n",
      "m.yaml");
  const auto r = run(wl, m, a);
  // Each tile loads x (8x2 = 16 B) and w (2x4 = 8 B) with its first call. A call: WS, T = 4,
  // r = K = 2, c = 4: T - 2 + 2r + c = 10 cycles.
  // Tile 0: data 0..24, loaded 34; calls 34..44..54. Tile 1 has the other buffer: data 24..48,
  // loaded 58; calls 58..68..78. Tile 2 waits for tile 0's buffer (54): data 54..78, loaded 88;
  // calls 88..98..108. Its calls' final values (4x4 int8 = 16 B each) store at 98 (data
  // 98..114, done 124) and 108 (data 114..130, done 140).
  CHECK(r[0].tiles == 6);
  CHECK(r[0].compute_cycles == 60);
  CHECK(r[0].total_cycles == 140);
  CHECK(r[0].dram_busy_cycles == 3 * 24 + 2 * 16);
  CHECK(r[0].dram_read_bits == 3 * 24 * 8);
  CHECK(r[0].dram_write_bits == 2 * 16 * 8);
  // The accumulator: each call writes its 4x4 partial sums (512 bits at 32); calls of tiles 1
  // and 2 first bring theirs back from the scratchpad (fill 512) and read them to add (512);
  // every call's sums leave (drain: read 512), as partial sums to the scratchpad (512 bits)
  // for tiles 0 and 1, as final values (128 bits) to the scratchpad for tile 2.
  CHECK(r[0].spm[1].write_bits == 6 * 512 + 4 * 512);
  CHECK(r[0].spm[1].read_bits == 4 * 512 + 6 * 512);
  // The scratchpad: engine reads of x and w (64 + 64 bits a call), fills, DRAM stores; writes:
  // DRAM loads, drains.
  CHECK(r[0].spm[0].read_bits == 6 * 128 + 4 * 512 + 2 * 128);
  CHECK(r[0].spm[0].write_bits == 3 * 192 + 4 * 512 + 2 * 128);
  CHECK(r[0].actions.count("accumulator", "int_add", 32) == 4 * 16);
}

TEST_CASE("fused LUT precompute: the writer of each activation tensor builds its tables", "[kernel][fusion]") {
  const std::string dir = std::string(TESSERA_SOURCE_DIR) + "/tests/data/";
  const Workload wl = load_workload(dir + "mlp_lut.yaml");
  const Arch array = load_arch(dir + "cosim_lut.yaml");
  const Arch fused = load_arch(dir + "cosim_lut.yaml", {"engines.0.precompute=fused"});
  const auto ra = run(wl, default_mapping(array, wl), array);
  const Plan plan = build_plan(fused, wl, default_mapping(fused, wl));
  const auto rf = run_kernel(fused, plan, Fidelity::Tile);
  REQUIRE(rf.size() == 3);
  // K 4 int8 symmetric tables: 8 entries of 11 bits = 81 bits, 21 bits per activation in memory.
  auto placed = [&](const std::string& t) {
    for (const auto& p : plan.tensors)
      if (p.tensor == t) return p.bits;
    FAIL("no placement of " << t);
    return uint64_t{0};
  };
  CHECK(placed("h1") == 6 * 20 * 21);
  CHECK(placed("h2") == 6 * 12 * 21);
  CHECK(placed("y") == 6 * 8 * 8);  // read by no LUT: plain int8
  // fc1 builds the tables of its input x (a workload input: 6 x 24 / 4 = 36) and of its output
  // h1 (30); fc2 those of h2 (18); the first entry's negation is one 9-bit add per table.
  CHECK(rf[0].actions.count("table_precompute", "int_add", 9) == 36 + 30);
  CHECK(rf[1].actions.count("table_precompute", "int_add", 9) == 18);
  CHECK(rf[2].actions.count("table_precompute", "int_add", 9) == 0);
  // ... and the array builds none: its precompute's 9-bit adds are gone.
  for (size_t i = 0; i < 3; ++i) {
    CHECK(ra[i].actions.count("precompute", "int_add", 9) > 0);
    CHECK(rf[i].actions.count("precompute", "int_add", 9) == 0);
  }
  // x comes from DRAM as table words: 13 more bits per element.
  CHECK(rf[0].dram_read_bits - ra[0].dram_read_bits == 6 * 24 * (21 - 8));
  CHECK(rf[0].compute_cycles == ra[0].compute_cycles);

  // A tensor read as tables by the LUT and as plain elements by another engine is refused.
  const std::string net = R"(name: both
dtype: int8
tensors:
  x: {shape: [2, 8], role: input}
  w: {shape: [8, 4], dtype: int4, role: weight}
  h: {shape: [2, 4]}
  y: {shape: [2, 4], role: output}
  z: {shape: [2, 4], role: output}
ops:
  - {name: fc, kind: gemm, inputs: [x, w], outputs: [h]}
  - {name: fc2, kind: gemm, inputs: [h, w2], outputs: [y]}
  - {name: act, kind: elementwise, op: relu, inputs: [h], outputs: [z]}
)";
  std::string fixed = net;
  fixed.replace(fixed.find("  h: {"), 0, "  w2: {shape: [4, 4], dtype: int4, role: weight}\n");
  const Workload both = load_workload_string(fixed, "both.yaml", WorkloadFormat::yaml);
  Mapping m = default_mapping(fused, both);
  try {
    build_plan(fused, both, m);
    FAIL("expected an error");
  } catch (const UserError& e) {
    CHECK(e.key() == "engine");
    CHECK_THAT(e.message(), Catch::Contains("'fc2' reads 'h' as lut tables") &&
                                Catch::Contains("'act' reads it as plain elements"));
  }
  // Tables hold consecutive elements of a row: a reader behind a transpose is refused (found by
  // fuzzing: the check once covered only the first reader of a tensor).
  const Workload tr = load_workload_string(R"(name: tr
dtype: int8
tensors:
  x: {shape: [4, 8], role: input}
  w: {shape: [8, 8], dtype: int4, role: weight}
  h: {shape: [4, 8]}
  ht: {shape: [8, 4]}
  w2: {shape: [4, 4], dtype: int4, role: weight}
  y: {shape: [8, 4], role: output}
ops:
  - {name: fc, kind: gemm, inputs: [x, w], outputs: [h]}
  - {name: tr, kind: transpose, inputs: [h], outputs: [ht], perm: "1,0"}
  - {name: fc2, kind: gemm, inputs: [ht, w2], outputs: [y]}
)",
                                           "tr.yaml", WorkloadFormat::yaml);
  CHECK_THROWS_WITH(build_plan(fused, tr, default_mapping(fused, tr)),
                    Catch::Contains("'fc2' reads 'h' as lut tables") && Catch::Contains("through transpose 'tr'"));
  CHECK_NOTHROW(build_plan(array, tr, default_mapping(array, tr)));
  // A reshape keeps the order, but the writer's rows of 6 are not whole groups of 4.
  const Workload rs = load_workload_string(R"(name: rs
dtype: int8
tensors:
  x: {shape: [4, 8], role: input}
  w: {shape: [8, 6], dtype: int4, role: weight}
  h: {shape: [4, 6]}
  hr: {shape: [6, 4]}
  w2: {shape: [4, 4], dtype: int4, role: weight}
  y: {shape: [6, 4], role: output}
ops:
  - {name: fc, kind: gemm, inputs: [x, w], outputs: [h]}
  - {name: rs, kind: reshape, inputs: [h], outputs: [hr]}
  - {name: fc2, kind: gemm, inputs: [hr, w2], outputs: [y]}
)",
                                           "rs.yaml", WorkloadFormat::yaml);
  CHECK_THROWS_WITH(build_plan(fused, rs, default_mapping(fused, rs)),
                    Catch::Contains("'h' has rows of 6 elements, not whole groups of 4"));
}
