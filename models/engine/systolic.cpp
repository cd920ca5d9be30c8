// Systolic-array engine: an R x C grid of multiply-accumulate PEs running one GEMM tile per
// call under the os / ws / is dataflows of docs/engines/systolic.md (the contract shared with
// rtl/src/systolic/systolic_array.v). Three views of the same hardware live here:
//   cost()        the closed form, O(1) in the tile size;
//   simulate_pe() a per-cycle model of the PE registers, the operand feeders and the output
//                 path, which counts every action when it happens and derives the cycle split
//                 from observed events;
//   compute()     the functional result only.
#include "models/engine/systolic.h"

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

#include "models/common/int_math.h"
#include "models/engine/booth_compressor.h"
#include "models/engine/i_engine.h"

namespace tessera {

SystolicSpec SystolicSpec::from_params(const ParamValues& p) {
  SystolicSpec s;
  s.rows = p.i("rows");
  s.cols = p.i("cols");
  s.in_bits = static_cast<int>(p.i("in_bits"));
  s.acc_bits = static_cast<int>(p.i("acc_bits"));
  s.dataflow = p.s("dataflow");
  s.scalesim_timing = p.s("timing") == "scalesim";
  s.weight_db = p.s("weight_buffering") == "double";
  s.bitweight = p.s("mac") == "bitweight";
  s.olive_decoder = p.s("decoder") == "olive";
  return s;
}

ActionCounts systolic_decoder_actions(const SystolicSpec& s, const TileRequest& req, const OperandTraffic& t) {
  ActionCounts a;
  if (!s.olive_decoder) return a;
  const auto bits = static_cast<uint64_t>(dtype_bits(DType::olive4));
  uint64_t decoded = 0;
  if (req.a_type == DType::olive4) decoded += t.a_read_bits / bits;
  if (req.b_type == DType::olive4) decoded += t.b_read_bits / bits;
  a.add("decoder", "and2", 4, decoded);
  a.add("decoder", "mux4", 8, decoded);
  return a;
}

// The PE's rows (docs/engines/systolic.md, "mac: bitweight"): one product's Booth rows and
// correction row, then S and Cy fed back. Cy's constant low bits are found by iterating to the
// fixed point (one pass in practice: they do not depend on what is fed back).
BitweightPe bitweight_pe(int in_bits, int acc_bits) {
  BitRow cy(static_cast<size_t>(acc_bits), RowBit::Var);
  cy[0] = RowBit::Zero;
  auto run = [&](const BitRow& fed_back) {
    std::vector<BitRow> rows = booth_product_rows(in_bits, acc_bits, 1);
    rows.push_back(BitRow(static_cast<size_t>(acc_bits), RowBit::Var));  // S
    rows.push_back(fed_back);
    return compress_rows(std::move(rows));
  };
  CompressorCells c = run(cy);
  for (int pass = 0; c.carry != cy; ++pass) {
    if (pass == 4) throw std::logic_error("bitweight_pe: the carry row has no fixed point");
    cy = c.carry;
    c = run(cy);
  }
  BitweightPe pe;
  pe.digits = (in_bits + 1) / 2;
  pe.enc_bits = booth_encoded_bits(in_bits);
  pe.fa = c.fa;
  pe.ha = c.ha;
  for (RowBit b : c.carry) pe.cy_bits += b == RowBit::Var;
  const SelectionCells sel = booth_selection_cells(in_bits, acc_bits), enc = booth_encoder_cells(in_bits);
  pe.pp_and2 = sel.and2;
  pe.pp_xor2 = sel.xor2;
  pe.enc_and2 = enc.and2;
  pe.enc_xor2 = enc.xor2;
  return pe;
}

// One pricing of the array's events for the closed form, the PE model and the RTL adapter.
// An XOR is priced as a 2:1 mux cell (as elsewhere in tessera), a half adder as XOR + AND.
ActionCounts systolic_actions(const SystolicSpec& s, const SystolicCounts& c) {
  ActionCounts a;
  const char* pe = "pe_array";
  if (!s.bitweight) {
    a.add(pe, "int_mul", s.in_bits, c.macs);
    a.add(pe, "int_add", s.acc_bits, c.macs);
    a.add(pe, "reg_write", s.in_bits, c.x_writes + c.y_writes);
    a.add(pe, "reg_write", s.acc_bits, c.macs);
    a.add(pe, "mux", s.acc_bits, c.os_reads);
  } else {
    const BitweightPe b = bitweight_pe(s.in_bits, s.acc_bits);
    // Cells by the count (bits = cells).
    a.add(pe, "and2", b.pp_and2 + b.ha, c.macs);
    a.add(pe, "mux", b.pp_xor2 + b.ha, c.macs);
    a.add(pe, "fa", b.fa, c.macs);
    a.add(pe, "reg_write", b.enc_bits, c.x_writes);
    a.add(pe, "reg_write", s.in_bits, c.y_writes);
    a.add(pe, "reg_write", s.acc_bits, c.macs);
    a.add(pe, "reg_write", b.cy_bits, c.macs);
    a.add(pe, "mux", s.acc_bits + b.cy_bits, c.os_reads);
    a.add(pe, "and2", b.enc_and2, c.encodes);
    a.add(pe, "mux", b.enc_xor2, c.encodes);
    a.add(pe, "int_add", s.acc_bits, c.outputs);  // the column's final add S + Cy
  }
  a.add(pe, "mux", s.in_bits, c.swaps);
  a.add("accumulator", "int_add", s.acc_bits, c.accumulator_adds);
  return a;
}

namespace {

using u64 = uint64_t;
constexpr const char* kArray = "pe_array";
constexpr const char* kAccumulator = "accumulator";
constexpr const char* kController = "controller";
constexpr int kFoldTBits = 16;  // the fold controller's T register: folds of T < 65536

enum class Dataflow { Os, Ws, Is };

Dataflow parse_dataflow(const std::string& d) {
  if (d == "os") return Dataflow::Os;
  if (d == "is") return Dataflow::Is;
  return Dataflow::Ws;
}

// What an acc_bits register holds.
int64_t wrap(u64 v, int bits) { return wrap_to_bits(v, bits); }

// acc + x*y modulo 2^bits. Unsigned arithmetic wraps modulo 2^64, whose low bits are exact.
int64_t mac(int64_t acc, int64_t x, int64_t y, int bits) {
  return wrap(static_cast<u64>(acc) + static_cast<u64>(x) * static_cast<u64>(y), bits);
}

// Spatial rows Sr, spatial columns Sc and temporal extent T of a GEMM under a dataflow.
struct Extent {
  u64 sr, sc, t;
};

Extent extent_of(Dataflow df, const GemmShape& g) {
  const auto m = static_cast<u64>(g.m), n = static_cast<u64>(g.n), k = static_cast<u64>(g.k);
  switch (df) {
    case Dataflow::Os: return {m, n, k};
    case Dataflow::Ws: return {k, n, m};
    case Dataflow::Is: return {k, m, n};
  }
  return {m, n, k};
}

// SCALE-Sim v2 (github scalesim-project/scale-sim-v2, commit 22f88b17f1dd, Feb 2025) cycle
// split of ONE fold. Its compute classes pad every fold to the full R x C array and build an
// OFMAP demand matrix per fold whose row count is the fold's cycles:
//   os  scalesim/compute/systolic_compute_os.py, create_ofmap_demand_mat():
//       (T-1) prefix rows + R output rows, skewed by C-1  ->  T + R + C - 2
//   ws  scalesim/compute/systolic_compute_ws.py, create_ofmap_demand_mat():
//       (2R-1) prefix rows + T output rows, skewed by C-1 ->  2R + C + T - 2
//   is  scalesim/compute/systolic_compute_is.py, create_ofmap_demand_mat(): as ws.
// double_buffered_scratchpad_mem.py, service_memory_requests(), then reports the cycle of the
// last demand row, i.e. (rows of all folds) - 1 when nothing stalls; callers subtract that 1
// once per tile. We split os as fill R+C-2, steady T, drain 0 (its read-out overlaps), and
// ws/is as fill 2R-1, steady T, drain C-1.
CycleSplit scalesim_fold(Dataflow df, u64 R, u64 C, u64 T) {
  if (df == Dataflow::Os) return {R + C - 2, T, 0};
  return {2 * R - 1, T, C - 1};
}

// The one PE design of all three dataflows (the same flip-flops as rtl/src/systolic/systolic_pe.v).
struct Pe {
  int64_t x = 0;    // operand moving right: a (os, ws) or b (is); in_bits
  int64_t y = 0;    // b moving down (os), stationary b (ws) or a (is); in_bits
  int64_t sh = 0;   // weight_buffering: double: shadow of the stationary operand; in_bits
  int64_t acc = 0;  // accumulator (os) or partial sum passed down (ws, is); acc_bits
  bool v = false;   // x holds valid data (last cycle); clear between folds
};

// One fold of a tile: spatial offsets (row r0 of Sr, column c0 of Sc) and used rows/columns.
struct FoldPos {
  int64_t r0, c0, r, c;
};

// Run-time state of one simulate_pe() call: the PE grid, the feeders and the output path.
class PeModel {
 public:
  PeModel(const SystolicSpec& s, Dataflow df, const TileRequest& req, const IntMatrix* a, const IntMatrix* b,
          IntMatrix* out)
      : s_(s), df_(df), a_(a), b_(b), out_(out), data_(a && b && out),
        a_bits_(static_cast<u64>(dtype_bits(req.a_type))), b_bits_(static_cast<u64>(dtype_bits(req.b_type))),
        acc_bits_(static_cast<u64>(s.acc_bits)) {
    ext_ = extent_of(df, req.gemm);
    // Only the PEs a fold can use are allocated; a 4096 x 4096 array need not be.
    used_rows_ = static_cast<int64_t>(std::min<u64>(ext_.sr, static_cast<u64>(s.rows)));
    used_cols_ = static_cast<int64_t>(std::min<u64>(ext_.sc, static_cast<u64>(s.cols)));
    pes_.resize(static_cast<size_t>(used_rows_ * used_cols_));
  }

  TileCost run() {
    const auto R = static_cast<u64>(s_.rows), C = static_cast<u64>(s_.cols);
    std::vector<FoldPos> folds;
    for (u64 r0 = 0; r0 < ext_.sr; r0 += R)  // row folds outer, column folds inner
      for (u64 c0 = 0; c0 < ext_.sc; c0 += C)
        folds.push_back({static_cast<int64_t>(r0), static_cast<int64_t>(c0),
                         static_cast<int64_t>(std::min(R, ext_.sr - r0)), static_cast<int64_t>(std::min(C, ext_.sc - c0))});
    TileCost cost;
    const auto T = static_cast<int64_t>(ext_.t);
    int64_t preloaded = 0;  // stationary rows of this fold loaded during the previous fold
    for (size_t f = 0; f < folds.size(); ++f) {
      const FoldPos& fp = folds[f];
      const FoldPos* next = f + 1 < folds.size() ? &folds[f + 1] : nullptr;  // the tile's first fold has none before it
      const CycleSplit native = df_ == Dataflow::Os ? os_fold(fp.r0, fp.c0, fp.r, fp.c, T)
                                                    : stream_fold(fp, T, preloaded, next, preloaded);
      cost.cycles += s_.scalesim_timing ? scalesim_fold(df_, R, C, ext_.t) : native;
    }
    if (s_.scalesim_timing) cost.cycles.steady -= 1;  // SCALE-Sim reports the last row's index
    cost.macs = n_.macs;
    cost.actions = systolic_actions(s_, n_);
    cost.traffic = traffic_;
    return cost;
  }

 private:
  Pe& pe(int64_t i, int64_t j) { return pes_[static_cast<size_t>(i * used_cols_ + j)]; }

  // The valid bit enters PE(0,0) while the stream lasts, walks down column 0 (one cycle per
  // row: the skew) and then right along each row, as in the RTL.
  bool valid_in(int64_t i, int64_t j, bool source) {
    if (j > 0) return pe(i, j - 1).v;
    return i > 0 ? pe(i - 1, 0).v : source;
  }

  static void write(int64_t& reg, int64_t value, u64& count) {
    reg = value;
    ++count;
  }

  // Output stationary fold of rows m0.., columns n0..: a[m0+i][k] enters row i and
  // b[k][n0+j] column j, skewed so that PE(i,j) sees its k-th operands in cycle k+i+j.
  CycleSplit os_fold(int64_t m0, int64_t n0, int64_t r, int64_t c, int64_t T) {
    int64_t t = 0, first_full = -1, last_mac = -1;
    for (;; ++t) {
      bool any = false;
      // Bottom-right first, so each PE reads its neighbours' registers before they change.
      for (int64_t i = r - 1; i >= 0; --i) {
        for (int64_t j = c - 1; j >= 0; --j) {
          Pe& p = pe(i, j);
          const bool vin = valid_in(i, j, t < T);
          const bool first = !p.v;  // nothing arrived last cycle: this is k = 0
          p.v = vin;
          if (!vin) continue;
          any = true;
          int64_t xin = 0, yin = 0;
          if (j == 0) {  // the feeder drives row i's edge with a[m0+i][t-i]
            traffic_.a_read_bits += a_bits_;
            ++n_.encodes;
            if (data_) xin = a_->at(m0 + i, t - i);
          } else {
            xin = pe(i, j - 1).x;
          }
          if (i == 0) {  // and column j's edge with b[t-j][n0+j]
            traffic_.b_read_bits += b_bits_;
            if (data_) yin = b_->at(t - j, n0 + j);
          } else {
            yin = pe(i - 1, j).y;
          }
          write(p.x, xin, n_.x_writes);
          write(p.y, yin, n_.y_writes);
          p.acc = data_ ? mac(first ? 0 : p.acc, xin, yin, s_.acc_bits) : 0;
          ++n_.macs;
          if (i == r - 1 && j == c - 1 && first_full < 0) first_full = t;
          last_mac = t;
        }
      }
      if (!any) break;  // every operand has passed: this cycle begins the read-out
    }
    // Read-out: in drain cycle d, row d's accumulators leave through the column output muxes.
    for (int64_t d = 0; d < r; ++d) {
      for (int64_t j = 0; j < c; ++j) {
        if (data_) out_->at(m0 + d, n0 + j) = pe(d, j).acc;
        ++n_.os_reads;
        ++n_.outputs;
        traffic_.out_write_bits += acc_bits_;
      }
    }
    const int64_t end = t + r;
    return {static_cast<u64>(first_full), static_cast<u64>(last_mac + 1 - first_full),
            static_cast<u64>(end - (last_mac + 1))};
  }

  // The stationary operand of fold `fp` for PE row i, column j (ws: b[k0+i][n0+j]; is:
  // a[m0+j][k0+i]), read from the scratchpad and latched from the column bus.
  int64_t stationary(const FoldPos& fp, int64_t i, int64_t j) {
    const bool ws = df_ == Dataflow::Ws;
    (ws ? traffic_.b_read_bits : traffic_.a_read_bits) += ws ? b_bits_ : a_bits_;
    if (!data_) return 0;
    return ws ? b_->at(fp.r0 + i, fp.c0 + j) : a_->at(fp.c0 + j, fp.r0 + i);
  }

  // Latches row i of fold fp's stationary operand from the column buses: into the PEs' y
  // registers (single buffering) or their shadows (double buffering).
  void load_row(const FoldPos& fp, int64_t i) {
    for (int64_t j = 0; j < fp.c; ++j) write(s_.weight_db ? pe(i, j).sh : pe(i, j).y, stationary(fp, i, j), n_.y_writes);
  }

  // Weight (ws) or input (is) stationary fold `fp`: reduction rows k0.., columns s0.. (n for
  // ws, m for is). Its stationary rows `preloaded`.. r-1 are loaded one per cycle in cycles
  // 0 .. s-1 (s = r - preloaded; rows before were loaded during the previous fold), then the
  // streamed operand enters row i at cycle s+q+i (q = 0..T-1), moves right, and partial sums
  // move down. Double buffering: loads go to the shadows, each PE's first MAC takes its
  // shadow (and copies it into y: the swap), and once the last column has swapped (cycle
  // s + c - 1) the bus loads `next`'s rows into the shadows, one per cycle, while this fold
  // runs; `loaded_next` returns how many.
  CycleSplit stream_fold(const FoldPos& fp, int64_t T, int64_t preloaded, const FoldPos* next, int64_t& loaded_next) {
    const bool ws = df_ == Dataflow::Ws, db = s_.weight_db;
    const int64_t r = fp.r, c = fp.c, s = r - preloaded;
    int64_t next_rows = 0;
    std::vector<int64_t> emitted(static_cast<size_t>(c), 0);  // per column: index of the next output
    int64_t t = 0, first_out = -1, last_entry = -1;
    for (;; ++t) {
      bool any = false;
      for (int64_t i = r - 1; i >= 0; --i) {
        for (int64_t j = c - 1; j >= 0; --j) {
          Pe& p = pe(i, j);
          const bool vin = valid_in(i, j, t >= s && t - s < T);
          const bool first = !p.v;  // nothing arrived last cycle: the fold's first operand here
          p.v = vin;
          if (!vin) continue;
          any = true;
          int64_t xin = 0;
          if (j == 0) {  // the feeder drives row i's edge with stream element q = t-s-i
            last_entry = t;
            (ws ? traffic_.a_read_bits : traffic_.b_read_bits) += ws ? a_bits_ : b_bits_;
            ++n_.encodes;
            if (data_) xin = ws ? a_->at(t - s - i, fp.r0 + i) : b_->at(fp.r0 + i, t - s - i);
          } else {
            xin = pe(i, j - 1).x;
          }
          write(p.x, xin, n_.x_writes);
          if (db && first) {  // the swap: this MAC takes the shadow, which also goes into y
            write(p.y, p.sh, n_.y_writes);
            ++n_.swaps;
          }
          const int64_t psum_in = i > 0 ? pe(i - 1, j).acc : 0;  // row 0 starts from zero
          p.acc = data_ ? mac(psum_in, xin, p.y, s_.acc_bits) : 0;
          ++n_.macs;
          if (i != r - 1) continue;
          if (first_out < 0) first_out = t;
          emit(fp.r0 == 0, fp.c0 + j, emitted[static_cast<size_t>(j)]++, p.acc);
        }
      }
      if (t >= s && !any) break;  // the array is empty: the fold ended with the previous cycle
      // Bus loads at the end of the cycle (after this cycle's MACs read the shadows).
      if (t < s) {
        load_row(fp, preloaded + t);
      } else if (db && next && t >= s + c - 1 && next_rows < next->r) {
        load_row(*next, next_rows++);
      }
    }
    loaded_next = next_rows;
    return {static_cast<u64>(first_out), static_cast<u64>(last_entry + 1 - first_out),
            static_cast<u64>(t - (last_entry + 1))};
  }

  // A partial sum leaving the bottom of column `col` (n for ws, m for is), the `idx`-th along
  // T. Partial sums of later K folds are read back and added in the accumulator.
  void emit(bool first_row_fold, int64_t col, int64_t idx, int64_t value) {
    traffic_.out_write_bits += acc_bits_;
    ++n_.outputs;
    if (!first_row_fold) {
      traffic_.out_read_bits += acc_bits_;
      ++n_.accumulator_adds;
    }
    if (!data_) return;
    int64_t& o = df_ == Dataflow::Ws ? out_->at(idx, col) : out_->at(col, idx);
    o = first_row_fold ? value : wrap(static_cast<u64>(o) + static_cast<u64>(value), s_.acc_bits);
  }

  const SystolicSpec& s_;
  Dataflow df_;
  const IntMatrix *a_, *b_;
  IntMatrix* out_;
  bool data_;
  u64 a_bits_, b_bits_, acc_bits_;
  Extent ext_{};
  int64_t used_rows_ = 0, used_cols_ = 0;
  std::vector<Pe> pes_;
  SystolicCounts n_;
  OperandTraffic traffic_;
};

// timing: scalesim across the tiles of one operator. SCALE-Sim folds only the array: each
// R x C fold of the layer streams the layer's whole temporal extent T in one pass, padded to the
// full array, and 1 comes off once per layer (docs/engines/scalesim.md). A tile is charged for
// the folds whose origin (a multiple of R along Sr and of C along Sc) it holds: T_tile cycles
// each, plus the fold's fill and drain when the tile starts the temporal extent, less SCALE-Sim's
// 1 on the tile holding the layer's first fold's start. Over any tiling every fold is charged
// once: an operator's cycles are SCALE-Sim's layer count. (A tile holding no fold origin, part
// of a fold split across tiles, takes no cycles of its own.) Reads the origin only through its
// phase against tile_multiple, as the contract allows.
class ScalesimSession final : public DefaultSession {
 public:
  ScalesimSession(const IEngine& e, Dataflow df, u64 rows, u64 cols) : DefaultSession(e), df_(df), R_(rows), C_(cols) {}
  TileCost tile(const TileRequest& req, const TileContext& ctx) override {
    TileCost c = DefaultSession::tile(req, ctx);  // actions and traffic of the tile as it is
    const Extent e = extent_of(df_, req.gemm);
    const auto& o = ctx.origin;  // m0, n0, k0
    const int64_t r0 = df_ == Dataflow::Os ? o[0] : o[2], c0 = df_ == Dataflow::Is ? o[0] : o[1];
    const int64_t t0 = df_ == Dataflow::Os ? o[2] : df_ == Dataflow::Ws ? o[0] : o[1];
    const u64 folds = origins_in(r0, e.sr, R_) * origins_in(c0, e.sc, C_);
    const CycleSplit f = scalesim_fold(df_, R_, C_, e.t);
    const bool starts = t0 == 0;
    c.cycles = {starts ? folds * f.fill : 0, folds * f.steady, starts ? folds * f.drain : 0};
    if (starts && r0 == 0 && c0 == 0) c.cycles.steady -= 1;  // holds fold (0, 0)'s start: folds >= 1
    return c;
  }

 private:
  // Multiples of `m` in [x0, x0 + n): fold origins along one spatial dimension.
  static u64 origins_in(int64_t x0, u64 n, u64 m) {
    const u64 x = static_cast<u64>(x0), first = (x + m - 1) / m * m;
    return first >= x + n ? 0 : (x + n - 1 - first) / m + 1;
  }
  Dataflow df_;
  u64 R_, C_;
};

class SystolicEngine final : public IEngine {
 public:
  explicit SystolicEngine(const ParamValues& p) : s_(SystolicSpec::from_params(p)) {}

  std::string type() const override { return "systolic"; }

  EngineCapabilities declare_capabilities() const override {
    EngineCapabilities c;
    c.work = {WorkKind::Gemm};
    c.dataflows = {s_.dataflow};
    for (const char* d : {"os", "ws", "is"})
      if (d != s_.dataflow) c.dataflows.push_back(d);
    c.a_types = signed_int_dtypes(s_.in_bits);
    if (s_.olive_decoder && s_.in_bits >= dtype_value_bits(DType::olive4)) c.a_types.push_back(DType::olive4);
    c.b_types = c.a_types;
    c.rows = s_.rows;
    c.cols = s_.cols;
    c.peak_ops_per_cycle = static_cast<u64>(s_.rows * s_.cols);
    c.psum_bits = s_.acc_bits;
    // Spatial dimensions per dataflow (docs/engines/systolic.md: Sr on rows, Sc on columns).
    c.tile_multiple = {{"os", {s_.rows, s_.cols, 1}}, {"ws", {1, s_.cols, s_.rows}}, {"is", {s_.cols, 1, s_.rows}}};
    c.acc_types = {NumFormat::int_bits(s_.acc_bits)};  // the PE adders' width, wrapping
    c.timing = TimingDependence::Shape;
    return c;
  }

  // Closed form. Folds are full except the last along each axis, and they tile the Sr x Sc
  // extent, so over all Fr*Fc folds: sum r = Fc*Sr, sum c = Fr*Sc, sum r*c = Sr*Sc.
  TileCost cost(const TileRequest& req) const override {
    TileCost t = array_cost(req);
    t.actions.merge(systolic_decoder_actions(s_, req, t.traffic));
    return t;
  }

  TileCost array_cost(const TileRequest& req) const {
    const Dataflow df = dataflow_of(req);
    const Extent e = extent_of(df, req.gemm);
    const u64 R = static_cast<u64>(s_.rows), C = static_cast<u64>(s_.cols);
    const u64 Fr = ceil_div(e.sr, R), Fc = ceil_div(e.sc, C), F = Fr * Fc;
    const u64 sum_r = Fc * e.sr, sum_c = Fr * e.sc, area = e.sr * e.sc, macs = area * e.t;
    const u64 acc = static_cast<u64>(s_.acc_bits);
    const u64 a_bits = static_cast<u64>(dtype_bits(req.a_type)), b_bits = static_cast<u64>(dtype_bits(req.b_type));

    TileCost t;
    if (s_.scalesim_timing) {
      const CycleSplit f = scalesim_fold(df, R, C, e.t);
      t.cycles = {F * f.fill, F * f.steady - 1, F * f.drain};
    } else if (df == Dataflow::Os) {
      t.cycles = {sum_r + sum_c - 2 * F, F * e.t, sum_r};
    } else if (s_.weight_db) {
      // Double buffering: only the tile's first fold shows its r load cycles. Every later
      // fold's rows load during its predecessor, in the T + r_prev - 1 cycles from the swap
      // of the predecessor's last column to its end (stream_fold); within a tile r <= r_prev
      // (only the last row fold is partial) and T >= 1, so they always fit.
      t.cycles = {std::min(R, e.sr) + sum_r - F, F * e.t, sum_c - F};
    } else {
      t.cycles = {2 * sum_r - F, F * e.t, sum_c - F};
    }
    t.macs = macs;
    // x: the moving operand per MAC, entering each used row once per fold step. y: os, the
    // other pipeline per MAC; ws/is, the stationary load once per PE and fold (plus, double
    // buffered, its copy from the shadow in the PE's first MAC: the swap).
    const bool swaps = s_.weight_db && df != Dataflow::Os;
    SystolicCounts n;
    n.macs = macs;
    n.x_writes = macs;
    n.encodes = sum_r * e.t;
    if (df == Dataflow::Os) {
      n.y_writes = macs;
      n.os_reads = n.outputs = area;
      t.actions = systolic_actions(s_, n);
      t.traffic.a_read_bits = sum_r * e.t * a_bits;
      t.traffic.b_read_bits = sum_c * e.t * b_bits;
      t.traffic.out_write_bits = area * acc;
      return t;
    }
    n.y_writes = (swaps ? 2 : 1) * area;
    n.swaps = swaps ? area : 0;  // the multiplier operand takes the shadow
    n.outputs = sum_c * e.t;
    const u64 later_row_folds = (Fr - 1) * e.sc * e.t;  // partial sums of K folds after the first
    n.accumulator_adds = later_row_folds;
    t.actions = systolic_actions(s_, n);
    const u64 streamed = sum_r * e.t, stationary = area;
    t.traffic.a_read_bits = (df == Dataflow::Ws ? streamed : stationary) * a_bits;
    t.traffic.b_read_bits = (df == Dataflow::Ws ? stationary : streamed) * b_bits;
    t.traffic.out_write_bits = sum_c * e.t * acc;
    t.traffic.out_read_bits = later_row_folds * acc;
    return t;
  }

  std::unique_ptr<IEngineSession> begin_operator(const TileRequest& op) const override {
    if (!s_.scalesim_timing) return IEngine::begin_operator(op);
    return std::make_unique<ScalesimSession>(*this, dataflow_of(op), static_cast<u64>(s_.rows), static_cast<u64>(s_.cols));
  }

  TileCost simulate_pe(const TileRequest& req, const IntMatrix* a, const IntMatrix* b,
                       IntMatrix* out) const override {
    if (a && b && out) *out = IntMatrix(req.gemm.m, req.gemm.n);
    TileCost t = PeModel(s_, dataflow_of(req), req, a, b, out).run();
    t.actions.merge(systolic_decoder_actions(s_, req, t.traffic));
    return t;
  }

  void compute(const TileRequest&, const IntMatrix& a, const IntMatrix& b, IntMatrix& out) const override {
    out = int_gemm_wrapping(a, b, s_.acc_bits);
  }

  // Hardware of rtl/src/systolic/systolic_array.v (flip-flops as docs/rtl.md counts them with yosys;
  // the rest checked against yosys gate counts by tools/area/area_check.py, docs/area.md).
  // Per PE: an in_bits multiplier, an acc_bits adder, two in_bits operand registers (x: the
  // operand moving right; y: the operand moving down or held stationary), one acc_bits
  // accumulator/partial-sum register, one valid flip-flop, two in_bits 2:1 muxes (multiplier
  // operand, y input) and three acc_bits 2:1 muxes: the addend is os ? (v ? acc : 0) : psum
  // (two), and the PE's result towards the output mux is os ? acc : sum (one). Per column:
  // an R:1 output mux of the result and its valid bit (R-1 two-input muxes of acc_bits + 1).
  // C acc_bits adders outside the array add the partial sums of later K folds. The fold
  // controller holds busy and mode bits, r, c, T (kFoldTBits wide, as the RTL's T_BITS) and
  // the in-fold cycle count, and computes three cycle-count-wide sums from T, r and c (last
  // cycle, os drain start, stream end); its compares against the counter are narrow or share
  // those carry chains and are left out (yosys: the controller logic is ~3 such adders).
  std::vector<AreaItem> area_items() const override {
    const auto R = static_cast<u64>(s_.rows), C = static_cast<u64>(s_.cols), n = R * C;
    const int rb = clog2(R + 1), cb = clog2(C + 1), lb = clog2(2 * R + C);
    const int cycle_bits = std::max(kFoldTBits, lb) + 1;  // counts to T + 2R + C - 3
    const u64 db = s_.weight_db ? 1 : 0;
    // weight_buffering: double adds per PE the shadow register and the multiplier-operand mux
    // that selects it in the PE's first MAC; in the controller the next fold's command (valid,
    // mode, r, c, T), the row load counter and the current fold's visible load count s, one
    // more cycle-count-wide sum (L-1 now adds s; the prefetch start s + c - 1 is the fourth)
    // and the rb-wide load counter logic (increment, r - loaded).
    std::vector<AreaItem> items;
    if (s_.bitweight) {
      // mac: bitweight (docs/engines/systolic.md): the PE's selection cells and compressor, x
      // holding the encoded digits, S and Cy for acc; per column the output mux carries S, Cy
      // and valid and one adder forms S + Cy; per row an encoder.
      const BitweightPe b = bitweight_pe(s_.in_bits, s_.acc_bits);
      const auto w = [](int64_t v) { return static_cast<int>(v); };
      items = {{kArray, "and2", w(b.pp_and2 + b.ha), n},
               {kArray, "mux", w(b.pp_xor2 + b.ha), n},
               {kArray, "fa", w(b.fa), n},
               {kArray, "reg", b.enc_bits, n},
               {kArray, "reg", s_.in_bits, (1 + db) * n},
               {kArray, "reg", b.cy_bits, n},
               {kArray, "mux", b.cy_bits, 3 * n},
               {kArray, "mux", s_.acc_bits + b.cy_bits + 1, C * (R - 1)},
               {kArray, "int_add", s_.acc_bits, C},
               {kArray, "and2", w(b.enc_and2), R},
               {kArray, "mux", w(b.enc_xor2), R}};
    } else {
      items = {{kArray, "int_mul", s_.in_bits, n},
               {kArray, "int_add", s_.acc_bits, n},
               {kArray, "reg", s_.in_bits, (2 + db) * n},
               {kArray, "mux", s_.acc_bits + 1, C * (R - 1)}};
    }
    items.insert(items.end(), {{kArray, "reg", s_.acc_bits, n},
                                   {kArray, "reg", 1, n},
                                   {kArray, "mux", s_.in_bits, (2 + db) * n},
                                   {kArray, "mux", s_.acc_bits, 3 * n},
                                   {kAccumulator, "int_add", s_.acc_bits, C},
                                   {kController, "reg", 1, 2 + 2 * db},
                                   {kController, "reg", rb, 1 + 3 * db},
                                   {kController, "reg", cb, 1 + db},
                                   {kController, "reg", kFoldTBits, 1 + db},
                                   {kController, "reg", cycle_bits, 1},
                                   {kController, "int_add", cycle_bits, 3 + 2 * db}});
    if (db) items.push_back({kController, "int_add", rb, 2});
    if (s_.olive_decoder) items.insert(items.end(), {{"decoder", "and2", 4, R + C}, {"decoder", "mux4", 8, R + C}});
    // Logic that constants remove entirely (a 2-bit operand's encoder has no XOR) is no item.
    return without_empty(std::move(items));
  }

  // Everything cost() and simulate_pe() count (docs/engines/systolic.md, "Actions") in any
  // dataflow, plus the default cross-tile combine (accumulator int_add at acc_bits, the same
  // adders that add the partial sums of later K folds).
  std::vector<ActionPrimitive> action_primitives() const override {
    SystolicCounts every;
    every.macs = every.x_writes = every.y_writes = every.os_reads = every.encodes = every.outputs =
        every.accumulator_adds = 1;
    every.swaps = s_.weight_db ? 1 : 0;
    ActionCounts all = systolic_actions(s_, every);
    TileRequest olive;
    olive.a_type = DType::olive4;
    all.merge(systolic_decoder_actions(s_, olive, OperandTraffic{4, 0, 0, 0}));
    return with_default_combine(all);
  }

 protected:
  // The typed functional model: the numerics reference GEMM under the PE adders' rule (exact
  // products, sums wrapping at acc_bits); bit-exact equal to compute() on IntMatrix.
  void compute_typed(const TileRequest& req, const TypedMatrix& a, const TypedMatrix& b,
                     TypedMatrix& out) const override {
    reference_gemm_typed(req, a, b, out);
  }

 private:
  Dataflow dataflow_of(const TileRequest& req) const {
    return parse_dataflow(req.dataflow.empty() ? s_.dataflow : req.dataflow);
  }

  SystolicSpec s_;
};

std::vector<ParamDecl> systolic_params() {
  return {
      ParamDecl::integer("rows", "PEs", "128", 1, 4096, "PE rows R (spatial M for os, K for ws and is)"),
      ParamDecl::integer("cols", "PEs", "128", 1, 4096, "PE columns C (spatial N for os and ws, M for is)"),
      ParamDecl::integer("in_bits", "bits", "8", 1, 16,
                         "multiplier operand width; int operands of up to this width and ternary are accepted"),
      ParamDecl::integer("acc_bits", "bits", "32", 8, 64, "accumulator width; sums wrap modulo 2^acc_bits"),
      ParamDecl::choice("dataflow", {"os", "ws", "is"}, "ws",
                        "default dataflow: output, weight or input stationary (a mapping may pick another)"),
      ParamDecl::choice("timing", {"native", "scalesim"}, "native",
                        "cycle count: this array's exact timing, or SCALE-Sim v2's compute cycles"),
      ParamDecl::choice("weight_buffering", {"single", "double"}, "single",
                        "stationary operand (ws weights, is inputs): loaded before each fold, or double-buffered "
                        "(a shadow register per PE loads the next fold's while the current one runs)"),
      ParamDecl::choice("mac", {"plain", "bitweight"}, "plain",
                        "PE arithmetic: multiplier and adder, or Booth-encoded partial products summed by bit "
                        "weight into a carry-save accumulator with one final add per output (HPCA'25 OPT1 / "
                        "EN-T); same cycles and outputs"),
      ParamDecl::choice("decoder", {"none", "olive"}, "none",
                        "olive: OliVe outlier-victim pair decoders at the array's edges (one per row and column), "
                        "so olive4 operands (4 bits stored, int8 values) run when in_bits >= 8"),
  };
}

}  // namespace

TESSERA_REGISTER_ENGINE("systolic", "R x C systolic array of integer MAC PEs, os/ws/is dataflows", systolic_params,
                        [](const ParamValues& p) { return std::make_unique<SystolicEngine>(p); });

}  // namespace tessera
