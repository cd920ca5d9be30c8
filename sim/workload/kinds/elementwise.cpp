// elementwise: unary or binary (NumPy broadcasting) element-wise op. Lowered to one vector job
// per primitive of the op's recipe below, each over the output's elements.
#include <algorithm>
#include <map>

#include "sim/workload/op_kind.h"

namespace tessera {
namespace {

struct Recipe {
  int arity;
  std::vector<std::pair<const char*, int64_t>> prims;  // tech-library primitive, ops per element
};

// Costs per output element, in the primitives the tech library prices. Transcendentals are
// counted as one `exp` plus the arithmetic around it: tanh = (e^2x - 1)/(e^2x + 1);
// gelu uses the tanh approximation 0.5x(1 + tanh(0.79788(x + 0.044715x^3))).
const std::map<std::string, Recipe>& recipes() {
  static const std::map<std::string, Recipe> r = {
      {"add", {2, {{"add", 1}}}},
      {"sub", {2, {{"add", 1}}}},
      {"mul", {2, {{"mul", 1}}}},
      {"div", {2, {{"div", 1}}}},
      {"max", {2, {{"max", 1}}}},
      {"min", {2, {{"max", 1}}}},
      {"relu", {1, {{"max", 1}}}},
      {"relu6", {1, {{"max", 2}}}},
      {"exp", {1, {{"exp", 1}}}},
      {"tanh", {1, {{"exp", 1}, {"add", 2}, {"div", 1}}}},
      {"sigmoid", {1, {{"exp", 1}, {"add", 1}, {"div", 1}}}},
      {"silu", {1, {{"exp", 1}, {"add", 1}, {"div", 1}, {"mul", 1}}}},
      {"gelu", {1, {{"mul", 6}, {"add", 4}, {"exp", 1}, {"div", 1}}}},
      // hardsigmoid = clamp(a*x + b, 0, 1); hardswish = x * hardsigmoid(x).
      {"hardsigmoid", {1, {{"mul", 1}, {"add", 1}, {"max", 2}}}},
      {"hardswish", {1, {{"mul", 2}, {"add", 1}, {"max", 2}}}},
      // x*cos + rotate_half(x)*sin, tables implicit.
      {"rope", {1, {{"mul", 2}, {"add", 1}}}},
  };
  return r;
}

std::vector<ParamDecl> elementwise_params() {
  std::vector<std::string> names;
  for (const auto& [k, _] : recipes()) names.push_back(k);
  return {ParamDecl::choice("op", names, std::nullopt, "the element-wise function")};
}

class ElementwiseKind : public IOpKind {
 public:
  void validate(const Operator& op, const Workload& wl) const override {
    const Recipe& r = recipes().at(op.attrs.s("op"));
    if (op.inputs.size() != static_cast<size_t>(r.arity))
      op_error(op, "op " + op.attrs.s("op") + " takes " + std::to_string(r.arity) + " input(s), got " +
                       std::to_string(op.inputs.size()));
    expect_arity(op, 1, 2, 1);
    std::vector<int64_t> out = wl.tensor(op.inputs[0]).shape;
    if (r.arity == 2) {
      // NumPy broadcasting: align right; each pair of dims equal or one of them 1.
      const auto& b = wl.tensor(op.inputs[1]).shape;
      const std::vector<int64_t> a = out;
      out.assign(std::max(a.size(), b.size()), 1);
      for (size_t i = 0; i < out.size(); ++i) {
        const int64_t da = i < a.size() ? a[a.size() - 1 - i] : 1;
        const int64_t db = i < b.size() ? b[b.size() - 1 - i] : 1;
        if (da != db && da != 1 && db != 1)
          op_error(op,
                   "inputs '" + op.inputs[0] + "' " + shape_text(a) + " and '" + op.inputs[1] + "' " + shape_text(b) +
                       " do not broadcast",
                   op.input_loc(1));
        out[out.size() - 1 - i] = std::max(da, db);
      }
    }
    expect_output_shape(op, wl, 0, out, r.arity == 2 ? "broadcast of the inputs" : "same as the input");
  }
  std::vector<LoweredOp> lower(const Operator& op, const Workload& wl) const override {
    std::vector<LoweredOp> v;
    const int64_t n = wl.tensor(op.outputs[0]).elements();
    for (const auto& [prim, count] : recipes().at(op.attrs.s("op")).prims) {
      v.push_back(vector_work(op, n, count, prim, op.inputs[0], op.outputs[0]));
      if (op.inputs.size() == 2) v.back().b_tensor = op.inputs[1];
    }
    return v;
  }
};

}  // namespace
}  // namespace tessera

TESSERA_REGISTER_OP_KIND("elementwise", "element-wise function of one or two (broadcast) tensors",
                         tessera::elementwise_params, tessera::ElementwiseKind);
