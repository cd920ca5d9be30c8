#include "sim/workload/workload.h"

#include <algorithm>
#include <queue>
#include <set>
#include <stdexcept>

#include "sim/workload/op_kind.h"

namespace tessera {

namespace {
// Bounds that keep every derived count (bits, MACs of any kind) inside 64 bits without
// excluding any real network: 2^48 elements is 256 Ti elements.
constexpr int64_t kMaxElements = int64_t{1} << 48;

const std::vector<std::string> kRoleNames = {"input", "weight", "activation", "output"};
}  // namespace

const char* tensor_role_name(TensorRole r) { return kRoleNames[static_cast<size_t>(r)].c_str(); }
const std::vector<std::string>& tensor_role_names() { return kRoleNames; }
bool parse_tensor_role(const std::string& s, TensorRole* out) {
  for (size_t i = 0; i < kRoleNames.size(); ++i)
    if (s == kRoleNames[i]) {
      *out = static_cast<TensorRole>(i);
      return true;
    }
  return false;
}

int64_t Tensor::elements() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

void Workload::add_tensor(Tensor t) {
  if (final_) throw std::logic_error("Workload::add_tensor after finalize");
  if (tensor_index_.count(t.name))
    throw UserError("tensor '" + t.name + "' is declared twice (first at line " +
                        std::to_string(tensors_[tensor_index_[t.name]].loc.line) + ")",
                    t.loc, "tensors." + t.name);
  tensor_index_[t.name] = tensors_.size();
  tensors_.push_back(std::move(t));
}

void Workload::add_op(Operator op) {
  if (final_) throw std::logic_error("Workload::add_op after finalize");
  // "<op>#<i>" names an operator's later work items (mapping entries, reports): '#' in an
  // operator's own name could collide with one.
  if (op.name.find('#') != std::string::npos)
    throw UserError("op name '" + op.name + "' contains '#', which is reserved for the names of an operator's work "
                    "items (<op>#1, <op>#2, ...)",
                    op.loc, "ops." + op.name);
  if (op_index_.count(op.name))
    throw UserError("op '" + op.name + "' is declared twice (first at line " +
                        std::to_string(ops_[op_index_[op.name]].loc.line) + ")",
                    op.loc, "ops." + op.name);
  op_index_[op.name] = ops_.size();
  ops_.push_back(std::move(op));
}

static std::vector<std::string> keys_of(const std::unordered_map<std::string, size_t>& m) {
  std::vector<std::string> v;
  for (const auto& [k, _] : m) v.push_back(k);
  std::sort(v.begin(), v.end());  // suggestions must not depend on hashing
  return v;
}

void Workload::finalize() {
  if (final_) return;
  const SourceLoc file_loc{source_, 0, 0};
  if (ops_.empty()) throw UserError("workload '" + name_ + "' has no ops", file_loc, "ops");

  // Tensors: positive dims, bounded sizes.
  for (const Tensor& t : tensors_) {
    int64_t n = 1;
    for (size_t i = 0; i < t.shape.size(); ++i) {
      if (t.shape[i] <= 0)
        throw UserError(
            "dimension " + std::to_string(i) + " of shape " + shape_text(t.shape) + " must be a positive integer",
            t.loc, "tensors." + t.name + ".shape");
      if (__builtin_mul_overflow(n, t.shape[i], &n) || n > kMaxElements)
        throw UserError("shape " + shape_text(t.shape) + " has more than 2^48 elements", t.loc,
                        "tensors." + t.name + ".shape");
    }
  }

  // Ops: known kinds, resolved attributes, declared tensors, one producer per tensor.
  for (size_t oi = 0; oi < ops_.size(); ++oi) {
    Operator& op = ops_[oi];
    const auto* entry = OpKindRegistry::instance().find(op.kind);
    if (!entry)
      throw UserError("unknown op kind '" + op.kind + "'" + did_you_mean(op.kind, OpKindRegistry::instance().names()),
                      op.attr_loc("kind"), "ops." + op.name + ".kind");
    std::vector<std::string> decl_names;
    for (const auto& d : entry->params) decl_names.push_back(d.name);
    ParamValues resolved;
    for (const auto& [a, v] : op.attrs.all()) {
      if (std::find(decl_names.begin(), decl_names.end(), a) == decl_names.end())
        throw UserError("unknown attribute '" + a + "' for kind " + op.kind + did_you_mean(a, decl_names),
                        op.attr_loc(a), "ops." + op.name + "." + a);
    }
    for (const auto& d : entry->params) {
      const std::string key = "ops." + op.name + "." + d.name;
      if (op.attrs.has(d.name)) {
        // Re-parsing the text form type- and range-checks values set from C++ as well.
        resolved.set(d.name, parse_param(d, param_value_text(op.attrs.all().at(d.name)), op.attr_loc(d.name), key));
      } else if (d.dflt) {
        resolved.set(d.name, parse_param(d, *d.dflt, op.loc, key));
      } else {
        throw UserError("missing required attribute '" + d.name + "' (" + d.doc + "; " + d.range_text() + ")", op.loc,
                        key);
      }
    }
    op.attrs = resolved;

    auto check_name = [&](const std::string& t, const SourceLoc& loc, const char* what) {
      if (!tensor_index_.count(t))
        throw UserError(std::string(what) + " '" + t + "' of op '" + op.name + "' is not a declared tensor" +
                            did_you_mean(t, keys_of(tensor_index_)),
                        loc, "ops." + op.name + "." + what + "s");
    };
    for (size_t i = 0; i < op.inputs.size(); ++i) {
      check_name(op.inputs[i], op.input_loc(i), "input");
      auto& c = consumers_[op.inputs[i]];
      if (c.empty() || c.back() != static_cast<int>(oi)) c.push_back(static_cast<int>(oi));
    }
    for (size_t i = 0; i < op.outputs.size(); ++i) {
      check_name(op.outputs[i], op.output_loc(i), "output");
      auto [it, fresh] = producer_.emplace(op.outputs[i], static_cast<int>(oi));
      if (!fresh)
        throw UserError("tensor '" + op.outputs[i] + "' is produced by both op '" + ops_[it->second].name +
                            "' and op '" + op.name + "'",
                        op.output_loc(i), "ops." + op.name + ".outputs");
    }
  }

  // Roles must agree with the graph.
  for (const Tensor& t : tensors_) {
    const bool produced = producer_.count(t.name) != 0;
    const std::string key = "tensors." + t.name + ".role";
    if (produced && (t.role == TensorRole::input || t.role == TensorRole::weight))
      throw UserError(std::string("tensor '") + t.name + "' has role " + tensor_role_name(t.role) +
                          " but is produced by op '" + ops_[producer_[t.name]].name + "'",
                      t.loc, key);
    if (!produced && (t.role == TensorRole::activation || t.role == TensorRole::output))
      throw UserError(std::string("tensor '") + t.name + "' has role " + tensor_role_name(t.role) +
                          " but no op produces it (use role input or weight)",
                      t.loc, key);
  }

  // Topological order: Kahn's algorithm, always taking the lowest-index ready op.
  const int n = static_cast<int>(ops_.size());
  std::vector<int> indeg(ops_.size(), 0);
  std::vector<std::vector<int>> succ(ops_.size());
  for (int i = 0; i < n; ++i) {
    std::set<int> preds;
    for (const auto& t : ops_[i].inputs) {
      auto it = producer_.find(t);
      if (it != producer_.end()) preds.insert(it->second);
    }
    indeg[i] = static_cast<int>(preds.size());
    for (int p : preds) succ[p].push_back(i);
  }
  std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
  for (int i = 0; i < n; ++i)
    if (indeg[i] == 0) ready.push(i);
  while (!ready.empty()) {
    int i = ready.top();
    ready.pop();
    topo_.push_back(i);
    for (int s : succ[i])
      if (--indeg[s] == 0) ready.push(s);
  }
  if (static_cast<int>(topo_.size()) != n) {
    // Walk back along unfinished predecessors from the first unfinished op until a repeat.
    int start = 0;
    while (indeg[start] == 0) ++start;
    std::vector<int> path;
    std::vector<int> seen(ops_.size(), -1);
    int cur = start;
    while (seen[cur] < 0) {
      seen[cur] = static_cast<int>(path.size());
      path.push_back(cur);
      int next = -1;
      for (const auto& t : ops_[cur].inputs) {
        auto it = producer_.find(t);
        if (it != producer_.end() && indeg[it->second] > 0) {
          next = it->second;
          break;
        }
      }
      cur = next;
    }
    std::vector<int> cycle(path.begin() + seen[cur], path.end());
    std::reverse(cycle.begin(), cycle.end());
    const int first = *std::min_element(cycle.begin(), cycle.end());
    std::rotate(cycle.begin(), std::find(cycle.begin(), cycle.end(), first), cycle.end());
    std::string text;
    for (int c : cycle) text += ops_[c].name + " -> ";
    text += ops_[first].name;
    topo_.clear();
    throw UserError("the graph has a cycle: " + text, ops_[first].loc, "ops." + ops_[first].name);
  }

  final_ = true;  // queries used by validate() need the indices above
  try {
    for (int i : topo_) op_kind(ops_[i].kind)->validate(ops_[i], *this);
    // After the ops' own checks: an op missing an input is the better message than the
    // tensor it left unused.
    for (const Tensor& t : tensors_)
      if (!producer_.count(t.name) && !consumers_.count(t.name))
        throw UserError("tensor '" + t.name + "' is not used by any op", t.loc, "tensors." + t.name);
  } catch (...) {
    final_ = false;
    throw;
  }
}

void Workload::require_final(const char* what) const {
  if (!final_) throw std::logic_error(std::string("Workload::") + what + " before finalize()");
}

const Tensor* Workload::find_tensor(const std::string& name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}
const Operator* Workload::find_op(const std::string& name) const {
  auto it = op_index_.find(name);
  return it == op_index_.end() ? nullptr : &ops_[it->second];
}
const Tensor& Workload::tensor(const std::string& name) const {
  const Tensor* t = find_tensor(name);
  if (!t) throw std::out_of_range("no tensor '" + name + "' in workload '" + name_ + "'");
  return *t;
}
int Workload::op_index(const std::string& name) const {
  auto it = op_index_.find(name);
  return it == op_index_.end() ? -1 : static_cast<int>(it->second);
}

int Workload::producer(const std::string& tensor) const {
  require_final("producer");
  auto it = producer_.find(tensor);
  return it == producer_.end() ? -1 : it->second;
}
const std::vector<int>& Workload::consumers(const std::string& tensor) const {
  require_final("consumers");
  static const std::vector<int> none;
  auto it = consumers_.find(tensor);
  return it == consumers_.end() ? none : it->second;
}
std::vector<int> Workload::predecessors(int op) const {
  require_final("predecessors");
  std::set<int> s;
  for (const auto& t : ops_.at(static_cast<size_t>(op)).inputs)
    if (int p = producer(t); p >= 0) s.insert(p);
  return {s.begin(), s.end()};
}
std::vector<int> Workload::successors(int op) const {
  require_final("successors");
  std::set<int> s;
  for (const auto& t : ops_.at(static_cast<size_t>(op)).outputs)
    for (int c : consumers(t)) s.insert(c);
  return {s.begin(), s.end()};
}

std::vector<LoweredOp> Workload::lower(int op) const {
  require_final("lower");
  const Operator& o = ops_.at(static_cast<size_t>(op));
  return op_kind(o.kind)->lower(o, *this);
}

uint64_t Workload::total_macs() const {
  uint64_t total = 0;
  for (int i = 0; i < static_cast<int>(ops_.size()); ++i)
    for (const auto& w : lower(i))
      if (w.kind == WorkKind::Gemm && __builtin_add_overflow(total, w.macs, &total))
        throw UserError("workload '" + name_ + "' has more than 2^64 MACs", SourceLoc{source_, 0, 0});
  return total;
}

namespace {
int64_t span(int64_t full, int64_t o0, int64_t oe, int64_t t0, int64_t te, int64_t stride, int64_t pad, int64_t dil) {
  if (o0 < 0) return std::min({full, (oe - 1) * stride + (te - 1) * dil + 1, oe * te});
  const int64_t lo = std::max<int64_t>(0, o0 * stride - pad + t0 * dil);
  const int64_t hi = std::min(full - 1, (o0 + oe - 1) * stride - pad + (t0 + te - 1) * dil);
  return hi >= lo ? std::min(hi - lo + 1, oe * te) : 0;
}
}  // namespace

int64_t ConvDims::rows(int64_t p0, int64_t pe, int64_t r0, int64_t re) const {
  return span(h, p0, pe, r0, re, stride_h, pad, dilation);
}

int64_t ConvDims::cols(int64_t q0, int64_t qe, int64_t s0, int64_t se) const {
  return span(w, q0, qe, s0, se, stride_w, pad_w >= 0 ? pad_w : pad, dilation);
}

uint64_t ConvDims::a_elements(const ConvBlock& b) const {
  const bool sizing = b.m0[0] < 0;
  return static_cast<uint64_t>(b.m_ext[0]) * static_cast<uint64_t>(b.k_ext[0]) *
         static_cast<uint64_t>(rows(sizing ? -1 : b.m0[1], b.m_ext[1], b.k0[1], b.k_ext[1])) *
         static_cast<uint64_t>(cols(sizing ? -1 : b.m0[2], b.m_ext[2], b.k0[2], b.k_ext[2]));
}

}  // namespace tessera
