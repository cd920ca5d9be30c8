// The term-serial array's RTL (rtl/src/termserial/termserial_array.v, through the counting
// wrapper rtl/tb/termserial_counters.v) in the place of the `termserial` engine. Build rules:
// rtl.cmake beside it.
//
// A tile is cut into folds as docs/engines/termserial.md says (row folds outer) and the folds are
// offered back to back: the next command waits on the fold bus and the array takes it in the
// cycle its current fold computes its last cycle. The feeder drives a group's operands in the
// cycle the array latches them: group 0 with the fold command (on the accepting edge), group g+1
// in the cycle `group_load` is high (when that comes is up to the data: a group lasts as long as
// its lanes' terms). Results are taken from out_data in the cycles out_valid flags them, row
// out_row of the fold being read out. What the comparison needs is read from the hardware:
//   actions   the wrapper's counters, differenced over the tile, priced by termserial_actions();
//   cycles    fill = cycles `hold` is high, steady = cycles a fold computes, drain = cycles only
//             a read-out runs; their sum is checked against the wrapper's busy count;
//   traffic   the operands the feeder drove and the results it took.
// Without operands the feeder drives zeros (every group one cycle); the kernel never asks for
// that: pe and rtl fidelity need --data for a data-timed engine.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/common/error.h"
#include "models/engine/termserial.h"
#include "sim/cosim/rtl_engine.h"
#include "sim/cosim/rtl_model.h"

namespace tessera {
namespace {

using u64 = uint64_t;
using Port = RtlModel::Port;

constexpr int64_t kMaxGroups = (int64_t{1} << 16) - 1;  // the RTL's G_BITS = 16 group counter

struct Fold {
  int64_t m0, n0, r, c;
};

struct Tile : RtlTileData {
  std::vector<Fold> folds;
  int64_t k = 1, groups = 1, last_lanes = 1;
};

struct Counts {
  u64 prod, mac, tree, acc, lda, ldb, clra, clrb, picka, pickb, res, ro, cycles, hold;
};

class Driver : RtlDriverBase {
 public:
  Driver(const TesseraRtlAbi* abi, const TermserialSpec& s)
      : RtlDriverBase(abi),
        s_(s),
        row_bus_(s.rows * s.lanes * s.max_bits),
        col_bus_(s.cols * s.lanes * s.max_bits) {}

  TileCost run(const Tile& tile, const IRtlEngine::Clock& clock) {
    const Counts start = counts();
    const bool data = tile.data();
    TileCost cost;
    size_t next = 0;        // the next fold to offer
    size_t computing = 0;   // the fold the array computes (valid while busy)
    int64_t group = 0;      // its group in the operand registers
    size_t reading = 0;     // the fold being read out
    int64_t rows_read = 0;  // ... rows of it taken so far
    u64 observed = 0;
    // A group takes at most max_bits cycles (both serial: max_bits^2); a fold's last cycle holds at
    // most rows - 1 cycles.
    const u64 group_max = static_cast<u64>(s_.both_serial ? s_.max_bits * s_.max_bits : s_.max_bits);
    const u64 limit =
        (tile.folds.size() + 2) * (static_cast<u64>(tile.groups) * group_max + static_cast<u64>(s_.rows) + 2);
    for (u64 guard = 0;; ++guard) {
      set(clk_, 0);
      const bool offer = next < tile.folds.size();
      set(fold_valid_, offer);
      if (offer) {
        const Fold& f = tile.folds[next];
        set(fold_r_, static_cast<u64>(f.r));
        set(fold_c_, static_cast<u64>(f.c));
        set(fold_g_, static_cast<u64>(tile.groups));
        set(fold_kl_, static_cast<u64>(tile.last_lanes));
      }
      m_.eval();  // fold_ready and group_load follow the state (and fold_valid)
      const bool accept = offer && get(fold_ready_);
      const bool next_group = get(group_load_) != 0;
      row_bus_.clear();
      col_bus_.clear();
      if (accept) {
        drive_group(tile, tile.folds[next], 0, data, cost.traffic);
      } else if (next_group) {
        drive_group(tile, tile.folds[computing], group + 1, data, cost.traffic);
      }
      RtlModel::set_words(row_in_, row_bus_.words());
      RtlModel::set_words(col_in_, col_bus_.words());
      m_.eval();
      const bool busy = get(busy_) != 0, hold = get(hold_) != 0, ro = get(ro_busy_) != 0;
      if (busy || ro) {
        ++observed;
        if (hold)
          ++cost.cycles.fill;
        else if (busy)
          ++cost.cycles.steady;
        else
          ++cost.cycles.drain;
      }
      if (ro) take_row(tile, reading, rows_read, data, cost.traffic);
      set(clk_, 1);
      m_.eval();
      if ((busy || ro) && clock) clock();
      if (accept) {
        computing = next++;
        group = 0;
      } else if (next_group) {
        ++group;
      }
      if (next == tile.folds.size() && !get(busy_) && !get(ro_busy_)) break;
      if (guard > limit) throw std::logic_error("termserial RTL: the tile did not finish");
    }
    if (reading != tile.folds.size()) throw std::logic_error("termserial RTL: a fold's results never came out");
    const Counts end = counts();
    if (end.cycles - start.cycles != observed || end.hold - start.hold != cost.cycles.fill)
      throw std::logic_error("termserial RTL: busy cycles " + std::to_string(end.cycles - start.cycles) +
                             " differ from the observed " + std::to_string(observed));
    const Counts d = diff(end, start);
    cost.macs = d.mac;
    // The counts from the hardware, priced as the contract says (termserial_actions). The tree runs
    // whenever a SIP is enabled: its count is checked against the accumulator's.
    if (s_.lanes > 1 && d.tree != d.acc)
      throw std::logic_error("termserial RTL: tree uses " + std::to_string(d.tree) + " differ from accumulator adds " +
                             std::to_string(d.acc));
    TermserialCounts c;
    c.products = static_cast<double>(d.prod);
    c.sip_cycles = static_cast<double>(d.acc);
    c.a_loads = static_cast<double>(d.lda);
    c.b_loads = static_cast<double>(d.ldb);
    c.a_drops = static_cast<double>(d.clra);
    c.b_drops = static_cast<double>(d.clrb);
    c.a_picks = static_cast<double>(d.picka);
    c.b_picks = static_cast<double>(d.pickb);
    c.results = static_cast<double>(d.res);
    c.readouts = static_cast<double>(d.ro);
    cost.actions = termserial_actions(s_, c);
    return cost;
  }

 private:
  Counts counts() const {
    return {get(cnt_prod_), get(cnt_mac_),  get(cnt_tree_),   get(cnt_acc_),   get(cnt_lda_),
            get(cnt_ldb_),  get(cnt_clra_), get(cnt_clrb_),   get(cnt_picka_), get(cnt_pickb_),
            get(cnt_res_),  get(cnt_ro_),   get(cnt_cycles_), get(cnt_hold_)};
  }
  static Counts diff(const Counts& e, const Counts& s) {
    return {e.prod - s.prod, e.mac - s.mac,   e.tree - s.tree,     e.acc - s.acc,     e.lda - s.lda,
            e.ldb - s.ldb,   e.clra - s.clra, e.clrb - s.clrb,     e.picka - s.picka, e.pickb - s.pickb,
            e.res - s.res,   e.ro - s.ro,     e.cycles - s.cycles, e.hold - s.hold};
  }

  // Group g of fold f onto the buses: a[m0+i][g*L+l] on row i lane l, b[g*L+l][n0+j] on column j
  // lane l, for the fold's rows and columns and the group's valid lanes.
  void drive_group(const Tile& t, const Fold& f, int64_t g, bool data, OperandTraffic& tr) {
    const int64_t L = s_.lanes, k0 = g * L, kv = std::min(L, t.k - k0);
    const int w = s_.max_bits;
    for (int64_t i = 0; i < f.r; ++i)
      for (int64_t l = 0; l < kv; ++l) {
        tr.a_read_bits += static_cast<u64>(t.a_bits);
        if (data) row_bus_.set((i * L + l) * w, w, t.a->at(f.m0 + i, k0 + l));
      }
    for (int64_t j = 0; j < f.c; ++j)
      for (int64_t l = 0; l < kv; ++l) {
        tr.b_read_bits += static_cast<u64>(t.b_bits);
        if (data) col_bus_.set((j * L + l) * w, w, t.b->at(k0 + l, f.n0 + j));
      }
  }

  // The row on out_data this cycle: row out_row of fold `reading`.
  void take_row(const Tile& t, size_t& reading, int64_t& rows_read, bool data, OperandTraffic& tr) {
    if (reading >= t.folds.size()) throw std::logic_error("termserial RTL: a read-out beyond the tile's folds");
    const Fold& f = t.folds[reading];
    if (static_cast<int64_t>(get(out_row_)) != rows_read)
      throw std::logic_error("termserial RTL: read-out row " + std::to_string(get(out_row_)) + ", expected " +
                             std::to_string(rows_read));
    for (int64_t j = 0; j < s_.cols; ++j) {
      if (!RtlModel::bits(out_valid_, static_cast<int>(j), 1)) continue;
      if (j >= f.c) throw std::logic_error("termserial RTL: a result flagged in unused column " + std::to_string(j));
      tr.out_write_bits += static_cast<u64>(s_.acc_bits);
      if (data)
        t.out->at(f.m0 + rows_read, f.n0 + j) =
            wrap_to_bits(RtlModel::bits(out_data_, static_cast<int>(j) * s_.acc_bits, s_.acc_bits), s_.acc_bits);
    }
    if (++rows_read == f.r) {
      ++reading;
      rows_read = 0;
    }
  }

  TermserialSpec s_;
  Port fold_ready_ = m_.port("fold_ready"), fold_r_ = m_.port("fold_r"), fold_c_ = m_.port("fold_c"),
       fold_g_ = m_.port("fold_g"), fold_kl_ = m_.port("fold_kl"), row_in_ = m_.port("row_in"),
       col_in_ = m_.port("col_in"), busy_ = m_.port("busy"), hold_ = m_.port("hold"),
       group_load_ = m_.port("group_load"), ro_busy_ = m_.port("ro_busy"), out_data_ = m_.port("out_data"),
       out_valid_ = m_.port("out_valid"), out_row_ = m_.port("out_row"), cnt_prod_ = m_.port("cnt_prod"),
       cnt_mac_ = m_.port("cnt_mac"), cnt_tree_ = m_.port("cnt_tree"), cnt_acc_ = m_.port("cnt_acc"),
       cnt_lda_ = m_.port("cnt_lda"), cnt_ldb_ = m_.port("cnt_ldb"), cnt_clra_ = m_.port("cnt_clra"),
       cnt_clrb_ = m_.port("cnt_clrb"), cnt_picka_ = m_.port("cnt_picka"), cnt_pickb_ = m_.port("cnt_pickb"),
       cnt_res_ = m_.port("cnt_res"), cnt_ro_ = m_.port("cnt_ro"), cnt_cycles_ = m_.port("cnt_cycles"),
       cnt_hold_ = m_.port("cnt_hold");
  RtlBus row_bus_, col_bus_;
};

RtlParams verilog_params(const TermserialSpec& s) {
  return {{"ROWS", s.rows},          {"COLS", s.cols},         {"LANES", s.lanes},
          {"MAX_BITS", s.max_bits},  {"ACC_BITS", s.acc_bits}, {"BOTH", s.both_serial ? 1 : 0},
          {"BOOTH", s.booth ? 1 : 0}};
}

RtlRequest rtl_request(const TermserialSpec& s) {
  RtlRequest rq;
  rq.engine = "termserial";
  rq.params = verilog_params(s);
  rq.what = "termserial " + rtl_params_text(rq.params);
  rq.label = std::to_string(s.rows) + "x" + std::to_string(s.cols) + "x" + std::to_string(s.lanes) + "-m" +
             std::to_string(s.max_bits) + "-a" + std::to_string(s.acc_bits) + (s.both_serial ? "-both" : "-act") +
             (s.booth ? "-booth" : "-plain");
  // First-use build time, rough: the linked test builds take 20-40 s each on one core.
  rq.expected_seconds = 20.0 + 0.05 * static_cast<double>(s.rows * s.cols * s.lanes);
  return rq;
}

class TermserialRtlEngine final : public RtlEngineFrame<TermserialSpec, Driver> {
 public:
  explicit TermserialRtlEngine(const ParamValues& p) : RtlEngineFrame("termserial", p, rtl_request) {}

  TileCost run_tile(const TileRequest& req, const IntMatrix* a, const IntMatrix* b, IntMatrix* out,
                    const Clock& clock) const override {
    const GemmShape& g = req.gemm;
    Tile tile;
    for (int64_t m0 = 0; m0 < g.m; m0 += spec_.rows)
      for (int64_t n0 = 0; n0 < g.n; n0 += spec_.cols)
        tile.folds.push_back({m0, n0, std::min(spec_.rows, g.m - m0), std::min(spec_.cols, g.n - n0)});
    tile.k = g.k;
    tile.groups = (g.k + spec_.lanes - 1) / spec_.lanes;
    tile.last_lanes = g.k - (tile.groups - 1) * spec_.lanes;
    tile.attach(req, a, b, out);
    return run_on_driver(tile, clock);
  }

 protected:
  void check_rtl_limits(const TileRequest& req) const override {
    const int64_t groups = (req.gemm.k + spec_.lanes - 1) / spec_.lanes;
    if (groups > kMaxGroups)
      throw UserError("tile k " + std::to_string(req.gemm.k) + " needs " + std::to_string(groups) +
                          " groups, beyond the RTL group counter (< 65536)",
                      SourceLoc{}, "tile");
  }

  // Given the data, the RTL runs it (the cost depends on it); otherwise as cost(req).
  TileCost cost_given(const TileRequest& req, const OperandStats& stats) const override {
    if (!(stats.a_data && stats.b_data)) return cost(req);
    const IntMatrix a = to_int_matrix(*stats.a_data), b = to_int_matrix(*stats.b_data);
    IntMatrix out;
    return run_tile(req, &a, &b, &out, {});
  }
};

}  // namespace

TESSERA_REGISTER_RTL_ENGINE("termserial", "rtl/src/termserial/termserial_array.v, Verilated",
                            [](const ParamValues& p) { return std::make_unique<TermserialRtlEngine>(p); });

}  // namespace tessera
