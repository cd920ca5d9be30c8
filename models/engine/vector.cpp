// SIMD vector unit for the operators that are not GEMMs (activations, pooling, normalisation,
// softmax, residual adds): `lanes` identical ALUs behind a `pipeline_depth`-stage pipeline.
// One lane performs one primitive op per cycle, so a job of E elements x P ops takes
// ceil(E*P / lanes) issue cycles plus the pipeline fill.
#include <algorithm>
#include <stdexcept>

#include "models/engine/i_engine.h"

namespace tessera {
namespace {

// The element-wise primitive ops a job may name: the tech library's op vocabulary
// (models/tech/tech_library.h), priced as int_<op> or <format>_<op>.
const std::vector<std::string> kOps = {"add", "mul", "compare", "max", "div", "exp", "rsqrt"};

class VectorEngine final : public IEngine {
 public:
  explicit VectorEngine(const ParamValues& p)
      : lanes_(p.i("lanes")), depth_(p.i("pipeline_depth")), bits_(static_cast<int>(p.i("datapath_bits"))) {}

  std::string type() const override { return "vector"; }

  EngineCapabilities capabilities() const override {
    EngineCapabilities c;
    c.work = {WorkKind::Vector};
    c.rows = 1;
    c.cols = lanes_;
    c.peak_ops_per_cycle = static_cast<uint64_t>(lanes_);
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
    const uint64_t ops = static_cast<uint64_t>(req.vec.elements) * static_cast<uint64_t>(req.vec.ops_per_element);
    TileCost t;
    t.cycles.fill = ops ? static_cast<uint64_t>(depth_) : 0;
    t.cycles.steady = (ops + lanes_ - 1) / static_cast<uint64_t>(lanes_);
    count(req, ops, t);
    return t;
  }

  // Per-cycle reference: issue up to `lanes` ops a cycle until the job is done, then let the
  // pipeline empty.
  TileCost simulate_pe(const TileRequest& req, const IntMatrix*, const IntMatrix*, IntMatrix*) const override {
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

  void compute(const TileRequest&, const IntMatrix&, const IntMatrix&, IntMatrix&) const override {
    throw UserError("the vector engine has no functional GEMM model");
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
      for (const auto& op : kOps) v.push_back({"lanes", prefix + op, dtype_bits(t)});
    }
    v.push_back({"lanes", "reg_write", bits_});
    return v;
  }

 private:
  void count(const TileRequest& req, uint64_t ops, TileCost& t) const {
    // The tech library prices int_<op> for integers and <format>_<op> for floating formats.
    const std::string prefix = dtype_is_int(req.a_type) ? "int_" : dtype_name(req.a_type) + "_";
    t.macs = ops;
    t.actions.add("lanes", prefix + req.vec.op, dtype_bits(req.a_type), ops);
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

TESSERA_REGISTER_ENGINE("vector", "SIMD vector unit for element-wise, pooling, norm and softmax work",
                        vector_params, [](const ParamValues& p) { return std::make_unique<VectorEngine>(p); });

}  // namespace tessera
