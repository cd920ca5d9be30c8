// tessera: the command line. Subcommands: run, map, validate, list, cosim.
// Exit codes: 0 success, 2 bad input (one message naming file:line:col and key), 1 internal error.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ostream.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <random>
#include <sstream>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include "models/engine/i_engine.h"
#include "models/memory/i_memory.h"
#include "sim/config/arch.h"
#include "sim/config/tech_loader.h"
#include "sim/config/yaml_util.h"
#include "sim/cosim/compare.h"
#include "sim/cosim/rtl_engine.h"
#include "sim/kernel/datapath.h"
#include "sim/kernel/kernel.h"
#include "sim/mapper/mapping.h"
#include "sim/mapper/planner.h"
#include "sim/scheduler/placement.h"
#include "sim/report/report.h"
#include "sim/workload/loader.h"
#include "sim/workload/op_kind.h"

namespace fs = std::filesystem;
using namespace tessera;

namespace {

// Writes `text` to `path` atomically (temp file + rename), so an interrupted run never leaves
// a partial report that looks complete.
void write_file_atomic(const fs::path& path, const std::string& text) {
  const fs::path tmp = path.string() + ".partial";
  {
    std::ofstream out(tmp, std::ios::binary);
    if (!out) throw UserError("cannot write file", SourceLoc{tmp.string(), 0, 0});
    out << text;
    if (!out) throw UserError("write failed", SourceLoc{tmp.string(), 0, 0});
  }
  fs::rename(tmp, path);
}

struct RunArgs {
  std::string arch, workload, mapping, format = "table", out, fidelity = "tile";
  std::vector<std::string> sets;
  std::optional<uint64_t> data_seed;  // --data: a functional run on seeded random operands
};

int cmd_run(const RunArgs& a) {
  const auto t0 = std::chrono::steady_clock::now();
  const Fidelity fid = parse_fidelity(a.fidelity);
  const Arch arch = load_arch(a.arch, a.sets);
  const Workload wl = load_workload(a.workload);
  const Mapping mapping = a.mapping.empty() ? default_mapping(arch, wl) : load_mapping(a.mapping);
  const auto plans = build_plan(arch, wl, mapping);
  std::optional<SeededData> data;
  if (a.data_seed) data.emplace(wl, *a.data_seed);
  const auto results = run_kernel(arch, plans, fid, data ? &*data : nullptr);
  const RunSummary summary = summarize(arch, wl, results, fid);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto json = report_json(arch, wl, mapping, summary, wall);
  if (data)
    json["data"] = {{"seed", *a.data_seed}, {"requantization", SeededData::requantization_rule()},
                    {"checksums", data->checksums()}};

  const fs::path out_dir = a.out.empty() ? fs::path("out") / (arch.name + "-" + wl.name()) : fs::path(a.out);
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) throw UserError("cannot create output directory: " + ec.message(), SourceLoc{out_dir.string(), 0, 0}, "--out");
  std::ostringstream csv;
  write_operators_csv(summary, csv);
  std::ostringstream map_text;
  write_mapping(mapping, map_text);
  write_file_atomic(out_dir / "operators.csv", csv.str());
  write_file_atomic(out_dir / "mapping.yaml", map_text.str());
  write_file_atomic(out_dir / "report.json", json.dump(2) + "\n");  // last: its presence means complete

  if (a.format == "json") {
    std::cout << json.dump(2) << "\n";
  } else if (a.format == "csv") {
    std::cout << csv.str();
  } else {
    print_summary_table(summary, std::cout);
    if (data) {
      fmt::print("\n  data (seed {}): checksums of the tensors written\n", *a.data_seed);
      for (const auto& [t, sum] : data->checksums()) fmt::print("    {:<24} {}\n", t, sum);
    }
    fmt::print("\n  report: {}  (wall {:.3f} s)\n", (out_dir / "report.json").string(), wall);
  }
  return 0;
}

int cmd_map(const std::string& arch_path, const std::string& wl_path, const std::vector<std::string>& sets,
            const std::string& out) {
  const Arch arch = load_arch(arch_path, sets);
  const Workload wl = load_workload(wl_path);
  const Mapping m = default_mapping(arch, wl);
  build_plan(arch, wl, m);  // the mapping we hand out must run
  std::ostringstream text;
  write_mapping(m, text);
  if (out.empty() || out == "-") {
    std::cout << text.str();
  } else {
    write_file_atomic(out, text.str());
    fmt::print(stderr, "wrote {} ({} entries)\n", out, m.ops.size());
  }
  return 0;
}

// Tells what a YAML file is from its top-level keys.
std::string classify(const std::string& path) {
  const auto ext = fs::path(path).extension().string();
  if (ext == ".cfg") return "arch";
  if (ext == ".csv") return "workload";
  const YAML::Node n = load_yaml_file(path);
  if (n.IsMap()) {
    if (n["engines"] || n["memory"]) return "arch";
    if (n["ops"] || n["tensors"]) return "workload";
    if (n["mapping"]) return "mapping";
    if (n["node_nm"] || n["int_add"] || n["sram"] || n["derive_from"]) return "tech";
  }
  throw UserError("cannot tell what this file is: expected an arch (engines:, memory:), a workload (tensors:, ops:), "
                  "a mapping (mapping:) or a tech library",
                  SourceLoc{path, 1, 1});
}

int cmd_validate(const std::vector<std::string>& files) {
  int bad = 0;
  for (const auto& f : files) {
    try {
      const std::string what = classify(f);
      if (what == "arch") {
        const Arch a = load_arch(f);
        fmt::print("ok  {}: machine '{}', {} engine(s), {} scratchpad(s)\n", f, a.name, a.engines.size(), a.scratchpads.size());
      } else if (what == "workload") {
        const Workload w = load_workload(f);
        fmt::print("ok  {}: workload '{}', {} operators, {} GEMM MACs\n", f, w.name(), w.ops().size(), w.total_macs());
      } else if (what == "mapping") {
        const Mapping m = load_mapping(f);
        fmt::print("ok  {}: mapping with {} entries\n", f, m.ops.size());
      } else {
        const TechLibrary t = load_tech(f);
        fmt::print("ok  {}: tech library at {} nm\n", f, t.node_nm());
      }
    } catch (const UserError& e) {
      fmt::print(stderr, "error: {}\n", e.formatted());
      ++bad;
    }
  }
  return bad ? 2 : 0;
}

bool g_markdown = false;  // `list --markdown`: the tables of docs/parameters.md

std::string md_cell(std::string s) {
  for (size_t i = 0; (i = s.find('|', i)) != std::string::npos; i += 2) s.replace(i, 1, "\\|");
  return s;
}

void print_params(const std::vector<ParamDecl>& params) {
  if (g_markdown) {
    fmt::print("| parameter | type | unit | default | range | meaning |\n|---|---|---|---|---|---|\n");
    for (const auto& p : params)
      fmt::print("| `{}` | {} | {} | {} | {} | {} |\n", p.name, param_type_name(p.type), p.unit.empty() ? "-" : p.unit,
                 p.dflt ? (p.dflt->empty() ? "\"\"" : "`" + *p.dflt + "`") : "required", md_cell(p.range_text()), md_cell(p.doc));
    fmt::print("\n");
    return;
  }
  for (const auto& p : params) {
    fmt::print("    {:<18} {:<8} {:<8} {:<10} {:<22} {}\n", p.name, param_type_name(p.type), p.unit.empty() ? "-" : p.unit,
               p.dflt ? (p.dflt->empty() ? "\"\"" : *p.dflt) : "required", p.range_text(), p.doc);
  }
}

template <class Interface>
void list_registry(const char* title) {
  for (const auto& [name, e] : Registry<Interface>::instance().entries()) {
    if (g_markdown) {
      fmt::print("### {} `{}`\n{}\n\n", title, name, e.doc);
      print_params(e.params);
      continue;
    }
    fmt::print("{} {}: {}\n", title, name, e.doc);
    fmt::print("    {:<18} {:<8} {:<8} {:<10} {:<22} {}\n", "parameter", "type", "unit", "default", "range", "meaning");
    print_params(e.params);
    fmt::print("\n");
  }
}

int cmd_list(const std::string& what) {
  if (what == "all") {
    if (!g_markdown) throw UserError("'list all' is for --markdown (docs/parameters.md); list one of engines|memories|ops|workloads|tech");
    fmt::print("# Parameters\n\nGenerated by `tessera list all --markdown` from the declarations in the code; a test\n"
               "keeps this file equal to that output. `tessera list engines|memories|ops|tech` shows the same.\n\n");
    fmt::print("## Arch file, top level\n\n");
    print_params(arch_top_params());
    fmt::print("## Engines (`engines:` entries, by `type:`)\n\n");
    list_registry<IEngine>("engine");
    fmt::print("## Memories (`memory:` section)\n\n");
    list_registry<IScratchpad>("scratchpad");
    list_registry<IDram>("dram");
    list_registry<IDma>("dma");
    fmt::print("## Operator kinds (workload `ops:` entries, by `kind:`)\n\n");
    list_registry<IOpKind>("op kind");
    fmt::print("## Tech library sections\n\n");
    for (const auto& [section, params] : tech_param_sections()) {
      fmt::print("### `{}`\n\n", section);
      print_params(params);
    }
    return 0;
  }
  if (what == "engines") {
    list_registry<IEngine>("engine");
  } else if (what == "memories") {
    list_registry<IScratchpad>("scratchpad");
    list_registry<IDram>("dram");
    list_registry<IDma>("dma");
  } else if (what == "ops") {
    list_registry<IOpKind>("op kind");
  } else if (what == "workloads") {
    for (const auto& w : builtin_workloads()) {
      const Workload wl = load_workload(builtin_workload_path(w));
      fmt::print("{:<20} {:>5} operators  {:>8.3f} GMAC   {}\n", w, wl.ops().size(), static_cast<double>(wl.total_macs()) / 1e9,
                 builtin_workload_path(w));
    }
  } else if (what == "tech") {
    fmt::print("arch file top level:\n");
    print_params(arch_top_params());
    for (const auto& [section, params] : tech_param_sections()) {
      fmt::print("\ntech file section '{}':\n", section);
      print_params(params);
    }
    fmt::print("\nprimitives priced:");
    for (const auto& p : TechLibrary::primitives()) fmt::print(" {}", p);
    fmt::print("\n");
  } else {
    const std::vector<std::string> all{"engines", "memories", "ops", "workloads", "tech"};
    const std::string close = closest_match(what, all);
    throw UserError("unknown list '" + what + "'" + (close.empty() ? "" : " -- did you mean '" + close + "'?") +
                    "; expected engines|memories|ops|workloads|tech");
  }
  return 0;
}

struct CosimArgs {
  std::string arch, op, dataflow, engine;
  std::vector<std::string> sets;
  uint64_t seed = 1;
  int64_t count = 1;
};

// "gemm:M=64,N=64,K=64" -> the shape; every key once, each in 1..65535.
GemmShape parse_gemm_op(const std::string& text) {
  const auto bad = [&](const std::string& why) {
    return UserError("bad --op '" + text + "': " + why + " (expected gemm:M=<m>,N=<n>,K=<k>)", SourceLoc{}, "--op");
  };
  if (text.rfind("gemm:", 0) != 0) throw bad("only gemm tiles can be co-simulated");
  int64_t dims[3] = {0, 0, 0};
  std::stringstream in(text.substr(5));
  std::string item;
  while (std::getline(in, item, ',')) {
    const auto eq = item.find('=');
    const std::string key = eq == std::string::npos ? item : item.substr(0, eq);
    const int d = key == "M" || key == "m" ? 0 : key == "N" || key == "n" ? 1 : key == "K" || key == "k" ? 2 : -1;
    if (d < 0 || eq == std::string::npos) throw bad("'" + item + "' is not M=, N= or K=");
    if (dims[d]) throw bad(key + " given twice");
    const std::string v = item.substr(eq + 1);
    if (v.empty() || v.size() > 5 || v.find_first_not_of("0123456789") != std::string::npos) throw bad(key + " is not a number in 1..65535");
    dims[d] = std::stoll(v);
    if (dims[d] < 1 || dims[d] > 65535) throw bad(key + " is not a number in 1..65535");
  }
  if (!dims[0] || !dims[1] || !dims[2]) throw bad("M, N and K are all required");
  if (dims[0] * dims[2] > (int64_t{1} << 24) || dims[2] * dims[1] > (int64_t{1} << 24))
    throw bad("operands larger than 2^24 elements");
  return {dims[0], dims[1], dims[2]};
}

// Model vs RTL on the same random tiles. Tile i of a dataflow draws its data from seed + i, so
// one failing tile is reproduced alone with --seed <seed+i> --count 1 and its exact shape.
int cmd_cosim(const CosimArgs& a) {
  const Arch arch = load_arch(a.arch, a.sets);
  const GemmShape full = parse_gemm_op(a.op);
  if (a.count < 1) throw UserError("--count must be at least 1", SourceLoc{}, "--count");
  const EngineInstance* eng = nullptr;
  for (const auto& e : arch.engines)
    if (a.engine.empty() ? RtlEngineRegistry::instance().find(e.type) != nullptr : e.name == a.engine) eng = &e;
  if (!eng)
    throw UserError(a.engine.empty() ? "machine '" + arch.name + "' has no engine with an RTL model"
                                     : "no engine named '" + a.engine + "' in machine '" + arch.name + "'",
                    SourceLoc{a.arch, 0, 0}, "--engine");
  const auto rtl = make_rtl_engine(eng->type, eng->params);
  const IEngine& model = *eng->model;
  const auto caps = model.capabilities();
  std::vector<std::string> dataflows = a.dataflow.empty() ? caps.dataflows : std::vector<std::string>{a.dataflow};
  fmt::print("cosim: engine '{}' ({}, {}x{}, psum {} bits) vs its Verilated RTL; {} tile(s) per dataflow, seed {}\n",
             eng->name, eng->type, caps.rows, caps.cols, caps.psum_bits, a.count, a.seed);
  bool all_ok = true;
  for (const auto& df : dataflows) {
    std::mt19937_64 shapes(a.seed);
    uint64_t cycles = 0, macs = 0, outputs = 0;
    double model_s = 0, rtl_s = 0;
    int64_t done = 0;
    for (int64_t i = 0; i < a.count; ++i) {
      TileRequest req;
      req.dataflow = df;
      req.gemm = full;
      if (a.count > 1) {
        auto upto = [&](int64_t n) { return std::uniform_int_distribution<int64_t>(1, n)(shapes); };
        req.gemm = {upto(full.m), upto(full.n), upto(full.k)};
      }
      model.check(req);
      rtl->check(req);
      std::mt19937_64 data(a.seed + static_cast<uint64_t>(i));
      const IntMatrix x = random_operands(req.gemm.m, req.gemm.k, dtype_bits(req.a_type), data);
      const IntMatrix w = random_operands(req.gemm.k, req.gemm.n, dtype_bits(req.b_type), data);
      const TileCheck chk = check_tile(model, *rtl, req, x, w);
      model_s += chk.model_seconds;
      rtl_s += chk.rtl_seconds;
      if (!chk.ok) {
        fmt::print("{}: MISMATCH at tile {} (m={} n={} k={}): {}\n", df, i, req.gemm.m, req.gemm.n, req.gemm.k,
                   chk.first_difference);
        fmt::print("  reproduce: tessera cosim --arch {} --op gemm:M={},N={},K={} --dataflow {} --seed {} --count 1{}\n",
                   a.arch, req.gemm.m, req.gemm.n, req.gemm.k, df, a.seed + static_cast<uint64_t>(i),
                   a.engine.empty() ? "" : " --engine " + a.engine);
        all_ok = false;
        break;
      }
      cycles += chk.rtl.cycles.total();
      macs += chk.rtl.macs;
      outputs += static_cast<uint64_t>(req.gemm.m * req.gemm.n);
      ++done;
    }
    if (done == a.count)
      fmt::print("{}: {} tiles ok: {} outputs bit-exact, {} cycles and {} MACs equal (closed form, pe model, rtl); "
                 "model {:.3f} s, rtl {:.3f} s\n",
                 df, done, outputs, cycles, macs, model_s, rtl_s);
  }
  return all_ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tessera: cycle-level simulator of DNN accelerators"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "tessera " + tessera_version() + " (" + tessera_commit() + ")");

  RunArgs run;
  auto* run_cmd = app.add_subcommand("run", "simulate a workload on a machine and report latency, energy, area");
  run_cmd->add_option("--arch", run.arch, "machine description (YAML, or a SCALE-Sim .cfg)")->required();
  run_cmd->add_option("--workload", run.workload, "workload (YAML, SCALE-Sim topology CSV, or a built-in name)")->required();
  run_cmd->add_option("--mapping", run.mapping, "mapping file (default: the built-in mapper)");
  run_cmd->add_option("--set", run.sets, "override an arch parameter, e.g. engines.0.rows=64 (repeatable)");
  run_cmd->add_option("--format", run.format, "stdout format")->check(CLI::IsMember({"table", "json", "csv"}));
  run_cmd->add_option("--out", run.out, "output directory (default out/<arch>-<workload>/)");
  run_cmd->add_option("--fidelity", run.fidelity,
                      "tile (closed-form engines), pe (per-cycle PE models) or rtl (Verilated RTL engines)");
  uint64_t data_seed = 0;
  auto* data_opt = run_cmd->add_option("--data", data_seed,
                                       "compute every GEMM on seeded random int data through the engines; "
                                       "report a checksum per tensor written");

  std::string map_arch, map_wl, map_out;
  std::vector<std::string> map_sets;
  auto* map_cmd = app.add_subcommand("map", "write the default mapping of a workload on a machine (editable YAML)");
  map_cmd->add_option("--arch", map_arch, "machine description")->required();
  map_cmd->add_option("--workload", map_wl, "workload")->required();
  map_cmd->add_option("--set", map_sets, "override an arch parameter (repeatable)");
  map_cmd->add_option("-o,--out", map_out, "output file (default stdout)");

  std::vector<std::string> files;
  auto* val_cmd = app.add_subcommand("validate", "check arch, workload, mapping and tech files without simulating");
  val_cmd->add_option("files", files, "files to check")->required();

  std::string list_what;
  auto* list_cmd = app.add_subcommand("list", "show registered engines, memories, op kinds, workloads, tech parameters");
  list_cmd->add_option("what", list_what, "engines|memories|ops|workloads|tech (all, with --markdown)")->required();
  list_cmd->add_flag("--markdown", g_markdown, "print Markdown tables (docs/parameters.md)");

  CosimArgs cosim;
  auto* cosim_cmd = app.add_subcommand("cosim", "run an engine's C++ model and its Verilated RTL on the same random tiles");
  cosim_cmd->add_option("--arch", cosim.arch, "machine description (its first engine with an RTL model is used)")->required();
  cosim_cmd->add_option("--op", cosim.op, "tile shape gemm:M=..,N=..,K=.. (with --count > 1: random shapes up to it)")
      ->required();
  cosim_cmd->add_option("--dataflow", cosim.dataflow, "one dataflow (default: every dataflow the engine has)")
      ->check(CLI::IsMember({"os", "ws", "is"}));
  cosim_cmd->add_option("--seed", cosim.seed, "random seed (tile i uses seed + i for its data)");
  cosim_cmd->add_option("--count", cosim.count, "tiles per dataflow");
  cosim_cmd->add_option("--engine", cosim.engine, "engine name (default: the first with an RTL model)");
  cosim_cmd->add_option("--set", cosim.sets, "override an arch parameter, e.g. engines.0.rows=16 (repeatable)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  try {
    if (*run_cmd) {
      if (data_opt->count()) run.data_seed = data_seed;
      return cmd_run(run);
    }
    if (*map_cmd) return cmd_map(map_arch, map_wl, map_sets, map_out);
    if (*val_cmd) return cmd_validate(files);
    if (*list_cmd) return cmd_list(list_what);
    if (*cosim_cmd) return cmd_cosim(cosim);
  } catch (const UserError& e) {
    fmt::print(stderr, "error: {}\n", e.formatted());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "internal error: {}\n", e.what());
    return 1;
  }
  return 0;
}
