#include "sim/workload/op_kind.h"

#include <map>

namespace tessera {

const IOpKind* op_kind(const std::string& kind) {
  // Built on first use, after every static registrar has run; kinds are stateless, so one
  // shared instance each serves all threads.
  static const std::map<std::string, std::unique_ptr<IOpKind>> instances = [] {
    std::map<std::string, std::unique_ptr<IOpKind>> m;
    for (const auto& [name, entry] : OpKindRegistry::instance().entries()) m[name] = entry.make(ParamValues{});
    return m;
  }();
  auto it = instances.find(kind);
  return it == instances.end() ? nullptr : it->second.get();
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

std::vector<std::string> comma_items(const std::string& text) {
  std::vector<std::string> items;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string::npos) comma = text.size();
    std::string item = text.substr(pos, comma - pos);
    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
    while (!item.empty() && item.back() == ' ') item.pop_back();
    items.push_back(std::move(item));
    pos = comma + 1;
  }
  return items;
}

void op_error(const Operator& op, const std::string& msg, const SourceLoc& loc) {
  throw UserError(op.kind + " '" + op.name + "': " + msg, loc, "ops." + op.name);
}
void op_error(const Operator& op, const std::string& msg) { op_error(op, msg, op.loc); }

static std::string count_text(size_t lo, size_t hi) {
  if (lo == hi) return std::to_string(lo);
  return std::to_string(lo) + ".." + std::to_string(hi);
}

void expect_arity(const Operator& op, size_t min_in, size_t max_in, size_t n_out) {
  if (op.inputs.size() < min_in || op.inputs.size() > max_in)
    op_error(op, "expects " + count_text(min_in, max_in) + " input(s), got " + std::to_string(op.inputs.size()));
  if (op.outputs.size() != n_out)
    op_error(op, "expects " + std::to_string(n_out) + " output(s), got " + std::to_string(op.outputs.size()));
}

void expect_output_shape(const Operator& op, const Workload& wl, size_t i, const std::vector<int64_t>& expected,
                         const std::string& why) {
  const Tensor& t = wl.tensor(op.outputs[i]);
  if (t.shape != expected)
    op_error(op,
             "output '" + t.name + "' has shape " + shape_text(t.shape) + ", expected " + shape_text(expected) +
                 (why.empty() ? "" : " (" + why + ")"),
             op.output_loc(i));
}

void expect_input_shape(const Operator& op, const Workload& wl, size_t i, const std::vector<int64_t>& expected,
                        const std::string& why) {
  const Tensor& t = wl.tensor(op.inputs[i]);
  if (t.shape != expected)
    op_error(op,
             "input '" + t.name + "' has shape " + shape_text(t.shape) + ", expected " + shape_text(expected) +
                 (why.empty() ? "" : " (" + why + ")"),
             op.input_loc(i));
}

void expect_input_rank(const Operator& op, const Workload& wl, size_t i, size_t rank, bool at_least) {
  const Tensor& t = wl.tensor(op.inputs[i]);
  if (at_least ? t.shape.size() < rank : t.shape.size() != rank)
    op_error(op,
             "input '" + t.name + "' has shape " + shape_text(t.shape) + " (rank " + std::to_string(t.shape.size()) +
                 "), expected rank " + (at_least ? ">= " : "") + std::to_string(rank),
             op.input_loc(i));
}

int64_t checked_mul(const Operator& op, int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) op_error(op, "is too large: its size overflows 64 bits");
  return r;
}

LoweredOp gemm_work(const Operator& op, const Workload& wl, GemmShape g, int64_t groups, const std::string& a,
                    const std::string& b, const std::string& out, bool b_transposed) {
  LoweredOp w;
  w.kind = WorkKind::Gemm;
  w.gemm = g;
  w.groups = groups;
  w.macs = static_cast<uint64_t>(checked_mul(op, checked_mul(op, checked_mul(op, g.m, g.n), g.k), groups));
  w.a_tensor = a;
  w.b_tensor = b;
  w.out_tensor = out;
  w.b_is_weight = wl.tensor(b).role == TensorRole::weight;
  w.b_transposed = b_transposed;
  return w;
}

LoweredOp vector_work(const Operator& op, int64_t elements, int64_t ops_per_element, const std::string& prim,
                      const std::string& a, const std::string& out) {
  LoweredOp w;
  w.kind = WorkKind::Vector;
  w.vec.elements = elements;
  w.vec.ops_per_element = ops_per_element;
  w.vec.op = prim;
  w.macs = static_cast<uint64_t>(checked_mul(op, elements, ops_per_element));
  w.a_tensor = a;
  w.out_tensor = out;
  return w;
}

}  // namespace tessera
