// norm: batchnorm (inference: per-channel scale and shift, channels = dim 1), layernorm and
// rmsnorm (over the last dim). Inputs: x, then optional scale (gamma) and shift (beta) of
// shape [channels]. Output has x's shape.
#include "sim/workload/op_kind.h"

namespace tessera {
namespace {

std::vector<ParamDecl> norm_params() {
  return {ParamDecl::choice("type", {"batchnorm", "layernorm", "rmsnorm"}, std::nullopt, "normalisation")};
}

class NormKind : public IOpKind {
 public:
  void validate(const Operator& op, const Workload& wl) const override {
    const bool bn = op.attrs.s("type") == "batchnorm";
    expect_arity(op, 1, op.attrs.s("type") == "rmsnorm" ? 2 : 3, 1);
    expect_input_rank(op, wl, 0, bn ? 2 : 1, true);
    const auto& x = wl.tensor(op.inputs[0]).shape;
    const int64_t c = bn ? x[1] : x.back();
    for (size_t i = 1; i < op.inputs.size(); ++i)
      expect_input_shape(op, wl, i, {c},
                         bn ? "one value per channel (dim 1)" : "one value per element of the last dim");
    expect_output_shape(op, wl, 0, x, "same as the input");
  }
  std::vector<LoweredOp> lower(const Operator& op, const Workload& wl) const override {
    const Tensor& x = wl.tensor(op.inputs[0]);
    const int64_t n = x.elements(), rows = n / x.shape.back();
    const std::string& t = op.attrs.s("type");
    const std::string &in = op.inputs[0], &out = op.outputs[0];
    if (t == "batchnorm")  // folded to y = x*scale + shift
      return {vector_work(op, n, 1, "mul", in, out), vector_work(op, n, 1, "add", in, out)};
    if (t == "layernorm")  // mean, x-mean, square, sum of squares, shift; *rstd, *gamma; per row 1/sqrt
      return {vector_work(op, n, 4, "add", in, out), vector_work(op, n, 3, "mul", in, out),
              vector_work(op, rows, 1, "rsqrt", in, out)};
    // rmsnorm: square, sum; *rstd, *gamma; per row 1/sqrt
    return {vector_work(op, n, 1, "add", in, out), vector_work(op, n, 3, "mul", in, out),
            vector_work(op, rows, 1, "rsqrt", in, out)};
  }
};

}  // namespace
}  // namespace tessera

TESSERA_REGISTER_OP_KIND("norm", "batchnorm / layernorm / rmsnorm", tessera::norm_params, tessera::NormKind);
