// transpose: output dim i is input dim perm[i]. Data movement only: no engine work.
#include <cstdlib>

#include "sim/workload/op_kind.h"

namespace tessera {
namespace {

std::vector<ParamDecl> transpose_params() {
  return {ParamDecl::string("perm", std::nullopt, "permutation as comma-separated dims, e.g. \"0,2,1,3\"")};
}

class TransposeKind : public IOpKind {
 public:
  void validate(const Operator& op, const Workload& wl) const override {
    expect_arity(op, 1, 1, 1);
    const auto& x = wl.tensor(op.inputs[0]).shape;
    const std::vector<size_t> p = perm(op, x.size());
    std::vector<int64_t> out;
    for (size_t d : p) out.push_back(x[d]);
    expect_output_shape(op, wl, 0, out, "input " + shape_text(x) + " permuted by " + op.attrs.s("perm"));
  }
  std::vector<LoweredOp> lower(const Operator&, const Workload&) const override { return {}; }

 private:
  static std::vector<size_t> perm(const Operator& op, size_t rank) {
    const std::string& text = op.attrs.s("perm");
    std::vector<size_t> p;
    std::vector<bool> seen(rank, false);
    for (const std::string& item : comma_items(text)) {
      const bool digits = !item.empty() && item.size() < 4 && item.find_first_not_of("0123456789") == std::string::npos;
      const size_t d = digits ? static_cast<size_t>(std::atoi(item.c_str())) : rank;
      if (d >= rank || seen[d])
        op_error(op, "perm '" + text + "' is not a permutation of 0.." + std::to_string(rank) + "-1",
                 op.attr_loc("perm"));
      seen[d] = true;
      p.push_back(d);
    }
    if (p.size() != rank)
      op_error(op,
               "perm '" + text + "' has " + std::to_string(p.size()) + " dims, input '" + op.inputs[0] + "' has rank " +
                   std::to_string(rank),
               op.attr_loc("perm"));
    return p;
  }
};

}  // namespace
}  // namespace tessera

TESSERA_REGISTER_OP_KIND("transpose", "permute dims (data movement only)", tessera::transpose_params,
                         tessera::TransposeKind);
