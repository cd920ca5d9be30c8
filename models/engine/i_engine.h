#pragma once
// The engine contract (v2).
//
// An engine is a processing unit (systolic array, bit-serial array, LUT array, tensor core,
// vector unit). The simulator hands it one *tile* at a time: a piece of an operator, already
// lowered to a GEMM (out[m][n] = sum_k a[m][k] * b[k][n], `a` = activations, `b` = weights)
// or to an element-wise vector job, together with the mapping choices for that tile (dataflow)
// and its number formats (a_type, b_type; acc_type, out_type).
//
// Call order.
//   1. Construct from resolved ParamValues (the registry's factory); the engine keeps its spec.
//   2. Load time, before anything simulates: capabilities() (work kinds, dataflows, formats,
//      timing dependence; the mapper asks, never infers from the type name), area_items() and
//      action_primitives(); check_engine_pricing() (models/tech/engine_pricing.h) then proves
//      the tech library can price every action and area item the engine can produce.
//   3. check(req) on every request before it is costed or computed: cost and compute calls may
//      assume a checked request.
//   4. Per operator: s = begin_operator(op_request); for each tile step in plan order:
//        c = s->tile(req, ctx); if ctx.accumulates: c += s->combine(req, ctx);
//      then s->finish() once (end-of-operator work). The engine must outlive its sessions; a
//      session is used by one thread; operators in flight at once each have their own session.
//   5. Any time: the stateless calls cost(), cost(req, stats), combine_cost(), simulate_pe(),
//      compute() (IntMatrix or TypedMatrix), combine(), finalize(), accum_rule(). They are const
//      and thread-safe: an engine holds its spec only, no run-time state. State across tiles
//      (LUT tables built per activation tile, stationary operands kept) lives in a session and
//      its cost is counted once, in the tile() (or finish()) where it happens.
//
// Units: cycles are engine clock cycles; bits are bits; counts are events. An engine never
// holds energy or area numbers: it counts actions (component, primitive, bits, count) and lists
// its hardware (area_items()), and the tech library prices both. Every action an engine emits,
// from any call, is one of its action_primitives().
//
// Numbers. Operands are a_type x b_type; products accumulate in acc_type under accum_rule(req)
// (models/numerics/accumulate.h), partial sums leave the engine in acc_type, and the partial
// sums of later k tiles combine with earlier ones in acc_type, by the engine (combine()).
// out_type is the format of the operator's final values (after its last k tile); finalize()
// converts acc_type values to it. Unset acc_type = the engine's default for the request's inputs
// (default_acc(): capabilities().acc_types[0], else a psum_bits-wide integer, unless the engine
// says otherwise); unset out_type = acc_type.
//
// Timing dependence (capabilities().timing):
//   Shape      cost depends on the request only (shape, dataflow, formats); stats are ignored.
//   Histogram  cost is exact given the operands' value histograms (e.g. cycles summed over
//              each value's non-zero bits), so cost(req, stats) with histogram_of() the tile's
//              data is exact, and with a declared distribution it is exact for any data with
//              that histogram.
//   Data       cost depends on where values sit (e.g. the max of non-zero terms over lanes that
//              step together): exact given the data (stats.a_data / b_data); with histograms
//              only, it is the expected cost for values drawn independently from them; with
//              neither, cost(req) is the engine's documented default (its bound or its mean).
// A caller may cache tile costs per request shape only for Shape engines: their cost(req) is
// a function of the request, and their sessions' tile() and combine() of the request and the
// TileContext flags. Histogram and Data engines are costed per tile (or per equal stats).
//
// Exactness: cost() is the closed form. simulate_pe() is the per-cycle PE-level model. For
// every valid request they return identical TileCost (cycles, actions, traffic), and both equal
// the engine's RTL. compute()/simulate_pe() outputs are bit-exact in the engine's number format.
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "models/common/dtype.h"
#include "models/common/params.h"
#include "models/common/registry.h"
#include "models/numerics/accumulate.h"
#include "models/numerics/format.h"
#include "models/numerics/histogram.h"
#include "models/numerics/typed_matrix.h"

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
  // Accumulator (partial-sum) format and the operator's final output format; unset = the
  // engine's default accumulator (IEngine::acc_format) and, for out, the accumulator's format.
  std::optional<NumFormat> acc_type, out_type;
  // The operands' declared value distributions (the workload's tensor `values:`), when given:
  // what a data-dependent engine's cost(req) takes the expectation over. Shape engines ignore it.
  std::optional<ValueDistribution> a_values, b_values;
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
  // Adds `count` actions of a `bits`-wide primitive; zero of them, or of zero-width hardware
  // (logic that constants removed), is no action.
  void add(const std::string& component, const std::string& primitive, int64_t bits, uint64_t count);
  void merge(const ActionCounts& other, uint64_t times = 1);
  uint64_t count(const std::string& component, const std::string& primitive, int bits) const;
  const std::vector<Action>& items() const { return items_; }  // in first-added order
  bool operator==(const ActionCounts& o) const;
  void shrink_to_fit() { items_.shrink_to_fit(); }  // a result kept for the whole run

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
  TileCost& operator+=(const TileCost& o) {
    cycles += o.cycles;
    macs += o.macs;
    actions.merge(o.actions);
    traffic += o.traffic;
    return *this;
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

// `items` without those of no hardware (zero bits or zero count: logic that constants removed).
std::vector<AreaItem> without_empty(std::vector<AreaItem> items);

enum class TimingDependence { Shape, Histogram, Data };
const char* timing_dependence_name(TimingDependence t);  // shape | histogram | data

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
  // Accepted accumulator formats, the first the default; empty = a psum_bits-wide integer only.
  std::vector<NumFormat> acc_types;
  // What cost depends on (the contract above): Shape engines may be cached per tile shape.
  TimingDependence timing = TimingDependence::Shape;
  bool accepts(WorkKind k) const;
  bool accepts_dataflow(const std::string& d) const;
};

// The signed integer formats an integer MAC datapath of `bits` operand bits runs: int1..int8 and
// int16 that fit, and ternary (+1 needs two signed bits).
std::vector<DType> signed_int_dtypes(int bits);

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

// out = a x b (a: m x k, b: k x n) with exact products summed modulo 2^acc_bits, as a
// sign-extended acc_bits value: the functional result of every integer MAC engine.
IntMatrix int_gemm_wrapping(const IntMatrix& a, const IntMatrix& b, int acc_bits);

// IntMatrix <-> TypedMatrix for integer formats. to_typed: each value must be a value of `f`
// (std::invalid_argument otherwise; ternary: -1, 0, 1). to_int_matrix: sign-extended values.
TypedMatrix to_typed(const IntMatrix& x, const NumFormat& f);
IntMatrix to_int_matrix(const TypedMatrix& x);

// What is known about a tile's operands for a cost: their value histograms (a: m x k, b: k x n
// elements; models/numerics/histogram.h says how they are made) and, when the caller has it, the
// data itself (non-owning, valid for the call; needed to be exact by TimingDependence::Data).
struct OperandStats {
  ValueHistogram a, b;
  const TypedMatrix* a_data = nullptr;
  const TypedMatrix* b_data = nullptr;
};
// Histograms of both operands, with the data attached when `attach_data`.
OperandStats stats_of(const TypedMatrix& a, const TypedMatrix& b, bool attach_data = true);

// One tile step of an operator as a session sees it: which operand tiles differ from the
// previous step's (a tile index changed, so new data sits in the engine's operand buffers).
// `first` implies every *_changed flag.
struct TileContext {
  bool first = true;         // the operator's first tile step
  bool a_changed = true;     // the activation tile differs from the previous step's
  bool b_changed = true;     // the weight tile differs from the previous step's
  bool out_changed = true;   // the output tile differs from the previous step's
  bool accumulates = false;  // adds into partial sums of an earlier k tile (combine follows)
  // Where the tile starts in the operator's GEMM (m0, n0, k0; per group). A Shape engine's
  // session may read it only through origin_phase() with its tile_multiple for the dataflow.
  std::array<int64_t, 3> origin{};
  const OperandStats* stats = nullptr;  // data-dependent engines: this tile's operands; null = none
};

// What of a tile's origin a Shape engine's session may depend on, so that callers can cache its
// costs per (shape, flags, phase): each coordinate modulo `multiple`, or -1 where it is 0 (the
// operator's first tile along that dimension).
std::array<int64_t, 3> origin_phase(const std::array<int64_t, 3>& origin, const std::array<int64_t, 3>& multiple);
// An origin with that phase (for a caller that costs a cached step from its key).
std::array<int64_t, 3> origin_of_phase(const std::array<int64_t, 3>& phase, const std::array<int64_t, 3>& multiple);
// The engine's tile_multiple for `dataflow` ({1, 1, 1} if it lists none).
std::array<int64_t, 3> tile_multiple_of(const EngineCapabilities& caps, const std::string& dataflow);

// The tech library's primitive for an add in format `f` (int_add, fp32_add, ...) and for a
// multiply of `t` operands (int_mul, fp16_mul, ...): the names TechLibrary::primitive_for builds.
std::string add_primitive(const NumFormat& f);
std::string mul_primitive(DType t);

// An (component, primitive, bits) an engine may emit as an Action.
struct ActionPrimitive {
  std::string component;
  std::string primitive;
  int bits = 0;
  bool operator==(const ActionPrimitive& o) const {
    return component == o.component && primitive == o.primitive && bits == o.bits;
  }
  bool operator<(const ActionPrimitive& o) const;
};
// The actions of `counts` that are not in `declared` (empty when all are).
std::vector<Action> undeclared_actions(const std::vector<ActionPrimitive>& declared, const ActionCounts& counts);
// "component/primitive@bits" of each action, space-separated (empty for none): for messages.
std::string describe_actions(const std::vector<Action>& v);

// Per-operator state (see the call order above). tile() returns the tile's cost including any
// state it builds or reloads (counted once, where it happens); combine() the cost of adding this
// tile's result into the earlier k tiles' partial sums (called only when ctx.accumulates, after
// tile()); finish() the operator's end work, once, after the last tile. Calls after finish() are
// a programmer error (std::logic_error).
// A form of an operand other than its plain elements (IEngine::prepared_a).
struct PreparedOperand {
  std::string form;  // names it; tensors read in two different forms are an error
  int bits = 0;      // per element of the operand, in memory
  int group = 1;     // consecutive elements of a row that one prepared unit covers (LUT: K)
};

class IEngineSession {
 public:
  virtual ~IEngineSession() = default;
  virtual TileCost tile(const TileRequest& req, const TileContext& ctx) = 0;
  virtual TileCost combine(const TileRequest& req, const TileContext& ctx) = 0;
  virtual TileCost finish() = 0;
};

class IEngine {
 public:
  IEngine() = default;
  IEngine(const IEngine&) = delete;
  IEngine& operator=(const IEngine&) = delete;
  virtual ~IEngine() = default;
  virtual std::string type() const = 0;
  // What the engine accepts: declare_capabilities(), asked once. An engine is immutable after
  // construction, and the mappers ask per work item (rebuilding the lists on every call was 12%
  // of a 10,000-operator run).
  const EngineCapabilities& capabilities() const;

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

  // ---- v2: numbers -------------------------------------------------------------------------
  // The request's accumulator and output formats, defaults resolved (see TileRequest).
  NumFormat acc_format(const TileRequest& req) const;
  NumFormat out_format(const TileRequest& req) const;
  // How products and partial sums add in acc_format(req). Default: the baseline rule (ints
  // wrap at their width, floats round to nearest even once per add).
  virtual AccumRule accum_rule(const TileRequest& req) const;

  // Functional result in acc_format(req), bit-exact; a, b in a_type, b_type (m x k, k x n).
  // Default (for engines with only the IntMatrix model): integer formats through compute()
  // above; floating formats are a UserError naming the engine.
  void compute(const TileRequest& req, const TypedMatrix& a, const TypedMatrix& b, TypedMatrix& out) const {
    compute_typed(req, a, b, out);
  }

  // ---- v2: cross-tile combination ------------------------------------------------------------
  // What it costs to add this tile's result (req.gemm: m x n, in acc_format) into the partial
  // sums of earlier k tiles: read them back, add, write (the write takes the place of the tile's
  // own result write, already in the tile's out_write_bits, so it is not counted again).
  // Default, for GEMM requests: m*n ("accumulator", int_add at the acc width) (or <fmt>_add for a
  // floating accumulator) and out_read_bits = m*n*acc width, no cycles: exactly what the
  // kernel has charged per accumulating tile. Vector requests do not accumulate: empty.
  virtual TileCost combine_cost(const TileRequest& req) const;
  // psum = psum (+) tile, element-wise under accum_rule(req); both acc_format(req), m x n.
  virtual void combine(const TileRequest& req, TypedMatrix& psum, const TypedMatrix& tile) const;
  // The operator's final values: acc in acc_format(req) converted to out_format(req). Default:
  // numerics convert(), nearest even, saturating (a requantising cast, no scale).
  virtual void finalize(const TileRequest& req, const TypedMatrix& acc, TypedMatrix& out) const;

  // ---- v2: data-dependent timing ---------------------------------------------------------
  // Cost given what is known of the operands (see TimingDependence). Shape engines: == cost(req).
  TileCost cost(const TileRequest& req, const OperandStats& stats) const { return cost_given(req, stats); }

  // ---- v2: per-operator state ------------------------------------------------------------
  // A session for one operator whose tiles share `op_request` (dataflow, formats; shapes vary).
  // Default: stateless, tile() = cost(req) (or cost(req, *ctx.stats)), combine() =
  // combine_cost(req), finish() = nothing.
  virtual std::unique_ptr<IEngineSession> begin_operator(const TileRequest& op_request) const;

  // ---- v2: operands another operator prepares ------------------------------------------------
  // An engine that reads its A operand in a form the operator writing it prepares (the LUT
  // engine with fused precompute reads tables, not activations) says which form and its bits per
  // element in memory; a_preparation() is the work of preparing a rows x k A operand, which the
  // simulator counts in the operator that writes it (for a workload input, in the first operator
  // that reads it). Default: plain elements of a_type, no preparation.
  virtual std::optional<PreparedOperand> prepared_a(const TileRequest& req) const;  // nullopt: plain
  virtual ActionCounts a_preparation(const TileRequest& req, uint64_t rows, uint64_t k) const;

  // ---- v2: power at full use ----------------------------------------------------------------
  // What the engine does in `cycles` cycles at full use (issuing its default work at its peak
  // rate), for the chip-level figures that scale with full-use power (the clock tree). cycles 0,
  // the default: the report estimates it from the run, as the run's engine energy per useful
  // operation times peak operations per cycle, which suits engines whose energy follows useful
  // work; an engine that spends the same energy on padding (a tensor core's MMA fragments)
  // says what full use is instead.
  struct FullUse {
    ActionCounts actions;
    uint64_t cycles = 0;
  };
  virtual FullUse full_use() const;

  // ---- v2: declared actions ----------------------------------------------------------------
  // Every (component, primitive, bits) any call of this configured engine may emit, combine
  // included. The default is empty, which check_engine_pricing() rejects: engines declare.
  virtual std::vector<ActionPrimitive> action_primitives() const;

 protected:
  // The accumulator of a request that names none. Default: acc_types[0], else a psum_bits-wide
  // integer; an engine whose accumulator follows its inputs (a tensor core: int32 for int8, fp32
  // for fp16) overrides it.
  virtual NumFormat default_acc(const TileRequest& req) const;
  // Hooks of the non-virtual overloads above (named apart so that an engine overriding one
  // overload does not hide the other).
  virtual TileCost cost_given(const TileRequest& req, const OperandStats& stats) const;
  virtual void compute_typed(const TileRequest& req, const TypedMatrix& a, const TypedMatrix& b,
                             TypedMatrix& out) const;
  // The default combine's primitives, one per accepted accumulator format: engines that keep the
  // default combine_cost() add these to their action_primitives().
  std::vector<ActionPrimitive> default_combine_primitives() const;
  // `own` followed by the default combine's primitives it does not already list.
  std::vector<ActionPrimitive> with_default_combine(std::vector<ActionPrimitive> own) const;
  // The same, with `own` the primitives of `every`: an engine's pricing applied to one event of
  // each kind lists everything that pricing can count.
  std::vector<ActionPrimitive> with_default_combine(const ActionCounts& every) const;
  // The typed functional model of an integer MAC engine: the numerics reference GEMM under
  // accum_rule(req), after checking that a and b match the request (std::invalid_argument).
  void reference_gemm_typed(const TileRequest& req, const TypedMatrix& a, const TypedMatrix& b, TypedMatrix& out) const;

 protected:
  virtual EngineCapabilities declare_capabilities() const = 0;

 private:
  mutable std::once_flag caps_once_;
  mutable EngineCapabilities caps_;
};

// The default session (IEngine::begin_operator's): the stateless engine tile by tile, the
// default combine, nothing at finish; calls after finish() throw std::logic_error. An engine
// with state across tiles derives from it and overrides what its state changes.
class DefaultSession : public IEngineSession {
 public:
  explicit DefaultSession(const IEngine& e) : engine_(e) {}
  TileCost tile(const TileRequest& req, const TileContext& ctx) override;
  TileCost combine(const TileRequest& req, const TileContext& ctx) override;
  TileCost finish() override;

 protected:
  void live(const char* call) const;  // throws after finish()
  const IEngine& engine_;

 private:
  bool finished_ = false;
};

using EngineRegistry = Registry<IEngine>;

}  // namespace tessera

#define TESSERA_REGISTER_ENGINE(type_name, doc_text, params_fn, factory_fn) \
  TESSERA_REGISTER(::tessera::IEngine, type_name, doc_text, params_fn, factory_fn)
