// SCALE-Sim v2 per layer: a `.cfg` machine and a topology CSV, run through the default mapper,
// the scheduler and the kernel as `tessera run` does, give every layer SCALE-Sim's compute
// cycles, whatever the SRAM sizes, array shape, dataflow and convolution stride.
//
// Goldens: tests/golden/data/scalesim_layers.csv, written by tools/scalesim/make_goldens.py
// from SCALE-Sim itself (its header names the commit and the command). Each row is one layer
// run alone; the cycles are COMPUTE_REPORT.csv's "Total Cycles" less its "Stall Cycles".
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <unistd.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "sim/config/arch.h"
#include "sim/evaluate/evaluate.h"
#include "sim/kernel/kernel.h"
#include "sim/mapper/planner.h"
#include "sim/scheduler/placement.h"
#include "sim/workload/loader.h"

using namespace tessera;
namespace fs = std::filesystem;

namespace {

using Row = std::map<std::string, std::string>;

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> f;
  std::stringstream in(line);
  for (std::string x; std::getline(in, x, ',');) f.push_back(x);
  return f;
}

std::vector<Row> goldens(const std::string& file = "scalesim_layers.csv") {
  std::ifstream in(std::string(TESSERA_SOURCE_DIR) + "/tests/golden/data/" + file);
  REQUIRE(in);
  std::vector<std::string> header;
  std::vector<Row> rows;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto f = split(line);
    if (header.empty()) {
      header = f;
      continue;
    }
    Row r;
    for (size_t i = 0; i < header.size() && i < f.size(); ++i) r[header[i]] = f[i];
    rows.push_back(r);
  }
  return rows;
}

uint64_t num(const Row& r, const std::string& key) {
  auto it = r.find(key);
  REQUIRE(it != r.end());
  return std::stoull(it->second);
}

void write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

struct LayerRun {
  uint64_t compute_cycles = 0;
  GemmShape gemm;
};

std::string cfg_text(const Row& r) {
  return fmt::format(
      "[general]\nrun_name = golden{}\n[architecture_presets]\nArrayHeight: {}\nArrayWidth: {}\n"
      "IfmapSramSzkB: {}\nFilterSramSzkB: {}\nOfmapSramSzkB: {}\nIfmapOffset: 0\nFilterOffset: 10000000\n"
      "OfmapOffset: 20000000\nDataflow: {}\nBandwidth: {}\n[run_presets]\nInterfaceBandwidth: {}\n",
      r.at("id"), r.at("rows"), r.at("cols"), r.at("ifmap_kb"), r.at("filter_kb"), r.at("ofmap_kb"), r.at("dataflow"),
      r.at("bandwidth").empty() ? "10" : r.at("bandwidth"), r.at("interface"));
}

constexpr const char* kConvHeader =
    "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n";

std::string conv_line(const Row& r) {
  return fmt::format("L{}, {}, {}, {}, {}, {}, {}, {},\n", r.at("id"), r.at("ifmap_h"), r.at("ifmap_w"), r.at("filt_h"),
                     r.at("filt_w"), r.at("channels"), r.at("num_filt"), r.at("stride"));
}

LayerRun run_layer(const Row& r, const fs::path& dir) {
  const std::string topo =
      r.at("kind") == "gemm"
          ? fmt::format("Layer, M, N, K,\nL{}, {}, {}, {},\n", r.at("id"), r.at("m"), r.at("n"), r.at("k"))
          : kConvHeader + conv_line(r);
  write(dir / "m.cfg", cfg_text(r));
  write(dir / "t.csv", topo);
  const Arch a = load_arch((dir / "m.cfg").string());
  const Workload wl = load_workload((dir / "t.csv").string());
  const Plan plan = build_plan(a, wl, default_mapping(a, wl));
  REQUIRE(plan.ops.size() == 1);
  const auto results = run_kernel(a, plan, Fidelity::Tile);
  // The analytic evaluator (what a mapper scores with) agrees.
  CHECK(evaluate_item(a, plan.ops[0]).compute_cycles == results[0].compute_cycles);
  return {results[0].compute_cycles, plan.ops[0].request.gemm};
}

}  // namespace

TEST_CASE("every layer's compute cycles are SCALE-Sim's, for any SRAM size and stride", "[scalesim][golden]") {
  const fs::path dir = fs::temp_directory_path() / fmt::format("tessera_scalesim_{}", ::getpid());
  fs::create_directories(dir);
  const auto rows = goldens();
  REQUIRE(rows.size() >= 100);
  size_t convs = 0, strided = 0;
  for (const Row& r : rows) {
    INFO("golden row " << r.at("id") << ": " << r.at("kind") << " " << r.at("rows") << "x" << r.at("cols") << " "
                       << r.at("dataflow") << " SRAM " << r.at("ifmap_kb") << "/" << r.at("filter_kb") << "/"
                       << r.at("ofmap_kb") << " kB " << r.at("interface") << " M" << r.at("m") << " N" << r.at("n")
                       << " K" << r.at("k"));
    const LayerRun run = run_layer(r, dir);
    // The layer SCALE-Sim lowers to (conv: M = ofmap pixels, N = filters, K = Fh * Fw * C).
    CHECK(run.gemm.m == static_cast<int64_t>(num(r, "m")));
    CHECK(run.gemm.n == static_cast<int64_t>(num(r, "n")));
    CHECK(run.gemm.k == static_cast<int64_t>(num(r, "k")));
    CHECK(run.compute_cycles == num(r, "total_cycles") - num(r, "stall_cycles"));
    if (r.at("kind") == "conv") {
      ++convs;
      if (num(r, "stride") > 1 && (num(r, "ifmap_h") - num(r, "filt_h")) % num(r, "stride") != 0) ++strided;
    }
  }
  CHECK(convs >= 30);
  CHECK(strided >= 5);  // strides whose window does not land on the last row
  fs::remove_all(dir);
}

// A whole network as SCALE-Sim's own CLI ran it (its configs/scale.cfg, google.cfg, eyeriss.cfg on its
// topologies/conv_nets/Resnet18.csv; tools/scalesim/network_goldens.py), run here as one
// workload, as a user would: every layer's compute cycles are SCALE-Sim's.
TEST_CASE("ResNet-18 on SCALE-Sim's own configs: every layer's compute cycles", "[scalesim][golden]") {
  const fs::path dir = fs::temp_directory_path() / fmt::format("tessera_scalesim_net_{}", ::getpid());
  fs::create_directories(dir);
  for (const char* file : {"scalesim_resnet18_scale.csv", "scalesim_resnet18_google.csv", "scalesim_resnet18_eyeriss.csv"}) {
    const auto rows = goldens(file);
    REQUIRE(rows.size() == 21);
    std::string topo = kConvHeader;
    for (const Row& r : rows) topo += conv_line(r);
    write(dir / "m.cfg", cfg_text(rows[0]));
    write(dir / "net.csv", topo);
    const Arch a = load_arch((dir / "m.cfg").string());
    const Workload wl = load_workload((dir / "net.csv").string());
    const Plan plan = build_plan(a, wl, default_mapping(a, wl));
    REQUIRE(plan.ops.size() == rows.size());
    const auto results = run_kernel(a, plan, Fidelity::Tile);
    for (size_t i = 0; i < rows.size(); ++i) {
      INFO(file << " layer " << rows[i].at("case"));
      CHECK(results[i].compute_cycles == num(rows[i], "total_cycles") - num(rows[i], "stall_cycles"));
    }
  }
  fs::remove_all(dir);
}

// `timing: scalesim` on any tessera machine, not only a .cfg, under any tiling: a random GEMM's
// compute cycles are SCALE-Sim's layer count, Fr * Fc * (T + fill + drain) - 1
// (docs/engines/systolic.md; held on SCALE-Sim's own output by the goldens above). Half the
// cases take the default mapper on scratchpads from 1 kB (folds split across tiles), half a
// random tile and loop order.
TEST_CASE("timing: scalesim on random YAML machines: the layer count under any tiling", "[scalesim]") {
  std::mt19937_64 g(20261130);
  auto uni = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(g); };
  const std::vector<std::vector<const char*>> layouts = {{"[a, b, out]"}, {"[a, out]", "[b]"}, {"[a]", "[b]", "[out]"}};
  const char* orders[] = {"mnk", "mkn", "nmk", "nkm", "kmn", "knm"};
  int tiled = 0, split_folds = 0;
  for (int i = 0; i < 200; ++i) {
    const int64_t R = uni(1, 32), C = uni(1, 32), M = uni(1, 300), N = uni(1, 300), K = uni(1, 300);
    const char* df = std::array<const char*, 3>{"os", "ws", "is"}[static_cast<size_t>(uni(0, 2))];
    const bool random_mapping = i % 2 == 1;
    const auto& layout = layouts[static_cast<size_t>(uni(0, 2))];
    const int64_t kb = random_mapping ? 16384 : int64_t{1} << uni(0, 9);
    std::string spms;
    for (size_t s = 0; s < layout.size(); ++s)
      spms += fmt::format("    - {{name: s{}, size_kb: {}, banks: 4, width_bits: 512, ports: 2, holds: {}}}\n", s, kb,
                          layout[s]);
    const std::string arch = fmt::format(
        "name: r\nclock_ghz: 1\nengines:\n  - {{name: a, type: systolic, rows: {}, cols: {}, dataflow: {}, "
        "timing: scalesim}}\nmemory:\n  scratchpads:\n{}  dram: {{bandwidth_gbps: 16, latency_ns: 50}}\n",
        R, C, df, spms);
    const std::string wl = fmt::format(
        "name: g\ntensors:\n  x: {{shape: [{}, {}], role: input}}\n  w: {{shape: [{}, {}], role: weight}}\n"
        "  y: {{shape: [{}, {}], role: output}}\nops:\n  - {{name: fc, kind: gemm, inputs: [x, w], outputs: [y]}}\n",
        M, K, K, N, M, N);
    const std::string mapping =
        fmt::format("mapping:\n  - {{op: fc, engine: a, dataflow: {}, tile: {{m: {}, n: {}, k: {}}}, loop_order: {}}}\n",
                    df, uni(1, M), uni(1, N), uni(1, K), orders[uni(0, 5)]);
    INFO(arch << wl << (random_mapping ? mapping : "default mapping"));
    const Arch a = load_arch_string(arch, "r.yaml");
    const Workload w = load_workload_string(wl, "g.yaml", WorkloadFormat::yaml);
    const Plan plan = build_plan(a, w, random_mapping ? load_mapping_string(mapping, "m.yaml") : default_mapping(a, w));
    const auto r = run_kernel(a, plan, Fidelity::Tile);
    const std::string d = df;
    const int64_t sr = d == "os" ? M : K, sc = d == "is" ? M : N, t = d == "os" ? K : d == "ws" ? M : N;
    const int64_t folds = (sr + R - 1) / R * ((sc + C - 1) / C);
    const int64_t per_fold = d == "os" ? t + R + C - 2 : t + 2 * R + C - 2;
    CHECK(r[0].compute_cycles == static_cast<uint64_t>(folds * per_fold - 1));
    CHECK(evaluate_item(a, plan.ops[0]).compute_cycles == r[0].compute_cycles);
    if (plan.ops[0].steps() > 1) ++tiled;
    // A spatial tile dimension that is not a whole number of folds splits folds across tiles.
    const GemmShape& tile = plan.ops[0].tiles.at(0).shape;
    const int64_t tr = d == "os" ? tile.m : tile.k, tc = d == "is" ? tile.m : tile.n;
    if ((tr < sr && tr % R) || (tc < sc && tc % C)) ++split_folds;
  }
  CHECK(tiled > 100);
  CHECK(split_folds > 50);
}
