// The systolic array's RTL (rtl/src/systolic/systolic_array.v, through the counting wrapper
// rtl/tb/systolic_counters.v) in the place of the `systolic` engine. Its build rules are
// rtl.cmake beside it; the Verilated model comes through sim/cosim/rtl_model.h (linked in for
// the test set, else built on first use for any rows x cols x in_bits x acc_bits x buffering x mac).
//
// A tile is cut into folds exactly as docs/engines/systolic.md says (row folds outer, column
// folds inner) and the folds are issued back to back: the next command is held on the fold bus
// so the array takes it as soon as it can (single-buffered: in the last cycle of the current
// fold; double-buffered: into its next-fold slot while the current fold runs, whose
// stationary rows it then loads early). The tile's first command is offered with the array
// idle, so the tile's first fold has no predecessor to hide its load behind. The feeder here
// drives every operand in the cycle docs/rtl.md names (it applies the skew and follows the
// double-buffered load schedule), collects each result in the cycle and column the RTL flags
// it, and adds the partial sums of later K folds outside the array at acc_bits, as the C++
// model's `accumulator` does. Fold boundaries are the RTL's `fold_last`. What the comparison
// needs is read from the hardware, not re-derived:
//   actions   the wrapper's counters (enables of the real PE registers, MACs, output muxes,
//             shadow-select muxes, west-edge operands, results), differenced over the tile
//             into SystolicCounts and priced by systolic_actions(), the model's one pricing
//             of either PE (`mac: plain | bitweight`, the Verilog MAC = 0 | 1);
//   cycles    busy cycles counted by the wrapper, split per fold from observed events:
//             os  fill+steady = cycles with MACs (counter), steady = cycles the feeder streams
//                 into row 0, drain = the rest (the read-out);
//             ws/is  fill = cycles before the first result, steady ends after the feeder's
//                 last stream operand into row r-1, drain = the rest;
//   traffic   the operands the feeder drove and the results it took (and psums read back).
#include <algorithm>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/common/error.h"
#include "models/engine/systolic.h"
#include "models/numerics/format.h"
#include "sim/cosim/rtl_engine.h"
#include "sim/cosim/rtl_model.h"

namespace tessera {
namespace {

using u64 = uint64_t;

// One cycle's operand lanes as 32-bit words, copied into a Verilator port of any width.
class Lanes {
 public:
  explicit Lanes(int bits) : w_(static_cast<size_t>((bits + 31) / 32 + 1), 0) {}
  void clear() { std::fill(w_.begin(), w_.end(), 0u); }
  // Element of `width` bits (<= 32) at bit `lo`, two's complement.
  void set(int lo, int width, int64_t v) {
    const u64 u = static_cast<u64>(v) & ((u64{1} << width) - 1);
    const auto wi = static_cast<size_t>(lo / 32);
    const int off = lo % 32;
    w_[wi] |= static_cast<uint32_t>(u << off);
    if (off + width > 32) w_[wi + 1] |= static_cast<uint32_t>(u >> (32 - off));
  }
  const uint32_t* words() const { return w_.data(); }

 private:
  std::vector<uint32_t> w_;  // one spare word, so ports of <= 64 bits can read two
};

// The low `bits` of u as a two's-complement number: what a `bits`-wide register holds.
int64_t sign_extend(u64 u, int bits) { return wrap_to_bits(u, bits); }

enum Mode { kOs = 0, kWs = 1, kIs = 2 };

struct Fold {
  int mode = kOs;
  int64_t r = 1, c = 1, t = 1;  // used rows, used columns, temporal extent
  int64_t r0 = 0, c0 = 0;       // spatial offsets: (m0, n0) os, (k0, n0) ws, (k0, m0) is
};

struct Tile : RtlTileData {
  int mode = kOs;
  std::vector<Fold> folds;
};

struct Counts {
  u64 mul, add, rw_acc, rw_x, rw_y, mux, mux_in, enc, out, cycles;
};

using Port = RtlModel::Port;

// Runs tiles on one instance of the Verilated array (rtl/tb/systolic_counters.v).
class Driver : RtlDriverBase {
 public:
  Driver(const TesseraRtlAbi* abi, const SystolicSpec& spec)
      : RtlDriverBase(abi),
        spec_(spec),
        in_(spec.in_bits),
        acc_(spec.acc_bits),
        row_lanes_(static_cast<int>(spec.rows) * spec.in_bits),
        col_lanes_(static_cast<int>(spec.cols) * spec.in_bits) {
    // The two PEs agree at every other port, so ask the model which one it is.
    if ((get(mac_kind_) != 0) != spec.bitweight)
      throw std::logic_error(std::string("the RTL model has the ") + (spec.bitweight ? "plain" : "bit-weight") +
                             " PE, the engine asks for the other");
  }

  TileCost run(const Tile& tile, const IRtlEngine::Clock& clock) {
    const Counts start = counts();
    const bool data = tile.data();
    TileCost cost;
    u64 fold_cycles = 0, accumulator_adds = 0;
    size_t next = 0;
    Running cur;               // the fold in progress (cur.f == nullptr: none)
    const Fold* ahead = nullptr;  // double-buffered: the accepted next fold
    int64_t ahead_rows = 0;       // its stationary rows latched so far
    int64_t cyc = 0;
    // Per-fold observations for the cycle split.
    int64_t first_out = -1, stream_last = -1, mac_cycles = 0, row0_stream = 0;
    u64 mul_seen = get(cnt_int_mul_);

    while (next < tile.folds.size() || cur.f || ahead) {
      set(clk_, 0);
      const bool offer = next < tile.folds.size();
      set(fold_valid_, offer);
      if (offer) {
        const Fold& f = tile.folds[next];
        set(fold_mode_, static_cast<u64>(f.mode));
        set(fold_r_, static_cast<u64>(f.r));
        set(fold_c_, static_cast<u64>(f.c));
        set(fold_t_, static_cast<u64>(f.t));
      }
      row_lanes_.clear();
      col_lanes_.clear();
      if (cur.f) drive(tile, cur, cyc, data, cost.traffic, stream_last, row0_stream);
      // Double buffering: once every used PE of the current ws/is fold has taken its shadow
      // (cycle s + c - 1), the next ws/is fold's rows go onto the bus, one per cycle.
      const bool prefetch = cur.f && ahead && cur.f->mode != kOs && ahead->mode != kOs &&
                            cyc >= cur.s + cur.f->c - 1 && ahead_rows < ahead->r;
      if (prefetch) load_row(tile, *ahead, ahead_rows, data, cost.traffic);
      RtlModel::set_words(row_in_, row_lanes_.words());
      RtlModel::set_words(col_in_, col_lanes_.words());
      m_.eval();
      if (cur.f) {
        for (int j = 0; j < cur.f->c; ++j) {
          if (!RtlModel::bits(out_valid_, j, 1)) continue;
          if (first_out < 0) first_out = cyc;
          const int64_t v = sign_extend(RtlModel::bits(out_data_, j * acc_, acc_), acc_);
          take(tile, cur, cyc, j, v, data, cost.traffic, accumulator_adds);
        }
      }
      const bool last = cur.f && get(fold_last_);  // cycle L-1 of the current fold
      const bool accept = offer && get(fold_ready_);
      set(clk_, 1);
      m_.eval();
      if (cur.f) {
        if (get(cnt_int_mul_) != mul_seen) ++mac_cycles;
        if (clock) clock();
      }
      mul_seen = get(cnt_int_mul_);
      if (prefetch) ++ahead_rows;
      bool started = false;
      if (cur.f) {
        const int64_t len = cyc + 1;
        if (last) {
          cost.cycles += split(*cur.f, len, first_out, stream_last, mac_cycles, row0_stream);
          fold_cycles += static_cast<u64>(len);
          cur = {};
          if (ahead) {  // the next fold starts now, with the rows it already has
            cur = start_fold(*ahead, ahead->mode == kOs ? 0 : ahead_rows);
            ahead = nullptr;
            started = true;
          }
        } else if (len > 4 * (cur.f->t + 2 * cur.f->r + cur.f->c) + 16) {
          throw std::logic_error("RTL fold (mode " + std::to_string(cur.f->mode) + " r=" + std::to_string(cur.f->r) +
                                 " c=" + std::to_string(cur.f->c) + " T=" + std::to_string(cur.f->t) +
                                 ") did not end: fold_last never rose");
        } else {
          ++cyc;
        }
      }
      if (accept) {
        const Fold* f = &tile.folds[next++];
        if (!cur.f) {  // from idle, or in the last cycle of a fold with no next one
          cur = start_fold(*f, 0);
          started = true;
        } else if (ahead) {
          throw std::logic_error("RTL took a fold command with its next-fold slot full");
        } else {
          ahead = f;
          ahead_rows = 0;
        }
      }
      if (started) {
        cyc = 0;
        first_out = stream_last = -1;
        mac_cycles = row0_stream = 0;
      }
    }

    const Counts end = counts();
    if (end.cycles - start.cycles != fold_cycles)
      throw std::logic_error("RTL busy cycles " + std::to_string(end.cycles - start.cycles) +
                             " differ from the folds' " + std::to_string(fold_cycles));
    // The hardware's events, priced as the model prices its own (systolic_actions).
    SystolicCounts n;
    n.macs = end.mul - start.mul;
    n.x_writes = end.rw_x - start.rw_x;
    n.y_writes = end.rw_y - start.rw_y;
    n.os_reads = end.mux - start.mux;
    n.swaps = end.mux_in - start.mux_in;
    n.encodes = end.enc - start.enc;
    n.outputs = end.out - start.out;
    n.accumulator_adds = accumulator_adds;
    // The plain PE's adder and the acc register (bitweight: S and Cy) are priced per MAC: their
    // own enables must agree, or the pricing would hide an RTL that adds or writes in other cycles.
    if (end.add - start.add != n.macs || end.rw_acc - start.rw_acc != n.macs)
      throw std::logic_error("RTL adds " + std::to_string(end.add - start.add) + " and acc writes " +
                             std::to_string(end.rw_acc - start.rw_acc) + " differ from its MACs " +
                             std::to_string(n.macs));
    cost.macs = n.macs;
    cost.actions = systolic_actions(spec_, n);
    return cost;
  }

 private:
  Counts counts() const {
    return {get(cnt_int_mul_), get(cnt_int_add_), get(cnt_rw_acc_), get(cnt_rw_x_), get(cnt_rw_y_),
            get(cnt_mux_),     get(cnt_mux_in_),  get(cnt_enc_),    get(cnt_out_),  get(cnt_cycles_)};
  }

  // A fold in progress: its stationary rows `preloaded` .. r-1 load in its cycles 0 .. s-1
  // (s = r - preloaded; os: no load, s = 0 is its stream start).
  struct Running {
    const Fold* f = nullptr;
    int64_t preloaded = 0, s = 0;
  };
  static Running start_fold(const Fold& f, int64_t preloaded) {
    return {&f, preloaded, f.mode == kOs ? 0 : f.r - preloaded};
  }

  // Row i of fold f's stationary operand onto the column bus (docs/rtl.md: ws b[k0+i][n0+j],
  // is a[m0+j][k0+i], lanes j < c).
  void load_row(const Tile& tl, const Fold& f, int64_t i, bool data, OperandTraffic& tr) {
    for (int64_t j = 0; j < f.c; ++j) {
      int64_t v = 0;
      if (f.mode == kWs) {
        tr.b_read_bits += static_cast<u64>(tl.b_bits);
        if (data) v = tl.b->at(f.r0 + i, f.c0 + j);
      } else {
        tr.a_read_bits += static_cast<u64>(tl.a_bits);
        if (data) v = tl.a->at(f.c0 + j, f.r0 + i);
      }
      col_lanes_.set(static_cast<int>(j) * in_, in_, v);
    }
  }

  // The operands of fold cycle t (docs/rtl.md, "Operand timing per mode").
  void drive(const Tile& tl, const Running& run, int64_t t, bool data, OperandTraffic& tr, int64_t& stream_last,
             int64_t& row0_stream) {
    const Fold& f = *run.f;
    for (int64_t i = 0; i < f.r; ++i) {
      const int64_t q = t - run.s - i;  // k (os), m (ws), n (is)
      if (q < 0 || q >= f.t) continue;
      int64_t v = 0;
      if (f.mode == kIs) {
        tr.b_read_bits += static_cast<u64>(tl.b_bits);
        if (data) v = tl.b->at(f.r0 + i, q);
      } else {
        tr.a_read_bits += static_cast<u64>(tl.a_bits);
        if (data) v = f.mode == kOs ? tl.a->at(f.r0 + i, q) : tl.a->at(q, f.r0 + i);
      }
      row_lanes_.set(static_cast<int>(i) * in_, in_, v);
      if (i == 0) ++row0_stream;
      if (i == f.r - 1) stream_last = t;
    }
    if (f.mode != kOs) {
      if (t < run.s) load_row(tl, f, run.preloaded + t, data, tr);  // visible load: row preloaded+t
      return;
    }
    for (int64_t j = 0; j < f.c; ++j) {
      const int64_t k = t - j;
      if (k < 0 || k >= f.t) continue;
      tr.b_read_bits += static_cast<u64>(tl.b_bits);
      int64_t v = 0;
      if (data) v = tl.b->at(k, f.c0 + j);
      col_lanes_.set(static_cast<int>(j) * in_, in_, v);
    }
  }

  // A result of column j in fold cycle t (docs/rtl.md, "Output timing per mode").
  void take(const Tile& tl, const Running& run, int64_t t, int j, int64_t v, bool data, OperandTraffic& tr,
            u64& accumulator_adds) {
    const Fold& f = *run.f;
    int64_t row = 0, col = 0, idx = 0, extent = 0;
    if (f.mode == kOs) {
      idx = t - (f.t + f.r + f.c - 2);
      extent = f.r;
      row = f.r0 + idx;
      col = f.c0 + j;
    } else {
      idx = t - (run.s + f.r - 1) - j;
      extent = f.t;
      row = f.mode == kWs ? idx : f.c0 + j;
      col = f.mode == kWs ? f.c0 + j : idx;
    }
    if (idx < 0 || idx >= extent)
      throw std::logic_error("RTL flagged a result in column " + std::to_string(j) + " in fold cycle " +
                             std::to_string(t) + ", where the contract has none");
    tr.out_write_bits += static_cast<u64>(acc_);
    const bool later_k_fold = f.mode != kOs && f.r0 > 0;
    if (later_k_fold) {
      tr.out_read_bits += static_cast<u64>(acc_);
      ++accumulator_adds;
    }
    if (!data) return;
    int64_t& o = tl.out->at(row, col);
    o = later_k_fold ? sign_extend(static_cast<u64>(o) + static_cast<u64>(v), acc_) : v;
  }

  static CycleSplit split(const Fold& f, int64_t len, int64_t first_out, int64_t stream_last, int64_t mac_cycles,
                          int64_t row0_stream) {
    if (f.mode == kOs)
      return {static_cast<u64>(mac_cycles - row0_stream), static_cast<u64>(row0_stream),
              static_cast<u64>(len - mac_cycles)};
    return {static_cast<u64>(first_out), static_cast<u64>(stream_last + 1 - first_out),
            static_cast<u64>(len - stream_last - 1)};
  }

  SystolicSpec spec_;
  int in_, acc_;
  // The ports (rtl.cmake, PORTS) beyond clk, rst and fold_valid, resolved once.
  Port fold_ready_ = m_.port("fold_ready"), fold_mode_ = m_.port("fold_mode"), fold_r_ = m_.port("fold_r"),
       fold_c_ = m_.port("fold_c"), fold_t_ = m_.port("fold_t"), fold_last_ = m_.port("fold_last"),
       row_in_ = m_.port("row_in"), col_in_ = m_.port("col_in"), out_data_ = m_.port("out_data"),
       out_valid_ = m_.port("out_valid"), cnt_int_mul_ = m_.port("cnt_int_mul"), cnt_int_add_ = m_.port("cnt_int_add"),
       cnt_rw_acc_ = m_.port("cnt_rw_acc"), cnt_rw_x_ = m_.port("cnt_rw_x"), cnt_rw_y_ = m_.port("cnt_rw_y"),
       cnt_mux_ = m_.port("cnt_mux"), cnt_mux_in_ = m_.port("cnt_mux_in"), cnt_enc_ = m_.port("cnt_enc"),
       cnt_out_ = m_.port("cnt_out"), cnt_cycles_ = m_.port("cnt_cycles"), mac_kind_ = m_.port("mac_kind");
  Lanes row_lanes_, col_lanes_;
};

// The Verilog parameters of an engine configuration (rtl/src/systolic/systolic_array.v). MAC is
// given only for the bit-weight PE (MAC = 1): 0 is its default, so the plain sets stay as they were.
RtlParams verilog_params(const SystolicSpec& s) {
  RtlParams p = {{"ROWS", s.rows}, {"COLS", s.cols}, {"IN_BITS", s.in_bits}, {"ACC_BITS", s.acc_bits},
                 {"WEIGHT_DB", s.weight_db ? 1 : 0}};
  if (s.bitweight) p.push_back({"MAC", 1});
  return p;
}

std::string describe(const RtlParams& p) {
  auto v = [&](const char* k) {
    for (const auto& [name, val] : p)
      if (name == k) return val;
    return int64_t{0};
  };
  return std::to_string(v("ROWS")) + "x" + std::to_string(v("COLS")) + " in_bits=" + std::to_string(v("IN_BITS")) +
         " acc_bits=" + std::to_string(v("ACC_BITS")) + " weight_buffering=" + (v("WEIGHT_DB") ? "double" : "single") +
         (v("MAC") ? " mac=bitweight" : "");
}

// First-use build time on one core of a 2-core build machine (docs/cosim.md): about
// 23 s + 0.16 s per PE (16x16 42 s, 64x64 ~12 min, 128x128 ~45 min). The bit-weight PE's
// compressor compiles to more code: its linked 8x8 took ~1.4x the plain 8x8's compile time.
double expected_build_seconds(const SystolicSpec& s) {
  return 23.0 + (s.bitweight ? 0.23 : 0.16) * static_cast<double>(s.rows * s.cols);
}

constexpr int64_t kMaxFoldT = (int64_t{1} << 16) - 1;  // the RTL's T_BITS = 16 fold counter

RtlRequest rtl_request(const SystolicSpec& s) {
  if (s.scalesim_timing)
    throw UserError("the systolic RTL has the native timing only; 'timing: scalesim' cannot be co-simulated",
                    SourceLoc{}, "timing");
  RtlRequest rq;
  rq.engine = "systolic";
  rq.params = verilog_params(s);
  rq.what = "systolic " + describe(rq.params);
  rq.label = std::to_string(s.rows) + "x" + std::to_string(s.cols) + "-i" + std::to_string(s.in_bits) + "-a" +
             std::to_string(s.acc_bits) + (s.weight_db ? "-double" : "-single") + (s.bitweight ? "-bitweight" : "");
  rq.expected_seconds = expected_build_seconds(s);
  return rq;
}

class SystolicRtlEngine final : public RtlEngineFrame<SystolicSpec, Driver> {
 public:
  explicit SystolicRtlEngine(const ParamValues& p) : RtlEngineFrame("systolic", p, rtl_request) {}

  TileCost run_tile(const TileRequest& req, const IntMatrix* a, const IntMatrix* b, IntMatrix* out,
                    const Clock& clock) const override {
    const std::string df = req.dataflow.empty() ? spec_.dataflow : req.dataflow;
    const GemmShape& g = req.gemm;
    Tile tile;
    tile.mode = df == "os" ? kOs : df == "ws" ? kWs : kIs;
    // Spatial rows, spatial columns, temporal extent (docs/engines/systolic.md).
    const int64_t sr = tile.mode == kOs ? g.m : g.k;
    const int64_t sc = tile.mode == kIs ? g.m : g.n;
    const int64_t t = tile.mode == kOs ? g.k : tile.mode == kWs ? g.m : g.n;
    for (int64_t r0 = 0; r0 < sr; r0 += spec_.rows)
      for (int64_t c0 = 0; c0 < sc; c0 += spec_.cols)
        tile.folds.push_back({tile.mode, std::min(spec_.rows, sr - r0), std::min(spec_.cols, sc - c0), t, r0, c0});
    tile.attach(req, a, b, out);
    TileCost cost = run_on_driver(tile, clock);
    // The OliVe decoders sit outside the array's RTL, before its edges: priced from the traffic
    // the feeder drove, as the model prices them.
    cost.actions.merge(systolic_decoder_actions(spec_, req, cost.traffic));
    return cost;
  }

 protected:
  void check_rtl_limits(const TileRequest& req) const override {
    const std::string df = req.dataflow.empty() ? spec_.dataflow : req.dataflow;
    const int64_t t = df == "os" ? req.gemm.k : df == "ws" ? req.gemm.m : req.gemm.n;
    if (t > kMaxFoldT)
      throw UserError("tile " + df + " temporal extent " + std::to_string(t) + " exceeds the RTL fold counter (T < 65536)",
                      SourceLoc{}, "tile");
  }
  std::string describe_build(const RtlParams& p) const override { return describe(p); }
};

}  // namespace

TESSERA_REGISTER_RTL_ENGINE("systolic", "rtl/src/systolic/systolic_array.v, Verilated", [](const ParamValues& p) {
  return std::make_unique<SystolicRtlEngine>(p);
});

}  // namespace tessera
