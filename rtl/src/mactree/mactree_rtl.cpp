// The multiplier-adder tree engine's RTL (rtl/src/mactree/mactree.v, through the counting wrapper
// rtl/tb/mactree_counters.v) in the place of the `mactree` engine. Build rules: rtl.cmake beside it.
//
// A tile is cut into folds as docs/engines/mactree.md says (k folds outer, n folds inner) and the
// folds are offered back to back: the next command waits on the fold bus and the engine takes it
// in the current fold's last cycle. The feeder drives fold cycle t's operands: weights
// b[k0+t][n0+j] on lane j of the weight bus in cycles t < k, activations a[m][k0+i] on input i
// of the activation bus in cycle k+m. Results are taken in the cycles out_valid flags them (the
// cycle after the result registers were written: row m of the fold whose results are due, lanes
// j < l), and later k folds' results are added to the partial sums at acc_bits, as the model's
// `accumulator` does. What the comparison needs is read from the hardware:
//   actions   the wrapper's counters (results, products, activation and weight register writes),
//             differenced over the tile into MactreeCounts and priced by mactree_actions(), the
//             model's one pricing; accumulator adds from the adapter;
//   cycles    per fold (fold_last ends it): fill = cycles before the first activation register
//             write, steady = from it to the last one, drain = the rest; their sum is checked
//             against the wrapper's busy count;
//   traffic   the operands the feeder drove and the results it took (and partial sums read back).
#include <algorithm>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/common/error.h"
#include "models/engine/mactree.h"
#include "models/numerics/format.h"
#include "sim/cosim/rtl_engine.h"
#include "sim/cosim/rtl_model.h"

namespace tessera {
namespace {

using u64 = uint64_t;
using Port = RtlModel::Port;

constexpr int64_t kMaxRows = (int64_t{1} << 16) - 1;  // the RTL's M_BITS = 16 row register

struct Fold {
  int64_t k0, n0, k, l;
};

struct Tile : RtlTileData {
  std::vector<Fold> folds;
  int64_t m = 1;
};

struct Counts {
  u64 results, products, act, weight, cycles;
};

class Driver : RtlDriverBase {
 public:
  Driver(const TesseraRtlAbi* abi, const MactreeSpec& s)
      : RtlDriverBase(abi), s_(s), a_bus_(s.width * s.in_bits), w_bus_(s.lanes * s.in_bits) {
    // The two lanes agree at every other port, so ask the model which one it is.
    if ((get(mac_kind_) != 0) != s.bitweight)
      throw std::logic_error(std::string("the RTL model has the ") + (s.bitweight ? "plain" : "bit-weight") +
                             " lanes, the engine asks for the other");
  }

  TileCost run(const Tile& t, const IRtlEngine::Clock& clock) {
    const Counts start = counts();
    const bool data = t.data();
    TileCost cost;
    size_t next = 0;              // the next fold to offer
    const Fold* cur = nullptr;    // the fold in progress
    int64_t cyc = 0;              // ... its cycle
    int64_t first = -1, stream_last = -1;  // ... its first and last activation register writes
    size_t ofold = 0;             // the fold whose results come out next
    int64_t orow = 0;             // ... its next row
    u64 fold_cycles = 0, accumulator_adds = 0, act_seen = get(cnt_act_);
    for (;;) {
      set(clk_, 0);
      const bool offer = next < t.folds.size();
      set(fold_valid_, offer);
      if (offer) {
        const Fold& f = t.folds[next];
        set(fold_k_, static_cast<u64>(f.k));
        set(fold_l_, static_cast<u64>(f.l));
        set(fold_m_, static_cast<u64>(t.m));
      }
      a_bus_.clear();
      w_bus_.clear();
      if (cur) drive(t, *cur, cyc, data, cost.traffic);
      RtlModel::set_words(a_in_, a_bus_.words());
      RtlModel::set_words(w_in_, w_bus_.words());
      m_.eval();
      const bool busy = get(busy_) != 0, last = get(fold_last_) != 0, accept = offer && get(fold_ready_);
      if (busy != (cur != nullptr) || (accept && cur && !last))
        throw std::logic_error("mactree RTL: busy / fold_ready out of step with the folds driven");
      set(clk_, 1);
      m_.eval();
      if (cur) {
        if (clock) clock();
        if (get(cnt_act_) != act_seen) {
          if (first < 0) first = cyc;
          stream_last = cyc;
        }
        if (last) {
          const int64_t len = cyc + 1;
          if (first < 0) throw std::logic_error("mactree RTL: a fold without activation register writes");
          cost.cycles += CycleSplit{static_cast<u64>(first), static_cast<u64>(stream_last + 1 - first),
                                    static_cast<u64>(len - stream_last - 1)};
          fold_cycles += static_cast<u64>(len);
          cur = nullptr;
        } else if (cyc > cur->k + t.m + 4) {
          throw std::logic_error("mactree RTL: a fold did not end (fold_last never rose)");
        } else {
          ++cyc;
        }
      }
      act_seen = get(cnt_act_);
      if (accept) {
        cur = &t.folds[next++];
        cyc = 0;
        first = stream_last = -1;
      }
      // out_valid after the edge: the result registers were written in the cycle it ended.
      if (get(out_valid_)) take(t, ofold, orow, data, cost.traffic, accumulator_adds);
      if (!cur && next == t.folds.size()) break;
    }
    if (ofold != t.folds.size()) throw std::logic_error("mactree RTL: a fold's results never came out");
    const Counts end = counts();
    if (end.cycles - start.cycles != fold_cycles)
      throw std::logic_error("mactree RTL: busy cycles " + std::to_string(end.cycles - start.cycles) +
                             " differ from the folds' " + std::to_string(fold_cycles));
    // The hardware's events, priced as the model prices its own (mactree_actions).
    MactreeCounts n;
    n.results = end.results - start.results;
    n.products = end.products - start.products;
    n.act_writes = end.act - start.act;
    n.weight_writes = end.weight - start.weight;
    n.accumulator_adds = accumulator_adds;
    cost.macs = n.products;
    cost.actions = mactree_actions(s_, n);
    return cost;
  }

 private:
  Counts counts() const {
    return {get(cnt_results_), get(cnt_products_), get(cnt_act_), get(cnt_weight_), get(cnt_cycles_)};
  }

  // Fold cycle c's operands (docs/engines/mactree.md): the weight row k0+c (c < k), or the
  // activation row c-k (k <= c < k+M).
  void drive(const Tile& t, const Fold& f, int64_t c, bool data, OperandTraffic& tr) {
    const int w = s_.in_bits;
    if (c < f.k) {
      for (int64_t j = 0; j < f.l; ++j) {
        tr.b_read_bits += static_cast<u64>(t.b_bits);
        if (data) w_bus_.set(j * w, w, t.b->at(f.k0 + c, f.n0 + j));
      }
    } else if (c < f.k + t.m) {
      for (int64_t i = 0; i < f.k; ++i) {
        tr.a_read_bits += static_cast<u64>(t.a_bits);
        if (data) a_bus_.set(i * w, w, t.a->at(c - f.k, f.k0 + i));
      }
    }
  }

  // The results on out_data now: row orow of fold ofold, lanes j < l.
  void take(const Tile& t, size_t& ofold, int64_t& orow, bool data, OperandTraffic& tr, u64& accumulator_adds) {
    if (ofold >= t.folds.size()) throw std::logic_error("mactree RTL: results beyond the tile's folds");
    const Fold& f = t.folds[ofold];
    const int acc = s_.acc_bits;
    for (int64_t j = 0; j < f.l; ++j) {
      tr.out_write_bits += static_cast<u64>(acc);
      const bool later_k_fold = f.k0 > 0;
      if (later_k_fold) {
        tr.out_read_bits += static_cast<u64>(acc);
        ++accumulator_adds;
      }
      if (!data) continue;
      const int64_t v = wrap_to_bits(RtlModel::bits(out_data_, static_cast<int>(j) * acc, acc), acc);
      int64_t& o = t.out->at(orow, f.n0 + j);
      o = later_k_fold ? wrap_to_bits(static_cast<u64>(o) + static_cast<u64>(v), acc) : v;
    }
    if (++orow == t.m) {
      ++ofold;
      orow = 0;
    }
  }

  MactreeSpec s_;
  Port fold_ready_ = m_.port("fold_ready"), fold_k_ = m_.port("fold_k"), fold_l_ = m_.port("fold_l"),
       fold_m_ = m_.port("fold_m"), a_in_ = m_.port("a_in"), w_in_ = m_.port("w_in"), busy_ = m_.port("busy"),
       fold_last_ = m_.port("fold_last"), out_data_ = m_.port("out_data"), out_valid_ = m_.port("out_valid"),
       mac_kind_ = m_.port("mac_kind"), cnt_results_ = m_.port("cnt_results"),
       cnt_products_ = m_.port("cnt_products"), cnt_act_ = m_.port("cnt_act"), cnt_weight_ = m_.port("cnt_weight"),
       cnt_cycles_ = m_.port("cnt_cycles");
  RtlBus a_bus_, w_bus_;
};

RtlParams verilog_params(const MactreeSpec& s) {
  return {{"LANES", s.lanes},
          {"WIDTH", s.width},
          {"IN_BITS", s.in_bits},
          {"ACC_BITS", s.acc_bits},
          {"MAC", s.bitweight ? 1 : 0}};
}

// "lanes=2 width=3 in_bits=8 acc_bits=32 mac=plain": a build in the engine's own terms.
std::string describe(const RtlParams& p) {
  auto v = [&](const char* k) {
    for (const auto& [name, val] : p)
      if (name == k) return val;
    return int64_t{0};
  };
  return "lanes=" + std::to_string(v("LANES")) + " width=" + std::to_string(v("WIDTH")) +
         " in_bits=" + std::to_string(v("IN_BITS")) + " acc_bits=" + std::to_string(v("ACC_BITS")) +
         " mac=" + (v("MAC") ? "bitweight" : "plain");
}

// The RTL build of a configuration (rtl_model.h).
RtlRequest rtl_request(const MactreeSpec& s) {
  RtlRequest rq;
  rq.engine = "mactree";
  rq.params = verilog_params(s);
  rq.what = "mactree " + describe(rq.params);
  rq.label = std::to_string(s.lanes) + "x" + std::to_string(s.width) + "-i" + std::to_string(s.in_bits) + "-a" +
             std::to_string(s.acc_bits) + (s.bitweight ? "-bitweight" : "-plain");
  // First-use build time, rough (2 shared cores): 3 x 6 lanes 13 s, 32 x 18 bit-weight at
  // in_bits 8 about 90 s; the code grows with lanes x width x in_bits.
  rq.expected_seconds = 10.0 + (s.bitweight ? 0.018 : 0.01) * static_cast<double>(s.lanes * s.width * s.in_bits);
  return rq;
}

class MactreeRtlEngine final : public RtlEngineFrame<MactreeSpec, Driver> {
 public:
  explicit MactreeRtlEngine(const ParamValues& p) : RtlEngineFrame("mactree", p, rtl_request) {}

  TileCost run_tile(const TileRequest& req, const IntMatrix* a, const IntMatrix* b, IntMatrix* out,
                    const Clock& clock) const override {
    const GemmShape& g = req.gemm;
    Tile tile;
    for (int64_t k0 = 0; k0 < g.k; k0 += spec_.width)  // k folds outer, n folds inner
      for (int64_t n0 = 0; n0 < g.n; n0 += spec_.lanes)
        tile.folds.push_back({k0, n0, std::min(spec_.width, g.k - k0), std::min(spec_.lanes, g.n - n0)});
    tile.m = g.m;
    tile.attach(req, a, b, out);
    return run_on_driver(tile, clock);
  }

 protected:
  void check_rtl_limits(const TileRequest& req) const override {
    if (req.gemm.m > kMaxRows)
      throw UserError("tile m " + std::to_string(req.gemm.m) + " exceeds the RTL fold row register (M < 65536)",
                      SourceLoc{}, "tile");
  }
  std::string describe_build(const RtlParams& p) const override { return describe(p); }
};

}  // namespace

TESSERA_REGISTER_RTL_ENGINE("mactree", "rtl/src/mactree/mactree.v, Verilated",
                            [](const ParamValues& p) { return std::make_unique<MactreeRtlEngine>(p); });

}  // namespace tessera
