// ONNX models (.onnx, as torch.onnx.export writes them) -> the workload IR, with Debian's
// libonnx: protobuf classes, the opset table and shape inference (with data propagation, so
// Shape/Gather/Concat chains that compute a Reshape's target are resolved). docs/workload-format.md
// "ONNX" lists what each ONNX operator becomes.
//
// Every value gets its static shape from shape inference; values computed only from constants
// (initializers, Constant, Shape of a static tensor) are folded away, and the inputs an operator
// reads as parameters (a Reshape's shape, a Clip's bounds, ...) are dropped. What remains maps
// onto the IR's kinds; BatchNormalization right after a Conv (its only reader) is folded into the
// Conv's bias, as the built-in networks are. Float tensors take `OnnxOptions::dtype`.
#include <onnx/defs/schema.h>
#include <onnx/defs/shape_inference.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "sim/workload/loader.h"

namespace tessera {
namespace {

struct Value {
  std::vector<int64_t> shape;
  int32_t elem_type = 0;  // onnx::TensorProto::DataType
  bool known = false;
};

// The ONNX operator types this loader reads, and what each becomes.
const std::map<std::string, std::string>& supported() {
  static const std::map<std::string, std::string> m = {
      {"Conv", "conv2d (groups, dilation, strides, pads)"},
      {"BatchNormalization", "folded into the Conv before it, else norm batchnorm"},
      {"Gemm", "gemm (transB)"},
      {"MatMul", "gemm when B is a constant matrix, else matmul"},
      {"Add", "elementwise add"},
      {"Sub", "elementwise sub"},
      {"Mul", "elementwise mul"},
      {"Div", "elementwise div"},
      {"Max", "elementwise max"},
      {"Min", "elementwise min"},
      {"Relu", "elementwise relu"},
      {"Clip", "elementwise relu6 (0..6) or relu (0..)"},
      {"Sigmoid", "elementwise sigmoid"},
      {"Tanh", "elementwise tanh"},
      {"Exp", "elementwise exp"},
      {"Erf", "elementwise gelu, with the Div/Add/Mul around it (x * 0.5 * (1 + erf(x / sqrt 2)))"},
      {"Softmax", "softmax"},
      {"LayerNormalization", "norm layernorm"},
      {"MaxPool", "pool max"},
      {"AveragePool", "pool avg"},
      {"GlobalAveragePool", "pool avg global"},
      {"GlobalMaxPool", "pool max global"},
      {"Flatten", "reshape"},
      {"Reshape", "reshape"},
      {"Squeeze", "reshape"},
      {"Unsqueeze", "reshape"},
      {"Transpose", "transpose"},
      {"Concat", "concat"},
      {"Split", "one slice per output"},
      {"Slice", "one slice per axis it cuts (positive steps)"},
      {"Dropout", "removed (inference)"},
      {"Identity", "removed"},
      {"Constant", "folded"},
      {"Shape", "folded (shapes are static)"},
      {"Gather", "one index along an axis: slice (and reshape); folded when its inputs are constant"},
      {"Pad", "folded into the Conv or pool that reads it (zero, spatial), else pad (zeros)"},
      {"ReduceMean", "pool avg global over H and W of an NCHW tensor, else norm layernorm, with the Sub/Pow/ReduceMean/Add/Sqrt/Div (and Mul/Add) around it"},
      {"Pow", "part of a LayerNorm (ReduceMean)"},
      {"Sqrt", "part of a LayerNorm (ReduceMean)"},
      {"Cast", "folded when its input is constant, else removed"},
      {"HardSigmoid", "elementwise hardsigmoid"},
      {"Einsum", "matmul (and a transpose of B), when it is a batched matrix product: \"bik,bkj->bij\", \"bik,bjk->bij\""},
      {"HardSwish", "elementwise hardswish (also HardSigmoid(x) * x, as torch exports it below opset 14)"},
      {"QuantizeLinear", "removed; the value it quantizes takes its integer type"},
      {"DequantizeLinear", "removed; its readers read the integer tensor"},
      {"QLinearConv", "conv2d on the integer tensors, output in y_zero_point's type"},
      {"ConvInteger", "conv2d on the integer tensors, int32 output"},
      {"QLinearMatMul", "gemm or matmul (as MatMul) on the integer tensors, output in y_zero_point's type"},
      {"MatMulInteger", "gemm or matmul (as MatMul) on the integer tensors, int32 output"},
  };
  return m;
}

// Inputs an operator reads as data (the others are parameters: shapes, axes, bounds).
std::vector<size_t> data_inputs(const onnx::NodeProto& n) {
  const std::string& t = n.op_type();
  if (t == "Reshape" || t == "Squeeze" || t == "Unsqueeze" || t == "Clip" || t == "Slice" || t == "Split" ||
      t == "Dropout" || t == "Cast" || t == "QuantizeLinear" || t == "DequantizeLinear")
    return {0};
  // The integer operators' scales and zero points are parameters.
  if (t == "QLinearConv") return n.input_size() > 8 && !n.input(8).empty() ? std::vector<size_t>{0, 3, 8} : std::vector<size_t>{0, 3};
  if (t == "QLinearMatMul") return {0, 3};
  if (t == "ConvInteger" || t == "MatMulInteger") return {0, 1};
  std::vector<size_t> all;
  for (int i = 0; i < n.input_size(); ++i)
    if (!n.input(i).empty()) all.push_back(static_cast<size_t>(i));
  return all;
}

// libonnx 1.12's inference reads past what it checks in two ways, both found by fuzz_onnx:
// - convolution shape inference takes the kernel's size from the weight's dimensions but sizes
//   its dilations and strides by the input's, so a weight of another rank than the input is a
//   null read: each convolution schema checks the two ranks first;
// - after a node's inference fails, inference goes on (collecting the error) and a data
//   propagation function reading that node's untyped output dereferences a null type: every
//   data propagation function returns early when an input has no type.
// Wrapped once per process, in the registry every load uses. Unsupported node types are
// wrapped too: a node computed from constants reaches inference whatever its type.
void guard_inference() {
  static std::once_flag once;
  std::call_once(once, [] {
    const std::map<std::string, size_t> weight_input = {{"Conv", 1}, {"ConvInteger", 1}, {"ConvTranspose", 1}, {"QLinearConv", 3}};
    for (const onnx::OpSchema& copy : onnx::OpSchemaRegistry::get_all_schemas_with_history()) {
      auto* schema = const_cast<onnx::OpSchema*>(
          onnx::OpSchemaRegistry::Schema(copy.Name(), copy.SinceVersion(), copy.domain()));
      if (!schema || schema->SinceVersion() != copy.SinceVersion()) continue;
      const onnx::DataPropagationFunction propagate = schema->GetDataPropagationFunction();
      schema->PartialDataPropagationFunction([propagate](onnx::DataPropagationContext& ctx) {
        for (size_t i = 0; i < ctx.getNumInputs(); ++i)
          if (!ctx.getInputType(i)) return;
        propagate(ctx);
      });
      const auto w = weight_input.find(copy.Name());
      if (w == weight_input.end() || !copy.domain().empty()) continue;
      const onnx::InferenceFunction infer = schema->GetTypeAndShapeInferenceFunction();
      schema->TypeAndShapeInferenceFunction([infer, w = w->second](onnx::InferenceContext& ctx) {
        if (onnx::hasInputShape(ctx, 0) && onnx::hasInputShape(ctx, w) &&
            ctx.getInputType(0)->tensor_type().shape().dim_size() != ctx.getInputType(w)->tensor_type().shape().dim_size())
          fail_shape_inference("the input and the weight differ in rank");
        if (infer) infer(ctx);
      });
    }
  });
}

class OnnxReader {
 public:
  OnnxReader(const std::string& file, const OnnxOptions& opt) : file_(file), opt_(opt) {}

  Workload read(const std::string& bytes) {
    onnx::ModelProto model;
    if (bytes.empty() || !model.ParseFromString(bytes)) unreadable();
    return read(model);
  }
  // From the file as a stream: the file's bytes are never held whole next to the parsed model.
  Workload read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) fail("cannot open file");
    onnx::ModelProto model;
    if (in.peek() == std::ifstream::traits_type::eof() || !model.ParseFromIstream(&in)) unreadable();
    return read(model);
  }

 private:
  [[noreturn]] void unreadable() const {
    fail("not a readable ONNX model (the protobuf does not parse: a corrupt or truncated file?)");
  }

  Workload read(onnx::ModelProto& model) {
    if (!model.has_graph() || model.ir_version() <= 0) unreadable();
    const int opset = check_opsets(model);
    for (const auto& t : model.graph().initializer()) initializers_.insert(t.name());
    find_constants(model.graph());
    check_nodes(model.graph(), opset);
    drop_weight_payloads(model);
    fix_symbolic_dims(model);
    rewrite_einsums(model);
    infer(model);
    collect_values(model.graph());
    // Shape computations ONNX's data propagation does not follow (Add, Div, Mul on a Shape's
    // numbers): evaluated here, their results made initializers, and shapes inferred again.
    // A fold can make shapes known that the next fold needs (swin's window padding): repeated
    // while it folds anything, at most kFoldPasses times.
    for (int pass = 0; pass < kFoldPasses && fold_shape_computations(model); ++pass) {
      infer(model);
      values_.clear();
      collect_values(model.graph());
    }
    const onnx::GraphProto& g = model.graph();
    const size_t slash = file_.find_last_of('/');
    const std::string stem = file_.substr(slash == std::string::npos ? 0 : slash + 1);
    const std::string name = stem.substr(0, stem.rfind('.'));
    Workload wl(name, file_);
    wl_ = &wl;
    for (const auto& n : g.node())
      for (const auto& in : n.input()) consumers_[in].push_back(&n);
    for (const auto& o : g.output()) graph_outputs_.insert(o.name());
    for (const auto& in : g.input()) graph_inputs_.insert(in.name());
    for (const auto& n : g.node()) translate(n);
    declare_tensors(g);
    wl.finalize();
    return wl;
  }

  [[noreturn]] void fail(const std::string& msg, const std::string& key = "") const {
    throw UserError(msg, SourceLoc{file_, 0, 0}, key);
  }
  void infer(onnx::ModelProto& model) const {
    guard_inference();
    try {
      onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(),
                                         onnx::ShapeInferenceOptions(false, 1, true));
    } catch (const std::exception& e) {
      fail(std::string("ONNX shape inference failed: ") + e.what());
    }
  }

  // A small constant tensor during folding: its dims and numbers.
  struct Num {
    std::vector<int64_t> dims;
    std::vector<double> v;
    bool is_int = true;
  };
  static constexpr size_t kFoldLimit = 4096;
  static constexpr int kFoldPasses = 64;
  // Elements of a tensor of these dims, or kFoldLimit + 1 for more (or a negative dim): no
  // overflow whatever the dims.
  template <typename Dims>
  static int64_t capped_count(const Dims& dims) {
    constexpr auto kLimit = static_cast<int64_t>(kFoldLimit);
    int64_t c = 1;
    for (int64_t d : dims) c = d < 0 || d > kLimit || c > kLimit ? kLimit + 1 : c * d;
    return c;
  }  // elements: shape vectors and small tables, not weights

  // Evaluates the nodes computed from constants that only shape bookkeeping uses, in order; each
  // result becomes an initializer and its node goes. Returns whether anything was folded.
  bool fold_shape_computations(onnx::ModelProto& model) {
    onnx::GraphProto* g = model.mutable_graph();
    std::unordered_map<std::string, Num> known;
    for (const auto& t : g->initializer())
      if (auto v = numbers(t, kFoldLimit)) {
        const bool is_int = t.data_type() == onnx::TensorProto::INT64 || t.data_type() == onnx::TensorProto::INT32;
        known[t.name()] = Num{{t.dims().begin(), t.dims().end()}, *v, is_int};
      }
    std::vector<int> gone;
    for (int i = 0; i < g->node_size(); ++i) {
      const onnx::NodeProto& n = g->node(i);
      if (!folded(n) || n.output_size() != 1) continue;
      std::optional<Num> r = evaluate(n, known);
      // A result whose numbers do not fill its dims would be a malformed initializer, which
      // libonnx's inference reads past (fuzz finding).
      if (!r || r->v.size() > kFoldLimit) continue;
      if (capped_count(r->dims) != static_cast<int64_t>(r->v.size())) continue;
      known[n.output(0)] = *r;
      // Stored only when a double holds its numbers exactly (a Slice's INT64_MAX "to the end" is
      // read, as a bound, but not written back).
      if (std::any_of(r->v.begin(), r->v.end(), [](double x) { return !(std::abs(x) < 9.0e15); })) continue;
      // Stored in the type inference gave the value (a Where reads Equal's BOOL, a Reshape INT64).
      int32_t type = r->is_int ? onnx::TensorProto::INT64 : onnx::TensorProto::FLOAT;
      if (const auto it = values_.find(n.output(0)); it != values_.end() && it->second.elem_type) type = it->second.elem_type;
      onnx::TensorProto* t = g->add_initializer();
      t->set_name(n.output(0));
      t->set_data_type(type);
      for (int64_t d : r->dims) t->add_dims(d);
      for (double x : r->v) {
        switch (type) {
          case onnx::TensorProto::INT64: t->add_int64_data(static_cast<int64_t>(x)); break;
          case onnx::TensorProto::INT32:
          case onnx::TensorProto::BOOL:
            if (!(std::abs(x) < 2.0e9)) {
              g->mutable_initializer()->RemoveLast();
              goto next;
            }
            t->add_int32_data(static_cast<int32_t>(x));
            break;
          case onnx::TensorProto::DOUBLE: t->add_double_data(x); break;
          case onnx::TensorProto::FLOAT: t->add_float_data(static_cast<float>(x)); break;
          default: g->mutable_initializer()->RemoveLast(); goto next;  // a type not folded here
        }
      }
      initializers_.insert(n.output(0));
      remember(n.output(0), *t);
      gone.push_back(i);
    next:;
    }
    if (gone.empty()) return false;
    g->clear_value_info();  // inferred again from the folded graph
    // Remove the folded nodes, keeping the order of the rest.
    auto* nodes = g->mutable_node();
    for (auto it = gone.rbegin(); it != gone.rend(); ++it) nodes->DeleteSubrange(*it, 1);
    return true;
  }

  // A double as an int64 without undefined behaviour: saturated at +-9e18, NaN at the low end.
  static int64_t to_i64(double x) {
    constexpr int64_t kMax = 9'000'000'000'000'000'000;
    return x > 9e18 ? kMax : x > -9e18 ? static_cast<int64_t>(x) : -kMax;
  }
  static std::vector<int64_t> as_ints(const std::vector<double>& v) {
    std::vector<int64_t> r;
    for (double x : v) r.push_back(to_i64(x));
    return r;
  }

  std::optional<Num> evaluate(const onnx::NodeProto& n, const std::unordered_map<std::string, Num>& known) const {
    const std::string& t = n.op_type();
    auto in = [&](int i) -> const Num* {
      if (i >= n.input_size() || n.input(i).empty()) return nullptr;
      const auto it = known.find(n.input(i));
      return it == known.end() ? nullptr : &it->second;
    };
    if (t == "Constant") {
      for (const auto& a : n.attribute())
        if (a.name() == "value" && a.has_t())
          if (auto v = numbers(a.t(), kFoldLimit))
            return Num{{a.t().dims().begin(), a.t().dims().end()}, *v,
                       a.t().data_type() == onnx::TensorProto::INT64 || a.t().data_type() == onnx::TensorProto::INT32};
      return std::nullopt;
    }
    if (t == "Shape") {
      const auto it = values_.find(n.input(0));
      if (it == values_.end() || !it->second.known) return std::nullopt;
      Num r{{static_cast<int64_t>(it->second.shape.size())}, {}, true};
      for (int64_t d : it->second.shape) r.v.push_back(static_cast<double>(d));
      return r;
    }
    const Num* a = in(0);
    if (!a) return std::nullopt;
    if (t == "Cast" || t == "Identity") {
      Num r = *a;
      if (t == "Cast") {
        const int64_t to = attr_i(n, "to", 0);
        r.is_int = to == onnx::TensorProto::INT64 || to == onnx::TensorProto::INT32;
        if (r.is_int)
          for (double& x : r.v) x = std::trunc(x);
      }
      return r;
    }
    if (t == "Unsqueeze" || t == "Squeeze" || t == "Reshape" || t == "Flatten") {
      const Value* out = nullptr;
      if (auto it = values_.find(n.output(0)); it != values_.end() && it->second.known) out = &it->second;
      if (out && capped_count(out->shape) == static_cast<int64_t>(a->v.size())) return Num{out->shape, a->v, a->is_int};
      // A Reshape to a constant shape that inference has not resolved yet: 0 copies the input's
      // dimension, one -1 takes the rest.
      const Num* target = in(1);
      if (t != "Reshape" || !target || target->dims.size() != 1 || attr_i(n, "allowzero", 0)) return std::nullopt;
      std::vector<int64_t> dims;
      int64_t known_part = 1, infer_at = -1;
      for (size_t d = 0; d < target->v.size(); ++d) {
        int64_t v = to_i64(target->v[d]);
        if (v == 0 && d < a->dims.size()) v = a->dims[d];
        if (v == -1 && infer_at < 0) {
          infer_at = static_cast<int64_t>(d);
        } else if (v < 0 || v > static_cast<int64_t>(kFoldLimit)) {
          return std::nullopt;
        } else {
          known_part *= v;
        }
        dims.push_back(v);
      }
      const auto size = static_cast<int64_t>(a->v.size());
      if (infer_at >= 0) {
        if (known_part == 0 || size % known_part) return std::nullopt;
        dims[static_cast<size_t>(infer_at)] = size / known_part;
      } else if (known_part != size) {
        return std::nullopt;
      }
      return Num{dims, a->v, a->is_int};
    }
    if (t == "Gather") {
      const Num* idx = in(1);
      if (!idx || a->dims.size() != 1 || attr_i(n, "axis", 0) != 0) return std::nullopt;
      Num r{idx->dims, {}, a->is_int};
      for (double x : idx->v) {
        int64_t i = to_i64(x);
        if (i < 0) i += static_cast<int64_t>(a->v.size());
        if (i < 0 || i >= static_cast<int64_t>(a->v.size())) return std::nullopt;
        r.v.push_back(a->v[static_cast<size_t>(i)]);
      }
      return r;
    }
    if (t == "Concat") {
      Num r{{0}, {}, true};
      for (int i = 0; i < n.input_size(); ++i) {
        const Num* x = in(i);
        if (!x || x->dims.size() != 1) return std::nullopt;
        r.v.insert(r.v.end(), x->v.begin(), x->v.end());
        r.is_int = r.is_int && x->is_int;
      }
      r.dims = {static_cast<int64_t>(r.v.size())};
      return r;
    }
    if (t == "Slice") {
      // ONNX Slice over any axes and steps (torch reverses a pad list with step -1).
      const Num *st = in(1), *en = in(2), *ax = in(3), *sp = in(4);
      const auto rank = static_cast<int64_t>(a->dims.size());
      if (!st || !en || st->v.size() != en->v.size() || (ax && ax->v.size() != st->v.size()) ||
          (sp && sp->v.size() != st->v.size()) || capped_count(a->dims) != static_cast<int64_t>(a->v.size()))
        return std::nullopt;
      std::vector<std::vector<int64_t>> pick(static_cast<size_t>(rank));
      for (int64_t d = 0; d < rank; ++d)
        for (int64_t i = 0; i < a->dims[static_cast<size_t>(d)]; ++i) pick[static_cast<size_t>(d)].push_back(i);
      for (size_t j = 0; j < st->v.size(); ++j) {
        int64_t axis = ax ? to_i64(ax->v[j]) : static_cast<int64_t>(j);
        if (axis < 0) axis += rank;
        const double step = sp ? sp->v[j] : 1;
        if (axis < 0 || axis >= rank || step == 0 || !(std::abs(step) < 9e15)) return std::nullopt;
        const int64_t dim = a->dims[static_cast<size_t>(axis)], k = static_cast<int64_t>(step);
        auto norm = [&](double x, int64_t lo, int64_t hi) {
          int64_t i = std::clamp<int64_t>(to_i64(x), -dim - 1, dim + 1);
          if (i < 0) i += dim;
          return std::clamp<int64_t>(i, lo, hi);
        };
        const int64_t b = k > 0 ? norm(st->v[j], 0, dim) : norm(st->v[j], -1, dim - 1);
        const int64_t e = k > 0 ? norm(en->v[j], 0, dim) : norm(en->v[j], -1, dim - 1);
        std::vector<int64_t>& p = pick[static_cast<size_t>(axis)];
        p.clear();
        for (int64_t i = b; k > 0 ? i < e : i > e; i += k) p.push_back(i);
      }
      Num r{{}, {}, a->is_int};
      for (const auto& p : pick) r.dims.push_back(static_cast<int64_t>(p.size()));
      const int64_t total = capped_count(r.dims);
      if (total > static_cast<int64_t>(kFoldLimit)) return std::nullopt;
      for (int64_t flat = 0; flat < total; ++flat) {
        int64_t rest = flat, src = 0, stride = 1;
        for (int64_t d = rank - 1; d >= 0; --d) {
          const auto& p = pick[static_cast<size_t>(d)];
          src += p[static_cast<size_t>(rest % static_cast<int64_t>(p.size()))] * stride;
          rest /= static_cast<int64_t>(p.size());
          stride *= a->dims[static_cast<size_t>(d)];
        }
        r.v.push_back(a->v[static_cast<size_t>(src)]);
      }
      return r;
    }
    if (t == "Transpose") {
      const auto rank = static_cast<int64_t>(a->dims.size());
      std::vector<int64_t> perm = attr_ints(n, "perm");
      if (perm.empty())
        for (int64_t d = rank - 1; d >= 0; --d) perm.push_back(d);
      std::vector<int64_t> sorted = perm;
      std::sort(sorted.begin(), sorted.end());
      for (int64_t d = 0; d < static_cast<int64_t>(sorted.size()); ++d)
        if (sorted[static_cast<size_t>(d)] != d) return std::nullopt;
      if (static_cast<int64_t>(perm.size()) != rank || capped_count(a->dims) != static_cast<int64_t>(a->v.size()))
        return std::nullopt;
      std::vector<int64_t> in_stride(static_cast<size_t>(rank), 1);
      for (int64_t d = rank - 2; d >= 0; --d)
        in_stride[static_cast<size_t>(d)] = in_stride[static_cast<size_t>(d + 1)] * a->dims[static_cast<size_t>(d + 1)];
      Num r{{}, {}, a->is_int};
      for (int64_t p : perm) r.dims.push_back(a->dims[static_cast<size_t>(p)]);
      for (size_t flat = 0; flat < a->v.size(); ++flat) {
        int64_t rest = static_cast<int64_t>(flat), src = 0;
        for (int64_t d = rank - 1; d >= 0; --d) {
          const int64_t od = r.dims[static_cast<size_t>(d)];
          src += (rest % od) * in_stride[static_cast<size_t>(perm[static_cast<size_t>(d)])];
          rest /= od;
        }
        r.v.push_back(a->v[static_cast<size_t>(src)]);
      }
      return r;
    }
    if (t == "ConstantOfShape") {
      if (a->dims.size() != 1 || capped_count(as_ints(a->v)) > static_cast<int64_t>(kFoldLimit))
        return std::nullopt;
      Num r{{}, {}, false};
      for (double d : a->v) r.dims.push_back(to_i64(d));
      double fill = 0;
      for (const auto& at : n.attribute())
        if (at.name() == "value" && at.has_t())
          if (auto v = numbers(at.t(), 1); v && v->size() == 1) {
            fill = (*v)[0];
            r.is_int = at.t().data_type() == onnx::TensorProto::INT64 || at.t().data_type() == onnx::TensorProto::INT32;
          }
      r.v.assign(static_cast<size_t>(capped_count(r.dims)), fill);
      return r;
    }
    // Element-wise on equal sizes or against a single number.
    static const std::set<std::string> elementwise = {"Add", "Sub", "Mul", "Div", "Mod", "Equal", "Where"};
    if (!elementwise.count(t)) return std::nullopt;
    std::vector<const Num*> args;
    for (int i = 0; i < n.input_size(); ++i)
      if (const Num* x = in(i)) args.push_back(x);
      else return std::nullopt;
    const Num* big = args[0];
    for (const Num* x : args)  // the result has the larger shape ([1] - [] is [1])
      if (x->v.size() > big->v.size() || (x->v.size() == big->v.size() && x->dims.size() > big->dims.size())) big = x;
    for (const Num* x : args)
      if (x->v.size() != 1 && x->v.size() != big->v.size()) return std::nullopt;
    auto at = [](const Num* x, size_t i) { return x->v.size() == 1 ? x->v[0] : x->v[i]; };
    Num r{big->dims, {}, t == "Where" ? args[1]->is_int && args[2]->is_int : t == "Equal" || args[0]->is_int};
    for (size_t i = 0; i < big->v.size(); ++i) {
      const double x = at(args[0], i), y = args.size() > 1 ? at(args[1], i) : 0;
      double z = 0;
      if (t == "Add") z = x + y;
      else if (t == "Sub") z = x - y;
      else if (t == "Mul") z = x * y;
      else if (t == "Div") {
        if (y == 0) return std::nullopt;
        z = r.is_int ? std::trunc(x / y) : x / y;
      } else if (t == "Mod") {
        if (y == 0) return std::nullopt;
        z = std::fmod(x, y);  // fmod = 1: the sign of x; fmod = 0 (integers): the sign of y
        if (!attr_i(n, "fmod", 0) && z != 0 && (z < 0) != (y < 0)) z += y;
      } else if (t == "Equal") z = x == y ? 1 : 0;
      else z = x != 0 ? y : at(args[2], i);  // Where
      r.v.push_back(z);
    }
    return r;
  }

  // Errors name the node (ONNX files have no lines): key "nodes.<name>", the message its type.
  [[noreturn]] void fail_node(const onnx::NodeProto& n, const std::string& msg) const {
    const std::string name = n.name().empty() ? (n.output_size() ? n.output(0) : std::string("?")) : n.name();
    fail(n.op_type() + " node: " + msg, "nodes." + name);
  }

  // The default domain's opset (an error when newer than libonnx knows).
  int check_opsets(const onnx::ModelProto& m) {
    const auto& range = onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map();
    const int newest = range.at(onnx::ONNX_DOMAIN).second;
    int opset = 0;
    for (const auto& o : m.opset_import()) {
      if (!o.domain().empty() && o.domain() != "ai.onnx") continue;  // a custom domain fails at its first node
      if (o.version() > newest)
        fail("opset " + std::to_string(o.version()) + " is newer than this loader knows (ONNX " +
                 std::to_string(newest) + " at most); export with opset_version=" + std::to_string(newest) + " or lower",
             "opset_import");
      opset = static_cast<int>(o.version());
    }
    if (opset <= 0) fail("the model imports no version of the standard ONNX operators (opset_import)", "opset_import");
    return opset;
  }

  // Before shape inference (whose per-operator functions trust their node): every node is of a
  // supported type and matches its schema at this opset (inputs, outputs, attributes).
  void check_nodes(const onnx::GraphProto& g, int opset) const {
    // Every input defined before it is read: ONNX graphs are in topological order, so this also
    // finds cycles.
    std::unordered_set<std::string> defined(initializers_.begin(), initializers_.end());
    // Typed values only: shape inference dereferences the type of whatever it reads.
    for (const auto& t : g.initializer()) {
      if (t.data_type() == onnx::TensorProto::UNDEFINED || !onnx::TensorProto::DataType_IsValid(t.data_type()))
        fail("initializer '" + t.name() + "' has no valid data type", "initializers." + t.name());
      if (const std::string e = tensor_problem(t); !e.empty())
        fail("initializer '" + t.name() + "' " + e, "initializers." + t.name());
    }
    if (g.sparse_initializer_size() > 0) fail("sparse initializers are not supported", "sparse_initializer");
    for (const auto& in : g.input()) {
      if (!initializers_.count(in.name()) &&
          (!in.type().has_tensor_type() || in.type().tensor_type().elem_type() == onnx::TensorProto::UNDEFINED ||
           !in.type().tensor_type().has_shape()))
        fail("graph input '" + in.name() + "' is not a tensor with an element type and a shape", "inputs." + in.name());
      defined.insert(in.name());
    }
    for (const auto& n : g.node()) {
      for (const auto& in : n.input())
        if (!in.empty() && !defined.count(in))
          fail_node(n, "reads '" + in + "', which is not a graph input, an initializer or an earlier node's output "
                       "(the graph is out of order or has a cycle)");
      for (const auto& o : n.output()) defined.insert(o);
    }
    for (const auto& n : g.node()) {
      // Constants inside nodes are read by inference as initializers are; subgraphs (If, Loop,
      // Scan bodies) would be inferred too, but no supported operator has one.
      for (const auto& a : n.attribute()) {
        if (a.has_g() || a.graphs_size() > 0) fail_node(n, "subgraphs (If, Loop, Scan) are not supported");
        if (a.has_sparse_tensor() || a.sparse_tensors_size() > 0) fail_node(n, "sparse constants are not supported");
        std::string e = a.has_t() ? tensor_problem(a.t()) : "";
        for (int i = 0; e.empty() && i < a.tensors_size(); ++i) e = tensor_problem(a.tensors(i));
        if (!e.empty()) fail_node(n, "attribute '" + a.name() + "': the tensor " + e);
      }
      if (!n.domain().empty() && n.domain() != "ai.onnx")
        fail_node(n, "operator domain '" + n.domain() + "' is not supported (only the standard ONNX operators are)");
      if (!supported().count(n.op_type()) && !folded(n)) {
        std::string list;
        for (const auto& [k, _] : supported()) list += (list.empty() ? "" : ", ") + k;
        fail_node(n, "ONNX operator type '" + n.op_type() + "' is not supported; supported: " + list);
      }
      // Window attributes ONNX's shape inference divides by or multiplies with.
      for (const auto& a : n.attribute())
        if (a.name() == "strides" || a.name() == "dilations" || a.name() == "kernel_shape")
          for (int64_t v : a.ints())
            if (v < 1 || v > (int64_t{1} << 30)) fail_node(n, a.name() + " must be positive (got " + std::to_string(v) + ")");
      const onnx::OpSchema* schema = onnx::OpSchemaRegistry::Schema(n.op_type(), opset, onnx::ONNX_DOMAIN);
      if (!schema) fail_node(n, "no schema for this operator at opset " + std::to_string(opset));
      try {
        schema->Verify(n);
      } catch (const std::exception& e) {
        fail_node(n, std::string("does not match its ONNX schema: ") + e.what());
      }
    }
  }

  // An Einsum that is a batched matrix product becomes the MatMul (after a Transpose of B for
  // "bik,bjk->bij") torch writes for the same product elsewhere: libonnx infers only an Einsum's
  // rank, and the IR has no Einsum. Other equations are an error.
  void rewrite_einsums(onnx::ModelProto& m) {
    onnx::GraphProto* g = m.mutable_graph();
    bool any = false;
    for (const auto& n : g->node()) any = any || n.op_type() == "Einsum";
    if (!any) return;
    google::protobuf::RepeatedPtrField<onnx::NodeProto> nodes;
    nodes.Swap(g->mutable_node());
    for (auto& n : nodes) {
      if (n.op_type() != "Einsum") {
        *g->add_node() = std::move(n);
        continue;
      }
      std::string eq = attr_s(n, "equation", "");
      eq.erase(std::remove(eq.begin(), eq.end(), ' '), eq.end());
      const size_t comma = eq.find(','), arrow = eq.find("->");
      auto unsupported = [&] {
        fail_node(n, "only batched matrix products are supported (\"bik,bkj->bij\" or \"bik,bjk->bij\"), not \"" +
                         attr_s(n, "equation", "") + "\"");
      };
      if (n.input_size() != 2 || n.output_size() != 1 || comma == std::string::npos || arrow == std::string::npos ||
          arrow < comma)
        unsupported();
      const std::string A = eq.substr(0, comma), B = eq.substr(comma + 1, arrow - comma - 1), Y = eq.substr(arrow + 2);
      const size_t r = A.size();
      if (r < 2 || B.size() != r || Y.size() != r || std::set<char>(Y.begin(), Y.end()).size() != r) unsupported();
      const std::string batch = A.substr(0, r - 2);
      const char i = A[r - 2], k = A[r - 1], j = Y[r - 1];
      if (B.substr(0, r - 2) != batch || Y.substr(0, r - 2) != batch || Y[r - 2] != i || k == i || k == j ||
          batch.find(k) != std::string::npos)
        unsupported();
      const bool transposed = B[r - 2] == j && B[r - 1] == k;
      if (!transposed && !(B[r - 2] == k && B[r - 1] == j)) unsupported();
      onnx::NodeProto mm;
      mm.set_op_type("MatMul");
      mm.set_name(n.name());
      mm.add_input(n.input(0));
      mm.add_input(n.input(1));
      mm.add_output(n.output(0));
      if (transposed) {
        onnx::NodeProto* tr = g->add_node();
        tr->set_op_type("Transpose");
        tr->set_name(n.name() + ".transpose_b");
        tr->add_input(n.input(1));
        tr->add_output(n.output(0) + ".b_t");
        onnx::AttributeProto* perm = tr->add_attribute();
        perm->set_name("perm");
        perm->set_type(onnx::AttributeProto::INTS);
        for (size_t d = 0; d < r; ++d) perm->add_ints(static_cast<int64_t>(d < r - 2 ? d : 2 * r - 3 - d));
        mm.set_input(1, tr->output(0));
      }
      *g->add_node() = std::move(mm);
    }
    find_constants(*g);  // an Einsum of constants: its Transpose is one too
  }

  // Why a tensor's stored numbers do not match its dims and type, or "" when they do. libonnx's
  // ParseData copies raw_data whole into a vector sized by the element size (a heap overflow
  // when the byte count is not a multiple of it; fuzz finding), and inference indexes the
  // numbers by the dims. Tensors stored outside the file carry only dims and type here.
  static std::string tensor_problem(const onnx::TensorProto& t) {
    if (t.data_location() == onnx::TensorProto::EXTERNAL) return "";
    int64_t count = 1;
    for (int64_t d : t.dims()) {
      if (d < 0) return "has a negative dimension";
      if (d > 0 && count > (int64_t{1} << 40) / d) return "has more than 2^40 elements";
      count *= d;
    }
    using T = onnx::TensorProto;
    static const std::map<int, std::pair<int, int>> bytes_and_per_number = {  // raw bytes per element, numbers per element
        {T::FLOAT, {4, 1}},  {T::UINT8, {1, 1}},     {T::INT8, {1, 1}},      {T::UINT16, {2, 1}}, {T::INT16, {2, 1}},
        {T::INT32, {4, 1}},  {T::INT64, {8, 1}},     {T::BOOL, {1, 1}},      {T::FLOAT16, {2, 1}}, {T::DOUBLE, {8, 1}},
        {T::UINT32, {4, 1}}, {T::UINT64, {8, 1}},    {T::COMPLEX64, {8, 2}}, {T::COMPLEX128, {16, 2}},
        {T::BFLOAT16, {2, 1}}};
    const auto it = bytes_and_per_number.find(t.data_type());
    if (it == bytes_and_per_number.end()) return t.raw_data().empty() ? "" : "stores raw bytes for a type that has none";
    const auto [bytes, per] = it->second;
    if (!t.raw_data().empty())
      return static_cast<int64_t>(t.raw_data().size()) == count * bytes
                 ? ""
                 : "holds " + std::to_string(t.raw_data().size()) + " bytes; its dims and type need " +
                       std::to_string(count * bytes);
    int64_t numbers = 0;
    switch (t.data_type()) {
      case T::FLOAT: case T::COMPLEX64: numbers = t.float_data_size(); break;
      case T::INT64: numbers = t.int64_data_size(); break;
      case T::DOUBLE: case T::COMPLEX128: numbers = t.double_data_size(); break;
      case T::UINT32: case T::UINT64: numbers = t.uint64_data_size(); break;
      default: numbers = t.int32_data_size(); break;  // the narrow integer, bool and 16-bit float types
    }
    return numbers == count * per ? ""
                                  : "holds " + std::to_string(numbers) + " numbers; its dims need " + std::to_string(count * per);
  }

  // Initializers larger than any folded constant are weights: only their dims and type matter
  // from here on, so their numbers are dropped (a 500 MB model then holds 500 MB once, while
  // parsing, not for the whole load). Marked as stored outside the file, so that libonnx's
  // inference, should it read one as data, fails cleanly instead of reading nothing.
  static void drop_weight_payloads(onnx::ModelProto& m) {
    for (auto& t : *m.mutable_graph()->mutable_initializer()) {
      if (capped_count(t.dims()) <= static_cast<int64_t>(kFoldLimit)) continue;
      const std::string name = t.name();
      const int32_t type = t.data_type();
      const std::vector<int64_t> dims(t.dims().begin(), t.dims().end());
      t.Clear();
      t.set_name(name);
      t.set_data_type(type);
      for (int64_t d : dims) t.add_dims(d);
      t.set_data_location(onnx::TensorProto::EXTERNAL);
    }
  }

  // A symbolic dimension (batch, sequence) takes the value given for it, or is an error naming it.
  void fix_symbolic_dims(onnx::ModelProto& m) {
    std::set<std::string> initializers;
    for (const auto& t : m.graph().initializer()) initializers.insert(t.name());
    for (auto& in : *m.mutable_graph()->mutable_input()) {
      if (initializers.count(in.name()) || !in.type().has_tensor_type()) continue;
      auto* shape = in.mutable_type()->mutable_tensor_type()->mutable_shape();
      for (auto& d : *shape->mutable_dim()) {
        if (d.has_dim_value()) continue;
        const std::string sym = d.has_dim_param() ? d.dim_param() : "";
        const auto it = opt_.dims.find(sym);
        if (sym.empty() || it == opt_.dims.end())
          fail("input '" + in.name() + "' has a symbolic dimension" + (sym.empty() ? "" : " '" + sym + "'") +
                   "; give it a value (--dim " + (sym.empty() ? std::string("NAME") : sym) + "=N)",
               "inputs." + in.name());
        d.set_dim_value(it->second);
      }
    }
  }

  void record(const onnx::ValueInfoProto& v) {
    if (!v.type().has_tensor_type()) return;
    Value val;
    val.elem_type = v.type().tensor_type().elem_type();
    if (v.type().tensor_type().has_shape()) {
      val.known = true;
      for (const auto& d : v.type().tensor_type().shape().dim()) {
        if (!d.has_dim_value()) {
          val.known = false;
          break;
        }
        val.shape.push_back(d.dim_value());
      }
    }
    values_[v.name()] = val;
  }

  void collect_values(const onnx::GraphProto& g) {
    for (const auto& v : g.input()) record(v);
    for (const auto& v : g.value_info()) record(v);
    for (const auto& v : g.output()) record(v);
    for (const auto& t : g.initializer()) {
      Value val;
      val.elem_type = t.data_type();
      val.known = true;
      val.shape.assign(t.dims().begin(), t.dims().end());
      values_[t.name()] = val;
      initializers_.insert(t.name());
    }
  }

  // Computed only from constants: folded away, whatever its type.
  bool folded(const onnx::NodeProto& n) const {
    bool all = n.output_size() > 0;
    for (const auto& o : n.output()) all = all && (o.empty() || constants_.count(o));
    return all;
  }

  // The numbers of a small constant tensor (bounds, starts, scalars), or nothing.
  static std::optional<std::vector<double>> numbers(const onnx::TensorProto& t, int64_t limit = 64) {
    int64_t count = 1;
    for (int64_t d : t.dims()) {
      if (d < 0 || d > limit) return std::nullopt;
      count *= d;
      if (count > limit) return std::nullopt;
    }
    std::vector<double> v;
    const std::string& raw = t.raw_data();
    auto from_raw = [&](auto sample) {
      using T = decltype(sample);
      if (raw.size() != static_cast<size_t>(count) * sizeof(T)) return false;
      for (int64_t i = 0; i < count; ++i) {
        T x;
        std::memcpy(&x, raw.data() + static_cast<size_t>(i) * sizeof(T), sizeof(T));
        v.push_back(static_cast<double>(x));
      }
      return true;
    };
    // Numbers are in raw_data (little-endian `sample`s) or in the type's repeated field.
    auto take = [&](auto sample, const auto& field) {
      if (raw.empty()) v.assign(field.begin(), field.end());
      return raw.empty() || from_raw(sample);
    };
    bool ok = false;
    switch (t.data_type()) {
      case onnx::TensorProto::FLOAT: ok = take(float{}, t.float_data()); break;
      case onnx::TensorProto::DOUBLE: ok = take(double{}, t.double_data()); break;
      case onnx::TensorProto::INT64: ok = take(int64_t{}, t.int64_data()); break;
      case onnx::TensorProto::INT32: ok = take(int32_t{}, t.int32_data()); break;
      default: break;
    }
    if (!ok) return std::nullopt;
    if (static_cast<int64_t>(v.size()) != count) return std::nullopt;
    return v;
  }
  void remember(const std::string& name, const onnx::TensorProto& t) {
    if (const auto v = numbers(t)) {
      if (v->size() == 1) const_scalars_[name] = (*v)[0];
      std::vector<int64_t> ints;
      for (double x : *v) {
        if (!(std::abs(x) < 9.0e18)) return;  // not an index or a bound (NaN, huge)
        ints.push_back(static_cast<int64_t>(x));
      }
      const_ints_[name] = ints;
    }
  }

  // Values computed only from constants: folded away. Small constants keep their numbers.
  void find_constants(const onnx::GraphProto& g) {
    constants_ = initializers_;
    for (const auto& t : g.initializer()) remember(t.name(), t);
    for (const auto& n : g.node())
      if (n.op_type() == "Constant" && n.output_size() == 1)
        for (const auto& a : n.attribute())
          if (a.name() == "value" && a.has_t()) remember(n.output(0), a.t());
    for (const auto& n : g.node()) {
      bool all_const = n.op_type() == "Constant" || n.op_type() == "Shape";
      if (!all_const && n.input_size() > 0) {
        all_const = true;
        for (const auto& in : n.input()) all_const = all_const && (in.empty() || constants_.count(in));
      }
      if (all_const)
        for (const auto& o : n.output()) constants_.insert(o);
    }
  }

  const Value& value(const onnx::NodeProto& n, const std::string& name) const {
    const auto it = values_.find(name);
    if (it == values_.end() || !it->second.known)
      fail_node(n, "the shape of '" + name + "' is not known after shape inference");
    return it->second;
  }

  std::string alias(const std::string& v) const {
    auto it = alias_.find(v);
    return it == alias_.end() ? v : alias(it->second);
  }

  std::string op_name(const onnx::NodeProto& n) {
    std::string s = n.name().empty() ? n.output(0) : n.name();
    std::replace(s.begin(), s.end(), '#', '_');  // '#' is the IR's work-item separator
    std::string unique = s;
    for (int i = 2; !used_names_.insert(unique).second; ++i) unique = s + "_" + std::to_string(i);
    return unique;
  }

  int64_t attr_i(const onnx::NodeProto& n, const std::string& a, int64_t dflt) const {
    for (const auto& x : n.attribute())
      if (x.name() == a) return x.i();
    return dflt;
  }
  std::string attr_s(const onnx::NodeProto& n, const std::string& a, const std::string& dflt) const {
    for (const auto& x : n.attribute())
      if (x.name() == a) return x.s();
    return dflt;
  }
  float attr_f(const onnx::NodeProto& n, const std::string& a, float dflt) const {
    for (const auto& x : n.attribute())
      if (x.name() == a) return x.f();
    return dflt;
  }
  std::vector<int64_t> attr_ints(const onnx::NodeProto& n, const std::string& a) const {
    for (const auto& x : n.attribute())
      if (x.name() == a) return {x.ints().begin(), x.ints().end()};
    return {};
  }
  // A scalar constant input (initializer or Constant node) as a double, if it is one.
  std::optional<double> scalar_const(const std::string& name) const {
    auto it = const_scalars_.find(name);
    if (it != const_scalars_.end()) return it->second;
    return std::nullopt;
  }

  void emit(const onnx::NodeProto& n, const std::string& kind, std::vector<std::string> inputs,
            std::vector<std::string> outputs, ParamValues attrs = {}) {
    Operator op;
    op.name = op_name(n);
    op.kind = kind;
    for (auto& i : inputs) i = alias(i);
    op.inputs = std::move(inputs);
    op.outputs = std::move(outputs);
    op.attrs = std::move(attrs);
    op.loc = SourceLoc{file_, 0, 0};
    for (const auto& i : op.inputs) used_.insert(i);
    for (const auto& o : op.outputs) used_.insert(o);
    wl_->add_op(std::move(op));
  }

  // A node whose only reader is one node of type `type`: that reader.
  const onnx::NodeProto* sole_reader(const onnx::NodeProto& n, const std::string& type) const {
    if (n.output_size() != 1 || graph_outputs_.count(n.output(0))) return nullptr;
    const auto it = consumers_.find(n.output(0));
    if (it == consumers_.end() || it->second.size() != 1 || it->second[0]->op_type() != type) return nullptr;
    return it->second[0];
  }

  void translate(const onnx::NodeProto& n) {
    const std::string& t = n.op_type();
    if (skipped_.count(&n)) return;
    // Quantization is a change of type, applied also to constants (weights stored quantized).
    if ((t == "QuantizeLinear" || t == "DequantizeLinear") && n.input_size() >= 1 && !n.input(0).empty() &&
        n.output_size() >= 1 && !n.output(0).empty()) {
      translate_quantize(n);
      return;
    }
    if (folded(n)) return;
    // Inputs the translation reads by position must be there (a fuzzed model may omit them).
    static const std::map<std::string, int> min_inputs = {
        {"Conv", 2}, {"Gemm", 2}, {"MatMul", 2}, {"BatchNormalization", 5}, {"Add", 2}, {"Sub", 2},
        {"Mul", 2}, {"Div", 2}, {"Max", 2}, {"Min", 2}, {"QLinearConv", 8}, {"QLinearMatMul", 8},
        {"ConvInteger", 2}, {"MatMulInteger", 2}};
    const int need = min_inputs.count(t) ? min_inputs.at(t) : 1;
    bool present = n.input_size() >= need && n.output_size() >= 1 && !n.output(0).empty();
    for (int i = 0; present && i < need; ++i) present = !n.input(i).empty();
    if (!present)
      fail_node(n, "expected at least " + std::to_string(need) + " input(s) and an output, got " +
                       std::to_string(n.input_size()) + " and " + std::to_string(n.output_size()));
    std::vector<std::string> in;
    for (size_t i : data_inputs(n)) in.push_back(n.input(static_cast<int>(i)));
    const std::vector<std::string> out(n.output().begin(), n.output().end());
    auto single_out = [&] { return std::vector<std::string>{out[0]}; };
    ParamValues a;

    if (t == "Dropout" || t == "Identity" || t == "Cast") {
      alias_[out[0]] = in[0];
      return;
    }
    if (t == "Conv" || t == "QLinearConv" || t == "ConvInteger") {
      const auto& w = value(n, n.input(t == "QLinearConv" ? 3 : 1));
      if (w.shape.size() != 4) fail_node(n, "only 2-D convolutions are supported (weight " + std::to_string(w.shape.size()) + "-D)");
      const auto strides = attr_ints(n, "strides"), dil = attr_ints(n, "dilations");
      auto pads = attr_ints(n, "pads");
      if (pads.empty()) pads = {0, 0, 0, 0};
      if (pads.size() == 4) in[0] = take_pad(n, in[0], pads);
      const std::string auto_pad = attr_s(n, "auto_pad", "NOTSET");
      if (auto_pad != "NOTSET" && auto_pad != "VALID") fail_node(n, "auto_pad " + auto_pad + " is not supported; export with explicit pads");
      if (!strides.empty() && strides.size() != 2) fail_node(n, "expected 2 strides");
      if (!dil.empty() && (dil.size() != 2 || dil[0] != dil[1])) fail_node(n, "dilations must be equal in height and width");
      if (pads.size() != 4 || pads[2] < pads[0] || pads[3] < pads[1])
        fail_node(n, "pads [top, left, bottom, right] must have bottom >= top and right >= left");
      a.set("stride", strides.empty() ? int64_t{1} : strides[0]);
      if (!strides.empty() && strides[1] != strides[0]) a.set("stride_w", strides[1]);
      a.set("padding", pads[0]);
      if (pads[1] != pads[0]) a.set("padding_w", pads[1]);
      if (pads[2] != pads[0]) a.set("padding_bottom", pads[2] - pads[0]);
      if (pads[3] != pads[1]) a.set("padding_right", pads[3] - pads[1]);
      if (!dil.empty() && dil[0] != 1) a.set("dilation", dil[0]);
      if (attr_i(n, "group", 1) != 1) a.set("groups", attr_i(n, "group", 1));
      std::vector<std::string> outs = single_out();
      // BatchNormalization right after (the conv's only reader) is folded into the bias.
      if (const onnx::NodeProto* bn = sole_reader(n, "BatchNormalization")) {
        skipped_.insert(bn);
        outs = {bn->output(0)};
        if (in.size() == 2) {
          const std::string bias = (n.name().empty() ? n.output(0) : n.name()) + ".folded_bias";
          folded_biases_[bias] = {w.shape[0]};
          in.push_back(bias);
        }
      }
      emit(n, "conv2d", in, outs, a);
      return;
    }
    if (t == "BatchNormalization") {
      a.set("type", std::string("batchnorm"));
      emit(n, "norm", {in[0], in[1], in[2]}, single_out(), a);  // mean and variance fold into scale and bias
      return;
    }
    if (t == "Gemm") {
      if (attr_i(n, "transA", 0)) fail_node(n, "transA = 1 is not supported");
      if (!constants_.count(n.input(1))) fail_node(n, "B must be a constant (a weight); use MatMul for two activations");
      if (attr_i(n, "transB", 0)) a.set("transpose_b", true);
      emit(n, "gemm", in, single_out(), a);
      return;
    }
    if (t == "MatMul" || t == "QLinearMatMul" || t == "MatMulInteger") {
      const std::string& b = n.input(t == "QLinearMatMul" ? 3 : 1);
      const bool weight = constants_.count(b) && value(n, b).shape.size() == 2;
      emit(n, weight ? "gemm" : "matmul", in, single_out());
      return;
    }
    if (t == "HardSigmoid") {
      // HardSigmoid(x) * x is HardSwish.
      if (const onnx::NodeProto* mul = sole_reader(n, "Mul");
          mul && mul->input_size() == 2 && (mul->input(0) == n.input(0) || mul->input(1) == n.input(0)) &&
          mul->input(0) != mul->input(1)) {
        skipped_.insert(mul);
        a.set("op", std::string("hardswish"));
        emit(n, "elementwise", in, {mul->output(0)}, a);
        return;
      }
    }
    static const std::map<std::string, std::string> unary = {{"Relu", "relu"},       {"Sigmoid", "sigmoid"},
                                                             {"Tanh", "tanh"},       {"Exp", "exp"},
                                                             {"HardSigmoid", "hardsigmoid"}, {"HardSwish", "hardswish"}};
    static const std::map<std::string, std::string> binary = {{"Add", "add"}, {"Sub", "sub"}, {"Mul", "mul"},
                                                              {"Div", "div"}, {"Max", "max"}, {"Min", "min"}};
    if (t == "Div") {
      if (const onnx::NodeProto* end = gelu_end(n)) {
        for (const onnx::NodeProto* r = sole_reader(n, "Erf"); r != end; r = consumers_.at(r->output(0))[0]) skipped_.insert(r);
        skipped_.insert(end);
        a.set("op", std::string("gelu"));
        emit(n, "elementwise", {n.input(0)}, {end->output(0)}, a);
        return;
      }
    }
    if (unary.count(t) || binary.count(t)) {
      if (binary.count(t) && in.size() != 2) fail_node(n, "expected 2 inputs, got " + std::to_string(in.size()));
      a.set("op", unary.count(t) ? unary.at(t) : binary.at(t));
      emit(n, "elementwise", in, single_out(), a);
      return;
    }
    if (t == "Clip") {
      const auto lo = n.input_size() > 1 && !n.input(1).empty() ? scalar_const(n.input(1)) : std::optional<double>(attr_f(n, "min", -3.4e38f));
      const auto hi = n.input_size() > 2 && !n.input(2).empty() ? scalar_const(n.input(2)) : std::optional<double>(attr_f(n, "max", 3.4e38f));
      if (!lo || !hi) fail_node(n, "Clip bounds must be constants");
      if (*lo == 0 && *hi == 6) {
        a.set("op", std::string("relu6"));
      } else if (*lo == 0 && *hi > 1e38) {
        a.set("op", std::string("relu"));
      } else {
        fail_node(n, "only Clip(0, 6) (ReLU6) and Clip(0, inf) (ReLU) are supported");
      }
      emit(n, "elementwise", in, single_out(), a);
      return;
    }
    if (t == "Erf") fail_node(n, "Erf is supported only as part of GELU: x * 0.5 * (1 + erf(x / sqrt(2)))");
    if (t == "Pad") {
      const onnx::NodeProto* r = nullptr;
      for (const char* reader : {"Conv", "AveragePool", "MaxPool"})
        if (!r) r = sole_reader(n, reader);
      const auto p = n.input_size() > 1 ? ints_const(n.input(1)) : attr_ints(n, "pads");
      if (!p.empty() && std::all_of(p.begin(), p.end(), [](int64_t v) { return v == 0; })) {
        alias_[n.output(0)] = in[0];  // nothing to pad (swin's pad to a whole number of windows)
        return;
      }
      const std::string mode = attr_s(n, "mode", "constant");
      const bool zero = n.input_size() < 3 || n.input(2).empty() || scalar_const(n.input(2)) == 0.0;
      const size_t rank = value(n, n.input(0)).shape.size();
      if (mode != "constant" || !zero || p.size() != 2 * rank || std::any_of(p.begin(), p.end(), [](int64_t v) { return v < 0; }))
        fail_node(n, "only padding with zeros (mode constant, value 0, constant non-negative pads) is supported");
      if (r && rank == 4 && !p[0] && !p[1] && !p[4] && !p[5]) {  // spatial: folded into its reader's padding
        pending_pads_[n.output(0)] = {in[0], {p[2], p[3], p[6], p[7]}};
        return;
      }
      std::string text;
      for (int64_t v : p) text += (text.empty() ? "" : ",") + std::to_string(v);
      a.set("pads", text);
      emit(n, "pad", {in[0]}, single_out(), a);
      return;
    }
    if (t == "ReduceMean") {
      // The mean over H and W of an NCHW tensor (torch's x.mean([2, 3])) is a global average pool.
      std::vector<int64_t> axes = attr_ints(n, "axes");
      const Value& x = value(n, n.input(0));
      for (int64_t& ax : axes) ax = ax < 0 ? ax + static_cast<int64_t>(x.shape.size()) : ax;
      std::sort(axes.begin(), axes.end());
      // (Unless it starts a normalization, x - mean(x), as a decomposed InstanceNorm does.)
      const onnx::NodeProto* sub = sole_reader(n, "Sub");
      const bool starts_norm = sub && sub->input_size() == 2 && sub->input(0) == n.input(0) && sub->input(1) == n.output(0);
      if (x.shape.size() == 4 && axes == std::vector<int64_t>{2, 3} && !starts_norm) {
        a.set("type", std::string("avg"));
        a.set("global", true);
        if (attr_i(n, "keepdims", 1)) {
          emit(n, "pool", in, single_out(), a);
        } else {
          const std::string mid = n.output(0) + ".pool";
          values_[mid] = Value{{x.shape[0], x.shape[1], 1, 1}, x.elem_type, true};
          emit(n, "pool", in, {mid}, a);
          emit(n, "reshape", {mid}, single_out());
        }
        return;
      }
      translate_layernorm(n);
      return;
    }

    if (t == "Pow" || t == "Sqrt")
      fail_node(n, "supported only inside a LayerNorm: (x - mean) / sqrt(mean((x - mean)^2) + eps)");
    if (t == "Gather") {
      const auto idx = ints_const(n.input(1));
      const Value& x = value(n, n.input(0));
      int64_t axis = attr_i(n, "axis", 0);
      if (axis < 0) axis += static_cast<int64_t>(x.shape.size());
      const Value& ix = value(n, n.input(1));
      if (idx.size() != 1 || axis < 0 || axis >= static_cast<int64_t>(x.shape.size()) || ix.shape.size() > 1)
        fail_node(n, "only one constant index along one axis is supported");
      const int64_t dim = x.shape[static_cast<size_t>(axis)];
      const int64_t i = idx[0] < 0 ? idx[0] + dim : idx[0];
      if (i < 0 || i >= dim) fail_node(n, "index out of range");
      a.set("axis", axis);
      a.set("start", i);
      a.set("end", i + 1);
      if (ix.shape.size() == 1) {  // [1] index: the axis stays
        emit(n, "slice", {in[0]}, single_out(), a);
        return;
      }
      // A scalar index drops the axis: a slice, then a reshape.
      std::vector<int64_t> kept = x.shape;
      kept[static_cast<size_t>(axis)] = 1;
      const std::string mid = n.output(0) + ".slice";
      values_[mid] = Value{kept, x.elem_type, true};
      emit(n, "slice", {in[0]}, {mid}, a);
      emit(n, "reshape", {mid}, single_out());
      return;
    }
    if (t == "Softmax") {
      a.set("axis", attr_i(n, "axis", -1));
      emit(n, "softmax", in, single_out(), a);
      return;
    }
    if (t == "LayerNormalization") {
      a.set("type", std::string("layernorm"));
      emit(n, "norm", in, single_out(), a);
      return;
    }
    if (t == "MaxPool" || t == "AveragePool") {
      const auto k = attr_ints(n, "kernel_shape"), s = attr_ints(n, "strides");
      auto pads = attr_ints(n, "pads");
      if (pads.empty()) pads = {0, 0, 0, 0};
      if (pads.size() == 4) in[0] = take_pad(n, in[0], pads);
      if (k.size() != 2 || k[0] != k[1]) fail_node(n, "only square 2-D windows are supported");
      if (!s.empty() && (s.size() != 2 || s[0] != s[1])) fail_node(n, "strides must be equal in height and width");
      if (pads.size() != 4 || std::adjacent_find(pads.begin(), pads.end(), std::not_equal_to<>()) != pads.end())
        fail_node(n, "pads must be equal on every side");
      if (attr_i(n, "ceil_mode", 0)) a.set("ceil_mode", true);
      a.set("type", std::string(t == "MaxPool" ? "max" : "avg"));
      a.set("kernel", k[0]);
      a.set("stride", s.empty() ? int64_t{1} : s[0]);
      a.set("padding", pads[0]);
      emit(n, "pool", in, single_out(), a);
      return;
    }
    if (t == "GlobalAveragePool" || t == "GlobalMaxPool") {
      a.set("type", std::string(t == "GlobalMaxPool" ? "max" : "avg"));
      a.set("global", true);
      emit(n, "pool", in, single_out(), a);
      return;
    }
    if (t == "Flatten" || t == "Reshape" || t == "Squeeze" || t == "Unsqueeze") {
      emit(n, "reshape", in, single_out());
      return;
    }
    if (t == "Transpose") {
      std::string perm;
      for (int64_t p : attr_ints(n, "perm")) perm += (perm.empty() ? "" : ",") + std::to_string(p);
      a.set("perm", perm);
      emit(n, "transpose", in, single_out(), a);
      return;
    }
    if (t == "Concat") {
      a.set("axis", attr_i(n, "axis", 0));
      emit(n, "concat", in, single_out(), a);
      return;
    }
    if (t == "Split" || t == "Slice") {
      translate_slices(n, in[0]);
      return;
    }
    fail_node(n, "ONNX operator type '" + t + "' is listed but not translated (a loader bug)");
  }

  // QuantizeLinear(x): x is stored in the quantized type and the output is x; DequantizeLinear(q):
  // the output is q, so its readers read the integer tensor. The scale and zero-point arithmetic
  // is the requantization an integer engine does in its output stage, as in the built-in int8
  // networks, and is not a vector job of its own.
  void translate_quantize(const onnx::NodeProto& n) {
    const std::string x = alias(n.input(0));
    alias_[n.output(0)] = x;
    if (n.op_type() == "QuantizeLinear") {
      const auto it = values_.find(n.output(0));
      if (it == values_.end() || !it->second.elem_type) fail_node(n, "the quantized type is not known after shape inference");
      quantized_[x] = dtype_of(it->second.elem_type);
    }
  }

  // Split: one slice per output along its axis; Slice: one axis, step 1, constant bounds.
  void translate_slices(const onnx::NodeProto& n, const std::string& in) {
    const Value& x = value(n, n.input(0));
    const auto rank = static_cast<int64_t>(x.shape.size());
    if (n.op_type() == "Split") {
      int64_t axis = attr_i(n, "axis", 0);
      if (axis < 0) axis += rank;
      if (axis < 0 || axis >= rank) fail_node(n, "axis out of range");
      int64_t start = 0;
      for (int i = 0; i < n.output_size(); ++i) {
        const Value& part = value(n, n.output(i));
        if (static_cast<int64_t>(part.shape.size()) != rank) fail_node(n, "an output's rank differs from the input's");
        const int64_t len = part.shape[static_cast<size_t>(axis)];
        ParamValues a;
        a.set("axis", axis);
        a.set("start", start);
        a.set("end", start + len);
        emit(n, "slice", {in}, {n.output(i)}, a);
        start += len;
      }
      return;
    }
    // Slice: constant starts, axes and positive steps; one slice op per axis that changes.
    const auto starts = n.input_size() > 1 ? ints_const(n.input(1)) : std::vector<int64_t>{};
    std::vector<int64_t> axes = n.input_size() > 3 && !n.input(3).empty() ? ints_const(n.input(3)) : std::vector<int64_t>{};
    std::vector<int64_t> steps = n.input_size() > 4 && !n.input(4).empty() ? ints_const(n.input(4)) : std::vector<int64_t>{};
    if (axes.empty() && !(n.input_size() > 3 && !n.input(3).empty()))
      for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
    if (steps.empty() && !(n.input_size() > 4 && !n.input(4).empty())) steps.assign(starts.size(), 1);
    if (starts.empty() || axes.size() != starts.size() || steps.size() != starts.size() ||
        std::any_of(steps.begin(), steps.end(), [](int64_t k) { return k < 1; }))
      fail_node(n, "only slices with constant starts, axes and positive steps are supported");
    const Value& y = value(n, n.output(0));
    if (static_cast<int64_t>(y.shape.size()) != rank) fail_node(n, "the output's rank differs from the input's");
    std::string cur = in;
    std::vector<int64_t> shape = x.shape;
    std::vector<ParamValues> cuts;
    for (size_t j = 0; j < axes.size(); ++j) {
      const int64_t axis = axes[j] < 0 ? axes[j] + rank : axes[j];
      if (axis < 0 || axis >= rank) fail_node(n, "axis out of range");
      const int64_t dim = x.shape[static_cast<size_t>(axis)], len = y.shape[static_cast<size_t>(axis)];
      const int64_t s = std::clamp<int64_t>(starts[j] < 0 ? starts[j] + dim : starts[j], 0, dim);
      if (len == dim && (s == 0 || len == 0)) continue;  // the whole axis
      if (len < 1 || s + (len - 1) * steps[j] >= dim) fail_node(n, "the output's shape does not fit the slice");
      ParamValues a;
      a.set("axis", axis);
      a.set("start", s);
      a.set("end", s + (len - 1) * steps[j] + 1);
      if (steps[j] != 1) a.set("step", steps[j]);
      cuts.push_back(std::move(a));
    }
    if (cuts.empty()) {  // takes everything: an alias
      alias_[n.output(0)] = in;
      return;
    }
    for (size_t c = 0; c < cuts.size(); ++c) {
      const auto axis = static_cast<size_t>(cuts[c].i("axis"));
      shape[axis] = y.shape[axis];
      std::string next = c + 1 == cuts.size() ? n.output(0) : n.output(0) + ".axis" + std::to_string(axis);
      if (c + 1 < cuts.size()) values_[next] = Value{shape, x.elem_type, true};
      emit(n, "slice", {cur}, {next}, cuts[c]);
      cur = next;
    }
  }

  // A Pad this Conv or pool reads (translated before it): its input instead, and its padding
  // added to `pads` [top, left, bottom, right].
  std::string take_pad(const onnx::NodeProto&, const std::string& input, std::vector<int64_t>& pads) {
    const auto it = pending_pads_.find(input);
    if (it == pending_pads_.end()) return input;
    for (size_t i = 0; i < 4; ++i) pads[i] += it->second.second[i];
    return it->second.first;
  }

  // LayerNorm as torch exports it below opset 17: m = ReduceMean(x); d = Sub(x, m);
  // v = ReduceMean(Pow(d, 2)); y = Div(d, Sqrt(Add(v, eps))); then Mul(gamma), Add(beta).
  void translate_layernorm(const onnx::NodeProto& r1) {
    auto fail_ln = [&] {
      fail_node(r1, "ReduceMean is supported only as the start of a LayerNorm: (x - mean) / sqrt(mean((x - mean)^2) + eps)");
    };
    auto readers = [&](const onnx::NodeProto& n) -> const std::vector<const onnx::NodeProto*>& {
      static const std::vector<const onnx::NodeProto*> none;
      const auto it = consumers_.find(n.output(0));
      return n.output_size() == 1 && it != consumers_.end() ? it->second : none;
    };
    auto other = [](const onnx::NodeProto& n, const std::string& v) { return n.input(0) == v ? n.input(1) : n.input(0); };
    const std::string x = r1.input(0);
    const onnx::NodeProto* sub = sole_reader(r1, "Sub");
    if (!sub || sub->input_size() != 2 || sub->input(0) != x || sub->input(1) != r1.output(0)) fail_ln();
    const onnx::NodeProto *pow = nullptr, *div = nullptr;
    for (const onnx::NodeProto* c : readers(*sub)) {
      if (c->op_type() == "Pow" && !pow) pow = c;
      else if (c->op_type() == "Div" && !div) div = c;
      else fail_ln();
    }
    if (!pow || !div || pow->input_size() != 2 || scalar_const(pow->input(1)) != 2.0) fail_ln();
    const onnx::NodeProto* r2 = sole_reader(*pow, "ReduceMean");
    const onnx::NodeProto* add = r2 ? sole_reader(*r2, "Add") : nullptr;
    const onnx::NodeProto* sqrt = add ? sole_reader(*add, "Sqrt") : nullptr;
    if (!sqrt || add->input_size() != 2 || !constants_.count(other(*add, r2->output(0))) || div->input_size() != 2 ||
        div->input(0) != sub->output(0) || div->input(1) != sqrt->output(0) || sole_reader(*sqrt, "Div") != div)
      fail_ln();
    std::vector<std::string> inputs{x};
    const onnx::NodeProto* end = div;
    if (const onnx::NodeProto* mul = sole_reader(*div, "Mul");
        mul && mul->input_size() == 2 && constants_.count(other(*mul, div->output(0)))) {
      inputs.push_back(other(*mul, div->output(0)));
      end = mul;
      if (const onnx::NodeProto* bias = sole_reader(*mul, "Add");
          bias && bias->input_size() == 2 && constants_.count(other(*bias, mul->output(0)))) {
        inputs.push_back(other(*bias, mul->output(0)));
        end = bias;
      }
    }
    for (const onnx::NodeProto* n : {sub, pow, r2, add, sqrt, div}) skipped_.insert(n);
    for (const onnx::NodeProto* n = div; n != end;) {
      n = consumers_.at(n->output(0))[0];
      skipped_.insert(n);
    }
    ParamValues a;
    a.set("type", std::string("layernorm"));
    emit(r1, "norm", inputs, {end->output(0)}, a);
  }

  // x * 0.5 * (1 + erf(x / sqrt 2)), as torch exports GELU: Div(x, sqrt 2) -> Erf -> Add(1) ->
  // Mul(x) -> Mul(0.5). Returns the last Mul when `div` starts that chain.
  const onnx::NodeProto* gelu_end(const onnx::NodeProto& div) const {
    const onnx::NodeProto* erf = sole_reader(div, "Erf");
    const onnx::NodeProto* add = erf ? sole_reader(*erf, "Add") : nullptr;
    const onnx::NodeProto* mul = add ? sole_reader(*add, "Mul") : nullptr;
    const onnx::NodeProto* half = mul ? sole_reader(*mul, "Mul") : nullptr;
    if (!half || add->input_size() != 2 || mul->input_size() != 2 || half->input_size() != 2) return nullptr;
    auto other = [](const onnx::NodeProto& n, const std::string& v) { return n.input(0) == v ? n.input(1) : n.input(0); };
    auto near = [](std::optional<double> c, double want) { return c && std::abs(*c - want) < 1e-3 * want; };
    if (!near(scalar_const(div.input(1)), std::sqrt(2.0)) || !near(scalar_const(other(*add, erf->output(0))), 1.0) ||
        other(*mul, add->output(0)) != div.input(0) || !near(scalar_const(other(*half, mul->output(0))), 0.5))
      return nullptr;
    return half;
  }

  std::vector<int64_t> ints_const(const std::string& name) const {
    const auto it = const_ints_.find(name);
    if (it == const_ints_.end()) return {};
    return it->second;
  }

  DType dtype_of(int32_t elem_type) const {
    switch (elem_type) {
      case onnx::TensorProto::INT8:
      case onnx::TensorProto::UINT8: return DType::int8;
      case onnx::TensorProto::INT16:
      case onnx::TensorProto::UINT16: return DType::int16;
      case onnx::TensorProto::INT32:
      case onnx::TensorProto::UINT32: return DType::int32;
      default: return opt_.dtype;  // float graphs take the machine's integer format
    }
  }

  void declare_tensors(const onnx::GraphProto&) {
    for (const auto& v : used_) {
      Tensor t;
      t.name = v;
      t.loc = SourceLoc{file_, 0, 0};
      if (auto fb = folded_biases_.find(v); fb != folded_biases_.end()) {
        t.shape = fb->second;
        t.dtype = opt_.dtype;
        t.role = TensorRole::weight;
      } else {
        const auto it = values_.find(v);
        if (it == values_.end() || !it->second.known)
          fail("the shape of '" + v + "' is not known after shape inference", "values." + v);
        t.shape = it->second.shape;
        const auto q = quantized_.find(v);
        t.dtype = q != quantized_.end() ? q->second : dtype_of(it->second.elem_type);
        t.role = constants_.count(v)       ? TensorRole::weight
                 : graph_inputs_.count(v)  ? TensorRole::input
                 : graph_outputs_.count(v) ? TensorRole::output
                                           : TensorRole::activation;
      }
      wl_->add_tensor(std::move(t));
    }
  }

  const std::string file_;
  const OnnxOptions& opt_;
  Workload* wl_ = nullptr;
  std::unordered_map<std::string, Value> values_;
  std::set<std::string> initializers_, constants_, graph_inputs_, graph_outputs_, used_names_;
  std::set<std::string> used_;  // values the operators read or write, declared as tensors
  std::unordered_map<std::string, std::vector<const onnx::NodeProto*>> consumers_;
  std::unordered_set<const onnx::NodeProto*> skipped_;
  std::unordered_map<std::string, std::string> alias_;
  std::unordered_map<std::string, DType> quantized_;  // values a QuantizeLinear stores in an integer type
  // Pad outputs read by one Conv or pool: (the Pad's input, [top, left, bottom, right]).
  std::unordered_map<std::string, std::pair<std::string, std::vector<int64_t>>> pending_pads_;
  std::map<std::string, std::vector<int64_t>> folded_biases_;
  std::unordered_map<std::string, double> const_scalars_;
  std::unordered_map<std::string, std::vector<int64_t>> const_ints_;
};

}  // namespace

Workload parse_onnx(const std::string& bytes, const std::string& name, const OnnxOptions& opt) {
  return OnnxReader(name, opt).read(bytes);
}

Workload load_onnx_file(const std::string& path, const OnnxOptions& opt) { return OnnxReader(path, opt).read_file(path); }

std::vector<std::pair<std::string, std::string>> onnx_supported_ops() {
  return {supported().begin(), supported().end()};
}

}  // namespace tessera
