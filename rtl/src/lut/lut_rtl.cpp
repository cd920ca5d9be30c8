// The LUT array's RTL (rtl/src/lut/lut_array.v, through the counting wrapper rtl/tb/
// lut_counters.v) in the place of the `lut` engine. Build rules: rtl.cmake beside it.
//
// A tile is cut into folds as docs/engines/lut.md says (row folds outer) and the folds are
// offered back to back: the next command waits on the fold bus and the array takes it in the
// cycle its current fold computes its last plane. The feeder drives a group's operands in the
// cycle the array loads them: group 0 with the fold command (on the accepting edge), group g+1
// in the cycle `group_load` is high. Results are taken from out_data in the cycles out_valid
// flags them, row out_row of the fold being read out. What the comparison needs is read from
// the hardware:
//   actions   the wrapper's counters (LutCounts), differenced over the tile, priced by the
//             model's lut_actions();
//   cycles    fill = cycles `hold` is high, steady = cycles a fold computes, drain = cycles
//             only a read-out runs; their sum is checked against the wrapper's busy count;
//   traffic   the operands the feeder drove and the results it took.
// Operands are typed (fp16 activations are bit patterns); the IntMatrix calls convert.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/common/error.h"
#include "models/engine/lut.h"
#include "sim/cosim/rtl_engine.h"
#include "sim/cosim/rtl_model.h"

namespace tessera {
namespace {

using u64 = uint64_t;
using Port = RtlModel::Port;

constexpr int64_t kMaxGroups = (int64_t{1} << 16) - 1;  // the RTL's G_BITS = 16 group counter

struct Fold {
  int64_t m0, n0, r, c;
  bool store = false, reuse = false;  // keep the built tables / take them from the store
};

struct Tile {
  std::vector<Fold> folds;
  int64_t groups = 1;
  int64_t kept = 0;  // groups whose tables the store keeps (LutSpec::kept_groups)
  int planes = 1;
  int a_bits = 8, b_bits = 4;
  DType a_type = DType::int8;
  const TypedMatrix *a = nullptr, *b = nullptr;
  TypedMatrix* out = nullptr;
  bool data() const { return a && b && out; }
};

int act_bus_bits(const LutSpec& s) { return s.fp ? 16 : LutSpec::kIntActBits; }
// A row's field of row_in: K activations, or (fused precompute) its table word.
int64_t row_bus_bits(const LutSpec& s) { return s.fused ? s.table_word_bits() : s.group * act_bus_bits(s); }

class Driver : RtlDriverBase {
 public:
  Driver(const TesseraRtlAbi* abi, const LutSpec& s)
      : RtlDriverBase(abi),
        s_(s),
        row_bus_(s.rows * row_bus_bits(s)),
        col_bus_(s.cols * s.group * s.weight_bits) {}

  TileCost run(const Tile& tile, const IRtlEngine::Clock& clock) {
    const LutCounts start = counts();
    const u64 cycles0 = get(cnt_cycles_), hold0 = get(cnt_hold_);
    const bool data = tile.data();
    TileCost cost;
    size_t next = 0;        // the next fold to offer
    size_t computing = 0;   // the fold the array computes (valid while busy)
    int64_t group = 0;      // its group in the table and weight registers
    size_t reading = 0;     // the fold being read out
    int64_t rows_read = 0;  // ... rows of it taken so far
    u64 observed = 0;
    for (u64 guard = 0;; ++guard) {
      set(clk_, 0);
      const bool offer = next < tile.folds.size();
      set(fold_valid_, offer);
      if (offer) {
        const Fold& f = tile.folds[next];
        set(fold_r_, static_cast<u64>(f.r));
        set(fold_c_, static_cast<u64>(f.c));
        set(fold_g_, static_cast<u64>(tile.groups));
        set(fold_w_, static_cast<u64>(tile.planes));
        set(fold_store_, f.store);
        set(fold_reuse_, f.reuse);
      }
      m_.eval();  // fold_ready and group_load follow the state (and fold_valid)
      const bool accept = offer && get(fold_ready_);
      const bool next_group = get(group_load_) != 0;
      row_bus_.clear();
      col_bus_.clear();
      if (accept)
        drive_group(tile, tile.folds[next], 0, data, cost.traffic);
      else if (next_group)
        drive_group(tile, tile.folds[computing], group + 1, data, cost.traffic);
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
      if (guard >
          4 * (tile.folds.size() + 2) * (static_cast<u64>(tile.groups * tile.planes) + static_cast<u64>(s_.rows) + 2))
        throw std::logic_error("lut RTL: the tile did not finish");
    }
    if (reading != tile.folds.size()) throw std::logic_error("lut RTL: a fold's results never came out");
    if (get(cnt_cycles_) - cycles0 != observed || get(cnt_hold_) - hold0 != cost.cycles.fill)
      throw std::logic_error("lut RTL: busy cycles " + std::to_string(get(cnt_cycles_) - cycles0) +
                             " differ from the observed " + std::to_string(observed));
    const LutCounts end = counts();
    LutCounts c;
    c.tables = end.tables - start.tables;
    c.table_stores = end.table_stores - start.table_stores;
    c.table_loads = end.table_loads - start.table_loads;
    c.act_reads = s_.fused ? 0 : c.tables * static_cast<u64>(s_.group);
    c.weight_writes = end.weight_writes - start.weight_writes;
    c.unit_cycles = end.unit_cycles - start.unit_cycles;
    c.column_cycles = end.column_cycles - start.column_cycles;
    c.offset_adds = end.offset_adds - start.offset_adds;
    c.results = end.results - start.results;
    c.offset_copies = end.offset_copies - start.offset_copies;
    c.macs = end.macs - start.macs;
    cost.macs = c.macs;
    cost.actions = lut_actions(s_, c);
    return cost;
  }

 private:
  LutCounts counts() const {
    LutCounts c;
    c.tables = get(cnt_tab_);
    c.table_stores = get(cnt_tst_);
    c.table_loads = get(cnt_tld_);
    c.weight_writes = get(cnt_wld_);
    c.unit_cycles = get(cnt_unit_);
    c.column_cycles = get(cnt_col_);
    c.offset_adds = get(cnt_off_);
    c.macs = get(cnt_mac_);
    c.offset_copies = get(cnt_ores_);
    c.results = get(cnt_ro_);
    return c;
  }

  // Group g of fold f onto the buses unless the group's tables come from the store:
  // a[m0+i][g*K+k] on row i slot k (int: sign-extended to 8 bits; fp16: its pattern), or with
  // fused precompute row i's table word, as the operator that wrote the activations would have;
  // b[g*K+k][n0+j] on column j slot k sign-extended to weight_bits.
  void drive_group(const Tile& t, const Fold& f, int64_t g, bool data, OperandTraffic& tr) {
    const int64_t K = s_.group, k0 = g * K;
    const int ab = act_bus_bits(s_), wb = s_.weight_bits;
    if (s_.fused && !(f.reuse && g < t.kept)) {
      const LutArith producer(s_, t.a_type);  // builds the tables the writer of `a` would have
      for (int64_t i = 0; i < f.r; ++i) {
        tr.a_read_bits += static_cast<u64>(s_.stored_table_bits());
        if (!data) continue;
        for (int64_t k = 0; k < K; ++k) x_[static_cast<size_t>(k)] = t.a->raw(f.m0 + i, k0 + k);
        producer.build_table(x_.data(), table_);
        const std::vector<uint64_t> word = producer.table_word(table_);
        const int64_t lo = i * s_.table_word_bits();
        for (int64_t b = 0; b < s_.table_word_bits(); b += 32)
          row_bus_.set(lo + b, static_cast<int>(std::min<int64_t>(32, s_.table_word_bits() - b)),
                       static_cast<int64_t>((word[static_cast<size_t>(b / 64)] >> (b % 64)) & 0xffffffffu));
      }
    } else if (!(f.reuse && g < t.kept))
      for (int64_t i = 0; i < f.r; ++i)
        for (int64_t k = 0; k < K; ++k) {
          tr.a_read_bits += static_cast<u64>(t.a_bits);
          if (data) {
            const int64_t v =
                s_.fp ? static_cast<int64_t>(t.a->raw(f.m0 + i, k0 + k)) : t.a->int_value(f.m0 + i, k0 + k);
            row_bus_.set((i * K + k) * ab, ab, v);
          }
        }
    for (int64_t j = 0; j < f.c; ++j)
      for (int64_t k = 0; k < K; ++k) {
        tr.b_read_bits += static_cast<u64>(t.b_bits);
        if (data) col_bus_.set((j * K + k) * wb, wb, t.b->int_value(k0 + k, f.n0 + j));
      }
  }

  // The row on out_data this cycle: row out_row of fold `reading`.
  void take_row(const Tile& t, size_t& reading, int64_t& rows_read, bool data, OperandTraffic& tr) {
    if (reading >= t.folds.size()) throw std::logic_error("lut RTL: a read-out beyond the tile's folds");
    const Fold& f = t.folds[reading];
    if (static_cast<int64_t>(get(out_row_)) != rows_read)
      throw std::logic_error("lut RTL: read-out row " + std::to_string(get(out_row_)) + ", expected " +
                             std::to_string(rows_read));
    const int rb = s_.out_fmt.bits();
    for (int64_t j = 0; j < s_.cols; ++j) {
      if (!RtlModel::bits(out_valid_, static_cast<int>(j), 1)) continue;
      if (j >= f.c) throw std::logic_error("lut RTL: a result flagged in unused column " + std::to_string(j));
      tr.out_write_bits += static_cast<u64>(rb);
      if (data) t.out->set_raw(f.m0 + rows_read, f.n0 + j, RtlModel::bits(out_data_, static_cast<int>(j) * rb, rb));
    }
    if (++rows_read == f.r) {
      ++reading;
      rows_read = 0;
    }
  }

  LutSpec s_;
  std::vector<uint64_t> x_ = std::vector<uint64_t>(static_cast<size_t>(s_.group)), table_;
  Port fold_ready_ = m_.port("fold_ready"), fold_r_ = m_.port("fold_r"), fold_c_ = m_.port("fold_c"),
       fold_g_ = m_.port("fold_g"), fold_w_ = m_.port("fold_w"), fold_store_ = m_.port("fold_store"),
       fold_reuse_ = m_.port("fold_reuse"), row_in_ = m_.port("row_in"),
       col_in_ = m_.port("col_in"), busy_ = m_.port("busy"), hold_ = m_.port("hold"),
       group_load_ = m_.port("group_load"), ro_busy_ = m_.port("ro_busy"), out_data_ = m_.port("out_data"),
       out_valid_ = m_.port("out_valid"), out_row_ = m_.port("out_row"), cnt_tab_ = m_.port("cnt_tab"),
       cnt_tst_ = m_.port("cnt_tst"), cnt_tld_ = m_.port("cnt_tld"),
       cnt_wld_ = m_.port("cnt_wld"), cnt_unit_ = m_.port("cnt_unit"), cnt_col_ = m_.port("cnt_col"),
       cnt_off_ = m_.port("cnt_off"), cnt_mac_ = m_.port("cnt_mac"), cnt_ores_ = m_.port("cnt_ores"),
       cnt_ro_ = m_.port("cnt_ro"), cnt_cycles_ = m_.port("cnt_cycles"), cnt_hold_ = m_.port("cnt_hold");
  RtlBus row_bus_, col_bus_;
};

RtlParams verilog_params(const LutSpec& s) {
  const NumFormat t = s.fp ? s.table_fmt : NumFormat::of(DType::fp16);
  const NumFormat o = s.fp ? s.out_fmt : NumFormat::of(DType::fp16);
  return {{"ROWS", s.rows},
          {"COLS", s.cols},
          {"K", s.group},
          {"SYM", s.symmetric ? 1 : 0},
          {"WB", s.weight_bits},
          {"FP", s.fp ? 1 : 0},
          {"OB", s.fp ? 32 : s.out_fmt.bits()},  // ints only
          {"ET", t.exp_bits()},                  // floats only (fp16 when unused)
          {"FT", t.frac_bits()},
          {"EA", o.exp_bits()},
          {"FA", o.frac_bits()},
          {"TS", s.table_store},
          {"PRE", s.fused ? 0 : 1}};
}

RtlRequest rtl_request(const LutSpec& s) {
  RtlRequest rq;
  rq.engine = "lut";
  rq.params = verilog_params(s);
  rq.what = "lut " + rtl_params_text(rq.params);
  rq.label = std::to_string(s.rows) + "x" + std::to_string(s.cols) + "x" + std::to_string(s.group) +
             (s.symmetric ? "-sym" : "-full") + "-w" + std::to_string(s.weight_bits) + "-" +
             (s.fp ? s.table_fmt.name() + "-" + s.out_fmt.name() : s.out_fmt.name()) +
             (s.table_store > 0 ? "-ts" + std::to_string(s.table_store) : "") + (s.fused ? "-fused" : "");
  // First-use build time, rough: fp arrays are an fp adder per unit and per table entry.
  rq.expected_seconds = 20.0 + (s.fp ? 1.0 : 0.05) * static_cast<double>(s.rows * s.cols + s.rows * s.entries());
  return rq;
}

class LutRtlEngine final : public RtlEngineFrame<LutSpec, Driver> {
 public:
  explicit LutRtlEngine(const ParamValues& p) : RtlEngineFrame("lut", p, rtl_request) {}

  TileCost run_tile_typed(const TileRequest& req, const TypedMatrix* a, const TypedMatrix* b, TypedMatrix* out,
                          const Clock& clock) const override {
    const GemmShape& g = req.gemm;
    Tile tile;
    tile.groups = g.k / spec_.group;
    tile.kept = spec_.kept_groups(tile.groups, (g.n + spec_.cols - 1) / spec_.cols);
    for (int64_t m0 = 0; m0 < g.m; m0 += spec_.rows)
      for (int64_t n0 = 0; n0 < g.n; n0 += spec_.cols)
        tile.folds.push_back({m0, n0, std::min(spec_.rows, g.m - m0), std::min(spec_.cols, g.n - n0),
                              tile.kept > 0 && n0 == 0, tile.kept > 0 && n0 > 0});
    tile.planes = LutSpec::planes(req.b_type);
    tile.a_bits = dtype_bits(req.a_type);
    tile.a_type = req.a_type;
    tile.b_bits = dtype_bits(req.b_type);
    if (a && b && out) {
      *out = TypedMatrix(g.m, g.n, spec_.out_fmt);
      tile.a = a;
      tile.b = b;
      tile.out = out;
    }
    return run_on_driver(tile, clock);
  }

  TileCost run_tile(const TileRequest& req, const IntMatrix* a, const IntMatrix* b, IntMatrix* out,
                    const Clock& clock) const override {
    if (!(a && b && out)) return run_tile_typed(req, nullptr, nullptr, nullptr, clock);
    const TypedMatrix ta = to_typed(*a, NumFormat::of(req.a_type)), tb = to_typed(*b, NumFormat::of(req.b_type));
    TypedMatrix to;
    const TileCost c = run_tile_typed(req, &ta, &tb, &to, clock);
    *out = to_int_matrix(to);
    return c;
  }

 protected:
  void compute_typed(const TileRequest& req, const TypedMatrix& a, const TypedMatrix& b,
                     TypedMatrix& out) const override {
    run_tile_typed(req, &a, &b, &out, {});
  }

  void check_rtl_limits(const TileRequest& req) const override {
    if (req.gemm.k / spec_.group > kMaxGroups)
      throw UserError(
          "tile k " + std::to_string(req.gemm.k) + " needs more groups than the RTL group counter holds (< 65536)",
          SourceLoc{}, "tile");
  }
};

}  // namespace

TESSERA_REGISTER_RTL_ENGINE("lut", "rtl/src/lut/lut_array.v, Verilated",
                            [](const ParamValues& p) { return std::make_unique<LutRtlEngine>(p); });

}  // namespace tessera
