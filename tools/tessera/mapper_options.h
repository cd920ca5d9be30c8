#pragma once
// The mapper options `map` and `run` share, and the mapping run with a progress line.
#include <CLI/CLI.hpp>

#include <nlohmann/json.hpp>

#include <string>

#include "sim/config/arch.h"
#include "sim/mapper/search.h"
#include "sim/workload/workload.h"

namespace tessera::cli {

struct MapperArgs {
  std::string mapper = "default", objective = "latency";
  double time_limit = 1.0;
  uint64_t samples = 10000, seed = 1;
  double exhaustive_limit = 2e6;
  bool full_space = false;
};

void add_mapper_options(CLI::App& cmd, MapperArgs& a);

// Maps `wl` on `arch`; on a terminal, a progress line with an ETA on stderr.
MapResult run_mapper(const Arch& arch, const Workload& wl, const MapperArgs& a);

// Per item: how it was mapped, its score, the time it took; and the totals.
nlohmann::json mapper_stats_json(const MapperArgs& a, const MapResult& r);

}  // namespace tessera::cli
