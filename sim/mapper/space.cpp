#include "sim/mapper/space.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

#include "models/common/error.h"
#include "sim/evaluate/price.h"

namespace tessera {

Objective parse_objective(const std::string& s) {
  if (s == "latency") return Objective::latency;
  if (s == "energy") return Objective::energy;
  if (s == "edp") return Objective::edp;
  throw UserError("unknown objective '" + s + "'; expected latency|energy|edp", SourceLoc{}, "--objective");
}

const char* objective_name(Objective o) {
  return o == Objective::latency ? "latency" : o == Objective::energy ? "energy" : "edp";
}

double Score::value(Objective o) const {
  const auto c = static_cast<double>(cycles);
  return o == Objective::latency ? c : o == Objective::energy ? energy_pj : energy_pj * c;
}

const std::array<const char*, 6>& loop_orders() {
  static const std::array<const char*, 6> orders{"mnk", "mkn", "nmk", "nkm", "kmn", "knm"};
  return orders;
}

std::vector<int64_t> tile_sizes(int64_t d, int64_t multiple) {
  std::vector<int64_t> s{d};
  for (int64_t i = 1; i * i <= d; ++i)
    if (d % i == 0) s.insert(s.end(), {i, d / i});
  // Multiples of the PE grid: the first 16, then about 6 per octave.
  multiple = std::max<int64_t>(1, multiple);
  if (multiple > 1) {
    const int64_t count = d / multiple;
    for (int64_t j = 1; j <= count;) {
      s.push_back(j * multiple);
      j = j < 16 ? j + 1 : std::max(j + 1, static_cast<int64_t>(std::floor(static_cast<double>(j) * 1.12)));
    }
  }
  // Balanced ragged splits into 2^j tiles, as they are and rounded up to the grid multiple.
  for (int64_t t = 2; t < 2 * d; t *= 2) {
    const int64_t even = (d + t - 1) / t;
    s.insert(s.end(), {even, std::min(d, (even + multiple - 1) / multiple * multiple)});
  }
  std::sort(s.begin(), s.end());
  s.erase(std::unique(s.begin(), s.end()), s.end());
  return s;
}

namespace {
int64_t first_holding(const Arch& arch, Operand o) {
  for (size_t s = 0; s < arch.scratchpads.size(); ++s)
    if (arch.scratchpads[s].holds_operand(o)) return static_cast<int64_t>(s);
  return -1;
}
}  // namespace

ItemSpace::ItemSpace(const Arch& arch, const Workload& wl, const WorkItem& item, bool full_space)
    : arch_(arch), wl_(wl), full_space_(full_space), item_(item), budget_(arch.scratchpads.size(), 0) {
  for (size_t s = 0; s < budget_.size(); ++s) budget_[s] = arch.scratchpads[s].model->capacity_bits();
  const LoweredOp& w = item_.work;
  // An activation stays on chip when it takes at most half of the scratchpad holding its role.
  auto kept = [&](const std::string& t, Operand role) {
    if (t.empty() || wl.tensor(t).role != TensorRole::activation) return false;
    const int64_t s = first_holding(arch, role);
    if (s < 0) return false;
    const uint64_t bits = wl.tensor(t).bits();
    if (bits > arch.scratchpads[static_cast<size_t>(s)].model->capacity_bits() / 2) return false;
    budget_[static_cast<size_t>(s)] -= std::min(budget_[static_cast<size_t>(s)], bits);
    return true;
  };
  const bool last = item_.index + 1 == item_.count;
  if (w.kind == WorkKind::Gemm) {
    homes_.a_dram = !kept(w.a_tensor, Operand::A);
    homes_.b_dram = !kept(w.b_tensor, Operand::B);
  } else {
    homes_.a_dram = item_.index == 0 && !kept(w.a_tensor, Operand::A);
  }
  homes_.out_dram = !(last && !wl.consumers(w.out_tensor).empty() && kept(w.out_tensor, Operand::Out));

  const TileRequest req = request_for(wl, w, "");
  for (size_t e = 0; e < arch.engines.size(); ++e) {
    const EngineInstance& inst = arch.engines[e];
    if (!engine_accepts(inst, req)) continue;
    if (w.kind != WorkKind::Gemm) {
      vector_engines_.push_back(e);
      continue;
    }
    const EngineCapabilities& caps = inst.model->capabilities();
    std::vector<std::string> dataflows = caps.dataflows;
    if (dataflows.empty()) dataflows.push_back("");
    for (const auto& df : dataflows) {
      TileRequest r = req;
      r.dataflow = df;
      try {
        inst.model->check(r);
      } catch (const UserError&) {
        continue;
      }
      GemmOption o;
      o.engine = e;
      o.dataflow = df;
      if (auto it = caps.tile_multiple.find(df); it != caps.tile_multiple.end()) o.multiple = it->second;
      o.bits = operand_bits(wl, w, *inst.model);
      const std::array<int64_t, 3> full{w.gemm.m, w.gemm.n, w.gemm.k};
      for (size_t d = 0; d < 3; ++d) o.sizes.push_back(tile_sizes(full[d], o.multiple[d]));
      options_.push_back(o);
      if (w.conv) {
        // Its own dimensions: K on the n multiple; C on the share of the k multiple that one
        // channel's R*S taps leave; N, P, Q by their sizes and powers of two (blocks whose pixel
        // count meets the m multiple); R, S whole, or by their divisors in the full space.
        o.conv = true;
        o.sizes.clear();
        const ConvDims& cd = *w.conv;
        const int64_t taps = cd.k[1] * cd.k[2];
        auto with_pow2 = [](int64_t d) {
          std::vector<int64_t> v = tile_sizes(d, 1);
          for (int64_t p = 1; p <= d; p *= 2) v.push_back(p);
          std::sort(v.begin(), v.end());
          v.erase(std::unique(v.begin(), v.end()), v.end());
          return v;
        };
        o.sizes = {with_pow2(cd.m[0]), tile_sizes(w.gemm.n, o.multiple[1]),
                   tile_sizes(cd.k[0], std::max<int64_t>(1, o.multiple[2] / std::gcd(o.multiple[2], taps))),
                   with_pow2(cd.m[1]), with_pow2(cd.m[2]), {cd.k[1]}, {cd.k[2]}};
        if (full_space) {
          auto divisors = [](int64_t d) {
            std::vector<int64_t> v;
            for (int64_t i = 1; i <= d; ++i)
              if (d % i == 0) v.push_back(i);
            return v;
          };
          o.sizes[5] = divisors(cd.k[1]);
          o.sizes[6] = divisors(cd.k[2]);
        }
        options_.push_back(std::move(o));
      }
    }
  }
  if (w.kind != WorkKind::Gemm) {
    // As the default mapper: inputs through DRAM, within half of each scratchpad (the placement
    // may keep other tensors beside it; it can always spill down to this).
    const auto per = vector_staging(arch, wl, w, 1, item_.index == 0);
    int64_t tile = w.vec.elements;
    for (size_t s = 0; s < per.size(); ++s)
      if (per[s]) tile = std::min<int64_t>(tile, static_cast<int64_t>(arch.scratchpads[s].model->capacity_bits() / 2 / per[s]));
    vector_tile_ = std::max<int64_t>(1, tile);
  }
}

size_t super_dim(const GemmOption& o, size_t d) {
  static const std::array<size_t, 7> of_conv{0, 1, 2, 0, 0, 2, 2};  // N K C P Q R S -> m n k m m k k
  return o.conv ? of_conv.at(d) : d;
}

std::vector<int64_t> ItemSpace::dims(const GemmOption& o) const {
  const LoweredOp& w = item_.work;
  if (!o.conv) return {w.gemm.m, w.gemm.n, w.gemm.k};
  const ConvDims& c = *w.conv;
  return {c.m[0], w.gemm.n, c.k[0], c.m[1], c.m[2], c.k[1], c.k[2]};
}

ItemTile ItemSpace::item_tile(const GemmOption& o, const std::vector<int64_t>& t) const {
  ItemTile it;
  if (o.conv) {
    for (size_t d = 0; d < 7; ++d) it.conv[d] = t.at(d);
    it.gemm = it.largest();
  } else {
    it.gemm = {t.at(0), t.at(1), t.at(2)};
  }
  return it;
}

std::vector<uint64_t> ItemSpace::staging(const GemmOption& o, const std::vector<int64_t>& t) const {
  return gemm_staging(arch_, item_.work, item_tile(o, t), o.bits, homes_);
}

std::vector<AccLevel> ItemSpace::acc_choices(const GemmOption& o, const std::vector<int64_t>& tile) const {
  const ItemTile it = item_tile(o, tile);
  std::vector<AccLevel> v{acc_level(arch_, it, o.bits.psum)};
  const AccLevel rule = v[0];  // a copy: v grows below
  if (!rule.on || (rule.m == 0 && rule.n == 0)) return v;
  const GemmShape g = it.largest();
  const auto fit = static_cast<int64_t>(acc_fit_outputs(arch_, o.bits.psum));
  // A call split both ways comes in both orders of the m and n calls (which operand's rows
  // the consecutive calls share).
  auto push_new = [&](const AccLevel& a) {
    for (const auto& x : v)
      if (x.m == a.m && x.n == a.n && x.n_outer == a.n_outer) return;
    v.push_back(a);
  };
  auto add = [&](int64_t m, int64_t n) {
    AccLevel a = rule;
    a.m = m >= g.m ? 0 : m;
    a.n = n >= g.n ? 0 : n;
    push_new(a);
    if (a.m && a.n) {
      a.n_outer = !rule.n_outer;
      push_new(a);
    }
  };
  auto down = [](int64_t x, int64_t multiple) { return x >= multiple ? x / multiple * multiple : x; };
  // At most t per tile over d, in tiles made equal (no small ragged last call).
  auto balanced = [](int64_t d, int64_t t) {
    const int64_t count = (d + t - 1) / t;
    return (d + count - 1) / count;
  };
  if (!it.is_conv() && g.n <= fit) {  // whole rows
    add(down(fit / g.n, o.multiple[0]), g.n);
    add(balanced(g.m, fit / g.n), g.n);
  }
  if (g.m <= fit) {  // whole columns
    add(g.m, fit / g.m);
    add(g.m, down(fit / g.m, o.multiple[1]));
    add(g.m, balanced(g.n, fit / g.m));
  }
  if (full_space_ && !it.is_conv())  // every maximal tile: each m's widest n
    for (int64_t ma : tile_sizes(g.m, o.multiple[0]))
      if (ma < g.m && ma <= fit) {
        add(ma, std::min(g.n, fit / ma));
        add(ma, down(std::min(g.n, fit / ma), o.multiple[1]));
      }
  if (!it.is_conv()) {  // split both ways, about square: each call re-reads less of a and b
    // From a side of sqrt(fit) in one dimension: the other's widest balanced side, then the
    // first's widest again (50x20 outputs with 256 fit: 13 rows, then 10 columns, then 25 rows).
    const auto side = std::max<int64_t>(1, static_cast<int64_t>(std::sqrt(static_cast<double>(fit))));
    auto widest = [&](int64_t d, int64_t other) { return balanced(d, std::min(d, fit / other)); };
    const int64_t n1 = widest(g.n, balanced(g.m, std::min(g.m, side)));  // rows first
    add(widest(g.m, n1), n1);
    const int64_t m1 = widest(g.m, balanced(g.n, std::min(g.n, side)));  // columns first
    add(m1, widest(g.n, m1));
    const int64_t mg = down(std::min(g.m, side), o.multiple[0]);
    const int64_t ng = down(std::min(g.n, fit / mg), o.multiple[1]);
    add(down(std::min(g.m, fit / ng), o.multiple[0]), ng);
  }
  return v;
}

bool ItemSpace::fits(const GemmOption& o, const std::vector<int64_t>& t) const {
  // Within the budget as residency is assumed, and within the whole scratchpad when every
  // operand goes through DRAM: the placement may decide so, and it can always spill to make
  // that room, so the mapping never fails to place.
  const auto use = staging(o, t);
  const auto worst = gemm_staging(arch_, item_.work, item_tile(o, t), o.bits, OperandHomes{});
  for (size_t s = 0; s < use.size(); ++s)
    if (use[s] > budget_[s] || worst[s] > arch_.scratchpads[s].model->capacity_bits()) return false;
  return true;
}

double ItemSpace::size() const {
  double n = 0;
  for (const auto& o : options_) {
    double c = 6.0;
    for (const auto& v : o.sizes) c *= static_cast<double>(v.size());
    n += c;
  }
  return is_gemm() ? n : static_cast<double>(vector_engines_.size());
}

OpPlan ItemSpace::plan(const GemmCandidate& c) const {
  const GemmOption& o = options_.at(c.option);
  const LoweredOp& w = item_.work;
  OpPlan p;
  p.op = item_.name;
  p.kind = item_.op->kind;
  p.engine = o.engine;
  p.request = request_for(wl_, w, o.dataflow);
  p.groups = w.groups;
  p.macs = w.macs;
  const ItemTile t = item_tile(o, c.tile);
  const auto choices = acc_choices(o, c.tile);
  p.tiles = tile_sequence(w, t, c.loop_order, o.bits, homes_, choices[std::min(c.acc, choices.size() - 1)]);
  return p;
}

OpPlan ItemSpace::vector_plan(size_t engine) const {
  const LoweredOp& w = item_.work;
  OpPlan p;
  p.op = item_.name;
  p.kind = item_.op->kind;
  p.engine = engine;
  p.request = request_for(wl_, w, "");
  p.macs = w.macs;
  uint64_t in = 0;
  if (homes_.a_dram)
    for (const auto& t : item_.op->inputs) in += wl_.tensor(t).bits();
  const uint64_t out = homes_.out_dram && item_.index + 1 == item_.count ? wl_.tensor(w.out_tensor).bits() : 0;
  p.tiles = TileSequence::vector(w.vec.elements, vector_tile_, in, out);
  return p;
}

OpMapping ItemSpace::mapping(const GemmCandidate& c) const {
  const GemmOption& o = options_.at(c.option);
  OpMapping m;
  m.op = item_.name;
  m.engine = arch_.engines[o.engine].name;
  m.dataflow = o.dataflow;
  const ItemTile t = item_tile(o, c.tile);
  if (t.is_conv()) {
    m.conv_tile = t.conv;
  } else {
    m.tile_m = t.gemm.m;
    m.tile_n = t.gemm.n;
    m.tile_k = t.gemm.k;
  }
  m.loop_order = c.loop_order;
  const auto choices = acc_choices(o, c.tile);
  if (const AccLevel& a = choices[std::min(c.acc, choices.size() - 1)]; a.on) {  // written out, so the file says it
    m.acc_m = a.m;
    m.acc_n = a.n;
    m.acc_loop_order = a.n_outer ? "nm" : "mn";
  }
  return m;
}

OpMapping ItemSpace::vector_mapping(size_t engine) const {
  OpMapping m;
  m.op = item_.name;
  m.engine = arch_.engines[engine].name;
  m.tile_elements = vector_tile_;
  return m;
}

Score ItemSpace::score(Evaluator& ev, const OpPlan& p) const {
  const ItemEval r = ev.item(p);
  std::vector<uint64_t> rd, wr;
  for (const auto& s : r.spm) {
    rd.push_back(s.read_bits);
    wr.push_back(s.write_bits);
  }
  Score sc;
  sc.cycles = r.total_cycles;
  for (const auto& [_, pj] :
       item_energy_pj(arch_, arch_.engines[p.engine].name, r.actions, rd, wr, r.dram_read_bits + r.dram_write_bits))
    sc.energy_pj += pj;
  return sc;
}

Score ItemSpace::lower_bound(const GemmCandidate& c) const {
  const GemmOption& o = options_.at(c.option);
  const LoweredOp& w = item_.work;
  const std::array<uint64_t, 3> full{static_cast<uint64_t>(w.gemm.m), static_cast<uint64_t>(w.gemm.n),
                                     static_cast<uint64_t>(w.gemm.k)};
  std::array<uint64_t, 3> trips{1, 1, 1};  // per loop dimension (m, n, k): products of the tile counts
  const std::vector<int64_t> dim = dims(o);
  for (size_t d = 0; d < dim.size(); ++d)
    trips[super_dim(o, d)] *= static_cast<uint64_t>((dim[d] + c.tile[d] - 1) / c.tile[d]);
  int inner = -1;  // the innermost loop with more than one trip
  for (int l = 2; l >= 0 && inner < 0; --l) {
    const int d = c.loop_order[static_cast<size_t>(l)] == 'm' ? 0 : c.loop_order[static_cast<size_t>(l)] == 'n' ? 1 : 2;
    if (trips[static_cast<size_t>(d)] > 1) inner = d;
  }
  const auto g = static_cast<uint64_t>(w.groups);
  const uint64_t M = full[0], N = full[1], K = full[2];
  long double bits = 0;
  if (homes_.a_dram && !w.a_tile_elements && !w.conv)
    bits += static_cast<long double>(M * K) * o.bits.a * (inner == 1 || inner < 0 ? 1 : trips[1]);
  if (homes_.b_dram) bits += static_cast<long double>(K * N) * o.bits.b * (inner == 0 || inner < 0 ? 1 : trips[0]);
  if (inner != 2 && inner >= 0) bits += 2.0L * static_cast<long double>(M * N) * o.bits.psum * static_cast<long double>(trips[2] - 1);
  if (homes_.out_dram) bits += static_cast<long double>(M * N) * o.bits.out;
  bits *= g;
  const long double bits_per_ns = arch_.dram->bandwidth_gbps() * 8.0L;
  const long double dram_cycles = bits / bits_per_ns * arch_.clock_ghz;
  const long double peak = static_cast<long double>(arch_.engines[o.engine].model->capabilities().peak_ops_per_cycle);
  const long double steps = static_cast<long double>(trips[0]) * trips[1] * trips[2] * g;
  // Compute: the MACs at the engine's peak; for a GEMM option, the MACs with every tile's sides
  // rounded up to the engine's PE-grid multiple (the part of the grid a ragged tile leaves idle
  // still takes its cycles). The rounded sum factors per dimension: interior tiles and the last.
  long double work = static_cast<long double>(w.macs);
  if (!o.conv) {
    long double padded = static_cast<long double>(g);
    for (size_t d = 0; d < 3; ++d) {
      const auto t = static_cast<uint64_t>(c.tile[d]), mult = static_cast<uint64_t>(std::max<int64_t>(1, o.multiple[d]));
      const uint64_t count = (full[d] + t - 1) / t, last = full[d] - (count - 1) * t;
      auto up = [mult](uint64_t x) { return static_cast<long double>((x + mult - 1) / mult * mult); };
      padded *= static_cast<long double>(count - 1) * up(t) + up(last);
    }
    work = std::max(work, padded);
  }
  const long double cycles = std::max({work / std::max(1.0L, peak), steps, dram_cycles});
  Score s;
  s.cycles = static_cast<uint64_t>(std::floor(std::min(cycles, 1.8e19L)));
  s.energy_pj = static_cast<double>(bits) * dram_pj_per_bit(arch_);
  return s;
}

std::string ItemSpace::no_fit_reason() const {
  if (options_.empty()) return no_engine_message(arch_, item_.name, item_.op->kind, request_for(wl_, item_.work, ""));
  // The smallest tile of the first option: which scratchpad cannot hold it.
  const GemmOption& o = options_.front();
  const auto use = staging(o, std::vector<int64_t>(o.sizes.size(), 1));
  for (size_t s = 0; s < use.size(); ++s)
    if (use[s] > budget_[s])
      return "'" + item_.name + "': scratchpad '" + arch_.scratchpads[s].name + "' cannot hold even a 1x1x1 tile (" +
             std::to_string((use[s] + 7) / 8) + " bytes double-buffered, " + std::to_string(budget_[s] / 8) +
             " bytes left of " + std::to_string(arch_.scratchpads[s].model->capacity_bits() / 8) +
             " after the tensors kept on chip)";
  return "'" + item_.name + "': no tile fits";
}

}  // namespace tessera
