#include "sim/mapper/search.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <random>

#include "models/common/error.h"
#include "sim/mapper/ilp.h"

namespace tessera {

MapperKind parse_mapper(const std::string& s) {
  if (s == "ilp") return MapperKind::ilp;
  if (s == "exhaustive") return MapperKind::exhaustive;
  if (s == "random") return MapperKind::random;
  if (s == "default") return MapperKind::heuristic;
  throw UserError("unknown mapper '" + s + "'; expected ilp|exhaustive|random|default", SourceLoc{}, "--mapper");
}

const char* mapper_name(MapperKind k) {
  switch (k) {
    case MapperKind::ilp: return "ilp";
    case MapperKind::exhaustive: return "exhaustive";
    case MapperKind::random: return "random";
    case MapperKind::heuristic: return "default";
  }
  return "?";
}

namespace {

using Clock = std::chrono::steady_clock;

struct Best {
  bool found = false;
  GemmCandidate c;
  Score s;
  uint64_t scored = 0;
  // Whether a candidate with this lower bound could still win.
  bool may_beat(const Score& bound, Objective o) const { return !found || bound.value(o) < s.value(o); }
  void offer(const GemmCandidate& cand, const Score& sc, Objective o) {
    ++scored;
    const double v = sc.value(o), b = s.value(o);
    // Ties: fewer cycles, then less energy, then the first seen.
    if (!found || v < b || (v == b && (sc.cycles < s.cycles || (sc.cycles == s.cycles && sc.energy_pj < s.energy_pj)))) {
      found = true;
      c = cand;
      s = sc;
    }
  }
};

class Driver {
 public:
  Driver(const Arch& arch, const Workload& wl, const MapperOptions& opt)
      : arch_(arch), wl_(wl), opt_(opt), ev_(arch, EvalOptions{opt.objective != Objective::latency}), full_(arch) {}

  MapResult run() {
    MapResult out;
    out.mapping.arch = arch_.name;
    out.mapping.workload = wl_.name();
    const auto items = work_items(wl_);
    out.mapping.ops.reserve(items.size());
    out.items.reserve(items.size());
    std::map<int, size_t> gemm_engine;  // op index -> engine of its GEMM
    Mapping heuristic;
    if (opt_.kind == MapperKind::heuristic) heuristic = default_mapping(arch_, wl_);
    for (size_t ii = 0; ii < items.size(); ++ii) {
      const WorkItem& it = items[ii];
      const auto t0 = Clock::now();
      ItemStats st;
      st.item = it.name;
      OpMapping om;
      if (opt_.kind == MapperKind::heuristic) {  // the default mapping as it is, GEMMs scored
        om = *heuristic.find(it.name);
        st.how = om.fused ? "fused" : it.work.kind == WorkKind::Gemm ? "default" : "vector";
        if (st.how == "default") {
          const ItemSpace sp(arch_, wl_, it, opt_.full_space);
          st.space = sp.size();
          score_fixed(sp, om, st);
        }
      } else if (const int prod = fusion_producer(wl_, *it.op); prod >= 0 && gemm_engine.count(prod) &&
                                                          fusion_obstacle(wl_, *it.op, arch_.engines[gemm_engine.at(prod)]).empty()) {
        om.op = it.name;
        om.engine = arch_.engines[gemm_engine.at(prod)].name;
        om.fused = true;
        st.how = "fused";
      } else {
        const ItemSpace sp(arch_, wl_, it, opt_.full_space);
        st.space = sp.size();
        if (!sp.is_gemm()) {
          om = map_vector(sp, st);
        } else {
          om = map_gemm(sp, st);
        }
        if (sp.is_gemm()) gemm_engine[it.op_index] = static_cast<size_t>(arch_.find_engine(om.engine) - arch_.engines.data());
      }
      st.engine = om.engine;
      st.solve_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
      out.mapping.ops.push_back(om);
      out.items.push_back(st);
      if (opt_.progress) opt_.progress(ii + 1, items.size());
    }
    return out;
  }

 private:
  // The full score (energy tallied) of the chosen candidate.
  Score final_score(const ItemSpace& sp, const OpPlan& p) { return sp.score(full_, p); }

  OpMapping map_vector(const ItemSpace& sp, ItemStats& st) {
    if (sp.vector_engines().empty())
      throw UserError(no_engine_message(arch_, sp.item().name, sp.item().op->kind, request_for(wl_, sp.item().work, "")),
                      sp.item().op->loc);
    size_t best = 0;
    Score bs;
    bool any = false;
    for (size_t e : sp.vector_engines()) {
      const Score s = final_score(sp, sp.vector_plan(e));
      ++st.scored;
      if (!any || s.value(opt_.objective) < bs.value(opt_.objective)) {
        any = true;
        best = e;
        bs = s;
      }
    }
    st.how = "vector";
    st.score = bs;
    return sp.vector_mapping(best);
  }

  void score_fixed(const ItemSpace& sp, const OpMapping& om, ItemStats& st) {
    for (size_t oi = 0; oi < sp.options().size(); ++oi) {
      const auto& o = sp.options()[oi];
      if (arch_.engines[o.engine].name != om.engine || o.dataflow != om.dataflow) continue;
      const GemmCandidate c{oi, {om.tile_m, om.tile_n, om.tile_k}, om.loop_order};
      st.score = final_score(sp, sp.plan(c));
      st.scored = 1;
      return;
    }
  }

  // The lean score of `c`, with its best accumulator tile (ItemSpace::acc_choices) put in it.
  Score quick(const ItemSpace& sp, GemmCandidate& c) {
    // Each distinct tile shape and context is cached (~1 KB); an exhaustive search meets
    // millions, so the cache is bounded: 6 GB on tpu_v1 ResNet-50 before.
    if (ev_.cached_shapes() > kMaxCachedShapes) ev_.clear_cache();
    const size_t n = sp.acc_choices(sp.options()[c.option], c.tile).size();
    c.acc = 0;
    Score best = sp.score(ev_, sp.plan(c));
    for (size_t a = 1; a < n; ++a) {
      GemmCandidate k = c;
      k.acc = a;
      const Score s = sp.score(ev_, sp.plan(k));
      if (s.value(opt_.objective) < best.value(opt_.objective)) {
        best = s;
        c.acc = a;
      }
    }
    return best;
  }

  // A tile that fits, cheaply: the first option's whole GEMM, its largest dimension halved
  // (to a candidate size) until the staging fits.
  static GemmCandidate greedy(const ItemSpace& sp) {
    GemmCandidate c;
    if (sp.options().empty()) return c;
    const GemmOption& o = sp.options()[0];
    std::vector<size_t> idx;
    for (const auto& v : o.sizes) idx.push_back(v.size() - 1);
    auto tile = [&] {
      std::vector<int64_t> t;
      for (size_t d = 0; d < idx.size(); ++d) t.push_back(o.sizes[d][idx[d]]);
      return t;
    };
    while (!sp.fits(o, tile())) {
      size_t d = 0;
      for (size_t e = 1; e < idx.size(); ++e)
        if (o.sizes[e][idx[e]] > o.sizes[d][idx[d]]) d = e;
      if (o.sizes[d][idx[d]] == 1) break;
      const int64_t half = o.sizes[d][idx[d]] / 2;
      while (idx[d] > 0 && o.sizes[d][idx[d]] > half) --idx[d];
    }
    c.tile = tile();
    c.loop_order = "mnk";
    return c;
  }

  // Hill-climbs from `start` while the evaluator finds better: each dimension alone over its
  // candidate sizes within a factor 2.5, and all dimensions one candidate down or up together
  // (every combination of the three of a GEMM tile; all together for a convolution's seven),
  // in every loop order.
  void polish(const ItemSpace& sp, GemmCandidate start, Best& best, double pair_seconds) {
    const GemmOption& o = sp.options()[start.option];
    const size_t nd = o.sizes.size();
    Best local;
    const Score s0 = quick(sp, start);
    local.offer(start, s0, opt_.objective);
    auto visit = [&](const std::vector<int64_t>& t) {
      if (!sp.fits(o, t)) return;
      for (const char* order : loop_orders()) {
        GemmCandidate c{start.option, t, order};
        // A candidate whose lower bound is above this climb's best can neither beat nor tie it
        // (nor the overall best, which is at most as large): not scored, the result the same.
        if (local.found && sp.lower_bound(c).value(opt_.objective) > local.s.value(opt_.objective)) continue;
        const Score s = quick(sp, c);
        local.offer(c, s, opt_.objective);
        best.offer(c, s, opt_.objective);
      }
    };
    bool paired = false;
    for (int round = 0; round < 10; ++round) {
      const GemmCandidate at = local.c;
      std::vector<size_t> idx(nd);
      for (size_t d = 0; d < nd; ++d) {
        idx[d] = static_cast<size_t>(std::lower_bound(o.sizes[d].begin(), o.sizes[d].end(), at.tile[d]) - o.sizes[d].begin());
        for (int64_t v : o.sizes[d]) {
          if (v == at.tile[d] || 2 * v < at.tile[d] * 4 / 5 || v > at.tile[d] * 5 / 2) continue;
          std::vector<int64_t> t = at.tile;
          t[d] = v;
          visit(t);
        }
      }
      if (o.conv) {
        // Output-pixel blocks of about the same size (half to twice its pixels) in every aspect:
        // the model's error (its compute law, stalls at ragged blocks) can favour one aspect
        // ratio over another that the evaluator ranks first (4x10 vs 16x3 on a 6-row array).
        const double pixels = static_cast<double>(at.tile[3] * at.tile[4]);
        for (int64_t bp : o.sizes[3])
          for (int64_t bq : o.sizes[4]) {
            const double ratio = static_cast<double>(bp * bq) / pixels;
            if (ratio < 0.5 || ratio > 2 || (bp == at.tile[3] && bq == at.tile[4])) continue;
            std::vector<int64_t> t = at.tile;
            t[3] = bp;
            t[4] = bq;
            visit(t);
          }
      }
      const int combos = nd == 3 ? 8 : 2;  // sign patterns: all 2^3, or all down / all up
      for (int pattern = 0; pattern < combos; ++pattern) {
        std::vector<int64_t> t(nd);
        bool ok = true, moved = false;
        for (size_t d = 0; d < nd && ok; ++d) {
          const int delta = nd == 3 ? ((pattern >> d) & 1 ? 1 : -1) : (pattern ? 1 : -1);
          auto j = static_cast<int64_t>(idx[d]) + delta;
          if (o.sizes[d].size() == 1) j = 0;  // a dimension with one size stays
          ok = j >= 0 && j < static_cast<int64_t>(o.sizes[d].size());
          if (ok) {
            t[d] = o.sizes[d][static_cast<size_t>(j)];
            moved = moved || t[d] != at.tile[d];
          }
        }
        if (ok && moved) visit(t);
      }
      if (local.c.tile == at.tile) {
        // Converged on single and joint steps: one pass over pairs of dimensions, each within
        // a factor 2 of its size, in every order; a better pair climbs again. Found by layers
        // whose optimum differs in two dimensions and the order at once (m down, n up, nmk).
        // Bounded in time by `pair_seconds` (the evaluator's cost grows with the tile steps).
        if (paired) break;
        paired = true;
        const Score before = local.s;
        const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(pair_seconds));
        for (size_t d1 = 0; d1 < nd; ++d1)
          for (size_t d2 = d1 + 1; d2 < nd; ++d2)
            for (int64_t v1 : o.sizes[d1])
              for (int64_t v2 : o.sizes[d2]) {
                if (Clock::now() > deadline) break;
                auto near = [](int64_t v, int64_t at) { return 2 * v >= at && v <= 2 * at; };
                if (!near(v1, at.tile[d1]) || !near(v2, at.tile[d2]) || (v1 == at.tile[d1] && v2 == at.tile[d2])) continue;
                std::vector<int64_t> t = at.tile;
                t[d1] = v1;
                t[d2] = v2;
                visit(t);
              }
        if (!(local.s.value(opt_.objective) < before.value(opt_.objective))) break;
      }
    }
    best.scored += local.scored;
  }

  OpMapping map_gemm(const ItemSpace& sp, ItemStats& st) {
    if (sp.options().empty()) throw UserError(sp.no_fit_reason(), sp.item().op->loc);
    Best best;
    MapperKind kind = opt_.kind;
    if (kind == MapperKind::exhaustive && sp.size() > opt_.exhaustive_limit) kind = MapperKind::ilp;
    if (kind == MapperKind::exhaustive || kind == MapperKind::random) {
      // The candidates (all, or the random draws), scored best bound first: one whose bound
      // cannot beat the best so far is skipped, which leaves the result as it would be.
      std::vector<std::pair<Score, GemmCandidate>> todo;
      if (kind == MapperKind::exhaustive) {
        for (size_t oi = 0; oi < sp.options().size(); ++oi) {
          const auto& o = sp.options()[oi];
          std::vector<size_t> idx(o.sizes.size(), 0);  // an odometer over the dimensions' sizes
          for (bool more = true; more;) {
            std::vector<int64_t> t;
            for (size_t d = 0; d < idx.size(); ++d) t.push_back(o.sizes[d][idx[d]]);
            if (sp.fits(o, t))
              for (const char* order : loop_orders()) {
                const GemmCandidate c{oi, t, order};
                todo.emplace_back(sp.lower_bound(c), c);
              }
            more = false;
            for (size_t d = idx.size(); d-- > 0;) {
              if (++idx[d] < o.sizes[d].size()) {
                more = true;
                break;
              }
              idx[d] = 0;
            }
          }
        }
        st.how = "exhaustive";
      } else {
        std::mt19937_64 rng(opt_.seed ^ std::hash<std::string>{}(sp.item().name));
        uint64_t drawn = 0;
        for (uint64_t tries = 0; drawn < opt_.random_samples && tries < 50 * opt_.random_samples && !sp.options().empty(); ++tries) {
          const size_t oi = rng() % sp.options().size();
          const auto& o = sp.options()[oi];
          GemmCandidate c;
          c.option = oi;
          c.tile.clear();
          for (const auto& v : o.sizes) c.tile.push_back(v[rng() % v.size()]);
          c.loop_order = loop_orders()[rng() % 6];
          if (!sp.fits(o, c.tile)) continue;
          ++drawn;
          todo.emplace_back(sp.lower_bound(c), c);
        }
        st.how = "random";
      }
      const Objective obj = opt_.objective;
      std::stable_sort(todo.begin(), todo.end(), [obj](const auto& x, const auto& y) { return x.first.value(obj) < y.first.value(obj); });
      for (auto& [bound, c] : todo) {
        if (!best.may_beat(bound, obj)) break;  // sorted: no later one can either
        const Score s = quick(sp, c);
        best.offer(c, s, obj);
      }
    } else {
      const auto m0 = Clock::now();
      GemmCandidate fallback = greedy(sp);
      const IlpOutcome r = ilp_map_item(sp, opt_.objective, opt_.time_limit, static_cast<double>(quick(sp, fallback).cycles));
      st.mip_seconds = std::chrono::duration<double>(Clock::now() - m0).count();
      // Each MIP solution in every loop order: the order only matters beyond stationarity
      // when a loop has one trip, and the evaluator settles it.
      std::vector<Best> per_option(sp.options().size());
      for (const auto& c : r.candidates)
        for (const char* order : loop_orders()) {
          GemmCandidate k{c.option, c.tile, order};
          const Score s = quick(sp, k);
          per_option[c.option].offer(k, s, opt_.objective);
          best.offer(k, s, opt_.objective);
        }
      // The MIP's model leaves out the pipeline's step-by-step stalls (docs/mapper.md), so
      // each option's best is polished by the evaluator: neighbouring tile sizes, all orders.
      // The pair pass of each polish gets as long as the MIP took (at least 50 ms) over all.
      const double pair_seconds = std::max(0.05, st.mip_seconds) / static_cast<double>(std::max<size_t>(1, sp.options().size()));
      for (auto& po : per_option)
        if (po.found) polish(sp, po.c, best, pair_seconds);
      if (r.candidates.empty() && sp.fits(sp.options()[0], fallback.tile))
        polish(sp, fallback, best, pair_seconds);  // no MIP solution (the solver failed): the evaluator's hill-climb alone
      st.how = opt_.kind == MapperKind::exhaustive ? "ilp (space too large)"
               : r.solver_failed                   ? "solver failed"
               : r.timed_out                       ? "time limit"
               : r.proven_optimal                  ? "optimal"
                                                   : "incumbent";
      st.model_cycles = r.model_cycles;
      st.mip_solves = r.solves;
    }
    if (!best.found) throw UserError(sp.no_fit_reason(), sp.item().op->loc);
    st.scored = best.scored;
    st.score = final_score(sp, sp.plan(best.c));
    return sp.mapping(best.c);
  }

  const Arch& arch_;
  const Workload& wl_;
  MapperOptions opt_;
  static constexpr size_t kMaxCachedShapes = 100000;
  Evaluator ev_, full_;
};

}  // namespace

MapResult map_workload(const Arch& arch, const Workload& wl, const MapperOptions& opt) { return Driver(arch, wl, opt).run(); }

}  // namespace tessera
