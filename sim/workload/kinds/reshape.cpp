// reshape (flatten, split heads, ...): same elements, new shape. No engine work.
#include "sim/workload/op_kind.h"

namespace tessera {
namespace {

std::vector<ParamDecl> reshape_params() { return {}; }

class ReshapeKind : public IOpKind {
 public:
  void validate(const Operator& op, const Workload& wl) const override {
    expect_arity(op, 1, 1, 1);
    const Tensor& x = wl.tensor(op.inputs[0]);
    const Tensor& y = wl.tensor(op.outputs[0]);
    if (x.elements() != y.elements())
      op_error(op,
               "output '" + y.name + "' " + shape_text(y.shape) + " has " + std::to_string(y.elements()) +
                   " elements, input '" + x.name + "' " + shape_text(x.shape) + " has " + std::to_string(x.elements()),
               op.output_loc(0));
  }
  std::vector<LoweredOp> lower(const Operator&, const Workload&) const override { return {}; }
};

}  // namespace
}  // namespace tessera

TESSERA_REGISTER_OP_KIND("reshape", "same elements, new shape (data movement only)", tessera::reshape_params,
                         tessera::ReshapeKind);
