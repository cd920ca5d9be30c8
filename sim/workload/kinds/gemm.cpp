// gemm / fully_connected: out[..., N] = A[..., K] x W[K, N] (+ bias[N]).
// Leading dims of A are folded into m, so a Linear layer over a sequence is one GEMM.
#include "sim/workload/op_kind.h"

namespace tessera {
namespace {

std::vector<ParamDecl> gemm_params() {
  return {ParamDecl::boolean("transpose_b", "false", "the weight is stored [N, K] (PyTorch Linear layout)")};
}

class GemmKind : public IOpKind {
 public:
  void validate(const Operator& op, const Workload& wl) const override {
    expect_arity(op, 2, 3, 1);
    expect_input_rank(op, wl, 0, 1, true);
    expect_input_rank(op, wl, 1, 2);
    const auto& a = wl.tensor(op.inputs[0]).shape;
    const auto& w = wl.tensor(op.inputs[1]).shape;
    const bool tb = op.attrs.b("transpose_b");
    const int64_t k = w[tb ? 1 : 0], n = w[tb ? 0 : 1];
    if (a.back() != k)
      op_error(op,
               "input '" + op.inputs[0] + "' " + shape_text(a) + " has K = " + std::to_string(a.back()) +
                   " but weight '" + op.inputs[1] + "' " + shape_text(w) + " has K = " + std::to_string(k) +
                   (tb ? " (transpose_b: weight is [N, K])" : " (weight is [K, N])"),
               op.input_loc(1));
    if (op.inputs.size() == 3) expect_input_shape(op, wl, 2, {n}, "bias is [N]");
    std::vector<int64_t> out = a;
    out.back() = n;
    expect_output_shape(op, wl, 0, out, "A " + shape_text(a) + " x W " + shape_text(w));
  }
  std::vector<LoweredOp> lower(const Operator& op, const Workload& wl) const override {
    const auto& a = wl.tensor(op.inputs[0]).shape;
    const auto& w = wl.tensor(op.inputs[1]).shape;
    const bool tb = op.attrs.b("transpose_b");
    GemmShape g;
    g.k = a.back();
    g.n = w[tb ? 0 : 1];
    g.m = wl.tensor(op.inputs[0]).elements() / g.k;
    return {gemm_work(op, wl, g, 1, op.inputs[0], op.inputs[1], op.outputs[0], tb)};
  }
  std::optional<GemmLayout> gemm_layout(const Operator& op, const Workload& wl, size_t) const override {
    const GemmShape g = lower(op, wl)[0].gemm;
    const bool tb = op.attrs.b("transpose_b");
    GemmLayout l;
    l.a = [g](int64_t, int64_t m, int64_t k) { return m * g.k + k; };
    l.b = [g, tb](int64_t, int64_t k, int64_t n) { return tb ? n * g.k + k : k * g.n + n; };
    l.out = [g](int64_t, int64_t m, int64_t n) { return m * g.n + n; };
    return l;
  }
};

}  // namespace
}  // namespace tessera

TESSERA_REGISTER_OP_KIND("gemm", "A[..., K] x W[K, N] (+ bias[N]); leading dims of A fold into M", tessera::gemm_params,
                         tessera::GemmKind);
TESSERA_REGISTER_OP_KIND("fully_connected", "alias of gemm", tessera::gemm_params, tessera::GemmKind);
