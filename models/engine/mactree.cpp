// Multiplier-adder tree engine: L lanes of W-input dot-product units, weights stationary,
// activations broadcast (docs/engines/mactree.md). Three views of the same hardware:
//   cost()        the closed form;
//   simulate_pe() a per-cycle model of the weight bus, the activation register and the lanes'
//                 result registers, counting events as they happen and deriving the cycle
//                 split from them;
//   compute()     the functional result.
// mac: plain | bitweight are twins: same cycles, traffic and outputs; actions and area differ.
#include "models/engine/mactree.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "models/common/int_math.h"
#include "models/engine/booth_compressor.h"

namespace tessera {

MactreeSpec MactreeSpec::from_params(const ParamValues& p) {
  MactreeSpec s;
  s.lanes = p.i("lanes");
  s.width = p.i("width");
  s.in_bits = static_cast<int>(p.i("in_bits"));
  s.acc_bits = static_cast<int>(p.i("acc_bits"));
  s.bitweight = p.s("mac") == "bitweight";
  return s;
}

MactreeLane mactree_lane(const MactreeSpec& s) {
  MactreeLane lane;
  // Above these bits a sum is a copy of its sign: both arithmetics work modulo 2^sum_bits and
  // sign-extend (exact, since the sum fits), and the result register keeps only them (synthesis
  // merges the sign copies).
  lane.sum_bits = std::min(s.acc_bits, 2 * s.in_bits + clog2(static_cast<uint64_t>(s.width)));
  if (!s.bitweight) {
    // Pairs added level by level, an odd one passing up; level j's sums are 2 in_bits + j wide.
    for (int64_t n = s.width, level = 1; n > 1; n = (n + 1) / 2, ++level)
      lane.tree_adder_bits.insert(lane.tree_adder_bits.end(), static_cast<size_t>(n / 2),
                                  std::min<int>(s.acc_bits, 2 * s.in_bits + static_cast<int>(level)));
    return lane;
  }
  // Every input's Booth rows and correction row, all the constants in input 0's.
  std::vector<BitRow> rows;
  for (int64_t t = 0; t < s.width; ++t) {
    auto r = booth_product_rows(s.in_bits, lane.sum_bits, t == 0 ? static_cast<uint64_t>(s.width) : 0);
    rows.insert(rows.end(), r.begin(), r.end());
  }
  const CompressorCells c = compress_rows(std::move(rows));
  lane.fa = c.fa;
  lane.ha = c.ha;
  const SelectionCells sel = booth_selection_cells(s.in_bits, lane.sum_bits), enc = booth_encoder_cells(s.in_bits);
  lane.sel_and2 = sel.and2;
  lane.sel_xor2 = sel.xor2;
  lane.enc_and2 = enc.and2;
  lane.enc_xor2 = enc.xor2;
  lane.enc_bits = booth_encoded_bits(s.in_bits);
  return lane;
}

namespace {

using u64 = uint64_t;
constexpr const char* kLanes = "lanes";
constexpr const char* kAccumulator = "accumulator";
constexpr const char* kController = "controller";
constexpr int kRowsBits = 16;  // the fold controller's M register: folds of M < 65536

}  // namespace

// One pricing of the engine's events. An XOR is priced as a 2:1 mux cell, a half adder as an
// XOR and an AND (as for the systolic bit-weight PE).
ActionCounts mactree_actions(const MactreeSpec& s, const MactreeCounts& c) {
  const MactreeLane lane = mactree_lane(s);
  ActionCounts a;
  if (!s.bitweight) {
    a.add(kLanes, "int_mul", s.in_bits, c.products);
    for (int bits : lane.tree_adder_bits) a.add(kLanes, "int_add", bits, c.results);
    a.add(kLanes, "reg_write", s.in_bits, c.act_writes);
  } else {
    // Cells by the count (bits = cells).
    a.add(kLanes, "and2", lane.sel_and2, c.products);
    a.add(kLanes, "mux", lane.sel_xor2, c.products);
    a.add(kLanes, "fa", lane.fa, c.results);
    a.add(kLanes, "and2", lane.ha, c.results);
    a.add(kLanes, "mux", lane.ha, c.results);
    a.add(kLanes, "int_add", lane.sum_bits, c.results);  // the final add
    a.add(kLanes, "reg_write", lane.enc_bits, c.act_writes);
    a.add(kLanes, "and2", lane.enc_and2, c.act_writes);  // the encoders
    a.add(kLanes, "mux", lane.enc_xor2, c.act_writes);
  }
  a.add(kLanes, "reg_write", lane.sum_bits, c.results);
  a.add(kLanes, "reg_write", s.in_bits, c.weight_writes);
  a.add(kAccumulator, "int_add", s.acc_bits, c.accumulator_adds);
  return a;
}

namespace {

// Wrapping arithmetic of an acc_bits register.
int64_t wrap_add(int64_t x, int64_t y, int bits) {
  return wrap_to_bits(static_cast<u64>(x) + static_cast<u64>(y), bits);
}

struct Fold {
  int64_t k0, n0, k, l;
};

std::vector<Fold> folds_of(const MactreeSpec& s, const GemmShape& g) {
  std::vector<Fold> f;
  for (int64_t k0 = 0; k0 < g.k; k0 += s.width)  // k folds outer, n folds inner
    for (int64_t n0 = 0; n0 < g.n; n0 += s.lanes)
      f.push_back({k0, n0, std::min(s.width, g.k - k0), std::min(s.lanes, g.n - n0)});
  return f;
}

// Per-cycle model of one tile.
class PeModel {
 public:
  PeModel(const MactreeSpec& s, const TileRequest& req, const IntMatrix* a, const IntMatrix* b, IntMatrix* out)
      : s_(s), g_(req.gemm), a_(a), b_(b), out_(out), data_(a && b && out),
        a_bits_(static_cast<u64>(dtype_bits(req.a_type))), b_bits_(static_cast<u64>(dtype_bits(req.b_type))) {}

  TileCost run() {
    TileCost cost;
    weights_.assign(static_cast<size_t>(s_.width * s_.lanes), 0);
    for (const Fold& f : folds_of(s_, g_)) cost.cycles += fold(f);
    cost.macs = n_.products;
    cost.actions = mactree_actions(s_, n_);
    cost.traffic = traffic_;
    return cost;
  }

 private:
  // Cycle t: the weight bus loads input t (t < k); from cycle k the activation register latches
  // row t - k; in every cycle the lanes turn what the activation register held into results.
  CycleSplit fold(const Fold& f) {
    const int64_t M = g_.m;
    bool act_valid = false;
    int64_t act_row = -1;
    std::vector<int64_t> act(static_cast<size_t>(f.k), 0);
    int64_t t = 0, first_stream = -1, last_stream = -1;
    for (;; ++t) {
      const bool streaming = t >= f.k && t - f.k < M;
      if (!act_valid && !streaming && t >= f.k) break;  // nothing held, nothing coming: done
      if (act_valid) results(f, act_row, act);          // this cycle's results, from the register
      act_valid = false;
      if (t < f.k) {
        for (int64_t j = 0; j < f.l; ++j) {
          weights_[static_cast<size_t>(t * s_.lanes + j)] = data_ ? b_->at(f.k0 + t, f.n0 + j) : 0;
          ++n_.weight_writes;
          traffic_.b_read_bits += b_bits_;
        }
      } else if (streaming) {
        act_row = t - f.k;
        for (int64_t i = 0; i < f.k; ++i) {
          act[static_cast<size_t>(i)] = data_ ? a_->at(act_row, f.k0 + i) : 0;
          ++n_.act_writes;
          traffic_.a_read_bits += a_bits_;
        }
        act_valid = true;
        if (first_stream < 0) first_stream = t;
        last_stream = t;
      }
    }
    return {static_cast<u64>(first_stream), static_cast<u64>(last_stream + 1 - first_stream),
            static_cast<u64>(t - (last_stream + 1))};
  }

  void results(const Fold& f, int64_t m, const std::vector<int64_t>& act) {
    for (int64_t j = 0; j < f.l; ++j) {
      int64_t sum = 0;
      for (int64_t i = 0; i < f.k; ++i) {
        if (data_)
          sum = wrap_add(sum, wrap_to_bits(static_cast<u64>(act[static_cast<size_t>(i)]) *
                                               static_cast<u64>(weights_[static_cast<size_t>(i * s_.lanes + j)]),
                                           s_.acc_bits),
                         s_.acc_bits);
        ++n_.products;
      }
      ++n_.results;
      traffic_.out_write_bits += static_cast<u64>(s_.acc_bits);
      const bool first_k_fold = f.k0 == 0;
      if (!first_k_fold) {
        traffic_.out_read_bits += static_cast<u64>(s_.acc_bits);
        ++n_.accumulator_adds;
      }
      if (!data_) continue;
      int64_t& o = out_->at(m, f.n0 + j);
      o = first_k_fold ? sum : wrap_add(o, sum, s_.acc_bits);
    }
  }

  const MactreeSpec& s_;
  GemmShape g_;
  const IntMatrix *a_, *b_;
  IntMatrix* out_;
  bool data_;
  u64 a_bits_, b_bits_;
  std::vector<int64_t> weights_;  // input i of lane j at i * lanes + j
  MactreeCounts n_;
  OperandTraffic traffic_;
};

class MactreeEngine final : public IEngine {
 public:
  explicit MactreeEngine(const ParamValues& p) : s_(MactreeSpec::from_params(p)) {}

  std::string type() const override { return "mactree"; }

  EngineCapabilities declare_capabilities() const override {
    EngineCapabilities c;
    c.work = {WorkKind::Gemm};
    c.dataflows = {"ws"};
    c.a_types = signed_int_dtypes(s_.in_bits);
    c.b_types = c.a_types;
    c.rows = s_.width;
    c.cols = s_.lanes;
    c.peak_ops_per_cycle = static_cast<u64>(s_.width * s_.lanes);
    c.psum_bits = s_.acc_bits;
    c.tile_multiple = {{"ws", {1, s_.lanes, s_.width}}};
    c.acc_types = {NumFormat::int_bits(s_.acc_bits)};
    c.timing = TimingDependence::Shape;
    return c;
  }

  // Over the Fk x Fn folds: sum k = Fn K, sum l = Fk N, sum k l = K N.
  TileCost cost(const TileRequest& req) const override {
    const auto M = static_cast<u64>(req.gemm.m), N = static_cast<u64>(req.gemm.n), K = static_cast<u64>(req.gemm.k);
    const u64 Fk = ceil_div(K, static_cast<u64>(s_.width)), Fn = ceil_div(N, static_cast<u64>(s_.lanes));
    const u64 F = Fk * Fn, sum_k = Fn * K, sum_l = Fk * N, acc = static_cast<u64>(s_.acc_bits);
    TileCost t;
    t.cycles = {sum_k, F * M, F};
    MactreeCounts n;
    n.results = M * sum_l;
    n.products = M * K * N;
    n.act_writes = M * sum_k;
    n.weight_writes = K * N;
    n.accumulator_adds = M * (Fk - 1) * N;
    t.macs = n.products;
    t.actions = mactree_actions(s_, n);
    t.traffic.a_read_bits = n.act_writes * static_cast<u64>(dtype_bits(req.a_type));
    t.traffic.b_read_bits = n.weight_writes * static_cast<u64>(dtype_bits(req.b_type));
    t.traffic.out_write_bits = n.results * acc;
    t.traffic.out_read_bits = n.accumulator_adds * acc;
    return t;
  }

  TileCost simulate_pe(const TileRequest& req, const IntMatrix* a, const IntMatrix* b, IntMatrix* out) const override {
    if (a && b && out) *out = IntMatrix(req.gemm.m, req.gemm.n);
    return PeModel(s_, req, a, b, out).run();
  }

  void compute(const TileRequest&, const IntMatrix& a, const IntMatrix& b, IntMatrix& out) const override {
    out = int_gemm_wrapping(a, b, s_.acc_bits);
  }

  // Per lane: W weight registers and the result register; plain: W multipliers and the tree;
  // bitweight: the selection cells of W products, the compressor and the final adder. Shared:
  // the activation register (bitweight: W encoders in front of it, ENC bits per input), the
  // `accumulator`'s L adders, and the fold controller (busy, k, l, M, the cycle counter and its
  // end-of-fold sum k + M).
  std::vector<AreaItem> area_items() const override {
    const MactreeLane lane = mactree_lane(s_);
    const auto L = static_cast<u64>(s_.lanes), W = static_cast<u64>(s_.width);
    const int kb = clog2(W + 1), lb = clog2(L + 1), cycle_bits = std::max(kRowsBits, kb) + 1;
    std::vector<AreaItem> items = {{kLanes, "reg", s_.in_bits, W * L}, {kLanes, "reg", lane.sum_bits, L}};
    if (!s_.bitweight) {
      items.push_back({kLanes, "int_mul", s_.in_bits, W * L});
      for (int bits : lane.tree_adder_bits) items.push_back({kLanes, "int_add", bits, L});
      items.push_back({kLanes, "reg", s_.in_bits, W});
    } else {
      const auto w = [](int64_t v) { return static_cast<int>(v); };
      items.insert(items.end(), {{kLanes, "and2", w(lane.sel_and2), W * L},
                                 {kLanes, "mux", w(lane.sel_xor2), W * L},
                                 {kLanes, "fa", w(lane.fa), L},
                                 {kLanes, "and2", w(lane.ha), L},
                                 {kLanes, "mux", w(lane.ha), L},
                                 {kLanes, "int_add", lane.sum_bits, L},
                                 {kLanes, "reg", lane.enc_bits, W},
                                 {kLanes, "and2", w(lane.enc_and2), W},
                                 {kLanes, "mux", w(lane.enc_xor2), W}});
    }
    items.insert(items.end(), {{kAccumulator, "int_add", s_.acc_bits, L},
                               {kController, "reg", 1, 2},
                               {kController, "reg", kb, 1},
                               {kController, "reg", lb, 1},
                               {kController, "reg", kRowsBits, 1},
                               {kController, "reg", cycle_bits, 1},
                               {kController, "int_add", cycle_bits, 1}});
    return without_empty(std::move(items));
  }

  std::vector<ActionPrimitive> action_primitives() const override {
    return with_default_combine(mactree_actions(s_, MactreeCounts{1, 1, 1, 1, 1}));
  }

 protected:
  void compute_typed(const TileRequest& req, const TypedMatrix& a, const TypedMatrix& b, TypedMatrix& out) const override {
    reference_gemm_typed(req, a, b, out);
  }

 private:
  MactreeSpec s_;
};

std::vector<ParamDecl> mactree_params() {
  return {
      ParamDecl::integer("lanes", "units", "16", 1, 1024, "dot-product units L (output columns n per fold)"),
      ParamDecl::integer("width", "inputs", "16", 1, 256, "inputs W of each unit's tree (reduction indices k per fold)"),
      ParamDecl::integer("in_bits", "bits", "8", 1, 16,
                         "multiplier operand width; int operands of up to this width and ternary are accepted"),
      ParamDecl::integer("acc_bits", "bits", "32", 8, 64, "result and accumulator width; sums wrap modulo 2^acc_bits"),
      ParamDecl::choice("mac", {"plain", "bitweight"}, "plain",
                        "lane arithmetic: W multipliers and an adder tree, or one compressor over the W products' "
                        "Booth-encoded partial products and one final add (HPCA'25 OPT2 / EN-T); same cycles and "
                        "outputs"),
  };
}

}  // namespace

TESSERA_REGISTER_ENGINE("mactree", "L lanes of W-input multiplier-adder trees, weights stationary, activations broadcast",
                        mactree_params, [](const ParamValues& p) { return std::make_unique<MactreeEngine>(p); });

}  // namespace tessera
