#pragma once
// The mappers: one driver, four ways to choose each work item's mapping, every candidate
// scored by the same analytic evaluator (sim/mapper/space.h):
//   ilp         the MIP of sim/mapper/ilp.h, its solutions checked by the evaluator;
//   exhaustive  every candidate of the space (items whose space exceeds the limit are mapped by
//               the ILP instead and say so);
//   random      a budget of uniform samples of the space;
//   default     the default heuristic (sim/mapper/planner.h), scored for comparison.
// Element-wise work after a GEMM goes into that GEMM's output path where the engine allows it
// (as the default mapper does). Each item is mapped alone: the engine whose best candidate
// scores best; no balancing between engines.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sim/mapper/space.h"

namespace tessera {

enum class MapperKind { ilp, exhaustive, random, heuristic };
MapperKind parse_mapper(const std::string& s);  // ilp|exhaustive|random|default
const char* mapper_name(MapperKind k);

struct MapperOptions {
  MapperKind kind = MapperKind::ilp;
  Objective objective = Objective::latency;
  double time_limit = 1.0;            // ILP seconds per item (over all its engine options)
  uint64_t random_samples = 10000;    // random: candidates drawn per item
  uint64_t seed = 1;                  // random
  double exhaustive_limit = 2e6;      // exhaustive: largest space enumerated per item
  bool full_space = false;            // the space without the dominated reductions (ItemSpace)
  // Called after each item: (items done, items in all).
  std::function<void(size_t, size_t)> progress;
};

struct ItemStats {
  std::string item, engine;
  std::string how;            // optimal | time limit | exhaustive | random | default | vector | fused | ilp (space too large)
  double solve_seconds = 0;   // mapping time of the item (solves and scoring)
  double mip_seconds = 0;     // ILP: CBC's part of it (model building and solves)
  int mip_solves = 0;         // ILP: CBC solves (outer-approximation rounds over all options)
  Score score;                // the evaluator's, item alone on its engine
  double model_cycles = 0;    // ILP: the MIP model's latency of its best solution
  uint64_t scored = 0;        // candidates scored by the evaluator
  double space = 0;           // candidates in the item's space
};

struct MapResult {
  Mapping mapping;
  std::vector<ItemStats> items;
};

// UserError (at the operator) when an item has no engine or no tile that fits.
MapResult map_workload(const Arch& arch, const Workload& wl, const MapperOptions& opt);

}  // namespace tessera
