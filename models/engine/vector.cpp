// SIMD vector unit: `lanes` identical ALUs behind a `pipeline_depth`-stage pipeline.
//
// Vector work (activations, pooling, normalisation, softmax, residual adds): one lane performs
// one primitive op per cycle, so a job of E elements x P ops takes ceil(E*P / lanes) issue
// cycles plus the pipeline fill.
//
// GEMM work (integer operands; what depthwise convolutions need: per channel an m x 1 x k GEMM
// that leaves a PE array almost idle): the lanes span output rows, one output column at a
// time. A pass takes column j and up to `lanes` rows; for k cycles every active lane multiplies
// its own a[i][kk] by b[kk][j], broadcast to all lanes, and adds the product into its
// accumulator register (datapath_bits wide, wrapping). A tile m x n x k takes
// n * ceil(m / lanes) passes of k cycles each, plus the pipeline fill. Per MAC: one int_mul at
// the operands' width, one int_add and one accumulator reg_write at the lane width, and the
// pipeline registers. Reads: every MAC its own a element; b one element per pass-cycle.
#include <algorithm>
#include <stdexcept>
#include <utility>

#include "models/common/int_math.h"
#include "models/engine/i_engine.h"

namespace tessera {
namespace {

// The element-wise primitive ops a job may name: the tech library's op vocabulary
// (models/tech/tech_library.h), priced as int_<op> or <format>_<op>.
const std::vector<std::string> kOps = {"add", "mul", "compare", "max", "div", "exp", "rsqrt"};

// The integer formats a lane of `bits` width multiplies in GEMM work (not olive4: its pairs need a
// decoder, which the lanes lack).
std::vector<DType> int_dtypes(int bits) {
  std::vector<DType> v;
  for (const auto& name : dtype_names())
    if (const DType t = *parse_dtype(name); dtype_is_int(t) && t != DType::olive4 && dtype_bits(t) <= bits)
      v.push_back(t);
  return v;
}


class VectorEngine final : public IEngine {
 public:
  explicit VectorEngine(const ParamValues& p)
      : lanes_(p.i("lanes")), depth_(p.i("pipeline_depth")), bits_(static_cast<int>(p.i("datapath_bits"))) {}

  std::string type() const override { return "vector"; }

  EngineCapabilities declare_capabilities() const override {
    EngineCapabilities c;
    c.work = {WorkKind::Vector, WorkKind::Gemm};
    c.rows = 1;
    c.cols = lanes_;
    c.peak_ops_per_cycle = static_cast<uint64_t>(lanes_);
    c.a_types = c.b_types = int_dtypes(bits_);
    c.psum_bits = bits_;
    c.tile_multiple[""] = {lanes_, 1, 1};  // rows fill the lanes
    return c;
  }

  void check(const TileRequest& req) const override {
    IEngine::check(req);
    if (req.kind == WorkKind::Vector && std::find(kOps.begin(), kOps.end(), req.vec.op) == kOps.end()) {
      std::string list;
      for (const auto& o : kOps) list += (list.empty() ? "" : "|") + o;
      throw UserError("engine 'vector' has no op '" + req.vec.op + "'; expected one of " + list);
    }
  }

  TileCost cost(const TileRequest& req) const override {
    if (req.kind == WorkKind::Gemm) {
      const GemmDims g = dims(req);
      TileCost t;
      t.cycles.fill = static_cast<uint64_t>(depth_);
      t.cycles.steady = g.n * ceil_div(g.m, static_cast<uint64_t>(lanes_)) * g.k;
      count_gemm(req, t.cycles.steady, t);
      return t;
    }
    const uint64_t ops = static_cast<uint64_t>(req.vec.elements) * static_cast<uint64_t>(req.vec.ops_per_element);
    TileCost t;
    t.cycles.fill = ops ? static_cast<uint64_t>(depth_) : 0;
    t.cycles.steady = (ops + lanes_ - 1) / static_cast<uint64_t>(lanes_);
    count(req, ops, t);
    return t;
  }

  // Per-cycle reference: issue up to `lanes` ops a cycle until the job is done, then let the
  // pipeline empty.
  TileCost simulate_pe(const TileRequest& req, const IntMatrix* a, const IntMatrix* b, IntMatrix* out) const override {
    if (req.kind == WorkKind::Gemm) return simulate_gemm(req, a, b, out);
    const uint64_t ops = static_cast<uint64_t>(req.vec.elements) * static_cast<uint64_t>(req.vec.ops_per_element);
    TileCost t;
    uint64_t issued = 0, cycle = 0, last_issue = 0;
    while (issued < ops) {
      issued += std::min<uint64_t>(static_cast<uint64_t>(lanes_), ops - issued);
      last_issue = ++cycle;
    }
    t.cycles.steady = last_issue;
    t.cycles.fill = ops ? static_cast<uint64_t>(depth_) : 0;
    count(req, issued, t);
    return t;
  }

  void compute(const TileRequest& req, const IntMatrix& a, const IntMatrix& b, IntMatrix& out) const override {
    const GemmShape& g = req.gemm;
    out = IntMatrix(g.m, g.n);
    for (int64_t i = 0; i < g.m; ++i)
      for (int64_t j = 0; j < g.n; ++j) {
        uint64_t acc = 0;  // unsigned: wraps modulo 2^64, whose low bits are exact
        for (int64_t kk = 0; kk < g.k; ++kk) acc += static_cast<uint64_t>(a.at(i, kk)) * static_cast<uint64_t>(b.at(kk, j));
        out.at(i, j) = wrap_to_bits(acc, bits_);
      }
  }

  std::vector<AreaItem> area_items() const override {
    const auto n = static_cast<uint64_t>(lanes_);
    return {{"lanes", "int_add", bits_, n},
            {"lanes", "int_mul", bits_, n},
            {"lanes", "reg", bits_, n * static_cast<uint64_t>(depth_)}};
  }

  // Every op at every tensor format (a job's precision is its a_type), and the pipeline
  // registers. Vector jobs never accumulate across tiles: no combine primitives.
  std::vector<ActionPrimitive> action_primitives() const override {
    std::vector<ActionPrimitive> v;
    for (const auto& name : dtype_names()) {
      const DType t = *parse_dtype(name);
      const std::string prefix = dtype_is_int(t) ? "int_" : dtype_name(t) + "_";
      for (const auto& op : kOps) v.push_back({"lanes", prefix + op, dtype_value_bits(t)});
    }
    v.push_back({"lanes", "reg_write", bits_});
    v.push_back({"lanes", "int_add", bits_});  // GEMM: accumulate (the int_mul widths are above)
    for (const auto& p : default_combine_primitives()) v.push_back(p);
    return v;
  }

 private:
  struct GemmDims {
    uint64_t m, n, k;
  };
  static GemmDims dims(const TileRequest& req) {
    return {static_cast<uint64_t>(req.gemm.m), static_cast<uint64_t>(req.gemm.n), static_cast<uint64_t>(req.gemm.k)};
  }

  // Per-cycle reference of GEMM work: passes over (column, row block), k cycles each, every
  // active lane doing one MAC a cycle into its accumulator.
  TileCost simulate_gemm(const TileRequest& req, const IntMatrix* a, const IntMatrix* b, IntMatrix* out) const {
    const GemmDims g = dims(req);
    const bool data = a && b && out;
    if (data) *out = IntMatrix(req.gemm.m, req.gemm.n);
    std::vector<uint64_t> acc(static_cast<size_t>(lanes_));
    uint64_t cycle = 0, macs = 0;
    for (uint64_t j = 0; j < g.n; ++j)
      for (uint64_t row0 = 0; row0 < g.m; row0 += static_cast<uint64_t>(lanes_)) {
        const uint64_t active = std::min<uint64_t>(static_cast<uint64_t>(lanes_), g.m - row0);
        std::fill(acc.begin(), acc.end(), 0);
        for (uint64_t kk = 0; kk < g.k; ++kk, ++cycle)
          for (uint64_t lane = 0; lane < active; ++lane, ++macs)
            if (data) {
              const auto i = static_cast<int64_t>(row0 + lane);
              acc[lane] += static_cast<uint64_t>(a->at(i, static_cast<int64_t>(kk))) *
                           static_cast<uint64_t>(b->at(static_cast<int64_t>(kk), static_cast<int64_t>(j)));
            }
        if (data)
          for (uint64_t lane = 0; lane < active; ++lane)
            out->at(static_cast<int64_t>(row0 + lane), static_cast<int64_t>(j)) = wrap_to_bits(acc[lane], bits_);
      }
    TileCost t;
    t.cycles.fill = static_cast<uint64_t>(depth_);
    t.cycles.steady = cycle;
    count_gemm(req, cycle, t);
    if (t.macs != macs) throw std::logic_error("vector GEMM: the per-cycle model and the MAC count disagree");
    return t;
  }

  void count_gemm(const TileRequest& req, uint64_t pass_cycles, TileCost& t) const {
    const GemmDims g = dims(req);
    const uint64_t macs = g.m * g.n * g.k;
    t.macs = macs;
    const int mul_bits = std::max(dtype_value_bits(req.a_type), dtype_value_bits(req.b_type));
    t.actions.add("lanes", "int_mul", mul_bits, macs);
    t.actions.add("lanes", "int_add", bits_, macs);
    t.actions.add("lanes", "reg_write", bits_, macs * (static_cast<uint64_t>(depth_) + 1));  // pipeline + accumulator
    t.traffic.a_read_bits = macs * static_cast<uint64_t>(dtype_bits(req.a_type));
    t.traffic.b_read_bits = pass_cycles * static_cast<uint64_t>(dtype_bits(req.b_type));
    t.traffic.out_write_bits = g.m * g.n * static_cast<uint64_t>(bits_);
  }

  void count(const TileRequest& req, uint64_t ops, TileCost& t) const {
    // The tech library prices int_<op> for integers and <format>_<op> for floating formats.
    const std::string prefix = dtype_is_int(req.a_type) ? "int_" : dtype_name(req.a_type) + "_";
    t.macs = ops;
    t.actions.add("lanes", prefix + req.vec.op, dtype_value_bits(req.a_type), ops);
    t.actions.add("lanes", "reg_write", bits_, ops * static_cast<uint64_t>(depth_));
    const auto bits = static_cast<uint64_t>(dtype_bits(req.a_type));
    t.traffic.a_read_bits = static_cast<uint64_t>(req.vec.elements) * bits;
    t.traffic.out_write_bits = static_cast<uint64_t>(req.vec.elements) * bits;
  }

  int64_t lanes_, depth_;
  int bits_;
};

std::vector<ParamDecl> vector_params() {
  return {
      ParamDecl::integer("lanes", "", "128", 1, 1 << 16, "ALUs, one primitive op per lane per cycle"),
      ParamDecl::integer("pipeline_depth", "cycles", "4", 0, 64, "pipeline stages (fill latency per job)"),
      ParamDecl::integer("datapath_bits", "bits", "32", 8, 64, "lane width, for area"),
  };
}

}  // namespace

TESSERA_REGISTER_ENGINE("vector", "SIMD vector unit: element-wise, pooling, norm and softmax work; integer GEMMs (depthwise)",
                        vector_params, [](const ParamValues& p) { return std::make_unique<VectorEngine>(p); });

}  // namespace tessera
