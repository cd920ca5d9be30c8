#pragma once
// The workload IR: a DNN as a graph of named tensors and operators.
//
// A Workload is built by a loader (tessera YAML, SCALE-Sim CSV) or by hand (tests): add_tensor()
// and add_op() in any order, then finalize(), which checks the graph (every name declared once,
// every tensor produced at most once, roles consistent, no cycles), resolves each operator's
// attributes against its kind's declarations, and lets each kind validate its shapes. After
// finalize() the workload is immutable and every query below is valid; before it, only the
// builder calls are. All problems are UserErrors at the file:line:col of the offending tensor,
// operator or attribute.
//
// It is a graph, not a list: branches and skip connections are kept (a tensor may feed many
// operators), and topological_order() gives a deterministic schedule (Kahn's algorithm, ties
// broken by file order). The order of ops in the file is free.
#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "models/common/dtype.h"
#include "models/common/error.h"
#include "models/common/params.h"
#include "models/engine/i_engine.h"
#include "models/numerics/histogram.h"

namespace tessera {

// input: fed from outside (DRAM) each run; weight: constant parameters; activation: produced
// and consumed inside the graph; output: produced and handed back.
enum class TensorRole { input, weight, activation, output };
const char* tensor_role_name(TensorRole r);
bool parse_tensor_role(const std::string& s, TensorRole* out);
const std::vector<std::string>& tensor_role_names();

struct Tensor {
  std::string name;
  std::vector<int64_t> shape;  // empty = scalar
  DType dtype = DType::int8;
  TensorRole role = TensorRole::activation;
  SourceLoc loc;
  std::optional<ValueDistribution> values;  // declared value distribution (`values:`), if any
  int64_t elements() const;  // product of dims (1 for a scalar); finalize() bounds it
  uint64_t bits() const { return static_cast<uint64_t>(elements()) * static_cast<uint64_t>(dtype_bits(dtype)); }
};

struct Operator {
  std::string name;
  std::string kind;  // a name in OpKindRegistry
  std::vector<std::string> inputs, outputs;
  // Attribute values as given; finalize() resolves them against the kind's ParamDecls
  // (defaults filled in, unknown names rejected).
  ParamValues attrs;
  SourceLoc loc;
  std::map<std::string, SourceLoc> attr_locs;      // where each given attribute was written
  std::vector<SourceLoc> input_locs, output_locs;  // per name, when known (else loc is used)

  SourceLoc input_loc(size_t i) const { return i < input_locs.size() ? input_locs[i] : loc; }
  SourceLoc output_loc(size_t i) const { return i < output_locs.size() ? output_locs[i] : loc; }
  SourceLoc attr_loc(const std::string& a) const {
    auto it = attr_locs.find(a);
    return it == attr_locs.end() ? loc : it->second;
  }
};

// Elements of a GEMM item's `a` a tile needs on chip: rows m0..m0+tm-1, reduction k0..k0+tk-1.
// m0 < 0 asks for the most any tile of that size can need (for sizing buffers). Unset for a
// plain matrix (m*k); a convolution gives its input patch with halo instead of the im2col copy.
using ATileElements = std::function<uint64_t(int64_t m0, int64_t tm, int64_t k0, int64_t tk)>;

// A convolution tile in the convolution's own dimensions (per group): output pixels
// (image, oy, ox) from m0 with extents m_ext, reduction (channel, ky, kx) from k0 with extents
// k_ext. Its GEMM tile is m = product of m_ext rows by k = product of k_ext columns of the im2col
// matrix (gathered, not contiguous).
struct ConvBlock {
  std::array<int64_t, 3> m0{}, m_ext{1, 1, 1}, k0{}, k_ext{1, 1, 1};
};

// A convolution's dimensions (per group): m = (N, P, Q) output pixels, k = (C, R, S) reduction,
// over an input of h x w pixels read with stride, zero padding (top and left) and dilation.
struct ConvDims {
  std::array<int64_t, 3> m{1, 1, 1}, k{1, 1, 1};
  int64_t h = 1, w = 1, stride_h = 1, stride_w = 1, pad = 0, dilation = 1;
  int64_t pad_w = -1;  // left padding when it differs from the top's (-1: pad)
  // Input rows that output rows p0..p0+pe-1 read through kernel rows r0..r0+re-1: the span of
  // their receptive fields clipped to the image (padding is not read), and at most pe*re (with
  // a stride above the kernel's reach the span has gaps). p0 < 0: the most any such block reads.
  int64_t rows(int64_t p0, int64_t pe, int64_t r0, int64_t re) const;
  int64_t cols(int64_t q0, int64_t qe, int64_t s0, int64_t se) const;  // the same for columns
  // Input elements a block reads: images x channels x rows x cols (block.m0[0] < 0: the most
  // any block of its extents reads).
  uint64_t a_elements(const ConvBlock& block) const;
};

// One operator lowered to the engine contract (models/engine/i_engine.h). A GEMM item is
// `groups` identical, independent GEMMs (conv groups, batch, attention heads):
// out[m][n] = sum_k a[m][k] * b[k][n]. A vector item is an element-wise job.
struct LoweredOp {
  WorkKind kind = WorkKind::Gemm;
  GemmShape gemm;
  int64_t groups = 1;
  VectorShape vec;
  uint64_t macs = 0;  // Gemm: m*n*k*groups; Vector: elements*ops_per_element
  std::string a_tensor, b_tensor, out_tensor;
  // False when b is itself an activation (attention's QK^T and PV): nothing can be preloaded
  // or reused across inferences, and b changes with every input.
  bool b_is_weight = true;
  bool b_transposed = false;  // b is stored [n][k] (e.g. K in QK^T), not [k][n]
  ATileElements a_tile_elements;
  std::optional<ConvDims> conv;  // convolutions: their own dimensions (tiles in N, K, C, P, Q, R, S)
};

class Workload {
 public:
  Workload() = default;
  Workload(std::string name, std::string source) : name_(std::move(name)), source_(std::move(source)) {}

  // ---- building (before finalize) ----
  void add_tensor(Tensor t);  // throws UserError on a duplicate name
  void add_op(Operator op);   // throws UserError on a duplicate name
  void reserve(size_t tensors, size_t ops) {  // a loader that knows the counts saves regrowing
    tensors_.reserve(tensors);
    ops_.reserve(ops);
  }
  void finalize();

  // ---- queries ----
  const std::string& name() const { return name_; }
  const std::string& source() const { return source_; }  // file it came from ("" if built in code)
  const std::vector<Tensor>& tensors() const { return tensors_; }
  const std::vector<Operator>& ops() const { return ops_; }
  const Tensor* find_tensor(const std::string& name) const;
  const Operator* find_op(const std::string& name) const;
  const Tensor& tensor(const std::string& name) const;  // std::out_of_range if absent
  int op_index(const std::string& name) const;          // -1 if absent

  // Graph structure, by op index into ops().
  int producer(const std::string& tensor) const;  // -1 for inputs and weights
  const std::vector<int>& consumers(const std::string& tensor) const;
  std::vector<int> predecessors(int op) const;  // distinct producers of op's inputs, ascending
  std::vector<int> successors(int op) const;    // distinct consumers of op's outputs, ascending
  const std::vector<int>& topological_order() const { return topo_; }

  // Engine work of one op (empty for pure data movement: reshape, transpose, concat, slice).
  std::vector<LoweredOp> lower(int op) const;
  uint64_t total_macs() const;  // sum of GEMM MACs over all ops; UserError past 2^64

 private:
  void require_final(const char* what) const;
  std::string name_, source_;
  std::vector<Tensor> tensors_;
  std::vector<Operator> ops_;
  // Hashed: a 100,000-operator graph is queried by name millions of times while it is mapped.
  std::unordered_map<std::string, size_t> tensor_index_, op_index_;
  std::unordered_map<std::string, int> producer_;
  std::unordered_map<std::string, std::vector<int>> consumers_;
  std::vector<int> topo_;
  bool final_ = false;
};

}  // namespace tessera
