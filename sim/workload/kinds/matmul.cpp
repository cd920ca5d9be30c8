// matmul / batched_matmul: A[..., M, K] x B[..., K, N] -> [..., M, N]; with transpose_b,
// B is [..., N, K] (attention's Q x K^T). B either has A's batch dims (one GEMM per batch
// element: `groups`) or is 2-D and shared (the batch then folds into M).
#include "sim/workload/op_kind.h"

namespace tessera {
namespace {

std::vector<ParamDecl> matmul_params() {
  return {ParamDecl::boolean("transpose_b", "false", "B is stored [..., N, K] (e.g. K in Q x K^T)")};
}

class MatmulKind : public IOpKind {
 public:
  void validate(const Operator& op, const Workload& wl) const override {
    expect_arity(op, 2, 2, 1);
    expect_input_rank(op, wl, 0, 2, true);
    expect_input_rank(op, wl, 1, 2, true);
    const auto& a = wl.tensor(op.inputs[0]).shape;
    const auto& b = wl.tensor(op.inputs[1]).shape;
    const bool tb = op.attrs.b("transpose_b");
    const size_t ra = a.size(), rb = b.size();
    if (rb != 2 && !std::equal(a.begin(), a.end() - 2, b.begin(), b.end() - 2))
      op_error(op,
               "batch dims of '" + op.inputs[0] + "' " + shape_text(a) + " and '" + op.inputs[1] + "' " +
                   shape_text(b) + " differ (B must have A's batch dims or be 2-D)",
               op.input_loc(1));
    const int64_t kb = b[rb - (tb ? 1 : 2)], n = b[rb - (tb ? 2 : 1)];
    if (a[ra - 1] != kb)
      op_error(op,
               "'" + op.inputs[0] + "' " + shape_text(a) + " has K = " + std::to_string(a[ra - 1]) + " but '" +
                   op.inputs[1] + "' " + shape_text(b) + " has K = " + std::to_string(kb) +
                   (tb ? " (transpose_b: B is [..., N, K])" : " (B is [..., K, N])"),
               op.input_loc(1));
    std::vector<int64_t> out = a;
    out.back() = n;
    expect_output_shape(op, wl, 0, out, shape_text(a) + " x " + shape_text(b) + (tb ? "^T" : ""));
  }
  std::vector<LoweredOp> lower(const Operator& op, const Workload& wl) const override {
    const auto& a = wl.tensor(op.inputs[0]).shape;
    const auto& b = wl.tensor(op.inputs[1]).shape;
    const bool tb = op.attrs.b("transpose_b");
    int64_t batch = 1;
    for (size_t i = 0; i + 2 < a.size(); ++i) batch = checked_mul(op, batch, a[i]);
    GemmShape g;
    g.m = a[a.size() - 2];
    g.k = a.back();
    g.n = b[b.size() - (tb ? 2 : 1)];
    int64_t groups = batch;
    if (b.size() == 2) {  // shared B: the batch is just more rows
      g.m = checked_mul(op, g.m, batch);
      groups = 1;
    }
    return {gemm_work(op, wl, g, groups, op.inputs[0], op.inputs[1], op.outputs[0], tb)};
  }
};

}  // namespace
}  // namespace tessera

TESSERA_REGISTER_OP_KIND("matmul", "A[..., M, K] x B[..., K, N]; both operands may be activations",
                         tessera::matmul_params, tessera::MatmulKind);
TESSERA_REGISTER_OP_KIND("batched_matmul", "alias of matmul", tessera::matmul_params, tessera::MatmulKind);
