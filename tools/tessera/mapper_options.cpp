#include "tools/tessera/mapper_options.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "tools/tessera/command.h"

namespace tessera::cli {

void add_mapper_options(CLI::App& cmd, MapperArgs& a) {
  cmd.add_option("--mapper", a.mapper, "ilp, exhaustive, random or default (the heuristic)")
      ->check(CLI::IsMember({"ilp", "exhaustive", "random", "default"}));
  cmd.add_option("--objective", a.objective, "what the mapper minimises per operator: latency, energy or edp")
      ->check(CLI::IsMember({"latency", "energy", "edp"}));
  cmd.add_option("--time-limit", a.time_limit, "ILP seconds per operator (the best incumbent is used after it)")
      ->check(CLI::Range(0.01, 3600.0));
  cmd.add_option("--samples", a.samples, "random mapper: candidates drawn per operator")->check(CLI::Range(1, 100000000));
  cmd.add_option("--seed", a.seed, "random mapper: seed")->check(non_negative());
  cmd.add_option("--exhaustive-limit", a.exhaustive_limit,
                 "exhaustive mapper: largest space enumerated per operator (larger ones are mapped by the ILP)")
      ->check(CLI::PositiveNumber);
  cmd.add_flag("--full-space", a.full_space,
               "search without the reductions docs/mapper.md shows dominated: split kernels (R, S) in a convolution's blocks, every maximal accumulator tile");
}

MapResult run_mapper(const Arch& arch, const Workload& wl, const MapperArgs& a) {
  MapperOptions o;
  o.kind = parse_mapper(a.mapper);
  o.objective = parse_objective(a.objective);
  o.time_limit = a.time_limit;
  o.random_samples = a.samples;
  o.seed = a.seed;
  o.exhaustive_limit = a.exhaustive_limit;
  o.full_space = a.full_space;
  const bool tty = isatty(fileno(stderr)) != 0;
  const auto t0 = std::chrono::steady_clock::now();
  auto last = t0;
  bool shown = false;
  if (tty)
    o.progress = [&](size_t done, size_t total) {
      const auto now = std::chrono::steady_clock::now();
      if (done < total && now - last < std::chrono::milliseconds(100)) return;
      last = now;
      const double el = std::chrono::duration<double>(now - t0).count();
      const double eta = done ? el / static_cast<double>(done) * static_cast<double>(total - done) : 0;
      const int width = 30, fill = static_cast<int>(width * done / std::max<size_t>(1, total));
      fmt::print(stderr, "\rmapping ({}) [{:<{}}] {}/{} operators, {:.1f} s, ETA {:.0f} s ", a.mapper,
                 std::string(static_cast<size_t>(fill), '#'), width, done, total, el, eta);
      shown = true;
    };
  MapResult r = map_workload(arch, wl, o);
  if (shown) fmt::print(stderr, "\r{:<100}\r", "");
  return r;
}

nlohmann::json mapper_stats_json(const MapperArgs& a, const MapResult& r) {
  nlohmann::json items = nlohmann::json::array();
  double total = 0, worst = 0;
  std::vector<double> times, mip;
  for (const auto& s : r.items) {
    items.push_back({{"item", s.item}, {"engine", s.engine}, {"how", s.how}, {"seconds", s.solve_seconds}, {"mip_seconds", s.mip_seconds}, {"mip_solves", s.mip_solves},
                     {"cycles", s.score.cycles}, {"energy_pj", s.score.energy_pj}, {"model_cycles", s.model_cycles},
                     {"scored", s.scored}, {"space", s.space}});
    if (s.how == "fused" || s.how == "vector") continue;
    times.push_back(s.solve_seconds);
    mip.push_back(s.mip_seconds);
    total += s.solve_seconds;
    worst = std::max(worst, s.solve_seconds);
  }
  std::sort(times.begin(), times.end());
  std::sort(mip.begin(), mip.end());
  const double median = times.empty() ? 0 : times[times.size() / 2];
  const double mip_median = mip.empty() ? 0 : mip[mip.size() / 2], mip_worst = mip.empty() ? 0 : mip.back();
  return {{"mapper", a.mapper}, {"objective", a.objective}, {"time_limit", a.time_limit},
          {"gemm_items", times.size()}, {"seconds_total", total}, {"seconds_median", median}, {"seconds_worst", worst},
          {"mip_seconds_median", mip_median}, {"mip_seconds_worst", mip_worst},
          {"items", items}};
}

}  // namespace tessera::cli
