// Bit-serial engine: an R x C grid of serial inner-product units (SIPs), output stationary.
// SIP (i, j) accumulates out[m0+i][n0+j]. A fold's k runs in groups of `lanes` elements; a group
// takes S cycles, one per serial step: S = steps(a) with weights parallel (Stripes), or
// steps(a) * steps(b) with both operands serial (Loom; b's slice outer, a's inner). Each cycle
// every lane multiplies a (bits_per_step + 1)-bit signed slice of its activation by its weight
// (or by a slice of it), an adder tree sums the lanes, a barrel shifter moves the sum to the
// slices' bit weight, and the accumulator adds it, wrapping at acc_bits. After a fold's last
// cycle the accumulators go to result registers, read out one row per cycle through each
// column's output mux while the next fold computes; a fold whose last cycle would come before
// the previous read-out's last row holds that cycle until it does. docs/engines/bitserial.md is the contract,
// shared with rtl/src/bitserial. Three views of it here, as for the systolic array:
//   cost()        the closed form;
//   simulate_pe() per cycle: operand registers, slices, lanes, tree, shifter, accumulators,
//                 read-out, each action counted when it happens;
//   compute()     the functional result only.
#include "models/engine/bitserial.h"

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

#include "models/common/int_math.h"
#include "models/engine/i_engine.h"

namespace tessera {

namespace {

using u64 = uint64_t;

}  // namespace

BitserialSpec BitserialSpec::from_params(const ParamValues& p) {
  BitserialSpec s;
  s.rows = p.i("rows");
  s.cols = p.i("cols");
  s.lanes = p.i("lanes");
  s.both_serial = p.s("serial") == "both";
  s.bits_per_step = static_cast<int>(p.i("bits_per_step"));
  s.max_bits = static_cast<int>(p.i("max_bits"));
  s.acc_bits = static_cast<int>(p.i("acc_bits"));
  return s;
}

int BitserialSpec::tree_bits() const { return product_bits() + clog2(static_cast<u64>(lanes)); }

std::vector<std::pair<int, int>> BitserialSpec::tree_adders() const {
  // Signed values are sign-extended into each level's adder: it works on all product_bits() + l
  // bits. Unsigned ones (a popcount) are zero-extended: the top bit is the carry-out of an adder
  // of the inputs' product_bits() + l - 1 bits.
  const int unsigned_carry = one_bit_lanes() && both_serial ? 1 : 0;
  std::vector<std::pair<int, int>> v;
  for (int64_t n = lanes, level = 1; n > 1; n = (n + 1) / 2, ++level)
    v.emplace_back(product_bits() + static_cast<int>(level) - unsigned_carry, static_cast<int>(n / 2));
  return v;
}

int BitserialSpec::shift_positions() const {
  const int s = steps(max_bits);
  return both_serial ? 2 * s - 1 : s;
}

int BitserialSpec::shifter_levels() const { return clog2(static_cast<u64>(shift_positions())); }

int BitserialSpec::shifter_mux_bits() const {
  int w = std::min(acc_bits, sum_bits()), muxes = 0;
  for (int b = 0; b < shifter_levels(); ++b) {
    const int shift = bits_per_step << b, top = std::min(acc_bits, w + shift);
    muxes += std::max(0, top - shift);
    w = top;
  }
  return muxes;
}

int64_t BitserialSpec::slice(int64_t v, int bits, int j) const {
  const int b = bits_per_step;
  const u64 field = (static_cast<u64>(v) >> (j * b)) & ((u64{1} << b) - 1);  // v is sign-extended: high bits copy the sign
  if (j != steps(bits) - 1) return static_cast<int64_t>(field);
  return wrap_to_bits(field, b);  // the top slice is a signed b-bit number
}

namespace {

constexpr const char* kArray = "sip_array";
constexpr const char* kOperands = "operand_regs";
constexpr const char* kReadout = "readout";
constexpr const char* kController = "controller";
constexpr int kGroupBits = 16;  // the controller's group count and counter (rtl G_BITS: G < 65536)

// Everything one tile shape and format pair fixes.
struct TileGeom {
  u64 m, n, k, R, C, L, G, Sa, Sb, S, X, Fr, Fc, rr;
};

TileGeom geom(const BitserialSpec& s, const TileRequest& req) {
  TileGeom t{};
  t.m = static_cast<u64>(req.gemm.m);
  t.n = static_cast<u64>(req.gemm.n);
  t.k = static_cast<u64>(req.gemm.k);
  t.R = static_cast<u64>(s.rows);
  t.C = static_cast<u64>(s.cols);
  t.L = static_cast<u64>(s.lanes);
  t.G = ceil_div(t.k, t.L);
  t.Sa = static_cast<u64>(s.steps(req.a_type));
  t.Sb = s.both_serial ? static_cast<u64>(s.steps(req.b_type)) : 1;
  t.S = t.Sa * t.Sb;
  t.X = t.G * t.S;
  t.Fr = ceil_div(t.m, t.R);
  t.Fc = ceil_div(t.n, t.C);
  t.rr = t.m - (t.Fr - 1) * t.R;
  return t;
}

// Run-time state of one simulate_pe() call.
class PeModel {
 public:
  PeModel(const BitserialSpec& s, const TileRequest& req, const IntMatrix* a, const IntMatrix* b, IntMatrix* out)
      : s_(s), g_(geom(s, req)), a_(a), b_(b), out_(out), data_(a && b && out),
        a_bits_(dtype_bits(req.a_type)), b_bits_(dtype_bits(req.b_type)) {
    const u64 r = std::min(g_.m, g_.R), c = std::min(g_.n, g_.C);
    acc_.assign(r * c, 0);
    result_.assign(r * c, 0);
    row_reg_.assign(r * g_.L, 0);
    col_reg_.assign(c * g_.L, 0);
  }

  TileCost run() {
    struct Fold {
      u64 m0, n0, r, c;
    };
    u64 stall = 0, compute = 0, drain = 0;
    for (u64 m0 = 0; m0 < g_.m; m0 += g_.R)  // row folds outer, column folds inner
      for (u64 n0 = 0; n0 < g_.n; n0 += g_.C) {
        const Fold f{m0, n0, std::min(g_.R, g_.m - m0), std::min(g_.C, g_.n - n0)};
        for (u64 t = 0; t < g_.X; ++t) {
          // The last cycle copies into the result registers: it waits (holds) until the
          // previous fold's read-out takes its last row.
          while (t == g_.X - 1 && readout_left_ > 1) {
            readout_cycle();
            ++stall;
          }
          compute_cycle(f.m0, f.n0, f.r, f.c, t);
          readout_cycle();  // the previous fold's rows, in parallel
          ++compute;
        }
        if (readout_left_ != 0) throw std::logic_error("bitserial: result registers overwritten during read-out");
        // The edge ending the fold's last cycle: accumulators into the result registers.
        std::copy(acc_.begin(), acc_.end(), result_.begin());
        cost_.actions.add(kReadout, "reg_write", s_.acc_bits, f.r * f.c);
        ro_ = {f.m0, f.n0, f.r, f.c};
        readout_left_ = f.r;
      }
    while (readout_left_ > 0) {
      readout_cycle();
      ++drain;
    }
    cost_.cycles = {stall, compute, drain};
    return cost_;
  }

 private:
  int64_t& acc(u64 i, u64 j) { return acc_[i * std::min(g_.n, g_.C) + j]; }

  // Cycle t of a fold's compute: group t / S, step t % S.
  void compute_cycle(u64 m0, u64 n0, u64 r, u64 c, u64 t) {
    const u64 grp = t / g_.S, step = t % g_.S, k0 = grp * g_.L;
    const u64 kv = std::min(g_.L, g_.k - k0);  // valid lanes of this group
    const int ja = static_cast<int>(step % g_.Sa), jb = static_cast<int>(step / g_.Sa);
    if (step == 0) load_operands(m0, n0, r, c, k0, kv);
    const int mux_in = s_.steps(s_.max_bits);
    if (mux_in > 1) {
      cost_.actions.add(kOperands, s_.slice_mux_primitive(), s_.bits_per_step, r * kv);
      if (s_.both_serial) cost_.actions.add(kOperands, s_.slice_mux_primitive(), s_.bits_per_step, c * kv);
    }
    const int shift = (ja + jb) * s_.bits_per_step;
    for (u64 i = 0; i < r; ++i)
      for (u64 j = 0; j < c; ++j) {
        int64_t sum = 0;  // the adder tree: exact within tree_bits()
        for (u64 l = 0; l < kv; ++l) {
          const int64_t x = s_.slice(row_reg_[i * g_.L + l], a_bits_, ja);
          const int64_t w = col_reg_[j * g_.L + l];
          sum += x * (s_.both_serial ? s_.slice(w, b_bits_, jb) : w);
        }
        if (step == 0) cost_.macs += kv;  // a MAC per valid lane and group, over its S steps
        const u64 shifted = static_cast<u64>(sum) << shift;
        int64_t& a = acc(i, j);
        a = wrap_to_bits((grp == 0 && step == 0 ? 0 : static_cast<u64>(a)) + shifted, s_.acc_bits);
      }
    const u64 sips = r * c;
    cost_.actions.add(kArray, s_.lane_mul_primitive(), s_.lane_mul_bits(), sips * kv);
    for (const auto& [bits, adders] : s_.tree_adders())
      cost_.actions.add(kArray, "int_add", bits, sips * static_cast<u64>(adders));
    if (s_.shifter_mux_bits() > 0) cost_.actions.add(kArray, "mux", s_.shifter_mux_bits(), sips);
    if (s_.negate_bits() > 0) cost_.actions.add(kArray, "mux", s_.negate_bits(), sips);
    cost_.actions.add(kArray, "int_add", s_.acc_bits, sips);
    cost_.actions.add(kArray, "reg_write", s_.acc_bits, sips);
  }

  // A group's operands into the row and column registers (valid lanes only; the others hold).
  void load_operands(u64 m0, u64 n0, u64 r, u64 c, u64 k0, u64 kv) {
    for (u64 i = 0; i < r; ++i)
      for (u64 l = 0; l < kv; ++l) row_reg_[i * g_.L + l] = data_ ? a_->at(m0 + i, k0 + l) : 0;
    for (u64 j = 0; j < c; ++j)
      for (u64 l = 0; l < kv; ++l) col_reg_[j * g_.L + l] = data_ ? b_->at(k0 + l, n0 + j) : 0;
    cost_.actions.add(kOperands, "reg_write", s_.max_bits, (r + c) * kv);
    cost_.traffic.a_read_bits += r * kv * static_cast<u64>(a_bits_);
    cost_.traffic.b_read_bits += c * kv * static_cast<u64>(b_bits_);
  }

  // One read-out cycle: the next row of the result registers through the column muxes.
  void readout_cycle() {
    if (readout_left_ == 0) return;
    const u64 row = ro_.r - readout_left_;
    for (u64 j = 0; j < ro_.c; ++j)
      if (data_) out_->at(static_cast<int64_t>(ro_.m0 + row), static_cast<int64_t>(ro_.n0 + j)) =
                     result_[row * std::min(g_.n, g_.C) + j];
    cost_.actions.add(kReadout, "mux", s_.acc_bits, ro_.c);
    cost_.traffic.out_write_bits += ro_.c * static_cast<u64>(s_.acc_bits);
    --readout_left_;
  }

  const BitserialSpec& s_;
  const TileGeom g_;
  const IntMatrix *a_, *b_;
  IntMatrix* out_;
  bool data_;
  int a_bits_, b_bits_;
  std::vector<int64_t> acc_, result_, row_reg_, col_reg_;
  struct {
    u64 m0 = 0, n0 = 0, r = 0, c = 0;
  } ro_;  // the fold being read out
  u64 readout_left_ = 0;
  TileCost cost_;
};

class BitserialEngine final : public IEngine {
 public:
  explicit BitserialEngine(const ParamValues& p) : s_(BitserialSpec::from_params(p)) {}

  std::string type() const override { return "bitserial"; }

  EngineCapabilities declare_capabilities() const override {
    EngineCapabilities c;
    c.work = {WorkKind::Gemm};
    c.dataflows = {"os"};
    c.a_types = signed_int_dtypes(s_.max_bits);
    c.b_types = c.a_types;
    c.rows = s_.rows;
    c.cols = s_.cols;
    // At best (1-bit operands or bits_per_step as wide as both) a group takes one cycle.
    c.peak_ops_per_cycle = static_cast<u64>(s_.rows * s_.cols * s_.lanes);
    c.psum_bits = s_.acc_bits;
    c.tile_multiple = {{"os", {s_.rows, s_.cols, s_.lanes}}};
    c.acc_types = {NumFormat::int_bits(s_.acc_bits)};
    c.timing = TimingDependence::Shape;
    return c;
  }

  // Closed form. Folds tile the m x n extent (row folds outer): over all Fr*Fc folds,
  // sum r = Fc*m, sum c = Fr*n, sum r*c = m*n. Every fold computes X = G*S cycles; fold f+1
  // holds its last cycle max(0, r_f - X) cycles for the read-out of fold f (r_f = R but in
  // the last row fold); the last fold's rr rows are the drain.
  TileCost cost(const TileRequest& req) const override {
    const TileGeom g = geom(s_, req);
    const u64 F = g.Fr * g.Fc, sum_r = g.Fc * g.m, sum_c = g.Fr * g.n, area = g.m * g.n;
    auto over = [](u64 r, u64 x) { return r > x ? r - x : 0; };
    TileCost t;
    t.cycles = {(g.Fr - 1) * g.Fc * over(g.R, g.X) + (g.Fc - 1) * over(g.rr, g.X), F * g.X, g.rr};
    t.macs = area * g.k;
    const u64 sip_cycles = area * g.X;
    t.actions.add(kArray, s_.lane_mul_primitive(), s_.lane_mul_bits(), t.macs * g.S);  // lane-steps
    for (const auto& [bits, adders] : s_.tree_adders())
      t.actions.add(kArray, "int_add", bits, sip_cycles * static_cast<u64>(adders));
    if (s_.shifter_mux_bits() > 0) t.actions.add(kArray, "mux", s_.shifter_mux_bits(), sip_cycles);
    if (s_.negate_bits() > 0) t.actions.add(kArray, "mux", s_.negate_bits(), sip_cycles);
    t.actions.add(kArray, "int_add", s_.acc_bits, sip_cycles);
    t.actions.add(kArray, "reg_write", s_.acc_bits, sip_cycles);
    t.actions.add(kOperands, "reg_write", s_.max_bits, (sum_r + sum_c) * g.k);
    const int mux_in = s_.steps(s_.max_bits);
    if (mux_in > 1)
      t.actions.add(kOperands, s_.slice_mux_primitive(), s_.bits_per_step,
                    (sum_r + (s_.both_serial ? sum_c : 0)) * g.k * g.S);
    t.actions.add(kReadout, "reg_write", s_.acc_bits, area);
    t.actions.add(kReadout, "mux", s_.acc_bits, area);
    t.traffic.a_read_bits = sum_r * g.k * static_cast<u64>(dtype_bits(req.a_type));
    t.traffic.b_read_bits = sum_c * g.k * static_cast<u64>(dtype_bits(req.b_type));
    t.traffic.out_write_bits = area * static_cast<u64>(s_.acc_bits);
    return t;
  }

  TileCost simulate_pe(const TileRequest& req, const IntMatrix* a, const IntMatrix* b, IntMatrix* out) const override {
    if (a && b && out) *out = IntMatrix(req.gemm.m, req.gemm.n);
    return PeModel(s_, req, a, b, out).run();
  }

  void compute(const TileRequest&, const IntMatrix& a, const IntMatrix& b, IntMatrix& out) const override {
    out = int_gemm_wrapping(a, b, s_.acc_bits);
  }

  // Hardware of rtl/src/bitserial (docs/engines/bitserial.md, "Area"). Per SIP: `lanes` lane
  // multipliers (one bit per step: AND gates), the adder tree's lanes - 1 adders (level l at
  // product_bits() + l), the barrel shifter's 2:1 muxes (shifter_mux_bits), one bit per step the
  // accumulator's conditional complement (negate_bits), the accumulator adder and register, the
  // result register. Per row the
  // activation register (lanes x max_bits) and its slice muxes; per column the weight register
  // and, both serial, its slice muxes. Per column an R:1 read-out mux. The controller below.
  std::vector<AreaItem> area_items() const override {
    const auto R = static_cast<u64>(s_.rows), C = static_cast<u64>(s_.cols), L = static_cast<u64>(s_.lanes);
    const u64 sips = R * C;
    const int mux_in = s_.steps(s_.max_bits);
    std::vector<AreaItem> v = {{kArray, s_.lane_mul_primitive(), s_.lane_mul_bits(), sips * L}};
    for (const auto& [bits, adders] : s_.tree_adders())
      v.push_back({kArray, "int_add", bits, sips * static_cast<u64>(adders)});
    if (s_.shifter_mux_bits() > 0) v.push_back({kArray, "mux", s_.shifter_mux_bits(), sips});
    if (s_.negate_bits() > 0) v.push_back({kArray, "mux", s_.negate_bits(), sips});
    v.push_back({kArray, "int_add", s_.acc_bits, sips});
    v.push_back({kArray, "reg", s_.acc_bits, sips});
    v.push_back({kOperands, "reg", s_.max_bits, (R + C) * L});
    if (mux_in > 1)
      v.push_back({kOperands, s_.slice_mux_primitive(), s_.bits_per_step, (R + (s_.both_serial ? C : 0)) * L});
    v.push_back({kReadout, "reg", s_.acc_bits, sips});
    if (R > 1) v.push_back({kReadout, "mux", s_.acc_bits, C * (R - 1)});
    // Controller flip-flops as rtl/src/bitserial/bitserial_array.v has them: busy and read-out
    // flags; r, read-out r and read-out row; c and read-out c; G and the group counter; the
    // last group's lanes; Sa, Sb and the two step counters. Its logic: the group counter's
    // increment and G - 1 with two equality compares (last group, next group is last); the
    // step counters' increments, Sa - 1 and Sb - 1 with their two compares; the read-out row's
    // increment and two compares (more rows left, last row).
    const int rb = clog2(R + 1), cb = clog2(C + 1), lb = clog2(L + 1), sw = clog2(static_cast<u64>(mux_in) + 1);
    v.push_back({kController, "reg", 1, 2});
    v.push_back({kController, "reg", rb, 3});
    v.push_back({kController, "reg", cb, 2});
    v.push_back({kController, "reg", kGroupBits, 2});
    v.push_back({kController, "reg", lb, 1});
    v.push_back({kController, "reg", sw, 4});
    v.push_back({kController, "int_add", kGroupBits, 2});
    v.push_back({kController, "int_compare", kGroupBits, 2});
    v.push_back({kController, "int_add", sw, 4});
    v.push_back({kController, "int_compare", sw, 2});
    v.push_back({kController, "int_add", rb, 1});
    v.push_back({kController, "int_compare", rb, 2});
    return v;
  }

  std::vector<ActionPrimitive> action_primitives() const override {
    std::vector<ActionPrimitive> v = {{kArray, s_.lane_mul_primitive(), s_.lane_mul_bits()},
                                      {kArray, "int_add", s_.acc_bits},
                                      {kArray, "reg_write", s_.acc_bits},
                                      {kOperands, "reg_write", s_.max_bits},
                                      {kReadout, "reg_write", s_.acc_bits},
                                      {kReadout, "mux", s_.acc_bits}};
    for (const auto& [bits, adders] : s_.tree_adders())
      if (std::find(v.begin(), v.end(), ActionPrimitive{kArray, "int_add", bits}) == v.end())
        v.push_back({kArray, "int_add", bits});
    if (s_.shifter_mux_bits() > 0) v.push_back({kArray, "mux", s_.shifter_mux_bits()});
    if (s_.negate_bits() > 0 && std::find(v.begin(), v.end(), ActionPrimitive{kArray, "mux", s_.negate_bits()}) == v.end())
      v.push_back({kArray, "mux", s_.negate_bits()});
    if (s_.steps(s_.max_bits) > 1) v.push_back({kOperands, s_.slice_mux_primitive(), s_.bits_per_step});
    return with_default_combine(std::move(v));
  }

 protected:
  void compute_typed(const TileRequest& req, const TypedMatrix& a, const TypedMatrix& b,
                     TypedMatrix& out) const override {
    reference_gemm_typed(req, a, b, out);
  }

 private:
  BitserialSpec s_;
};

std::vector<ParamDecl> bitserial_params() {
  return {
      ParamDecl::integer("rows", "SIPs", "16", 1, 1024, "SIP rows R: output rows (m) computed at once"),
      ParamDecl::integer("cols", "SIPs", "16", 1, 1024, "SIP columns C: output columns (n) computed at once"),
      ParamDecl::integer("lanes", "elements", "16", 1, 64, "k elements per SIP and serial group (adder tree inputs)"),
      ParamDecl::choice("serial", {"activations", "both"}, "activations",
                        "which operands go bit-serially: activations only (Stripes) or both (Loom)"),
      ParamDecl::integer("bits_per_step", "bits", "1", 1, 4, "serial operand bits taken per cycle"),
      ParamDecl::integer("max_bits", "bits", "8", 1, 16, "widest operand held; int formats up to it and ternary run"),
      ParamDecl::integer("acc_bits", "bits", "32", 8, 64, "accumulator width; sums wrap modulo 2^acc_bits"),
  };
}

}  // namespace

TESSERA_REGISTER_ENGINE("bitserial", "R x C bit-serial inner-product units (Stripes / Loom), cycles scale with operand bits",
                        bitserial_params, [](const ParamValues& p) { return std::make_unique<BitserialEngine>(p); });

}  // namespace tessera
