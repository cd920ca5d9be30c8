// tessera map: map a workload on a machine (ILP, exhaustive, random or the default heuristic) and
// write the mapping as editable YAML; --stats writes how each operator was mapped, as JSON.
#include <fmt/format.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <sstream>

#include "sim/config/arch.h"
#include "sim/mapper/mapping.h"
#include "sim/mapper/planner.h"
#include "sim/scheduler/placement.h"
#include "sim/workload/loader.h"
#include "tools/tessera/command.h"
#include "tools/tessera/mapper_options.h"
#include "tools/tessera/workload_options.h"

namespace tessera::cli {
namespace {

struct MapArgs {
  std::string arch, workload, out, stats;
  std::vector<std::string> sets;
  MapperArgs mapper;
  WorkloadArgs workload_args;
};

int cmd_map(const MapArgs& a) {
  const Arch arch = load_arch(a.arch, a.sets);
  const Workload wl = load_workload(a.workload, onnx_options(a.workload_args, &arch));
  const MapResult r = run_mapper(arch, wl, a.mapper);
  const Mapping& m = r.mapping;
  build_plan(arch, wl, m);  // the mapping we hand out must run
  if (!a.stats.empty()) write_file_atomic(a.stats, mapper_stats_json(a.mapper, r).dump(2) + "\n");
  std::ostringstream text;
  write_mapping(m, text);
  if (a.out.empty() || a.out == "-") {
    std::cout << text.str();
  } else {
    write_file_atomic(a.out, text.str());
    fmt::print(stderr, "wrote {} ({} entries)\n", a.out, m.ops.size());
  }
  return 0;
}

Action setup_map(CLI::App& cmd) {
  auto a = std::make_shared<MapArgs>();
  cmd.add_option("--arch", a->arch, "machine description")->required();
  cmd.add_option("--workload", a->workload, "workload")->required();
  cmd.add_option("--set", a->sets, "override an arch parameter (repeatable)");
  cmd.add_option("-o,--out", a->out, "output file (default stdout)");
  cmd.add_option("--stats", a->stats, "write per operator how it was mapped, its score and solve time (JSON)");
  add_mapper_options(cmd, a->mapper);
  add_workload_options(cmd, a->workload_args);
  return [a] { return cmd_map(*a); };
}

}  // namespace

TESSERA_CLI_COMMAND(map, 20, "map a workload on a machine (ILP, exhaustive, random, default) and write the mapping (editable YAML)", setup_map)

}  // namespace tessera::cli
