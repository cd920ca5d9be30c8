// A whole network (tests/data/cnn3.yaml: three int8 conv layers) on a small machine
// (tests/data/cosim_8x8.yaml) at tile, pe and rtl fidelity, with seeded data: the cycles of
// every operator, the actions and the checksum of every tensor written are identical, and the
// first layer's functional output equals a direct convolution (so the im2col data path is
// right, not only consistent).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "models/numerics/olive.h"
#include "sim/config/arch.h"
#include "sim/config/yaml_util.h"
#include "sim/kernel/datapath.h"
#include "sim/kernel/kernel.h"
#include "sim/mapper/planner.h"
#include "sim/scheduler/placement.h"
#include "sim/workload/loader.h"

using namespace tessera;

namespace {

struct Run {
  std::vector<OpResult> ops;
  std::map<std::string, std::string> checksums;
  std::vector<int64_t> image, conv1_w, conv1_out;
};

Run run(Fidelity fid, uint64_t seed, const std::vector<std::string>& overrides = {},
        const std::string& machine = "tests/data/cosim_8x8.yaml") {
  const Arch arch = load_arch(machine, overrides);
  const Workload wl = load_workload("tests/data/cnn3.yaml");
  const auto plans = build_plan(arch, wl, default_mapping(arch, wl));
  SeededData data(wl, seed);
  Run r;
  r.ops = run_kernel(arch, plans, fid, &data);
  r.checksums = data.checksums();
  r.image = *data.tensor_values("image");
  r.conv1_w = *data.tensor_values("conv1.w");
  r.conv1_out = *data.tensor_values("conv1.out");
  return r;
}

// `workload` on `machine` (with `sets`) at `fid` on data seeded with `seed`: per-operator results
// and the checksum of every tensor written.
Run run_network(Fidelity fid, const std::string& machine, const std::string& workload,
                const std::vector<std::string>& sets, uint64_t seed) {
  const Arch arch = load_arch(machine, sets);
  const Workload wl = load_workload(workload);
  const auto plans = build_plan(arch, wl, default_mapping(arch, wl));
  SeededData data(wl, seed);
  Run r;
  r.ops = run_kernel(arch, plans, fid, &data);
  r.checksums = data.checksums();
  return r;
}

// The other fidelities' runs equal the tile run operator by operator: cycles, the engine's
// cycle split, actions, and the checksum of every tensor written.
void require_identical(const Run& tile, std::initializer_list<const Run*> others) {
  for (const Run* other : others) {
    REQUIRE(other->ops.size() == tile.ops.size());
    for (size_t i = 0; i < tile.ops.size(); ++i) {
      INFO(tile.ops[i].op);
      CHECK(other->ops[i].total_cycles == tile.ops[i].total_cycles);
      CHECK(other->ops[i].start_cycle == tile.ops[i].start_cycle);
      CHECK(other->ops[i].compute_cycles == tile.ops[i].compute_cycles);
      CHECK(other->ops[i].engine_split == tile.ops[i].engine_split);
      CHECK(other->ops[i].actions == tile.ops[i].actions);
    }
    CHECK(other->checksums == tile.checksums);
  }
}

}  // namespace

TEST_CASE("cnn3 at tile, pe and rtl fidelity: identical cycles, actions and outputs", "[rtl][network]") {
  const std::string dataflow = GENERATE(as<std::string>{}, "os", "ws", "is");
  INFO("dataflow " << dataflow);
  const std::vector<std::string> df = {"engines.0.dataflow=" + dataflow};
  const Run tile = run(Fidelity::Tile, 42, df), pe = run(Fidelity::Pe, 42, df), rtl = run(Fidelity::Rtl, 42, df);
  REQUIRE(tile.ops.size() == 3);
  uint64_t tiles = 0;
  require_identical(tile, {&pe, &rtl});
  for (const auto& o : tile.ops) tiles += o.tiles;
  CHECK(tiles > 3);  // the scratchpads force several tiles per layer
  CHECK(tile.checksums.size() == 3);
  // Integer sums do not depend on the order the dataflow adds them in.
  CHECK(run(Fidelity::Tile, 42).checksums == tile.checksums);
  // A different seed gives different outputs (the checksums see the data).
  CHECK(run(Fidelity::Tile, 43, df).checksums.at("logits") != tile.checksums.at("logits"));
}

TEST_CASE("cnn3 with double-buffered weights: identical at tile, pe and rtl, faster than single",
          "[rtl][network][weight_buffering]") {
  const std::string dataflow = GENERATE(as<std::string>{}, "ws", "is");
  INFO("dataflow " << dataflow);
  const std::vector<std::string> db = {"engines.0.weight_buffering=double", "engines.0.dataflow=" + dataflow};
  const Run tile = run(Fidelity::Tile, 5, db), pe = run(Fidelity::Pe, 5, db), rtl = run(Fidelity::Rtl, 5, db);
  const Run single = run(Fidelity::Tile, 5, {"engines.0.dataflow=" + dataflow});
  require_identical(tile, {&pe, &rtl});
  CHECK(tile.checksums == single.checksums);
  uint64_t compute_db = 0, compute_single = 0;
  for (size_t i = 0; i < tile.ops.size(); ++i) {
    compute_db += tile.ops[i].compute_cycles;
    compute_single += single.ops[i].compute_cycles;
  }
  CHECK(compute_db < compute_single);
}

TEST_CASE("cnn3 on the bit-serial array at tile, pe and rtl fidelity: identical cycles, actions and outputs",
          "[rtl][network][bitserial]") {
  const std::string machine = "tests/data/cosim_bitserial.yaml";
  const Run tile = run(Fidelity::Tile, 42, {}, machine), pe = run(Fidelity::Pe, 42, {}, machine),
            rtl = run(Fidelity::Rtl, 42, {}, machine);
  REQUIRE(tile.ops.size() == 3);
  require_identical(tile, {&pe, &rtl});
  // Integer sums do not depend on the engine: the systolic machine computes the same tensors.
  CHECK(run(Fidelity::Tile, 42).checksums == tile.checksums);
}

TEST_CASE("cnn3 on the term-serial array at tile, pe and rtl fidelity: identical cycles, actions and outputs",
          "[rtl][network][termserial]") {
  const std::string machine = "tests/data/cosim_termserial.yaml";
  const std::vector<std::string> both = {"engines.0.rows=2", "engines.0.cols=5", "engines.0.lanes=5",
                                         "engines.0.serial=both", "engines.0.encoding=booth",
                                         // a one-lane vector unit, so that the GEMMs stay on the
                                         // array: at 10 SIPs both serial it is slower than 8 lanes
                                         "engines.1.lanes=1"};
  for (const auto& overrides : {std::vector<std::string>{}, both}) {
    INFO((overrides.empty() ? "activations, plain" : "both, booth"));
    const Run tile = run(Fidelity::Tile, 42, overrides, machine), pe = run(Fidelity::Pe, 42, overrides, machine),
              rtl = run(Fidelity::Rtl, 42, overrides, machine);
    REQUIRE(tile.ops.size() == 3);
    require_identical(tile, {&pe, &rtl});
    CHECK(run(Fidelity::Tile, 42).checksums == tile.checksums);
    // The cycles are the data's: another seed times differently.
    uint64_t c42 = 0, c43 = 0;
    for (const auto& o : tile.ops) c42 += o.compute_cycles;
    for (const auto& o : run(Fidelity::Tile, 43, overrides, machine).ops) c43 += o.compute_cycles;
    CHECK(c42 != c43);
  }
}

TEST_CASE("declared value distributions time a data-timed engine without data; a shape-timed one ignores them",
          "[rtl][network][termserial]") {
  std::string text = read_text_file("tests/data/cnn3.yaml");
  const Workload plain = load_workload_string(text, "cnn3.yaml", WorkloadFormat::yaml);
  for (const char* t : {"conv1.out: {shape: [1, 16, 12, 12], role: activation",
                        "conv2.out: {shape: [1, 24, 6, 6], role: activation"}) {
    const size_t at = text.find(t);
    REQUIRE(at != std::string::npos);
    text.insert(at + std::string(t).size(), ", values: {zeros: 0.6, sigma: 6, positive: true}");
  }
  const Workload relu = load_workload_string(text, "cnn3.yaml", WorkloadFormat::yaml);
  auto cycles = [](const std::string& machine, const Workload& wl, const char* op) {
    const Arch arch = load_arch(machine);
    for (const auto& r : run_kernel(arch, build_plan(arch, wl, default_mapping(arch, wl)), Fidelity::Tile))
      if (r.op == op) return r.compute_cycles;
    return uint64_t{0};
  };
  const std::string ts = "tests/data/cosim_termserial.yaml", bs = "tests/data/cosim_bitserial.yaml";
  // conv1 reads the image (no declaration): unchanged; conv2 and fc read sparse, small values.
  CHECK(cycles(ts, relu, "conv1") == cycles(ts, plain, "conv1"));
  CHECK(cycles(ts, relu, "conv2") < cycles(ts, plain, "conv2") * 3 / 4);
  CHECK(cycles(ts, relu, "fc") < cycles(ts, plain, "fc"));
  CHECK(cycles(bs, relu, "conv2") == cycles(bs, plain, "conv2"));
}

TEST_CASE("pe or rtl fidelity without data on a data-timed engine is a UserError", "[rtl][network][termserial]") {
  const Arch arch = load_arch("tests/data/cosim_termserial.yaml");
  const Workload wl = load_workload("tests/data/cnn3.yaml");
  const auto plans = build_plan(arch, wl, default_mapping(arch, wl));
  for (Fidelity f : {Fidelity::Pe, Fidelity::Rtl})
    CHECK_THROWS_WITH(run_kernel(arch, plans, f), Catch::Contains("engine 'array' (termserial") &&
                                                      Catch::Contains("times tiles by their data") &&
                                                      Catch::Contains("--data"));
  CHECK(run_kernel(arch, plans, Fidelity::Tile).size() == 3);  // the expected cost, no data needed
}

TEST_CASE("the data path's conv1 equals a direct convolution, requantized", "[rtl][network]") {
  const Run r = run(Fidelity::Tile, 7);
  // conv1: image [1,3,12,12], weight [16,3,3,3], padding 1 -> [1,16,12,12]; K = 27.
  const int shift = 7 + 3;  // (a_bits - 1) + ceil(ceil(log2 27) / 2) = 7 + ceil(5/2)
  int64_t nonzero = 0;
  for (int co = 0; co < 16; ++co)
    for (int y = 0; y < 12; ++y)
      for (int x = 0; x < 12; ++x) {
        int64_t acc = 0;
        for (int ci = 0; ci < 3; ++ci)
          for (int ky = 0; ky < 3; ++ky)
            for (int kx = 0; kx < 3; ++kx) {
              const int iy = y - 1 + ky, ix = x - 1 + kx;
              if (iy < 0 || iy >= 12 || ix < 0 || ix >= 12) continue;
              acc += r.image[static_cast<size_t>((ci * 12 + iy) * 12 + ix)] *
                     r.conv1_w[static_cast<size_t>(((co * 3 + ci) * 3 + ky) * 3 + kx)];
            }
        const int64_t expect = std::clamp<int64_t>(acc >> shift, -128, 127);
        const int64_t got = r.conv1_out[static_cast<size_t>((co * 12 + y) * 12 + x)];
        INFO("co " << co << " y " << y << " x " << x);
        REQUIRE(got == expect);
        nonzero += got != 0;
      }
  CHECK(nonzero > 16 * 12 * 12 / 2);
}

TEST_CASE("a data run stops with a UserError at an operator without a functional model", "[rtl][network]") {
  const Arch arch = load_arch("tests/data/cosim_8x8.yaml");
  const Workload wl = load_workload_string(R"(
name: relu_net
dtype: int8
tensors:
  x: {shape: [4, 8], role: input}
  w: {shape: [8, 8], role: weight}
  y: {shape: [4, 8], role: activation}
  z: {shape: [4, 8], role: output}
ops:
  - {name: fc, kind: gemm, inputs: [x, w], outputs: [y]}
  - {name: act, kind: elementwise, inputs: [y], outputs: [z], op: relu}
)",
                                           "relu_net.yaml", WorkloadFormat::yaml);
  const auto plans = build_plan(arch, wl, default_mapping(arch, wl));
  SeededData data(wl, 1);
  CHECK_THROWS_WITH(run_kernel(arch, plans, Fidelity::Tile, &data),
                    Catch::Contains("'act'") && Catch::Contains("no functional model"));
  // ... and rtl fidelity stops at the vector engine, which has no RTL.
  CHECK_THROWS_WITH(run_kernel(arch, plans, Fidelity::Rtl), Catch::Contains("'vec'") && Catch::Contains("no RTL model"));
}

TEST_CASE("rtl fidelity on a configuration whose RTL cannot be built is a UserError", "[rtl][network]") {
  // 6x8 is not linked in, so it would be built on first use; with no Verilator it cannot be.
  const std::string cache = (std::filesystem::temp_directory_path() / "tessera_network_fidelity_test_cache").string();
  setenv("XDG_CACHE_HOME", cache.c_str(), 1);
  setenv("TESSERA_RTL_VERILATOR", "/nonexistent/verilator", 1);
  const Arch arch = load_arch("tests/data/cosim_8x8.yaml", {"engines.0.rows=6"});
  const Workload wl = load_workload("tests/data/cnn3.yaml");
  const auto plans = build_plan(arch, wl, default_mapping(arch, wl));
  CHECK_THROWS_WITH(run_kernel(arch, plans, Fidelity::Rtl),
                    Catch::Contains("rtl fidelity: engine 'array'") && Catch::Contains("systolic 6x8") &&
                        Catch::Contains("TESSERA_RTL_VERILATOR"));
  unsetenv("TESSERA_RTL_VERILATOR");
  unsetenv("XDG_CACHE_HOME");
  std::filesystem::remove_all(cache);
}

TEST_CASE("a GEMM network on the LUT array at tile, pe and rtl fidelity: identical cycles, actions and outputs",
          "[rtl][network][lut]") {
  // tests/data/mlp_lut.yaml: int2, int4 and ternary weights, int8 activations.
  auto run_mlp = [](Fidelity fid, const std::string& machine, std::vector<std::string> sets = {}) {
    return run_network(fid, machine, "tests/data/mlp_lut.yaml", sets, 42);
  };
  const std::string machine = "tests/data/cosim_lut.yaml";
  const Run tile = run_mlp(Fidelity::Tile, machine), pe = run_mlp(Fidelity::Pe, machine),
            rtl = run_mlp(Fidelity::Rtl, machine);
  REQUIRE(tile.ops.size() == 3);
  for (const auto& o : tile.ops) CHECK(o.engine == "array");  // every GEMM on the LUT, none on the vector lane
  require_identical(tile, {&pe, &rtl});
  // Integer sums do not depend on the engine: the systolic machine computes the same tensors.
  CHECK(run_mlp(Fidelity::Tile, "tests/data/cosim_8x8.yaml").checksums == tile.checksums);
  // Fused precompute (a linked build, PRE = 0): the tables come on the row bus; the same values
  // at every fidelity, and the same cycles in the array as when it builds them.
  const std::vector<std::string> fused = {"engines.0.precompute=fused"};
  const Run ftile = run_mlp(Fidelity::Tile, machine, fused), fpe = run_mlp(Fidelity::Pe, machine, fused),
            frtl = run_mlp(Fidelity::Rtl, machine, fused);
  require_identical(ftile, {&fpe, &frtl});
  CHECK(ftile.checksums == tile.checksums);
  for (size_t i = 0; i < tile.ops.size(); ++i) CHECK(ftile.ops[i].compute_cycles == tile.ops[i].compute_cycles);
}

TEST_CASE("cnn3 on a tensor-core machine at tile and pe fidelity: identical cycles, actions and outputs",
          "[network][tensor_core]") {
  // Both warp-tile policies; int8 sums do not depend on the engine, so the tensors equal the
  // systolic machine's. The engine has no RTL of its timing: rtl fidelity is refused, by name.
  const std::string machine = "tests/data/cosim_tc.yaml";
  for (const char* policy : {"auto", "fixed"}) {
    INFO(policy);
    const std::vector<std::string> sets = {std::string("engines.0.warp_tile=") + policy};
    const Run tile = run(Fidelity::Tile, 7, sets, machine), pe = run(Fidelity::Pe, 7, sets, machine);
    REQUIRE(tile.ops.size() == 3);
    for (const auto& o : tile.ops) CHECK(o.engine == "tc");
    require_identical(tile, {&pe});
    CHECK(tile.checksums == run(Fidelity::Tile, 7).checksums);
  }
  CHECK_THROWS_WITH(run(Fidelity::Rtl, 7, {}, machine), Catch::Contains("engine 'tc'"));
}

TEST_CASE("OliVe pair weights on the tensor-core machine: identical at tile and pe, valid pairs, 4-bit traffic",
          "[network][tensor_core][olive]") {
  const Arch arch = load_arch("tests/data/cosim_tc.yaml");
  const Workload wl = load_workload("tests/data/mlp_olive.yaml");
  const auto plans = build_plan(arch, wl, default_mapping(arch, wl));
  std::map<Fidelity, Run> runs;
  for (Fidelity fid : {Fidelity::Tile, Fidelity::Pe}) {
    SeededData data(wl, 5);
    Run r;
    r.ops = run_kernel(arch, plans, fid, &data);
    r.checksums = data.checksums();
    // Seeded olive4 tensors, and the olive4 output h2, are outlier-victim pairs along their rows.
    int outliers = 0;
    for (const char* name : {"w1", "w2", "h2"}) {
      const auto& v = *data.tensor_values(name);
      for (size_t i = 0; i + 1 < v.size(); i += 2) {
        INFO(name << "[" << i << "] " << v[i] << ", " << v[i + 1]);
        CHECK_NOTHROW(olive::encode_pair(static_cast<int>(v[i]), static_cast<int>(v[i + 1])));
        outliers += olive::is_outlier(static_cast<int>(v[i])) + olive::is_outlier(static_cast<int>(v[i + 1]));
      }
    }
    CHECK(outliers > 0);
    runs[fid] = std::move(r);
  }
  require_identical(runs[Fidelity::Tile], {&runs[Fidelity::Pe]});
  // fc2 writes h2 (6 x 16) as pairs: its output path encodes 96 elements (8 threshold compares
  // each, a code select each, a victim select per pair); fc1 writes plain int8.
  const OpResult& fc2 = runs[Fidelity::Tile].ops[1];
  CHECK(fc2.actions.count("olive_encoder", "int_compare", 8) == 8 * 96);
  CHECK(fc2.actions.count("olive_encoder", "mux", 4) == 96 + 48);
  CHECK(runs[Fidelity::Tile].ops[0].actions.count("olive_encoder", "int_compare", 8) == 0);
  // fc1 reads w1 from DRAM once at 4 bits an element, and decodes every fragment element it loads.
  const OpResult& fc1 = runs[Fidelity::Tile].ops[0];
  CHECK(fc1.dram_read_bits >= 40 * 24 * 4);
  bool decodes = false;
  for (const auto& a : fc1.actions.items()) decodes |= a.component == "convert" && a.primitive == "int_add";
  CHECK(decodes);
}

TEST_CASE("OliVe pair weights on the systolic array with decoders: identical at tile, pe and rtl, as the tensor core",
          "[rtl][network][olive]") {
  auto run_mlp = [](Fidelity fid, const std::string& machine, const std::vector<std::string>& sets) {
    return run_network(fid, machine, "tests/data/mlp_olive.yaml", sets, 5);
  };
  const std::vector<std::string> olive = {"engines.0.decoder=olive"};
  const std::string machine = "tests/data/cosim_8x8.yaml";
  const Run tile = run_mlp(Fidelity::Tile, machine, olive), pe = run_mlp(Fidelity::Pe, machine, olive),
            rtl = run_mlp(Fidelity::Rtl, machine, olive);
  for (const auto& o : tile.ops) CHECK(o.engine == "array");
  require_identical(tile, {&pe, &rtl});
  // Integer sums do not depend on the engine: the tensor-core machine computes the same tensors.
  CHECK(run_mlp(Fidelity::Tile, "tests/data/cosim_tc.yaml", {}).checksums == tile.checksums);
  // Without decoders the array cannot read olive4: the weights' GEMMs have no engine.
  CHECK_THROWS_WITH(run_mlp(Fidelity::Tile, machine, {}), Catch::Contains("olive4"));
}
