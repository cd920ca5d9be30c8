#define SC_INCLUDE_DYNAMIC_PROCESSES
#include "sim/kernel/kernel.h"

#include <systemc>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>

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

namespace {

const sc_time kCycle(1, sc_core::SC_NS);

uint64_t now_cycles() { return static_cast<uint64_t>(sc_core::sc_time_stamp() / kCycle); }
void wait_cycles(uint64_t c) {
  if (c) wait(static_cast<double>(c) * kCycle);
}

// A counting semaphore on sc_events (primitive channels cannot be made after elaboration, and
// each operator's threads are spawned at run time).
class Slots {
 public:
  explicit Slots(int n) : free_(n) {}
  void acquire() {
    while (free_ == 0) wait(ev_);
    --free_;
  }
  void release() {
    ++free_;
    ev_.notify(sc_core::SC_ZERO_TIME);
  }

 private:
  int free_;
  sc_event ev_;
};

// Progress counter threads wait on: "tile i has been loaded/computed/stored".
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

// The shared off-chip path: DMA channels in front of one DRAM channel. Data phases are
// serialised on the DRAM channel; a transfer's first-byte latency overlaps with other
// transfers, so a DMA keeps issuing while earlier requests are in flight.
class MemoryPath {
 public:
  explicit MemoryPath(const Arch& arch)
      : arch_(arch), dma_(arch.dma->channels()), latency_(arch.cycles_from_ns(arch.dram->latency_ns())) {}

  // Issues a transfer of `bits` from the calling thread: waits for a DMA channel and its
  // setup, books the DRAM data phase, and returns at once. `done` runs when the data has
  // arrived (the channel is then free again). Returns the data-phase cycles booked.
  uint64_t issue(uint64_t bits, std::function<void()> done) {
    dma_.acquire();
    wait_cycles(arch_.dma->setup_cycles());
    const uint64_t data = bits ? std::max<uint64_t>(1, arch_.cycles_from_ns(arch_.dram->transfer_ns(bits))) : 0;
    const uint64_t start = std::max(now_cycles(), dram_free_at_);
    dram_free_at_ = start + data;
    const uint64_t finish = start + data + (bits ? latency_ : 0);
    sc_core::sc_spawn([this, finish, done = std::move(done)]() {
      wait_cycles(finish - now_cycles());
      dma_.release();
      done();
    });
    return data;
  }

 private:
  const Arch& arch_;
  Slots dma_;
  uint64_t latency_;
  uint64_t dram_free_at_ = 0;
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

struct TileTiming {
  GemmShape shape;
  TileCost cost;
  uint64_t cycles = 0;  // with scratchpad bandwidth limits
};

class OpRunner {
 public:
  // `rtl`: the engine's RTL at rtl fidelity (else null); `data`: the data path of a data run.
  OpRunner(const Arch& arch, const OpPlan& plan, Fidelity fid, MemoryPath& mem, const IRtlEngine* rtl,
           IDataPath* data)
      : arch_(arch), plan_(plan), fid_(fid), mem_(mem), engine_(*arch.engines[plan.engine].model), rtl_(rtl),
        data_path_(data) {
    result_.op = plan.op;
    result_.kind = plan.kind;
    result_.engine = arch.engines[plan.engine].name;
    result_.macs = plan.macs;
    result_.spm.resize(arch.scratchpads.size());
    spm_a_ = index_of(Operand::A);
    spm_b_ = index_of(Operand::B);
    spm_out_ = index_of(Operand::Out);
  }

  OpResult run() {
    n_ = plan_.steps.size() * static_cast<size_t>(plan_.groups);
    result_.tiles = n_;
    result_.start_cycle = now_cycles();
    if (n_ == 0) return result_;
    if (data_path_) data_ = data_path_->operands(plan_);
    sc_core::sc_spawn(std::bind(&OpRunner::loader, this));
    sc_core::sc_spawn(std::bind(&OpRunner::compute, this));
    sc_core::sc_spawn(std::bind(&OpRunner::writer, this));
    sc_core::sc_start();
    result_.total_cycles = now_cycles() - result_.start_cycle;
    result_.stall_cycles = result_.total_cycles - result_.compute_cycles;
    if (data_path_) data_path_->results(plan_, std::move(*data_));
    return result_;
  }

 private:
  size_t index_of(Operand o) const {
    for (size_t i = 0; i < arch_.scratchpads.size(); ++i)
      if (arch_.scratchpads[i].holds_operand(o)) return i;
    return 0;
  }
  const TileStep& step(size_t i) const { return plan_.steps[i % plan_.steps.size()]; }

  void loader() {
    for (size_t i = 0; i < n_; ++i) {
      // Two buffers per operand: tile i may land once tile i-2 has been consumed.
      if (i >= 2) computed_.wait_at_least(i - 1);
      const TileStep& t = step(i);
      // Partial sums come back only after they left.
      if (t.load_psum_bits) stored_.wait_at_least(i);
      if (t.load_bits()) {
        // Transfers complete in issue order (one FIFO channel, one latency), so "loaded
        // through i" only ever grows.
        result_.dram_busy_cycles += mem_.issue(t.load_bits(), [this, i] { loaded_.set(i + 1); });
      } else {
        loads_in_flight_wait(i);
      }
      result_.dram_read_bits += t.load_bits();
      auto& s = result_.spm;
      s[spm_a_].write_bits += t.load_a_bits;
      s[spm_b_].write_bits += t.load_b_bits;
      s[spm_out_].write_bits += t.load_psum_bits;
    }
  }

  // A tile that needs no new data is ready once every earlier load has landed.
  void loads_in_flight_wait(size_t i) {
    loaded_.wait_at_least(i);
    loaded_.set(i + 1);
  }

  void compute() {
    for (size_t i = 0; i < n_; ++i) {
      loaded_.wait_at_least(i + 1);
      if (i >= 2) stored_.wait_at_least(i - 1);  // double-buffered output tile
      const TileStep& t = step(i);
      const uint64_t start = now_cycles();
      const std::optional<TileCost> measured = execute(i, t);
      const TileTiming& tt = timing(t, measured ? &*measured : nullptr);
      result_.compute_cycles += tt.cost.cycles.total();
      result_.spm_stall_cycles += tt.cycles - tt.cost.cycles.total();
      result_.engine_split += tt.cost.cycles;
      ++shape_use_[&tt];
      wait_cycles(tt.cycles - (now_cycles() - start));  // the RTL has already spent its cycles
      if (t.accumulates) ++accumulating_tiles_[&tt];
      computed_.set(i + 1);
    }
    // Actions are summed per distinct tile shape, then scaled: cheaper than merging per tile.
    for (const auto& [tt, uses] : shape_use_) {
      result_.actions.merge(tt->cost.actions, uses);
      const auto& tr = tt->cost.traffic;
      auto& s = result_.spm;
      s[spm_a_].read_bits += tr.a_read_bits * uses;
      s[spm_b_].read_bits += tr.b_read_bits * uses;
      s[spm_out_].write_bits += tr.out_write_bits * uses;
      s[spm_out_].read_bits += tr.out_read_bits * uses;
    }
    // Tiles that continue an earlier k tile read its partial sums and add them in.
    const int psum = engine_.capabilities().psum_bits;
    for (const auto& [tt, uses] : accumulating_tiles_) {
      const uint64_t mn = static_cast<uint64_t>(tt->shape.m) * static_cast<uint64_t>(tt->shape.n) * uses;
      result_.spm[spm_out_].read_bits += mn * static_cast<uint64_t>(psum);
      result_.actions.add("accumulator", "int_add", psum, mn);
    }
  }

  void writer() {
    for (size_t i = 0; i < n_; ++i) {
      computed_.wait_at_least(i + 1);
      const TileStep& t = step(i);
      if (t.store_bits) {
        result_.dram_busy_cycles += mem_.issue(t.store_bits, [this, i] { stored_.set(i + 1); });
        result_.dram_write_bits += t.store_bits;
        result_.spm[spm_out_].read_bits += t.store_bits;
      } else {
        stored_.wait_at_least(i);
        stored_.set(i + 1);
      }
    }
  }

  struct ShapeKey {
    int64_t m, n, k;
    bool operator<(const ShapeKey& o) const { return std::tie(m, n, k) < std::tie(o.m, o.n, o.k); }
  };

  TileRequest request(const TileStep& t) const { return tile_request(plan_, t); }

  // Runs tile i on its data and/or the RTL, when the run has either; returns the cost this
  // measured (the RTL's, or the PE model's), or nothing for a closed-form tile. The RTL is
  // clocked here, one SystemC cycle per RTL clock cycle.
  std::optional<TileCost> execute(size_t i, const TileStep& t) {
    if (!rtl_ && !data_) return std::nullopt;
    const TileRequest req = request(t);
    if (!data_) return rtl_->run_tile(req, nullptr, nullptr, nullptr, [] { wait(kCycle); });
    const size_t g = i / plan_.steps.size();
    const IntMatrix a = slice(data_->a[g], t.m0, t.k0, t.shape.m, t.shape.k);
    const IntMatrix b = slice(data_->b[g], t.k0, t.n0, t.shape.k, t.shape.n);
    IntMatrix out;
    std::optional<TileCost> cost;
    if (rtl_) {
      cost = rtl_->run_tile(req, &a, &b, &out, [] { wait(kCycle); });
    } else if (fid_ == Fidelity::Pe) {
      cost = engine_.simulate_pe(req, &a, &b, &out);
    } else {
      engine_.compute(req, a, b, out);
    }
    // Partial sums of later k tiles add in at the engine's psum width, wrapping as it does.
    const int psum = engine_.capabilities().psum_bits;
    IntMatrix& o = data_->out[g];
    for (int64_t r = 0; r < out.rows; ++r)
      for (int64_t c = 0; c < out.cols; ++c) {
        int64_t& dst = o.at(t.m0 + r, t.n0 + c);
        dst = t.accumulates ? wrap_bits(static_cast<uint64_t>(dst) + static_cast<uint64_t>(out.at(r, c)), psum)
                            : out.at(r, c);
      }
    return cost;
  }

  static IntMatrix slice(const IntMatrix& x, int64_t r0, int64_t c0, int64_t rows, int64_t cols) {
    IntMatrix s(rows, cols);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) s.at(r, c) = x.at(r0 + r, c0 + c);
    return s;
  }

  static int64_t wrap_bits(uint64_t v, int bits) {
    if (bits >= 64) return static_cast<int64_t>(v);
    const uint64_t mask = (uint64_t{1} << bits) - 1;
    v &= mask;
    if ((v >> (bits - 1)) & 1) v |= ~mask;
    return static_cast<int64_t>(v);
  }

  // The tile's cost, once per distinct shape. `measured` (from execute) is used when given; a
  // later tile of the same shape must measure the same, since cost does not depend on data.
  const TileTiming& timing(const TileStep& t, const TileCost* measured) {
    const ShapeKey key{t.shape.m, t.shape.n, t.shape.k};
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      if (measured && !(*measured == it->second.cost))
        throw std::logic_error("'" + plan_.op + "': two " + std::to_string(t.shape.m) + "x" + std::to_string(t.shape.n) +
                               "x" + std::to_string(t.shape.k) + " tiles measured different costs");
      return it->second;
    }
    const TileRequest req = request(t);
    TileTiming tt;
    tt.shape = t.shape;
    if (measured) {
      tt.cost = *measured;
    } else {
      tt.cost = fid_ == Fidelity::Pe ? engine_.simulate_pe(req, nullptr, nullptr, nullptr) : engine_.cost(req);
    }
    // The engine cannot outrun its scratchpads: each streams its operands through the ports
    // the DMA leaves free (one of two or more; all of a single port, shared with the DMA fill).
    uint64_t bits_per_spm[64] = {};
    const auto& tr = tt.cost.traffic;
    bits_per_spm[spm_a_] += tr.a_read_bits;
    bits_per_spm[spm_b_] += tr.b_read_bits;
    bits_per_spm[spm_out_] += tr.out_write_bits + tr.out_read_bits;
    uint64_t cycles = tt.cost.cycles.total();
    for (size_t s = 0; s < arch_.scratchpads.size() && s < 64; ++s) {
      const auto& spm = *arch_.scratchpads[s].model;
      const int ports = spm.ports() > 1 ? spm.ports() - 1 : 1;
      uint64_t bits = bits_per_spm[s];
      if (spm.ports() == 1) {
        if (s == spm_a_) bits += t.load_a_bits;
        if (s == spm_b_) bits += t.load_b_bits;
        if (s == spm_out_) bits += t.load_psum_bits + t.store_bits;
      }
      cycles = std::max(cycles, spm.stream_cycles(bits, ports));
    }
    tt.cycles = cycles;
    return cache_.emplace(key, std::move(tt)).first->second;
  }

  const Arch& arch_;
  const OpPlan& plan_;
  Fidelity fid_;
  MemoryPath& mem_;
  const IEngine& engine_;
  const IRtlEngine* rtl_;
  IDataPath* data_path_;
  std::optional<OpData> data_;
  size_t n_ = 0;
  size_t spm_a_ = 0, spm_b_ = 0, spm_out_ = 0;
  Progress loaded_, computed_, stored_;
  std::map<ShapeKey, TileTiming> cache_;
  std::map<const TileTiming*, uint64_t> shape_use_, accumulating_tiles_;
  OpResult result_;
};

}  // namespace

std::vector<OpResult> run_kernel(const Arch& arch, const std::vector<OpPlan>& plans, Fidelity fidelity,
                                 IDataPath* data) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  if (arch.scratchpads.size() > 64) throw UserError("at most 64 scratchpads are supported");
  // rtl fidelity: each engine a plan uses gets its RTL adapter, built before any thread runs
  // (an engine without RTL, or without a build of its configuration, is a UserError here).
  std::vector<std::unique_ptr<IRtlEngine>> rtl(arch.engines.size());
  if (fidelity == Fidelity::Rtl) {
    for (const auto& p : plans) {
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
  // Every check that can fail runs before the first operator simulates: a UserError thrown
  // once SystemC has switched stacks is reported falsely by AddressSanitizer, and a run that
  // cannot finish should not start.
  for (const auto& p : plans) {
    if (data) {
      if (p.request.kind != WorkKind::Gemm)
        throw UserError("data run: '" + p.op + "' (" + p.kind +
                        ") is vector work, which has no functional model; --data needs a GEMM/conv-only workload");
      data->check(p);
    }
    if (rtl[p.engine])
      for (const auto& t : p.steps) rtl[p.engine]->check(tile_request(p, t));
  }
  MemoryPath mem(arch);
  std::vector<OpResult> out;
  out.reserve(plans.size());
  for (const auto& p : plans) {
    OpRunner r(arch, p, fidelity, mem, rtl[p.engine].get(), data);
    out.push_back(r.run());
  }
  return out;
}

}  // namespace tessera

// libsystemc supplies main() calling sc_main(); tessera's programs have their own main, but the
// shared library still needs the symbol.
int sc_main(int, char**) { return 0; }
