// tessera run: simulate a workload on a machine; print a summary, write the reports.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>

#include "sim/config/arch.h"
#include "sim/evaluate/evaluate.h"
#include "sim/kernel/datapath.h"
#include "sim/kernel/kernel.h"
#include "sim/mapper/mapping.h"
#include "sim/mapper/planner.h"
#include "sim/scheduler/placement.h"
#include "sim/report/report.h"
#include "sim/workload/loader.h"
#include "tools/tessera/command.h"
#include "tools/tessera/mapper_options.h"
#include "tools/tessera/workload_options.h"

namespace fs = std::filesystem;

namespace tessera::cli {
namespace {

struct RunArgs {
  std::string arch, workload, mapping, format = "table", out, fidelity = "tile";
  std::vector<std::string> sets;
  std::optional<uint64_t> data_seed;  // --data: a functional run on seeded random operands
  uint64_t max_tiles = 100000000;     // ~3 min at ~0.5 M steps/s; bundled networks x machines need <= 1.3 M
  MapperArgs mapper;
  WorkloadArgs workload_args;
};

int cmd_run(const RunArgs& a) {
  const auto t0 = std::chrono::steady_clock::now();
  const Fidelity fid = parse_fidelity(a.fidelity);
  const Arch arch = load_arch(a.arch, a.sets);
  std::optional<Workload> graph(load_workload(a.workload, onnx_options(a.workload_args, &arch)));
  const WorkloadInfo info(*graph);
  const Mapping mapping = a.mapping.empty() ? run_mapper(arch, *graph, a.mapper).mapping : load_mapping(a.mapping);
  Plan plans = build_plan(arch, *graph, mapping);
  // A plan past --max-tiles is refused before it starts (issue 13 item 3: a runaway run).
  if (const uint64_t steps = plan_steps(plans); steps > a.max_tiles) {
    const OpPlan* worst = &plans.ops.front();
    for (const auto& p : plans.ops)
      if (p.steps() > worst->steps()) worst = &p;
    const OpMapping* om = mapping.find(worst->op);
    throw UserError(fmt::format("the plan has {} tile steps, more than --max-tiles {} (operator '{}' alone has {}); map with "
                                "larger tiles (e.g. --mapper ilp) or raise --max-tiles",
                                steps, a.max_tiles, worst->op, worst->steps()),
                    om ? om->loc : SourceLoc{}, "--max-tiles");
  }
  // On a terminal, a progress line with an ETA while the kernel runs.
  const bool tty = isatty(fileno(stderr)) != 0;
  const auto k0 = std::chrono::steady_clock::now();
  auto last = k0;
  bool shown = false;
  KernelProgress progress;
  if (tty)
    progress = [&](uint64_t done, uint64_t total) {
      const auto now = std::chrono::steady_clock::now();
      if (done < total && now - last < std::chrono::milliseconds(200)) return;
      last = now;
      const double el = std::chrono::duration<double>(now - k0).count();
      if (!shown && done == total) return;  // a short run: no line at all
      const double eta = done ? el / static_cast<double>(done) * static_cast<double>(total - done) : 0;
      const int width = 30;
      const auto fill = static_cast<size_t>(static_cast<double>(width) * static_cast<double>(done) / static_cast<double>(std::max<uint64_t>(1, total)));
      fmt::print(stderr, "\rsimulating [{:<{}}] {}/{} tile steps, {:.1f} s, ETA {:.0f} s ", std::string(fill, '#'), width, done, total, el, eta);
      shown = true;
    };
  std::optional<SeededData> data;
  if (a.data_seed) {
    data.emplace(*graph, *a.data_seed);
  } else {
    graph.reset();  // the plan holds all the kernel needs (a 100,000-operator graph is 130 MB)
  }
  const auto results = run_kernel(arch, plans, fid, data ? &*data : nullptr, progress);
  if (shown) fmt::print(stderr, "\r{:<110}\r", "");
  const RunSummary summary = summarize(arch, info, results, fid);
  const PlanEval analytic = evaluate_plan(arch, plans);  // sim/evaluate, beside the kernel
  plans = Plan();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  nlohmann::json head = report_json(arch, info, summary, analytic, results, wall);
  if (data)
    head["data"] = {{"seed", *a.data_seed}, {"requantization", SeededData::requantization_rule()},
                    {"checksums", data->checksums()}};
  const double difference = head["evaluator"]["difference_percent"].get<double>();

  const fs::path out_dir =
      a.out.empty() ? fs::path("out") / path_component(arch.name + "-" + info.name) : fs::path(a.out);
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) {  // not thrown: SystemC has run (see publish_run)
    print_error(UserError("cannot create output directory: " + ec.message(), SourceLoc{out_dir.string(), 0, 0}, "--out"));
    return 2;
  }
  // Each file is written straight from the results: a 100,000-operator run's report.json is
  // 200 MB of text, never held in memory. report.json last: its presence means the set is
  // complete and from this run.
  const FileWriter csv = [&](std::ostream& out) { write_operators_csv(summary, out); };
  const FileWriter report = [&](std::ostream& out) {
    write_report_json(out, head, arch, mapping, summary, analytic, results);
  };
  if (auto err = publish_run(out_dir, {{"operators.csv", csv},
                                        {"mapping.yaml", [&](std::ostream& out) { write_mapping(mapping, out); }},
                                        {"report.json", report}})) {
    print_error(*err);
    return 2;
  }

  if (a.format == "json") {
    report(std::cout);
  } else if (a.format == "csv") {
    csv(std::cout);
  } else {
    print_summary_table(summary, std::cout);
    fmt::print("\n  analytic makespan {:>16}   kernel {} ({:+.2f}%): items in isolation, no cross-item overlap\n",
               analytic.makespan, summary.total_cycles, difference);
    if (data) {
      fmt::print("\n  data (seed {}): checksums of the tensors written\n", *a.data_seed);
      for (const auto& [t, sum] : data->checksums()) fmt::print("    {:<24} {}\n", t, sum);
    }
    fmt::print("\n  report: {}  (wall {:.3f} s)\n", (out_dir / "report.json").string(), wall);
  }
  return 0;
}

Action setup_run(CLI::App& cmd) {
  auto a = std::make_shared<RunArgs>();
  auto data_seed = std::make_shared<uint64_t>(0);
  cmd.add_option("--arch", a->arch, "machine description (YAML, or a SCALE-Sim .cfg)")->required();
  cmd.add_option("--workload", a->workload, "workload (YAML, SCALE-Sim topology CSV, or a built-in name)")->required();
  cmd.add_option("--mapping", a->mapping, "mapping file (default: map with --mapper)");
  add_mapper_options(cmd, a->mapper);
  add_workload_options(cmd, a->workload_args);
  cmd.add_option("--set", a->sets, "override an arch parameter, e.g. engines.0.rows=64 (repeatable)");
  cmd.add_option("--format", a->format, "stdout format")->check(CLI::IsMember({"table", "json", "csv"}));
  cmd.add_option("--out", a->out, "output directory (default out/<arch>-<workload>/)");
  cmd.add_option("--fidelity", a->fidelity, "tile (closed-form engines), pe (per-cycle PE models) or rtl (Verilated RTL engines)");
  cmd.add_option("--max-tiles", a->max_tiles,
                 "refuse a plan of more tile steps than this before simulating (a runaway mapping)")
      ->check(CLI::PositiveNumber);
  CLI::Option* data_opt = cmd.add_option("--data", *data_seed,
                                         "compute every GEMM on seeded random int data through the engines; "
                                         "report a checksum per tensor written")
                                ->check(non_negative());
  return [a, data_seed, data_opt] {
    if (data_opt->count()) a->data_seed = *data_seed;
    return cmd_run(*a);
  };
}

}  // namespace

TESSERA_CLI_COMMAND(run, 10, "simulate a workload on a machine and report latency, energy, area", setup_run)

}  // namespace tessera::cli
