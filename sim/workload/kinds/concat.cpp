// concat: joins its inputs along `axis`. Pure data movement: no engine work (the memory
// system places the pieces side by side).
#include "sim/workload/op_kind.h"

namespace tessera {
namespace {

std::vector<ParamDecl> concat_params() {
  return {ParamDecl::integer("axis", "", "1", -64, 63, "axis to join along; negative counts from the end")};
}

class ConcatKind : public IOpKind {
 public:
  void validate(const Operator& op, const Workload& wl) const override {
    expect_arity(op, 1, 1 << 20, 1);
    std::vector<int64_t> out = wl.tensor(op.inputs[0]).shape;
    const int64_t r = static_cast<int64_t>(out.size());
    int64_t a = op.attrs.i("axis");
    if (a < -r || a >= r)
      op_error(op, "axis " + std::to_string(a) + " is out of range for '" + op.inputs[0] + "' " + shape_text(out),
               op.attr_loc("axis"));
    if (a < 0) a += r;
    const size_t ax = static_cast<size_t>(a);
    for (size_t i = 1; i < op.inputs.size(); ++i) {
      const auto& s = wl.tensor(op.inputs[i]).shape;
      std::vector<int64_t> want = out;
      if (s.size() == want.size()) want[ax] = s[ax];
      if (s != want)
        op_error(op,
                 "input '" + op.inputs[i] + "' has shape " + shape_text(s) + ", expected " + shape_text(want) +
                     " (all inputs match except along axis " + std::to_string(a) + ")",
                 op.input_loc(i));
      // The same tensor may be listed many times: keep the sum inside 64 bits.
      if (__builtin_add_overflow(out[ax], s[ax], &out[ax])) op_error(op, "output size overflows 64 bits");
    }
    expect_output_shape(op, wl, 0, out, "inputs joined along axis " + std::to_string(a));
  }
  std::vector<LoweredOp> lower(const Operator&, const Workload&) const override { return {}; }
};

}  // namespace
}  // namespace tessera

TESSERA_REGISTER_OP_KIND("concat", "join tensors along an axis (data movement only)", tessera::concat_params,
                         tessera::ConcatKind);
