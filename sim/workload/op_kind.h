#pragma once
// The operator-kind contract.
//
// An operator kind (gemm, conv2d, matmul, elementwise, pool, norm, softmax, ...) registers
// itself by name with one TESSERA_REGISTER_OP_KIND line in its own .cpp under
// sim/workload/kinds/, declaring its attributes as ParamDecls (the YAML loader, `tessera list`
// and docs/workload-format.md read those declarations). No other file names a kind.
//
// Call order: Workload::finalize() resolves an op's attributes against the declarations, then
// calls validate(op, wl) once; afterwards lower(op, wl) may be called any number of times.
// Both are const and stateless: a kind object holds nothing.
//
// validate() checks the number of inputs/outputs and that their shapes chain (e.g. a conv's
// output shape follows from its input, weight, stride and padding); it throws UserError at
// the op's (or the offending tensor's / attribute's) source location, naming the op, the
// tensor, the expected and the actual shape. lower() may assume a validated op; it returns the
// op's engine work (see LoweredOp in workload.h), empty for pure data movement.
//
// Tensor layouts every kind agrees on: feature maps are NCHW; conv weights are
// [Cout, Cin/groups, Kh, Kw]; gemm weights are [K, N]; matmul operands are [..., M, K] and
// [..., K, N] (or [..., N, K] with transpose_b).
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/common/registry.h"
#include "sim/workload/workload.h"

namespace tessera {

// Where a lowered GEMM item's operands and result live in the operator's tensors, for
// functional (seeded data) runs: the flat row-major index into a_tensor of a[g][m][k] (-1: a
// zero, e.g. conv padding), into b_tensor of b[g][k][n] and into out_tensor of out[g][m][n].
struct GemmLayout {
  std::function<int64_t(int64_t g, int64_t m, int64_t k)> a;
  std::function<int64_t(int64_t g, int64_t k, int64_t n)> b;
  std::function<int64_t(int64_t g, int64_t m, int64_t n)> out;
};

class IOpKind {
 public:
  virtual ~IOpKind() = default;
  virtual void validate(const Operator& op, const Workload& wl) const = 0;
  virtual std::vector<LoweredOp> lower(const Operator& op, const Workload& wl) const = 0;
  // The data layout of lower()'s GEMM item `item`; kinds without a functional model keep the
  // default (no layout: a data run stops at such an operator with a UserError).
  virtual std::optional<GemmLayout> gemm_layout(const Operator&, const Workload&, size_t /*item*/) const {
    return std::nullopt;
  }
};

using OpKindRegistry = Registry<IOpKind>;

// The one shared instance of a registered kind; nullptr if `kind` is not registered.
const IOpKind* op_kind(const std::string& kind);

// ---- helpers for kind implementations ----
std::string shape_text(const std::vector<int64_t>& shape);  // "[1, 3, 224, 224]"
// The items of a comma-separated attribute ("0, 2,1" -> "0", "2", "1"), spaces trimmed; an
// empty text is one empty item.
std::vector<std::string> comma_items(const std::string& text);
// Throws UserError "<kind> '<op>': <msg>" at `loc` (the op's location if omitted).
[[noreturn]] void op_error(const Operator& op, const std::string& msg);
[[noreturn]] void op_error(const Operator& op, const std::string& msg, const SourceLoc& loc);
// Checks the number of inputs (min_in..max_in) and outputs (exactly n_out).
void expect_arity(const Operator& op, size_t min_in, size_t max_in, size_t n_out);
// Output `i` must have `expected` shape; `why` explains where the expectation comes from.
void expect_output_shape(const Operator& op, const Workload& wl, size_t i, const std::vector<int64_t>& expected,
                         const std::string& why);
// Input `i` must have `expected` shape.
void expect_input_shape(const Operator& op, const Workload& wl, size_t i, const std::vector<int64_t>& expected,
                        const std::string& why);
// Input `i` must have rank `rank` (or at least `rank` when at_least).
void expect_input_rank(const Operator& op, const Workload& wl, size_t i, size_t rank, bool at_least = false);
// a*b, or a UserError naming the op when the product leaves 63 bits.
int64_t checked_mul(const Operator& op, int64_t a, int64_t b);
// A GEMM LoweredOp with macs = m*n*k*groups (overflow-checked).
LoweredOp gemm_work(const Operator& op, const Workload& wl, GemmShape g, int64_t groups, const std::string& a,
                    const std::string& b, const std::string& out, bool b_transposed = false);
// A vector LoweredOp over `elements` outputs.
LoweredOp vector_work(const Operator& op, int64_t elements, int64_t ops_per_element, const std::string& prim,
                      const std::string& a, const std::string& out);

}  // namespace tessera

// TESSERA_REGISTER_OP_KIND("conv2d", "one-line doc", decls_fn, Conv2dKind);
#define TESSERA_REGISTER_OP_KIND(kind_name, doc_text, params_fn, cls) \
  TESSERA_REGISTER(                                                   \
      ::tessera::IOpKind, kind_name, doc_text, params_fn,             \
      [](const ::tessera::ParamValues&) -> std::unique_ptr<::tessera::IOpKind> { return std::make_unique<cls>(); })
