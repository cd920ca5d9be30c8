// slice: elements [start, end) of one axis, every step-th (e.g. the class token of a ViT, swin's
// patch merging x[:, 0::2]). No engine work.
#include "sim/workload/op_kind.h"

namespace tessera {
namespace {

std::vector<ParamDecl> slice_params() {
  return {
      ParamDecl::integer("axis", "", std::nullopt, -64, 63, "axis to cut; negative counts from the end"),
      ParamDecl::integer("start", "", "0", 0, 9.0e15, "first index kept"),
      ParamDecl::integer("end", "", std::nullopt, 1, 9.0e15, "one past the last index kept"),
      ParamDecl::integer("step", "", "1", 1, 9.0e15, "keep every step-th index from start"),
  };
}

class SliceKind : public IOpKind {
 public:
  void validate(const Operator& op, const Workload& wl) const override {
    expect_arity(op, 1, 1, 1);
    std::vector<int64_t> out = wl.tensor(op.inputs[0]).shape;
    const int64_t r = static_cast<int64_t>(out.size());
    int64_t a = op.attrs.i("axis");
    if (a < -r || a >= r)
      op_error(op, "axis " + std::to_string(a) + " is out of range for '" + op.inputs[0] + "' " + shape_text(out),
               op.attr_loc("axis"));
    if (a < 0) a += r;
    const int64_t s = op.attrs.i("start"), e = op.attrs.i("end");
    if (s >= e || e > out[static_cast<size_t>(a)])
      op_error(op,
               "range [" + std::to_string(s) + ", " + std::to_string(e) + ") is empty or outside dim " +
                   std::to_string(a) + " of '" + op.inputs[0] + "' " + shape_text(out),
               op.attr_loc("end"));
    const int64_t step = op.attrs.i("step");
    out[static_cast<size_t>(a)] = (e - s + step - 1) / step;
    expect_output_shape(op, wl, 0, out, "input cut along axis " + std::to_string(a));
  }
  std::vector<LoweredOp> lower(const Operator&, const Workload&) const override { return {}; }
};

}  // namespace
}  // namespace tessera

TESSERA_REGISTER_OP_KIND("slice", "elements [start, end) of one axis, every step-th (data movement only)", tessera::slice_params,
                         tessera::SliceKind);
