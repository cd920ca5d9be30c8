// pad: zeros added before and after each dim (swin's pad to a whole number of windows, where no
// convolution or pool reads the result to fold it into). Data movement only: no engine work.
#include <cstdlib>

#include "sim/workload/op_kind.h"

namespace tessera {
namespace {

std::vector<ParamDecl> pad_params() {
  return {ParamDecl::string("pads", std::nullopt,
                            "zeros before each dim, then after each (ONNX order), comma-separated, e.g. \"0,0,0,0,0,1,1,0\"")};
}

class PadKind : public IOpKind {
 public:
  void validate(const Operator& op, const Workload& wl) const override {
    expect_arity(op, 1, 1, 1);
    const auto& x = wl.tensor(op.inputs[0]).shape;
    const std::vector<int64_t> p = pads(op, x.size());
    std::vector<int64_t> out = x;
    for (size_t d = 0; d < x.size(); ++d)
      if (__builtin_add_overflow(out[d], p[d], &out[d]) || __builtin_add_overflow(out[d], p[d + x.size()], &out[d]))
        op_error(op, "output size overflows 64 bits", op.attr_loc("pads"));
    expect_output_shape(op, wl, 0, out, "input " + shape_text(x) + " padded by " + op.attrs.s("pads"));
  }
  std::vector<LoweredOp> lower(const Operator&, const Workload&) const override { return {}; }

 private:
  static std::vector<int64_t> pads(const Operator& op, size_t rank) {
    const std::string& text = op.attrs.s("pads");
    std::vector<int64_t> p;
    for (const std::string& item : comma_items(text)) {
      if (item.empty() || item.size() > 9 || item.find_first_not_of("0123456789") != std::string::npos)
        op_error(op, "pads '" + text + "': expected non-negative integers below 10^9, comma-separated", op.attr_loc("pads"));
      p.push_back(std::atoll(item.c_str()));
    }
    if (p.size() != 2 * rank)
      op_error(op,
               "pads '" + text + "' has " + std::to_string(p.size()) + " numbers; input '" + op.inputs[0] + "' has rank " +
                   std::to_string(rank) + ", so " + std::to_string(2 * rank) + " (before each dim, then after each)",
               op.attr_loc("pads"));
    return p;
  }
};

}  // namespace
}  // namespace tessera

TESSERA_REGISTER_OP_KIND("pad", "zeros around a tensor (data movement only)", tessera::pad_params, tessera::PadKind);
