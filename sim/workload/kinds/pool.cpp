// pool: max or average pooling over NCHW windows; `global` pools the whole H x W.
// Lowered to one vector job of kernel*kernel `max` (or `add`) per output element, plus one
// `mul` per output for the average's scaling.
#include "sim/workload/op_kind.h"

namespace tessera {
namespace {

std::vector<ParamDecl> pool_params() {
  return {
      ParamDecl::choice("type", {"max", "avg"}, std::nullopt, "pooling function"),
      ParamDecl::integer("kernel", "", "1", 1, 65536, "square window size (ignored when global)"),
      ParamDecl::integer("stride", "", "0", 0, 65536, "window step; 0 = kernel"),
      ParamDecl::integer("padding", "", "0", 0, 65536, "padding on each side"),
      ParamDecl::boolean("global", "false", "pool all of H x W to 1 x 1"),
      ParamDecl::boolean("ceil_mode", "false",
                         "output size rounded up: a last, partial window when the stride does not divide "
                         "(PyTorch ceil_mode, ONNX ceil_mode)"),
  };
}

class PoolKind : public IOpKind {
 public:
  void validate(const Operator& op, const Workload& wl) const override {
    expect_arity(op, 1, 1, 1);
    expect_input_rank(op, wl, 0, 4);
    const auto& x = wl.tensor(op.inputs[0]).shape;
    const int64_t k = op.attrs.i("kernel"), p = op.attrs.i("padding");
    if (!op.attrs.b("global") && (x[2] + 2 * p < k || x[3] + 2 * p < k))
      op_error(op, "kernel " + std::to_string(k) + " does not fit input '" + op.inputs[0] + "' " + shape_text(x),
               op.attr_loc("kernel"));
    if (!op.attrs.b("global") && p * 2 > k)
      op_error(op, "padding " + std::to_string(p) + " is more than half the kernel " + std::to_string(k),
               op.attr_loc("padding"));
    const auto o = out_hw(op, x);
    expect_output_shape(op, wl, 0, {x[0], x[1], o.first, o.second},
                        op.attrs.b("global") ? "global pooling"
                                             : "kernel " + std::to_string(k) + ", stride " +
                                                   std::to_string(stride(op)) + ", padding " + std::to_string(p));
  }
  std::vector<LoweredOp> lower(const Operator& op, const Workload& wl) const override {
    const auto& x = wl.tensor(op.inputs[0]).shape;
    const bool global = op.attrs.b("global");
    const int64_t window = global ? checked_mul(op, x[2], x[3]) : op.attrs.i("kernel") * op.attrs.i("kernel");
    const int64_t n = wl.tensor(op.outputs[0]).elements();
    const bool avg = op.attrs.s("type") == "avg";
    std::vector<LoweredOp> v{vector_work(op, n, window, avg ? "add" : "max", op.inputs[0], op.outputs[0])};
    if (avg) v.push_back(vector_work(op, n, 1, "mul", op.inputs[0], op.outputs[0]));
    return v;
  }

 private:
  static int64_t stride(const Operator& op) {
    return op.attrs.i("stride") ? op.attrs.i("stride") : op.attrs.i("kernel");
  }
  static std::pair<int64_t, int64_t> out_hw(const Operator& op, const std::vector<int64_t>& x) {
    if (op.attrs.b("global")) return {1, 1};
    const int64_t k = op.attrs.i("kernel"), s = stride(op), p = op.attrs.i("padding");
    auto size = [&](int64_t in) {
      if (!op.attrs.b("ceil_mode")) return (in + 2 * p - k) / s + 1;
      // Rounded up, but the last window must start inside the input or its left padding
      // (PyTorch's pooling_output_shape, which ONNX follows).
      int64_t o = (in + 2 * p - k + s - 1) / s + 1;
      if ((o - 1) * s >= in + p) --o;
      return o;
    };
    return {size(x[2]), size(x[3])};
  }
};

}  // namespace
}  // namespace tessera

TESSERA_REGISTER_OP_KIND("pool", "max/avg pooling over NCHW (square window, or global)", tessera::pool_params,
                         tessera::PoolKind);
