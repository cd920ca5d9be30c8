#pragma once
// The engine contract.
//
// An engine is a processing unit (systolic array, bit-serial array, LUT array, tensor core,
// vector unit). The simulator hands it one *tile* at a time: a piece of an operator, already
// lowered to a GEMM (out[m][n] = sum_k a[m][k] * b[k][n], `a` = activations, `b` = weights)
// or to an element-wise vector job, together with the mapping choices for that tile (dataflow).
//
// Call order: construct from resolved ParamValues (the registry's factory) -> capabilities()
// (what dataflows, precisions and work kinds it accepts; the mapper asks, never infers from the
// type name) -> any number of cost() / simulate_pe() / compute() calls, which are const and
// thread-safe: an engine holds its spec only, no run-time state.
//
// Units: cycles are engine clock cycles; bits are bits; counts are events. An engine never
// holds energy or area numbers: it counts actions and lists its hardware (area_items()), and
// the tech library prices both.
//
// Exactness: cost() is the closed form. simulate_pe() is the per-cycle PE-level model. For
// every valid request they return identical TileCost (cycles, actions, traffic), and both equal
// the engine's RTL. compute()/simulate_pe() outputs are bit-exact in the engine's number format.
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "models/common/dtype.h"
#include "models/common/params.h"
#include "models/common/registry.h"

namespace tessera {

enum class WorkKind { Gemm, Vector };

struct GemmShape {
  int64_t m = 1, n = 1, k = 1;  // out is m x n, reduction over k
  bool operator==(const GemmShape& o) const { return m == o.m && n == o.n && k == o.k; }
};

// An element-wise job (activation, pooling, normalisation, softmax...): `elements` outputs,
// each costing `ops_per_element` primitive operations of `op` at the tile's precision.
struct VectorShape {
  int64_t elements = 0;
  int64_t ops_per_element = 1;
  std::string op = "add";  // primitive the tech library prices: add, mul, max, exp, div...
};

struct TileRequest {
  WorkKind kind = WorkKind::Gemm;
  GemmShape gemm;
  VectorShape vec;
  std::string dataflow;  // one of capabilities().dataflows; empty = engine default
  DType a_type = DType::int8, b_type = DType::int8;
};

struct CycleSplit {
  uint64_t fill = 0;    // cycles before the steady state (operand preload, pipeline skew)
  uint64_t steady = 0;  // cycles in which operands stream at full rate
  uint64_t drain = 0;   // cycles after the last operand enters (skew out, result read-out)
  uint64_t total() const { return fill + steady + drain; }
  CycleSplit& operator+=(const CycleSplit& o) {
    fill += o.fill;
    steady += o.steady;
    drain += o.drain;
    return *this;
  }
  bool operator==(const CycleSplit& o) const { return fill == o.fill && steady == o.steady && drain == o.drain; }
};

// One counted action: `count` events of `primitive` at `bits` width inside `component`.
// Primitives are the tech library's vocabulary: int_mul, int_add, fp_mul, fp_add, reg_write,
// reg_read, mux, ... (see models/tech/tech_library.h).
struct Action {
  std::string component;
  std::string primitive;
  int bits = 0;
  uint64_t count = 0;
  bool operator==(const Action& o) const {
    return component == o.component && primitive == o.primitive && bits == o.bits && count == o.count;
  }
};

class ActionCounts {
 public:
  void add(const std::string& component, const std::string& primitive, int bits, uint64_t count);
  void merge(const ActionCounts& other, uint64_t times = 1);
  uint64_t count(const std::string& component, const std::string& primitive, int bits) const;
  const std::vector<Action>& items() const { return items_; }  // in first-added order
  bool operator==(const ActionCounts& o) const;

 private:
  std::vector<Action> items_;
};

// Bits moved between the engine and the scratchpads for one tile.
struct OperandTraffic {
  uint64_t a_read_bits = 0;     // activations read
  uint64_t b_read_bits = 0;     // weights read
  uint64_t out_write_bits = 0;  // results/partial sums written
  uint64_t out_read_bits = 0;   // partial sums read back to accumulate
  bool operator==(const OperandTraffic& o) const {
    return a_read_bits == o.a_read_bits && b_read_bits == o.b_read_bits && out_write_bits == o.out_write_bits &&
           out_read_bits == o.out_read_bits;
  }
  OperandTraffic& operator+=(const OperandTraffic& o) {
    a_read_bits += o.a_read_bits;
    b_read_bits += o.b_read_bits;
    out_write_bits += o.out_write_bits;
    out_read_bits += o.out_read_bits;
    return *this;
  }
};

struct TileCost {
  CycleSplit cycles;
  uint64_t macs = 0;  // useful multiply-accumulates (GEMM) or element ops (vector)
  ActionCounts actions;
  OperandTraffic traffic;
  bool operator==(const TileCost& o) const {
    return cycles == o.cycles && macs == o.macs && actions == o.actions && traffic == o.traffic;
  }
};

// Hardware inventory for area: `count` instances of `primitive` at `bits` in `component`.
// Primitives: int_mul, int_add, fp_mul, fp_add, reg (flip-flop bits: bits = width), mux, ...
struct AreaItem {
  std::string component;
  std::string primitive;
  int bits = 0;
  uint64_t count = 0;
};

struct EngineCapabilities {
  std::vector<WorkKind> work;           // what kinds of tile it accepts
  std::vector<std::string> dataflows;   // e.g. os, ws, is; first is the default
  std::vector<DType> a_types, b_types;  // accepted operand formats
  int64_t rows = 1, cols = 1;           // spatial PE grid (for utilisation and default tiling)
  uint64_t peak_ops_per_cycle = 1;      // MACs (GEMM) or element ops (vector) per cycle at best
  int psum_bits = 32;                   // width of partial sums it writes out (accumulator width)
  // Per dataflow, the multiples (m, n, k) in which a GEMM tile fills the spatial hardware
  // (e.g. a systolic array in ws maps k onto rows and n onto columns). Mappers keep tiles at
  // these multiples; a dataflow not listed has no preference.
  std::map<std::string, std::array<int64_t, 3>> tile_multiple;
  bool accepts(WorkKind k) const;
  bool accepts_dataflow(const std::string& d) const;
};

// Integer matrix for functional runs; values are sign-extended numbers of the tile's format.
struct IntMatrix {
  int64_t rows = 0, cols = 0;
  std::vector<int64_t> v;
  IntMatrix() = default;
  IntMatrix(int64_t r, int64_t c) : rows(r), cols(c), v(static_cast<size_t>(r * c), 0) {}
  int64_t& at(int64_t r, int64_t c) { return v[static_cast<size_t>(r * cols + c)]; }
  int64_t at(int64_t r, int64_t c) const { return v[static_cast<size_t>(r * cols + c)]; }
  bool operator==(const IntMatrix& o) const { return rows == o.rows && cols == o.cols && v == o.v; }
};

class IEngine {
 public:
  virtual ~IEngine() = default;
  virtual std::string type() const = 0;
  virtual EngineCapabilities capabilities() const = 0;

  // Throws UserError naming the problem if the engine cannot run `req` (unsupported dataflow,
  // precision or work kind). cost()/simulate_pe()/compute() may assume a checked request.
  virtual void check(const TileRequest& req) const;

  // Closed form: exact cycles, actions and traffic of one tile.
  virtual TileCost cost(const TileRequest& req) const = 0;

  // Per-cycle PE-level reference model. With a, b (m x k, k x n) and out given, it also
  // produces the tile's result in `out` (m x n) by moving the data through the modelled PEs.
  virtual TileCost simulate_pe(const TileRequest& req, const IntMatrix* a, const IntMatrix* b,
                               IntMatrix* out) const = 0;

  // Functional result only, bit-exact, fast.
  virtual void compute(const TileRequest& req, const IntMatrix& a, const IntMatrix& b, IntMatrix& out) const = 0;

  virtual std::vector<AreaItem> area_items() const = 0;
};

using EngineRegistry = Registry<IEngine>;

}  // namespace tessera

#define TESSERA_REGISTER_ENGINE(type_name, doc_text, params_fn, factory_fn) \
  TESSERA_REGISTER(::tessera::IEngine, type_name, doc_text, params_fn, factory_fn)
