#define SC_INCLUDE_DYNAMIC_PROCESSES
#include "sim/kernel/kernel.h"

#include <systemc>

#include <algorithm>
#include <cstdlib>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <exception>
#include <stdexcept>
#include <thread>

#include "sim/cosim/rtl_engine.h"

namespace tessera {

using sc_core::sc_event;
using sc_core::sc_time;
using sc_core::wait;

Fidelity parse_fidelity(const std::string& s) {
  if (s == "tile") return Fidelity::Tile;
  if (s == "pe") return Fidelity::Pe;
  if (s == "rtl") return Fidelity::Rtl;
  throw UserError("expected tile|pe|rtl, got '" + s + "'", SourceLoc{}, "--fidelity");
}

const char* fidelity_name(Fidelity f) {
  switch (f) {
    case Fidelity::Tile: return "tile";
    case Fidelity::Pe: return "pe";
    case Fidelity::Rtl: return "rtl";
  }
  return "tile";
}

uint64_t makespan(const std::vector<OpResult>& results) {
  if (results.empty()) return 0;
  uint64_t lo = UINT64_MAX, hi = 0;
  for (const auto& r : results) {
    lo = std::min(lo, r.start_cycle);
    hi = std::max(hi, r.end_cycle);
  }
  return hi - std::min(lo, hi);
}

namespace {

const sc_time kCycle(1, sc_core::SC_NS);

uint64_t now_abs() { return static_cast<uint64_t>(sc_core::sc_time_stamp() / kCycle); }

// Progress counter processes wait on: "tile g has been loaded/computed/stored".
class Progress {
 public:
  uint64_t value() const { return v_; }
  void set(uint64_t v) {
    v_ = v;
    ev_.notify(sc_core::SC_ZERO_TIME);
  }
  void wait_at_least(uint64_t v) {
    while (v_ < v) wait(ev_);
  }

 private:
  uint64_t v_ = 0;
  sc_event ev_;
};

// Requests for a shared resource made in one cycle are granted half a cycle later, all
// together, ordered by requester and then by the order each requester asked. Which of two
// requests made in the same cycle goes first thus never depends on the order SystemC happened
// to run their processes in (which changes with everything else on its event queue).
class Arbiter {
 public:
  Arbiter() {
    sc_core::sc_spawn_options o;
    o.spawn_method();
    o.dont_initialize();
    o.set_sensitivity(&ev_);
    sc_core::sc_spawn([this] { grant_all(); }, nullptr, &o);
  }
  void post(uint64_t requester, std::function<void()> grant) {
    reqs_.push_back({requester, seq_++, std::move(grant)});
    if (!armed_) {
      armed_ = true;
      ev_.notify(sc_time(0.5, sc_core::SC_NS));
    }
  }

 private:
  struct Req {
    uint64_t requester, seq;
    std::function<void()> grant;
  };
  void grant_all() {
    armed_ = false;
    std::vector<Req> reqs;
    reqs.swap(reqs_);
    std::sort(reqs.begin(), reqs.end(),
              [](const Req& a, const Req& b) { return std::tie(a.requester, a.seq) < std::tie(b.requester, b.seq); });
    for (auto& r : reqs) r.grant();
  }
  std::vector<Req> reqs_;
  uint64_t seq_ = 0;
  bool armed_ = false;
  sc_event ev_;
};

// Waits until absolute cycle `at` (if it is still ahead).
void wait_until(uint64_t at) {
  const sc_time t(static_cast<double>(at), sc_core::SC_NS);
  if (t > sc_core::sc_time_stamp()) wait(t - sc_core::sc_time_stamp());
}

// The shared off-chip path: DMA channels in front of one DRAM channel, booked arithmetically.
// A transfer asked for in cycle t takes the DMA channel that frees first, pays its setup,
// books the DRAM data phase after every earlier booking, and arrives `latency` after its data
// phase; the channel is busy until then. A first-byte latency thus overlaps other transfers,
// and transfers finish in booking order, so one completion process serves them all.
class MemoryPath {
 public:
  MemoryPath(const Arch& arch, uint64_t t0)
      : arch_(arch), channel_free_at_(static_cast<size_t>(arch.dma->channels()), t0),
        latency_(arch.cycles_from_ns(arch.dram->latency_ns())), dram_free_at_(t0) {
    sc_core::sc_spawn_options o;
    o.spawn_method();
    o.dont_initialize();
    o.set_sensitivity(&arrival_);
    sc_core::sc_spawn([this] { complete(); }, nullptr, &o);
  }

  // Asks, in the current cycle, for a transfer of `bits`. `booked(data_cycles)` runs when it
  // is granted (half a cycle later), `done` when the data has arrived.
  void issue(uint64_t requester, uint64_t bits, std::function<void(uint64_t)> booked, std::function<void()> done) {
    const uint64_t asked = now_abs();
    arbiter_.post(requester, [this, asked, bits, booked = std::move(booked), done = std::move(done)]() mutable {
      auto ch = std::min_element(channel_free_at_.begin(), channel_free_at_.end());
      const uint64_t ready = std::max(asked, *ch) + arch_.dma->setup_cycles();
      const uint64_t data = std::max<uint64_t>(1, arch_.cycles_from_ns(arch_.dram->transfer_ns(bits)));
      const uint64_t start = std::max(ready, dram_free_at_);
      dram_free_at_ = start + data;
      *ch = dram_free_at_ + latency_;
      if (pending_.empty()) schedule(*ch);
      pending_.push_back({*ch, std::move(done)});
      if (booked) booked(data);
    });
  }

 private:
  struct Pending {
    uint64_t finish;
    std::function<void()> done;
  };
  void schedule(uint64_t at) {
    arrival_.cancel();
    arrival_.notify(sc_time(static_cast<double>(at), sc_core::SC_NS) - sc_core::sc_time_stamp());
  }
  void complete() {
    while (!pending_.empty() && pending_.front().finish <= now_abs()) {
      auto done = std::move(pending_.front().done);
      pending_.pop_front();
      if (done) done();
    }
    if (!pending_.empty()) schedule(pending_.front().finish);
  }

  const Arch& arch_;
  std::vector<uint64_t> channel_free_at_;
  uint64_t latency_;
  uint64_t dram_free_at_;
  std::deque<Pending> pending_;
  sc_event arrival_;
  Arbiter arbiter_;
};

// The engine request of one tile of `plan`.
TileRequest tile_request(const OpPlan& plan, const TileStep& t) {
  TileRequest req = plan.request;
  if (req.kind == WorkKind::Gemm) {
    req.gemm = t.shape;
  } else {
    req.vec.elements = t.shape.m;
  }
  return req;
}

// x[rows][cols] for index lists (a tile's gathered rows and columns).
IntMatrix gather(const IntMatrix& x, const std::vector<int64_t>& rows, const std::vector<int64_t>& cols) {
  IntMatrix s(static_cast<int64_t>(rows.size()), static_cast<int64_t>(cols.size()));
  for (size_t r = 0; r < rows.size(); ++r)
    for (size_t c = 0; c < cols.size(); ++c) s.at(static_cast<int64_t>(r), static_cast<int64_t>(c)) = x.at(rows[r], cols[c]);
  return s;
}


struct ShapeKey {
  int64_t m, n, k;
  bool operator<(const ShapeKey& o) const { return std::tie(m, n, k) < std::tie(o.m, o.n, o.k); }
};

// A tile step as a shape-only engine's session sees it: its shape, its context flags and its
// origin's phase against the engine's tile_multiple (origin_phase()).
struct StepKey {
  ShapeKey shape;
  int flags;  // first, a_changed, b_changed, out_changed, accumulates
  std::array<int64_t, 3> phase;
  bool operator<(const StepKey& o) const {
    return std::tie(shape.m, shape.n, shape.k, flags, phase) < std::tie(o.shape.m, o.shape.n, o.shape.k, o.flags, o.phase);
  }
};

TileContext context_of(const TileStep& t, bool first) {
  TileContext c;
  c.first = first;
  c.a_changed = t.a_changed;
  c.b_changed = t.b_changed;
  c.out_changed = t.out_changed;
  c.accumulates = t.accumulates;
  c.origin = {t.m0, t.n0, t.k0};
  return c;
}

StepKey step_key(const TileStep& t, const TileContext& c, const std::array<int64_t, 3>& multiple) {
  return {{t.shape.m, t.shape.n, t.shape.k},
          (c.first ? 1 : 0) | (c.a_changed ? 2 : 0) | (c.b_changed ? 4 : 0) | (c.out_changed ? 8 : 0) |
              (c.accumulates ? 16 : 0),
          origin_phase(c.origin, multiple)};
}

class Kernel {
 public:
  Kernel(const Arch& arch, const Plan& plan, Fidelity fid, IDataPath* data,
         std::vector<std::unique_ptr<IRtlEngine>>& rtl, const KernelProgress& progress)
      : arch_(arch), plan_(plan), fid_(fid), data_path_(data), rtl_(rtl), progress_(progress), steps_total_(plan_steps(plan)),
        t0_(now_abs()), mem_(arch, t0_),
        spm_free_at_(arch.scratchpads.size(), t0_) {
    spm_a_ = index_of(Operand::A);
    spm_b_ = index_of(Operand::B);
    spm_out_ = index_of(Operand::Out);
    spm_psum_ = arch.accumulator() >= 0 ? static_cast<size_t>(arch.accumulator()) : spm_out_;
    for (size_t e = 0; e < arch.engines.size(); ++e) units_.push_back(std::make_unique<Unit>());
    results_.resize(plan.ops.size());  // never resized again: each OpState refers to its result
    ops_.reserve(plan.ops.size());
    for (size_t p = 0; p < plan.ops.size(); ++p) {
      const OpPlan& op = plan.ops[p];
      units_[op.engine]->queue.push_back(p);
      auto st = std::make_unique<OpState>(results_[p]);
      OpResult& r = st->r;
      r.op = op.op;
      r.kind = op.kind;
      r.engine = arch.engines[op.engine].name;
      r.macs = op.macs;
      r.work = op.request.kind;
      r.tiles = op.steps();
      r.spm.resize(arch.scratchpads.size());
      r.reads = op.reads;
      r.write = op.write;
      r.spills = op.spills;
      r.spill_bits = op.spill_bits;
      r.fused_into = op.fused_into;
      ops_.push_back(std::move(st));
    }
  }

  std::vector<OpResult> run() {
    for (size_t e = 0; e < units_.size(); ++e) {
      if (units_[e]->queue.empty()) continue;
      sc_core::sc_spawn([this, e] { loader(e); });
      sc_core::sc_spawn([this, e] { engine(e); });
      sc_core::sc_spawn([this, e] { writer(e); });
    }
    sc_core::sc_start();
    for (auto& st : ops_) {
      if (!st->done) throw std::logic_error("kernel: '" + st->r.op + "' never finished");
      OpResult& r = st->r;
      r.start_cycle -= t0_;
      r.end_cycle -= t0_;
      r.total_cycles = r.end_cycle - r.start_cycle;
      r.stall_cycles = r.total_cycles - std::min(r.total_cycles, r.compute_cycles);
      r.actions.shrink_to_fit();
    }
    ops_.clear();
    return std::move(results_);
  }

 private:
  // Per item, for the whole run (a few hundred bytes: a 100,000-operator plan has as many).
  struct OpState {
    explicit OpState(OpResult& result) : r(result) {}
    OpResult& r;  // in results_
    bool started = false, done = false;
    sc_event done_ev;
    std::map<StepKey, uint64_t> step_uses;  // shape-only engines: steps per distinct key
  };
  struct Unit {
    std::vector<size_t> queue;  // plan indices, in plan order
    Progress loaded, computed, stored;  // over the unit's tile stream across items
    std::deque<uint64_t> in_flight;     // per load in flight, in issue order: `loaded` once it arrives
    std::array<int64_t, 3> multiple{1, 1, 1};  // the engine's tile_multiple for the item's dataflow
    std::map<StepKey, TileCost> costs;  // shape-only engines: one cost per distinct step...
    const OpPlan* costs_for = nullptr;  // ...of this item (items differ in dataflow, precision)
    std::map<ShapeKey, OperandTraffic> traffic;  // closed-form scratchpad traffic per shape
    const OpPlan* traffic_for = nullptr;
    uint64_t spm_done = 0;  // the scratchpad booking of the current tile ends here
    bool spm_granted = false;
    sc_event spm_ev;
    // A data run: the current item's tensors, and for data-dependent engines the current
    // tile's operands and their statistics.
    std::optional<OpData> data;
    std::optional<TypedMatrix> tile_a, tile_b;
    std::optional<OperandStats> tile_stats;
  };
  // Arbitration keys: per engine its loader, its writer, its scratchpad streams.
  static uint64_t loader_key(size_t e) { return 3 * e; }
  static uint64_t writer_key(size_t e) { return 3 * e + 1; }
  static uint64_t engine_key(size_t e) { return 3 * e + 2; }

  size_t index_of(Operand o) const {
    for (size_t i = 0; i < arch_.scratchpads.size(); ++i)
      if (arch_.scratchpads[i].holds_operand(o)) return i;
    return 0;
  }

  void touch(OpState& st) {
    if (st.started) return;
    st.started = true;
    st.r.start_cycle = now_abs();
  }

  void wait_deps(const OpPlan& p) {
    for (size_t d : p.deps)
      while (!ops_[d]->done) wait(ops_[d]->done_ev);
  }

  void loader(size_t e) {
    Unit& u = *units_[e];
    uint64_t g = 0;
    std::array<uint64_t, 2> opened{};  // first steps of the last two scratchpad tiles
    uint64_t tiles = 0;
    for (size_t pi : u.queue) {
      const OpPlan& p = plan_.ops[pi];
      OpState& st = *ops_[pi];
      // Weights and graph inputs may be fetched ahead; activations only once produced.
      if (p.loads_wait) wait_deps(p);
      for (size_t i = 0, n = p.steps(); i < n; ++i, ++g) {
        const TileStep t = p.step(i);
        // Two buffers per operand: a scratchpad tile's a and b take the buffer of the tile
        // before last; partial sums loaded into the accumulator, the one of the call before last.
        if (t.opens_tile) {
          if (tiles >= 2) u.computed.wait_at_least(opened[(tiles - 1) % 2]);
          opened[tiles++ % 2] = g;
        }
        if (t.load_psum_bits && g >= 2) u.computed.wait_at_least(g - 1);
        if (i == 0 && p.spill_bits) {
          mem_.issue(loader_key(e), p.spill_bits, [&st](uint64_t c) { st.r.dram_busy_cycles += c; }, nullptr);
          st.r.dram_write_bits += p.spill_bits;
          st.r.spm[spm_out_].read_bits += p.spill_bits;
        }
        if (t.load_psum_bits) u.stored.wait_at_least(g);  // partial sums come back after they left
        // A step without loads is loaded with the step before it: the loader passes it without
        // waiting, and the arrival of the last load in flight covers it too.
        if (t.load_bits()) {
          u.in_flight.push_back(g + 1);
          mem_.issue(loader_key(e), t.load_bits(), [&st](uint64_t c) { st.r.dram_busy_cycles += c; },
                     [&u] {
                       u.loaded.set(u.in_flight.front());
                       u.in_flight.pop_front();
                     });
        } else if (u.in_flight.empty()) {
          u.loaded.set(g + 1);
        } else {
          u.in_flight.back() = g + 1;
        }
        st.r.dram_read_bits += t.load_bits();
        st.r.spm[spm_a_].write_bits += t.load_a_bits;
        st.r.spm[spm_b_].write_bits += t.load_b_bits;
        st.r.spm[spm_psum_].write_bits += t.load_psum_bits;
      }
    }
  }

  void engine(size_t e) {
    Unit& u = *units_[e];
    const IEngine& model = *arch_.engines[e].model;
    const bool shape_only = model.capabilities().timing == TimingDependence::Shape;
    uint64_t g = 0;
    for (size_t pi : u.queue) {
      const OpPlan& p = plan_.ops[pi];
      OpState& st = *ops_[pi];
      wait_deps(p);
      touch(st);
      if (data_path_) u.data = data_path_->operands(p);
      const auto session = model.begin_operator(p.request);
      u.multiple = tile_multiple_of(model.capabilities(), p.request.dataflow);
      for (size_t i = 0, n = p.steps(); i < n; ++i, ++g) {
        u.loaded.wait_at_least(g + 1);
        if (g >= 2) u.stored.wait_at_least(g - 1);  // double-buffered output tile
        const TileStep t = p.step(i);
        TileContext ctx = context_of(t, i == 0);
        const uint64_t start = now_abs();
        book_scratchpads(e, u, model, p, t, start);
        add_moves(st, p, t);
        const std::optional<TileCost> measured = execute(e, p, i, t);
        if (!shape_only && u.tile_stats) ctx.stats = &*u.tile_stats;
        const TileCost& cost = step_cost(u, *session, model, p, t, ctx, measured ? &*measured : nullptr);
        if (shape_only) {
          ++st.step_uses[step_key(t, ctx, u.multiple)];
        } else {
          add_tile(st, cost, 1);
        }
        while (!u.spm_granted) wait(u.spm_ev);
        const uint64_t end = std::max(start + cost.cycles.total(), u.spm_done);
        st.r.compute_cycles += cost.cycles.total();
        st.r.spm_stall_cycles += end - start - cost.cycles.total();
        st.r.engine_split += cost.cycles;
        wait_until(end);  // the RTL has already spent its cycles
        u.computed.set(g + 1);
        if (progress_ && (++steps_done_ & 4095) == 0) progress_(steps_done_, steps_total_);
      }
      for (const auto& [key, uses] : st.step_uses) add_tile(st, u.costs.at(key), uses);
      st.r.actions.merge(p.fused_actions);
      // End-of-operator work (e.g. draining engine state) runs after the last tile.
      const TileCost last = session->finish();
      add_tile(st, last, 1);
      st.r.compute_cycles += last.cycles.total();
      st.r.engine_split += last.cycles;
      wait_until(now_abs() + last.cycles.total());
      if (data_path_) {
        data_path_->results(p, std::move(*u.data));
        u.data.reset();
      }
    }
  }

  void writer(size_t e) {
    Unit& u = *units_[e];
    uint64_t g = 0;
    for (size_t pi : u.queue) {
      const OpPlan& p = plan_.ops[pi];
      OpState& st = *ops_[pi];
      if (p.steps() == 0) wait_deps(p);
      for (size_t i = 0, n = p.steps(); i < n; ++i, ++g) {
        u.computed.wait_at_least(g + 1);
        const TileStep t = p.step(i);
        if (t.store_bits) {
          mem_.issue(writer_key(e), t.store_bits, [&st](uint64_t c) { st.r.dram_busy_cycles += c; },
                     [&u, g] { u.stored.set(g + 1); });
          st.r.dram_write_bits += t.store_bits;
          st.r.spm[t.stores_psums ? spm_psum_ : spm_out_].read_bits += t.store_bits;
        } else {
          u.stored.wait_at_least(g);
          u.stored.set(g + 1);
        }
      }
      u.stored.wait_at_least(g);
      touch(st);
      st.r.end_cycle = now_abs();
      st.done = true;
      st.done_ev.notify(sc_core::SC_ZERO_TIME);
    }
  }

  // The engine's cost of one tile step: the session's tile() (closed form, at tile fidelity),
  // the PE model's (pe) or the RTL's as measured (rtl, data runs), plus the session's combine()
  // of its partial sums into those of earlier k tiles. Shape-only engines are costed once per
  // distinct step (shape and context flags); a later step measured differently is a bug.
  const TileCost& step_cost(Unit& u, IEngineSession& session, const IEngine& model, const OpPlan& p,
                            const TileStep& t, const TileContext& ctx, const TileCost* measured) {
    const StepKey key = step_key(t, ctx, u.multiple);
    if (u.costs_for != &p) {
      u.costs.clear();
      u.costs_for = &p;
    }
    const bool shape_only = model.capabilities().timing == TimingDependence::Shape;
    if (shape_only) {
      auto it = u.costs.find(key);
      if (it != u.costs.end()) {
        if (measured && !(measured->cycles == it->second.cycles))
          throw std::logic_error("'" + p.op + "': two " + std::to_string(t.shape.m) + "x" +
                                 std::to_string(t.shape.n) + "x" + std::to_string(t.shape.k) +
                                 " tiles measured different cycles");
        return it->second;
      }
    }
    const TileRequest req = tile_request(p, t);
    const TileCost in_operator = session.tile(req, ctx);
    TileCost c = measured                  ? *measured
                 : fid_ == Fidelity::Pe    ? model.simulate_pe(req, nullptr, nullptr, nullptr)
                                           : in_operator;
    // The PE model and the RTL time a tile alone; what the session carries across tiles (a
    // pass continued without refill) changes the cycles of a tile they agree on.
    if (measured || fid_ == Fidelity::Pe) {
      const CycleSplit alone = (ctx.stats ? model.cost(req, *ctx.stats) : model.cost(req)).cycles;
      if (c.cycles == alone) c.cycles = in_operator.cycles;
    }
    if (ctx.accumulates) c += session.combine(req, ctx);
    if (!shape_only) u.costs.clear();
    return u.costs.insert_or_assign(key, std::move(c)).first->second;
  }

  // Adds `uses` steps of `c` to the item's actions and scratchpad traffic.
  void add_tile(OpState& st, const TileCost& c, uint64_t uses) {
    st.r.actions.merge(c.actions, uses);
    const auto& tr = c.traffic;
    auto& s = st.r.spm;
    s[spm_a_].read_bits += tr.a_read_bits * uses;
    s[spm_b_].read_bits += tr.b_read_bits * uses;
    s[spm_psum_].write_bits += tr.out_write_bits * uses;
    s[spm_psum_].read_bits += tr.out_read_bits * uses;
  }

  // A step's accumulator moves: partial sums back from out's scratchpad; partial sums or final
  // values out to it (read from the accumulator at the partial-sum width).
  void add_moves(OpState& st, const OpPlan& p, const TileStep& t) {
    if (!t.acc_fill_bits && !t.acc_drain_bits) return;
    auto& s = st.r.spm;
    s[spm_out_].read_bits += t.acc_fill_bits;
    s[spm_psum_].write_bits += t.acc_fill_bits;
    if (t.acc_drain_bits) s[spm_psum_].read_bits += acc_read_bits(p, t);
    s[spm_out_].write_bits += t.acc_drain_bits;
  }
  uint64_t acc_read_bits(const OpPlan& p, const TileStep& t) const {
    return static_cast<uint64_t>(t.shape.m) * static_cast<uint64_t>(t.shape.n) *
           static_cast<uint64_t>(arch_.engines[p.engine].model->capabilities().psum_bits);
  }

  // The engine cannot outrun its scratchpads: each streams the tile's operands (the closed
  // form's traffic, which every fidelity equals) through the ports the DMA leaves free (all but
  // one of two or more; a single port also carries this step's DMA fill and drain, and its
  // accumulator moves, which otherwise go through the DMA's port). Ports are
  // booked like the DRAM channel, so engines sharing a scratchpad take turns; the booking is
  // granted half a cycle after the tile starts, into u.spm_done.
  void book_scratchpads(size_t e, Unit& u, const IEngine& model, const OpPlan& p, const TileStep& t, uint64_t start) {
    const ShapeKey key{t.shape.m, t.shape.n, t.shape.k};
    if (u.traffic_for != &p) {
      u.traffic.clear();
      u.traffic_for = &p;
    }
    auto it = u.traffic.find(key);
    if (it == u.traffic.end()) it = u.traffic.emplace(key, model.cost(tile_request(p, t)).traffic).first;
    std::vector<uint64_t> bits(arch_.scratchpads.size(), 0);
    const OperandTraffic& tr = it->second;
    for (size_t s = 0; s < bits.size(); ++s) {
      if (s == spm_a_) bits[s] += tr.a_read_bits;
      if (s == spm_b_) bits[s] += tr.b_read_bits;
      if (s == spm_psum_) bits[s] += tr.out_write_bits + tr.out_read_bits;
      if (arch_.scratchpads[s].model->ports() == 1) {  // the DMA's port also moves partial sums
        if (s == spm_out_) bits[s] += t.acc_fill_bits + t.acc_drain_bits;
        if (s == spm_psum_) bits[s] += t.acc_fill_bits + (t.acc_drain_bits ? acc_read_bits(p, t) : 0);
        if (s == spm_a_) bits[s] += t.load_a_bits;
        if (s == spm_b_) bits[s] += t.load_b_bits;
        if (s == spm_psum_) bits[s] += t.load_psum_bits;
        if (s == (t.stores_psums ? spm_psum_ : spm_out_)) bits[s] += t.store_bits;
      }
    }
    u.spm_granted = false;
    spm_arbiter_.post(engine_key(e), [this, &u, start, bits = std::move(bits)] {
      uint64_t end = start;
      for (size_t s = 0; s < bits.size(); ++s) {
        if (!bits[s]) continue;
        const auto& spm = *arch_.scratchpads[s].model;
        const int ports = spm.ports() > 1 ? spm.ports() - 1 : 1;
        spm_free_at_[s] = std::max(start, spm_free_at_[s]) + spm.stream_cycles(bits[s], ports);
        end = std::max(end, spm_free_at_[s]);
      }
      u.spm_done = end;
      u.spm_granted = true;
      u.spm_ev.notify(sc_core::SC_ZERO_TIME);
    });
  }

  // Runs tile i on its data and/or the RTL, when the run has either; returns the cost this
  // measured (the RTL's, or the PE model's), or nothing for a closed-form tile. The RTL is
  // clocked here, one SystemC cycle per RTL clock cycle.
  std::optional<TileCost> execute(size_t e, const OpPlan& p, size_t i, const TileStep& t) {
    const IRtlEngine* rtl = rtl_[e].get();
    Unit& u = *units_[e];
    if (!rtl && !u.data) return std::nullopt;
    const TileRequest req = tile_request(p, t);
    if (!u.data) return rtl->run_tile(req, nullptr, nullptr, nullptr, [] { wait(kCycle); });
    const IEngine& model = *arch_.engines[e].model;
    const size_t g = i / p.tiles.size();
    const std::vector<int64_t> rows = p.tiles.rows_of(t), ks = p.tiles.cols_of(t), cols = p.tiles.out_cols_of(t);
    const IntMatrix a = gather(u.data->a[g], rows, ks);
    const IntMatrix b = gather(u.data->b[g], ks, cols);
    if (model.capabilities().timing != TimingDependence::Shape) {
      // The engine's cost depends on the values: hand it this tile's data (step_cost).
      u.tile_a = to_typed(a, NumFormat::of(req.a_type));
      u.tile_b = to_typed(b, NumFormat::of(req.b_type));
      u.tile_stats = stats_of(*u.tile_a, *u.tile_b);
    }
    IntMatrix out;
    std::optional<TileCost> cost;
    if (rtl) {
      cost = rtl->run_tile(req, &a, &b, &out, [] { wait(kCycle); });
    } else if (fid_ == Fidelity::Pe) {
      cost = model.simulate_pe(req, &a, &b, &out);
    } else {
      model.compute(req, a, b, out);
    }
    // Partial sums of later k tiles combine with the earlier ones as the engine says.
    IntMatrix& o = u.data->out[g];
    if (t.accumulates) {
      const NumFormat acc = model.acc_format(req);
      TypedMatrix psum = to_typed(gather(o, rows, cols), acc);
      model.combine(req, psum, to_typed(out, acc));
      out = to_int_matrix(psum);
    }
    for (size_t r = 0; r < rows.size(); ++r)
      for (size_t c = 0; c < cols.size(); ++c) o.at(rows[r], cols[c]) = out.at(static_cast<int64_t>(r), static_cast<int64_t>(c));
    return cost;
  }

  const Arch& arch_;
  const Plan& plan_;
  Fidelity fid_;
  IDataPath* data_path_;
  std::vector<std::unique_ptr<IRtlEngine>>& rtl_;
  const KernelProgress& progress_;
  uint64_t steps_total_, steps_done_ = 0;
  uint64_t t0_;
  MemoryPath mem_;
  std::vector<uint64_t> spm_free_at_;
  size_t spm_a_ = 0, spm_b_ = 0, spm_out_ = 0;
  size_t spm_psum_ = 0;  // where partial sums live: the accumulator, else out's scratchpad
  std::vector<std::unique_ptr<Unit>> units_;
  std::vector<OpResult> results_;
  std::vector<std::unique_ptr<OpState>> ops_;
  Arbiter spm_arbiter_;
};

}  // namespace

std::vector<OpResult> run_kernel(const Arch& arch, const Plan& plan, Fidelity fidelity, IDataPath* data,
                                 const KernelProgress& progress) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  // rtl fidelity: each engine the plan uses gets its RTL adapter, built before any process runs
  // (an engine without RTL, or without a build of its configuration, is a UserError here).
  std::vector<std::unique_ptr<IRtlEngine>> rtl(arch.engines.size());
  if (fidelity == Fidelity::Rtl) {
    for (const auto& p : plan.ops) {
      const auto& e = arch.engines[p.engine];
      if (rtl[p.engine]) continue;
      try {
        rtl[p.engine] = make_rtl_engine(e.type, e.params);
      } catch (const UserError& err) {
        throw UserError("rtl fidelity: engine '" + e.name + "' (runs '" + p.op + "'): " + err.message(), err.loc(),
                        err.key());
      }
    }
  }
  // Every check that can fail runs before the first item simulates: a UserError thrown once
  // SystemC has switched stacks is reported falsely by AddressSanitizer, and a run that cannot
  // finish should not start.
  for (const auto& p : plan.ops) {
    const auto& e = arch.engines[p.engine];
    if (!data && fidelity != Fidelity::Tile && e.model->capabilities().timing == TimingDependence::Data)
      throw UserError(std::string(fidelity_name(fidelity)) + " fidelity: engine '" + e.name + "' (" + e.type +
                      ", runs '" + p.op + "') times tiles by their data; add --data SEED to run it on seeded data, "
                      "or use --fidelity tile for its expected cost");
    if (data) {
      if (p.request.kind != WorkKind::Gemm)
        throw UserError("data run: '" + p.op + "' (" + p.kind +
                        ") is vector work, which has no functional model; --data needs a GEMM/conv-only workload");
      data->check(p);
    }
    if (rtl[p.engine])
      for (size_t i = 0; i < p.tiles.size(); ++i) rtl[p.engine]->check(tile_request(p, p.tiles.at(i)));
  }
  Kernel k(arch, plan, fidelity, data, rtl, progress);
  // The simulation runs on a thread of its own, which ends with it. SystemC's coroutines switch
  // the stack of the thread that runs them, and AddressSanitizer keeps a stale record of such a
  // thread: one it creates afterwards (report.json is made on every core) made LeakSanitizer
  // read a coroutine stack that was gone, and crash at exit. The kernel and its results are
  // built here, so they live in this thread's malloc arena with what the run frees before.
  std::vector<OpResult> r;
  std::exception_ptr error;
  std::thread sim([&] {
    try {
      r = k.run();
    } catch (...) {
      error = std::current_exception();
    }
  });
  sim.join();
  if (error) std::rethrow_exception(error);
  if (progress) progress(plan_steps(plan), plan_steps(plan));
  return r;
}

uint64_t plan_steps(const Plan& plan) {
  uint64_t n = 0;
  for (const auto& p : plan.ops) n += p.steps();
  return n;
}

}  // namespace tessera

// libsystemc supplies main() calling sc_main(); tessera's programs have their own main, but the
// shared library still needs the symbol.
int sc_main(int, char**) { return 0; }
