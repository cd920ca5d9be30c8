// softmax over one axis (default the last). Per element: running max, x - max, exp, sum, and
// a multiply by the row's reciprocal; per row one divide.
#include "sim/workload/op_kind.h"

namespace tessera {
namespace {

std::vector<ParamDecl> softmax_params() {
  return {ParamDecl::integer("axis", "", "-1", -64, 63, "axis to normalise; negative counts from the end")};
}

class SoftmaxKind : public IOpKind {
 public:
  void validate(const Operator& op, const Workload& wl) const override {
    expect_arity(op, 1, 1, 1);
    const auto& x = wl.tensor(op.inputs[0]).shape;
    const int64_t r = static_cast<int64_t>(x.size()), a = op.attrs.i("axis");
    if (a < -r || a >= r)
      op_error(op, "axis " + std::to_string(a) + " is out of range for '" + op.inputs[0] + "' " + shape_text(x),
               op.attr_loc("axis"));
    expect_output_shape(op, wl, 0, x, "same as the input");
  }
  std::vector<LoweredOp> lower(const Operator& op, const Workload& wl) const override {
    const Tensor& x = wl.tensor(op.inputs[0]);
    int64_t a = op.attrs.i("axis");
    if (a < 0) a += static_cast<int64_t>(x.shape.size());
    const int64_t n = x.elements(), rows = n / x.shape[static_cast<size_t>(a)];
    const std::string &in = op.inputs[0], &out = op.outputs[0];
    return {vector_work(op, n, 1, "max", in, out), vector_work(op, n, 2, "add", in, out),
            vector_work(op, n, 1, "exp", in, out), vector_work(op, n, 1, "mul", in, out),
            vector_work(op, rows, 1, "div", in, out)};
  }
};

}  // namespace
}  // namespace tessera

TESSERA_REGISTER_OP_KIND("softmax", "softmax along one axis", tessera::softmax_params, tessera::SoftmaxKind);
