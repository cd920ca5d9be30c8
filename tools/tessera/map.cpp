// tessera map: write the default mapping of a workload on a machine, as editable YAML.
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

namespace tessera::cli {
namespace {

struct MapArgs {
  std::string arch, workload, out;
  std::vector<std::string> sets;
};

int cmd_map(const MapArgs& a) {
  const Arch arch = load_arch(a.arch, a.sets);
  const Workload wl = load_workload(a.workload);
  const Mapping m = default_mapping(arch, wl);
  build_plan(arch, wl, m);  // the mapping we hand out must run
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
  return [a] { return cmd_map(*a); };
}

}  // namespace

TESSERA_CLI_COMMAND(map, 20, "write the default mapping of a workload on a machine (editable YAML)", setup_map)

}  // namespace tessera::cli
