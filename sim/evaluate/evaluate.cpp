#include "sim/evaluate/evaluate.h"

#include <algorithm>
#include <array>
#include <stdexcept>
#include <tuple>
#include <unordered_map>

namespace tessera {

namespace {

// What every item on this machine shares: the DMA/DRAM constants and the scratchpads' port
// arithmetic (IScratchpad::stream_cycles, unrolled).
class Machine {
 public:
  const Arch& arch;
  size_t spm_a = 0, spm_b = 0, spm_out = 0;  // the first scratchpad holding each role (else 0), as the kernel
  size_t spm_psum = 0;  // where partial sums live: the accumulator, else out's scratchpad
  struct Spm {
    uint64_t width = 1, per_cycle = 1;  // word bits; words per cycle through the engine's ports
    bool single_port = false;           // the engine's port also carries the DMA fill and drain
  };
  std::vector<Spm> spm;
  std::vector<size_t> single_port;  // indices of single-port scratchpads
  uint64_t latency = 0, setup = 0;
  size_t channels = 1;
  std::vector<int> psum_bits;  // per engine: the width its partial sums are added in

  explicit Machine(const Arch& a) : arch(a) {
    auto index_of = [&](Operand o) -> size_t {
      for (size_t i = 0; i < a.scratchpads.size(); ++i)
        if (a.scratchpads[i].holds_operand(o)) return i;
      return 0;
    };
    spm_a = index_of(Operand::A);
    spm_b = index_of(Operand::B);
    spm_out = index_of(Operand::Out);
    spm_psum = a.accumulator() >= 0 ? static_cast<size_t>(a.accumulator()) : spm_out;
    for (size_t s = 0; s < a.scratchpads.size(); ++s) {
      const IScratchpad& m = *a.scratchpads[s].model;
      const int ports = m.ports() > 1 ? m.ports() - 1 : 1;
      spm.push_back({static_cast<uint64_t>(m.width_bits()),
                     static_cast<uint64_t>(m.banks()) * static_cast<uint64_t>(ports), m.ports() == 1});
      if (m.ports() == 1) single_port.push_back(s);
    }
    latency = a.cycles_from_ns(a.dram->latency_ns());
    setup = a.dma->setup_cycles();
    channels = static_cast<size_t>(std::max(1, a.dma->channels()));
    for (const auto& e : a.engines) psum_bits.push_back(e.model->capabilities().psum_bits);
  }

  uint64_t stream_cycles(size_t s, uint64_t bits) const {
    const Spm& p = spm[s];
    const uint64_t words = (bits + p.width - 1) / p.width;
    return (words + p.per_cycle - 1) / p.per_cycle;
  }
  // The DRAM data phase of one transfer, as the kernel's MemoryPath computes it (floating
  // point, rounded up at the clock), remembered for the last sizes seen: tiles repeat them.
  uint64_t data_cycles(uint64_t bits) const {
    Memo& m = memo_[(bits * 0x9E3779B97F4A7C15ULL) >> 56];
    if (m.bits != bits || !m.cycles) m = {bits, std::max<uint64_t>(1, arch.cycles_from_ns(arch.dram->transfer_ns(bits)))};
    return m.cycles;
  }

 private:
  struct Memo {
    uint64_t bits = 0, cycles = 0;  // cycles 0: empty
  };
  mutable std::array<Memo, 256> memo_{};
};

// The closed-form cost of one tile shape of one request class, asked once, and what the kernel
// books on the scratchpads for it.
struct CostEntry {
  TileCost cost;
  uint64_t cycles = 0;             // cost.cycles.total()
  std::vector<uint64_t> spm_bits;  // engine traffic per scratchpad (before single-port DMA bits)
  uint64_t multi_port_cycles = 0;  // port time on the multi-port scratchpads (does not vary by step)
};

// A tile step as a shape-only engine's session sees it: its shape, its context flags (first |
// a_changed | b_changed | out_changed, the kernel's StepKey without `accumulates`, which only
// adds the combine) and its origin's phase against the engine's tile_multiple.
struct ShapeKey {
  int64_t m, n, k;
  int flags;
  std::array<int64_t, 3> phase;
  bool operator==(const ShapeKey& o) const {
    return m == o.m && n == o.n && k == o.k && flags == o.flags && phase == o.phase;
  }
  bool operator<(const ShapeKey& o) const {
    return std::tie(m, n, k, flags, phase) < std::tie(o.m, o.n, o.k, o.flags, o.phase);
  }
};
ShapeKey step_key(const TileStep& t, bool first, const std::array<int64_t, 3>& multiple) {
  return {t.shape.m, t.shape.n, t.shape.k,
          (first ? 1 : 0) | (t.a_changed ? 2 : 0) | (t.b_changed ? 4 : 0) | (t.out_changed ? 8 : 0),
          origin_phase({t.m0, t.n0, t.k0}, multiple)};
}
struct ShapeHash {
  size_t operator()(const ShapeKey& s) const {
    uint64_t h = static_cast<uint64_t>(s.m) * 0x9E3779B97F4A7C15ULL;
    h ^= static_cast<uint64_t>(s.n) + 0x7F4A7C159E3779B9ULL + (h << 6) + (h >> 2);
    h ^= static_cast<uint64_t>(s.k) + 0x94D049BB133111EBULL + (h << 6) + (h >> 2);
    h ^= static_cast<uint64_t>(s.flags) + (h << 6);
    for (int64_t p : s.phase) h ^= static_cast<uint64_t>(p) * 0x9E3779B97F4A7C15ULL + (h << 6) + (h >> 2);
    return static_cast<size_t>(h);
  }
};

// A tile request without its shape, on one engine: everything else IEngine::cost reads.
struct RequestClass {
  size_t engine = 0;
  TileRequest req;  // shape fields unused
  std::array<int64_t, 3> multiple{1, 1, 1};  // the engine's tile_multiple for req.dataflow
  std::unordered_map<ShapeKey, CostEntry, ShapeHash> shapes;  // elements never move
  bool matches(size_t e, const TileRequest& r) const {
    return engine == e && req.kind == r.kind && req.a_type == r.a_type && req.b_type == r.b_type &&
           req.dataflow == r.dataflow &&
           (r.kind == WorkKind::Gemm || (req.vec.ops_per_element == r.vec.ops_per_element && req.vec.op == r.vec.op));
  }
};

class CostCache {
 public:
  explicit CostCache(const Machine& mc) : mc_(mc) {}
  void clear() {
    classes_.clear();
    size_ = 0;
  }
  RequestClass& request_class(const OpPlan& p) {
    for (auto& c : classes_)
      if (c->matches(p.engine, p.request)) return *c;
    classes_.push_back(std::make_unique<RequestClass>());
    classes_.back()->engine = p.engine;
    classes_.back()->req = p.request;
    classes_.back()->multiple = tile_multiple_of(mc_.arch.engines[p.engine].model->capabilities(), p.request.dataflow);
    return *classes_.back();
  }
  const CostEntry& get(RequestClass& rc, const ShapeKey& key) {
    auto it = rc.shapes.find(key);
    if (it != rc.shapes.end()) return it->second;
    TileRequest req = rc.req;
    if (req.kind == WorkKind::Gemm) {
      req.gemm = {key.m, key.n, key.k};
    } else {
      req.vec.elements = key.m;
    }
    CostEntry e;
    // The session's tile(): for shape-only engines a function of the request and the flags.
    TileContext ctx;
    ctx.first = key.flags & 1;
    ctx.a_changed = key.flags & 2;
    ctx.b_changed = key.flags & 4;
    ctx.out_changed = key.flags & 8;
    ctx.origin = origin_of_phase(key.phase, rc.multiple);
    e.cost = mc_.arch.engines[rc.engine].model->begin_operator(req)->tile(req, ctx);
    e.cycles = e.cost.cycles.total();
    const OperandTraffic& tr = e.cost.traffic;
    e.spm_bits.assign(mc_.spm.size(), 0);
    for (size_t i = 0; i < e.spm_bits.size(); ++i) {
      if (i == mc_.spm_a) e.spm_bits[i] += tr.a_read_bits;
      if (i == mc_.spm_b) e.spm_bits[i] += tr.b_read_bits;
      if (i == mc_.spm_psum) e.spm_bits[i] += tr.out_write_bits + tr.out_read_bits;
      if (!mc_.spm[i].single_port && e.spm_bits[i])
        e.multi_port_cycles = std::max(e.multi_port_cycles, mc_.stream_cycles(i, e.spm_bits[i]));
    }
    ++size_;
    return rc.shapes.emplace(key, std::move(e)).first->second;
  }
  size_t size() const { return size_; }

 private:
  const Machine& mc_;
  std::vector<std::unique_ptr<RequestClass>> classes_;
  size_t size_ = 0;
};

// The distinct tile steps (shape and flags) of one item and how often each ran (and accumulated).
class Shapes {
 public:
  Shapes(const Machine& mc, CostCache& cache, const OpPlan& p)
      : mc_(mc), cache_(cache), rc_(cache.request_class(p)), psum_bits_(mc.psum_bits[p.engine]) {}

  size_t get(const TileStep& t, bool first) {
    const ShapeKey key = step_key(t, first, rc_.multiple);
    for (size_t i = 0; i < used_.size(); ++i)
      if (used_[i].key == key) return i;
    used_.push_back({key, &cache_.get(rc_, key), 0, 0});
    return used_.size() - 1;
  }

  struct Use {
    ShapeKey key;
    const CostEntry* e;
    uint64_t uses, accumulating;
  };
  Use& operator[](size_t i) { return used_[i]; }

  // The tile's time on the engine: its cycles, or longer if a scratchpad cannot stream its
  // operands (and, through a single port, this step's DMA fill and drain) that fast.
  uint64_t duration(const CostEntry& e, const TileStep& t) const {
    uint64_t spm = e.multi_port_cycles;
    for (size_t i : mc_.single_port) {  // the DMA's port: fills, drains, accumulator moves
      uint64_t bits = e.spm_bits[i];
      if (i == mc_.spm_a) bits += t.load_a_bits;
      if (i == mc_.spm_b) bits += t.load_b_bits;
      if (i == mc_.spm_psum) bits += t.load_psum_bits + t.acc_fill_bits + (t.acc_drain_bits ? acc_read_bits(t) : 0);
      if (i == mc_.spm_out) bits += t.acc_fill_bits + t.acc_drain_bits;
      if (i == (t.stores_psums ? mc_.spm_psum : mc_.spm_out)) bits += t.store_bits;
      if (bits) spm = std::max(spm, mc_.stream_cycles(i, bits));
    }
    return std::max(e.cycles, spm);
  }
  // A drain reads the accumulator at the partial-sum width.
  uint64_t acc_read_bits(const TileStep& t) const {
    return static_cast<uint64_t>(t.shape.m) * static_cast<uint64_t>(t.shape.n) * static_cast<uint64_t>(psum_bits_);
  }

  // In the kernel's order (sim/kernel/kernel.cpp tally(): shapes ascending, then the partial
  // sums added in), so the action lists come out in the same order.
  void tally(ItemEval& r, bool actions_and_spm) {
    std::sort(used_.begin(), used_.end(), [](const Use& a, const Use& b) { return a.key < b.key; });
    for (const auto& u : used_) {
      const CycleSplit& c = u.e->cost.cycles;
      r.compute_cycles += u.e->cycles * u.uses;
      r.engine_split.fill += c.fill * u.uses;
      r.engine_split.steady += c.steady * u.uses;
      r.engine_split.drain += c.drain * u.uses;
    }
    if (!actions_and_spm) return;
    for (const auto& u : used_) {
      if (!u.uses) continue;
      r.actions.merge(u.e->cost.actions, u.uses);
      const OperandTraffic& tr = u.e->cost.traffic;
      r.spm[mc_.spm_a].read_bits += tr.a_read_bits * u.uses;
      r.spm[mc_.spm_b].read_bits += tr.b_read_bits * u.uses;
      r.spm[mc_.spm_psum].write_bits += tr.out_write_bits * u.uses;
      r.spm[mc_.spm_psum].read_bits += tr.out_read_bits * u.uses;
    }
    for (const auto& u : used_) {
      if (!u.accumulating) continue;
      const uint64_t mn = static_cast<uint64_t>(u.key.m) * static_cast<uint64_t>(u.key.n) * u.accumulating;
      r.spm[mc_.spm_psum].read_bits += mn * static_cast<uint64_t>(psum_bits_);
      r.actions.add("accumulator", "int_add", psum_bits_, mn);
    }
  }

 private:
  const Machine& mc_;
  CostCache& cache_;
  RequestClass& rc_;
  int psum_bits_;
  std::vector<Use> used_;
};

// The DMA channels and the DRAM channel (the kernel's MemoryPath): a transfer asked for in
// cycle `asked` takes the channel that frees first, pays the setup, books its data phase after
// every earlier booking, and arrives `latency` after it; the channel is busy until then.
class Dma {
 public:
  explicit Dma(const Machine& mc) : mc_(mc), channel_free_(mc.channels, 0) {}
  uint64_t book(uint64_t asked, uint64_t bits, ItemEval& r) {
    auto ch = std::min_element(channel_free_.begin(), channel_free_.end());
    const uint64_t ready = std::max(asked, *ch) + mc_.setup;
    const uint64_t data = mc_.data_cycles(bits);
    const uint64_t start = std::max(ready, dram_free_);
    dram_free_ = start + data;
    *ch = dram_free_ + mc_.latency;
    r.dram_busy_cycles += data;
    return *ch;
  }

 private:
  const Machine& mc_;
  std::vector<uint64_t> channel_free_;
  uint64_t dram_free_ = 0;
};

// The kernel's three processes per engine as a recurrence over the steps. Times:
//   L[g] tile g loaded, C[g] computed, S[g] stored (its store arrived, or passed on in order).
// loader, step g: at g = 0 writes the spills; a step opening scratchpad tile T waits for tile
//   T-2 to be computed (two buffers per operand), a step with a psum load for C[g-2] (two
//   accumulator tiles) and S[g-1] (all earlier stores); asks for its loads (L[g] = arrival),
//   or, without loads, L[g] = max(now, L[g-1]) (the loader goes on at `now`).
// engine, step g: starts at max(free, L[g], S[g-2]); takes max(engine cycles, port time).
// writer, step g: waits C[g]; asks for its store (S[g] = arrival), or S[g] = max(now, S[g-1]).
// The DMA grants the requests asked in one cycle together, the loader's before the writer's,
// each in the order asked; so requests are booked by (asked cycle, loader first). A request
// whose ask time is still unknown depends on an arrival later than any ask now pending (every
// arrival is at least a cycle after its ask), so the pending request with the earliest ask
// (ties: the loader's) can always be booked next. The three processes are never more than a
// few scratchpad tiles apart, so a ring of steps two tiles long (plus a few) suffices.

struct Slot {
  TileStep t;
  size_t shape = 0;  // index in the item's Shapes
  uint64_t loaded = 0, computed = 0, stored = 0;
};

// Items of several groups repeat one group's steps: up to this many are computed once.
constexpr size_t kGroupSteps = 256;

ItemEval run_item(const Machine& mc, CostCache& cache, std::vector<TileStep>& group, const OpPlan& p,
                  const EvalOptions& opt) {
  ItemEval r;
  r.tiles = p.steps();
  r.macs = p.macs;
  r.spill_bits = p.spill_bits;
  if (opt.tally) r.spm.resize(mc.spm.size());
  const size_t n = p.steps();
  if (n == 0) return r;  // nothing to load, compute or store: done when it starts

  Shapes shapes(mc, cache, p);
  Dma dma(mc);
  const size_t ring_size = 2 * p.tiles.max_calls_per_tile() + 8;
  std::vector<Slot> ring(ring_size);
  auto at = [&](size_t g) -> Slot& { return ring[g % ring_size]; };
  std::array<uint64_t, 2> tile_done{};  // C of the last step of the last two tiles computed
  size_t tiles_opened = 0, tiles_closed = 0;
  const size_t per_group = p.tiles.size();
  const bool repeat = p.groups > 1 && per_group <= kGroupSteps;
  if (repeat) {
    group.clear();
    for (size_t i = 0; i < per_group; ++i) group.push_back(p.tiles.at(i));
  }

  size_t gl = 0, ge = 0, gw = 0;  // the next step of the loader, engine, writer
  uint64_t tl = 0, te = 0, tw = 0;  // their clocks
  bool spill = p.spill_bits > 0;
  bool fetched = false;  // step gl's TileStep is in its slot
  bool lreq = false, wreq = false;  // a request is pending, asked at lask / wask
  uint64_t lask = 0, wask = 0;

  for (;;) {
    for (bool moved = true; moved;) {
      moved = false;
      // Loader: up to its next DMA request.
      while (!lreq && gl < n) {
        if (spill) {  // only before step 0
          lreq = true;
          lask = tl;
          break;
        }
        if (gl + 2 >= gw + ring_size) throw std::logic_error("evaluate: the loader outran its ring");
        Slot& s = at(gl);
        if (!fetched) {
          s.t = repeat ? group[gl % per_group] : p.tiles.at(gl % per_group);
          s.shape = shapes.get(s.t, gl == 0);
          fetched = true;
          r.dram_read_bits += s.t.load_bits();
          if (opt.tally) {
            r.spm[mc.spm_a].write_bits += s.t.load_a_bits;
            r.spm[mc.spm_b].write_bits += s.t.load_b_bits;
            r.spm[mc.spm_psum].write_bits += s.t.load_psum_bits;
          }
        }
        uint64_t t = tl;
        if (s.t.opens_tile && tiles_opened >= 2) {
          if (tiles_closed + 1 < tiles_opened) break;  // tile T-2 not computed yet
          t = std::max(t, tile_done[tiles_opened % 2]);
        }
        if (s.t.load_psum_bits && gl >= 2) {
          if (ge + 1 < gl) break;  // C[gl-2] not known yet
          t = std::max(t, at(gl - 2).computed);
        }
        if (s.t.load_psum_bits) {
          if (gw < gl) break;  // S[gl-1] not known yet
          if (gl) t = std::max(t, at(gl - 1).stored);
        }
        tiles_opened += s.t.opens_tile;
        if (s.t.load_bits()) {
          lreq = true;
          lask = tl = t;
          break;
        }
        s.loaded = gl ? std::max(t, at(gl - 1).loaded) : t;  // the loader passes it without waiting
        tl = t;
        ++gl;
        fetched = false;
        moved = true;
      }
      // Engine: every step whose operands are in and whose output buffer is free.
      while (ge < gl && (ge < 2 || gw + 2 > ge)) {
        Slot& s = at(ge);
        uint64_t start = std::max(te, s.loaded);
        if (ge >= 2) start = std::max(start, at(ge - 2).stored);
        Shapes::Use& u = shapes[s.shape];
        ++u.uses;
        if (s.t.accumulates) ++u.accumulating;
        const uint64_t d = shapes.duration(*u.e, s.t);
        r.spm_stall_cycles += d - u.e->cycles;
        s.computed = te = start + d;
        if (s.t.closes_tile) tile_done[tiles_closed++ % 2] = s.computed;
        if (opt.tally && (s.t.acc_fill_bits || s.t.acc_drain_bits)) {
          r.spm[mc.spm_out].read_bits += s.t.acc_fill_bits;
          r.spm[mc.spm_psum].write_bits += s.t.acc_fill_bits;
          if (s.t.acc_drain_bits) r.spm[mc.spm_psum].read_bits += shapes.acc_read_bits(s.t);
          r.spm[mc.spm_out].write_bits += s.t.acc_drain_bits;
        }
        ++ge;
        moved = true;
      }
      // Writer: up to its next DMA request.
      while (!wreq && gw < ge) {
        Slot& s = at(gw);
        const uint64_t t = std::max(tw, s.computed);
        if (s.t.store_bits) {
          wreq = true;
          wask = tw = t;
          break;
        }
        s.stored = gw ? std::max(t, at(gw - 1).stored) : t;
        tw = s.stored;
        ++gw;
        moved = true;
      }
    }
    if (lreq && (!wreq || lask <= wask)) {
      lreq = false;
      if (spill) {
        spill = false;
        dma.book(lask, p.spill_bits, r);
        r.dram_write_bits += p.spill_bits;
        if (opt.tally) r.spm[mc.spm_out].read_bits += p.spill_bits;
      } else {
        at(gl).loaded = dma.book(lask, at(gl).t.load_bits(), r);
        ++gl;
        fetched = false;
      }
    } else if (wreq) {
      wreq = false;
      Slot& s = at(gw);
      s.stored = dma.book(wask, s.t.store_bits, r);
      r.dram_write_bits += s.t.store_bits;
      if (opt.tally) r.spm[s.t.stores_psums ? mc.spm_psum : mc.spm_out].read_bits += s.t.store_bits;
      ++gw;
    } else {
      break;
    }
  }
  r.end_cycle = r.total_cycles = std::max(tw, at(n - 1).stored);
  shapes.tally(r, opt.tally);
  if (opt.tally) r.actions.merge(p.fused_actions);  // element-wise work fused into the output path
  r.stall_cycles = r.total_cycles - std::min(r.total_cycles, r.compute_cycles);
  r.roofline_cycles = std::max(r.compute_cycles, r.dram_busy_cycles);
  return r;
}

}  // namespace

struct Evaluator::Impl {
  Impl(const Arch& arch, const EvalOptions& o) : mc(arch), cache(mc), opt(o) {}
  Machine mc;
  CostCache cache;
  EvalOptions opt;
  std::vector<TileStep> group;  // one group's steps of the current item
};

Evaluator::Evaluator(const Arch& arch, const EvalOptions& opt) : impl_(std::make_unique<Impl>(arch, opt)) {}
Evaluator::~Evaluator() = default;
size_t Evaluator::cached_shapes() const { return impl_->cache.size(); }
void Evaluator::clear_cache() { impl_->cache.clear(); }

ItemEval Evaluator::item(const OpPlan& item) {
  return run_item(impl_->mc, impl_->cache, impl_->group, item, impl_->opt);
}

PlanEval Evaluator::plan(const Plan& plan) {
  PlanEval out;
  out.items.reserve(plan.ops.size());
  std::vector<uint64_t> engine_free(impl_->mc.arch.engines.size(), 0);
  uint64_t lo = UINT64_MAX, hi = 0;
  for (const OpPlan& p : plan.ops) {
    ItemEval r = item(p);
    uint64_t start = engine_free.at(p.engine);
    for (size_t d : p.deps) {
      if (d >= out.items.size()) throw std::logic_error("evaluate: '" + p.op + "' depends on a later item");
      start = std::max(start, out.items[d].end_cycle);
    }
    r.start_cycle = start;
    r.end_cycle = start + r.total_cycles;
    engine_free[p.engine] = r.end_cycle;
    lo = std::min(lo, r.start_cycle);
    hi = std::max(hi, r.end_cycle);
    out.items.push_back(std::move(r));
  }
  out.makespan = out.items.empty() ? 0 : hi - std::min(lo, hi);
  return out;
}

ItemEval evaluate_item(const Arch& arch, const OpPlan& item, const EvalOptions& opt) {
  return Evaluator(arch, opt).item(item);
}

PlanEval evaluate_plan(const Arch& arch, const Plan& plan, const EvalOptions& opt) {
  return Evaluator(arch, opt).plan(plan);
}

}  // namespace tessera
