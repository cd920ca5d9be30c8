#include "models/engine/i_engine.h"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <tuple>

namespace tessera {

const EngineCapabilities& IEngine::capabilities() const {
  std::call_once(caps_once_, [this] { caps_ = declare_capabilities(); });
  return caps_;
}

void ActionCounts::add(const std::string& component, const std::string& primitive, int64_t bits, uint64_t count) {
  if (count == 0 || bits <= 0) return;
  if (bits > std::numeric_limits<int>::max()) throw std::invalid_argument("action of " + std::to_string(bits) + " bits");
  for (auto& a : items_) {
    if (a.component == component && a.primitive == primitive && a.bits == bits) {
      a.count += count;
      return;
    }
  }
  items_.push_back({component, primitive, static_cast<int>(bits), count});
}

void ActionCounts::merge(const ActionCounts& other, uint64_t times) {
  for (const auto& a : other.items_) add(a.component, a.primitive, a.bits, a.count * times);
}

uint64_t ActionCounts::count(const std::string& component, const std::string& primitive, int bits) const {
  for (const auto& a : items_)
    if (a.component == component && a.primitive == primitive && a.bits == bits) return a.count;
  return 0;
}

// Order-insensitive: two models may count the same actions in a different order.
bool ActionCounts::operator==(const ActionCounts& o) const {
  if (items_.size() != o.items_.size()) return false;
  for (const auto& a : items_)
    if (o.count(a.component, a.primitive, a.bits) != a.count) return false;
  return true;
}

std::vector<DType> signed_int_dtypes(int bits) {
  std::vector<DType> v;
  for (DType t : {DType::int1, DType::int2, DType::int3, DType::int4, DType::int5, DType::int6, DType::int7,
                  DType::int8, DType::int16})
    if (dtype_bits(t) <= bits) v.push_back(t);
  if (bits >= 2) v.push_back(DType::ternary);
  return v;
}

bool EngineCapabilities::accepts(WorkKind k) const { return std::find(work.begin(), work.end(), k) != work.end(); }
bool EngineCapabilities::accepts_dataflow(const std::string& d) const {
  return std::find(dataflows.begin(), dataflows.end(), d) != dataflows.end();
}

void IEngine::check(const TileRequest& req) const {
  const auto& caps = capabilities();
  if (!caps.accepts(req.kind))
    throw UserError("engine '" + type() + "' cannot run " + (req.kind == WorkKind::Gemm ? "GEMM" : "vector") +
                    " work");
  if (req.kind == WorkKind::Gemm) {
    if (!req.dataflow.empty() && !caps.accepts_dataflow(req.dataflow)) {
      std::string list;
      for (const auto& d : caps.dataflows) list += (list.empty() ? "" : "|") + d;
      throw UserError("engine '" + type() + "' has no dataflow '" + req.dataflow + "'; expected one of " + list);
    }
    if (req.gemm.m <= 0 || req.gemm.n <= 0 || req.gemm.k <= 0)
      throw UserError("GEMM tile dimensions must be positive");
    auto has = [](const std::vector<DType>& v, DType t) { return std::find(v.begin(), v.end(), t) != v.end(); };
    if (!has(caps.a_types, req.a_type) || !has(caps.b_types, req.b_type))
      throw UserError("engine '" + type() + "' does not accept operands " + dtype_name(req.a_type) + " x " +
                      dtype_name(req.b_type));
    if (req.acc_type) {
      const std::vector<NumFormat> accs =
          caps.acc_types.empty() ? std::vector<NumFormat>{NumFormat::int_bits(caps.psum_bits)} : caps.acc_types;
      if (std::find(accs.begin(), accs.end(), *req.acc_type) == accs.end()) {
        std::string list;
        for (const auto& f : accs) list += (list.empty() ? "" : "|") + f.name();
        throw UserError("engine '" + type() + "' cannot accumulate in " + req.acc_type->name() + "; expected " + list);
      }
    }
  }
}

const char* timing_dependence_name(TimingDependence t) {
  switch (t) {
    case TimingDependence::Shape: return "shape";
    case TimingDependence::Histogram: return "histogram";
    case TimingDependence::Data: return "data";
  }
  return "shape";
}

// ---------------------------------------------------------------------------------------------
// v2: numbers, statistics, declared actions.

IntMatrix int_gemm_wrapping(const IntMatrix& a, const IntMatrix& b, int acc_bits) {
  IntMatrix out(a.rows, b.cols);
  std::vector<uint64_t> row(static_cast<size_t>(b.cols));  // unsigned: wraps modulo 2^64, exact low bits
  for (int64_t m = 0; m < a.rows; ++m) {
    std::fill(row.begin(), row.end(), 0);
    for (int64_t k = 0; k < a.cols; ++k) {
      const auto av = static_cast<uint64_t>(a.at(m, k));
      for (int64_t n = 0; n < b.cols; ++n) row[static_cast<size_t>(n)] += av * static_cast<uint64_t>(b.at(k, n));
    }
    for (int64_t n = 0; n < b.cols; ++n) out.at(m, n) = wrap_to_bits(row[static_cast<size_t>(n)], acc_bits);
  }
  return out;
}

TypedMatrix to_typed(const IntMatrix& x, const NumFormat& f) {
  if (!f.is_int()) throw std::invalid_argument("to_typed: " + f.name() + " is not an integer format");
  TypedMatrix t(x.rows, x.cols, f);
  for (int64_t r = 0; r < x.rows; ++r)
    for (int64_t c = 0; c < x.cols; ++c) {
      const int64_t v = x.at(r, c);
      if (v < f.int_min() || v > f.int_max())
        throw std::invalid_argument("to_typed: " + std::to_string(v) + " is not a " + f.name() + " value");
      t.set_int(r, c, v);
    }
  return t;
}

IntMatrix to_int_matrix(const TypedMatrix& x) {
  if (!x.format().is_int())
    throw std::invalid_argument("to_int_matrix: " + x.format().name() + " is not an integer format");
  IntMatrix m(x.rows(), x.cols());
  for (int64_t r = 0; r < x.rows(); ++r)
    for (int64_t c = 0; c < x.cols(); ++c) m.at(r, c) = x.int_value(r, c);
  return m;
}

OperandStats stats_of(const TypedMatrix& a, const TypedMatrix& b, bool attach_data) {
  OperandStats s;
  s.a = histogram_of(a);
  s.b = histogram_of(b);
  if (attach_data) {
    s.a_data = &a;
    s.b_data = &b;
  }
  return s;
}

bool ActionPrimitive::operator<(const ActionPrimitive& o) const {
  return std::tie(component, primitive, bits) < std::tie(o.component, o.primitive, o.bits);
}

std::string describe_actions(const std::vector<Action>& v) {
  std::string s;
  for (const auto& a : v) s += (s.empty() ? "" : " ") + a.component + "/" + a.primitive + "@" + std::to_string(a.bits);
  return s;
}

std::vector<Action> undeclared_actions(const std::vector<ActionPrimitive>& declared, const ActionCounts& counts) {
  std::vector<Action> out;
  for (const auto& a : counts.items())
    if (std::find(declared.begin(), declared.end(), ActionPrimitive{a.component, a.primitive, a.bits}) == declared.end())
      out.push_back(a);
  return out;
}

std::string add_primitive(const NumFormat& f) { return f.is_int() ? "int_add" : f.name() + "_add"; }
std::string mul_primitive(DType t) { return dtype_is_float(t) ? dtype_name(t) + "_mul" : "int_mul"; }

namespace {

constexpr const char* kAccumulator = "accumulator";

}  // namespace

NumFormat IEngine::acc_format(const TileRequest& req) const { return req.acc_type ? *req.acc_type : default_acc(req); }

NumFormat IEngine::default_acc(const TileRequest&) const {
  const EngineCapabilities& caps = capabilities();
  return caps.acc_types.empty() ? NumFormat::int_bits(caps.psum_bits) : caps.acc_types.front();
}

NumFormat IEngine::out_format(const TileRequest& req) const { return req.out_type ? *req.out_type : acc_format(req); }

AccumRule IEngine::accum_rule(const TileRequest& req) const { return AccumRule::baseline(acc_format(req)); }

std::optional<PreparedOperand> IEngine::prepared_a(const TileRequest&) const { return std::nullopt; }

IEngine::FullUse IEngine::full_use() const { return {}; }

ActionCounts IEngine::a_preparation(const TileRequest&, uint64_t, uint64_t) const { return {}; }

TileCost IEngine::combine_cost(const TileRequest& req) const {
  TileCost t;
  if (req.kind != WorkKind::Gemm) return t;
  const NumFormat acc = acc_format(req);
  const uint64_t mn = static_cast<uint64_t>(req.gemm.m) * static_cast<uint64_t>(req.gemm.n);
  t.actions.add(kAccumulator, add_primitive(acc), acc.bits(), mn);
  t.traffic.out_read_bits = mn * static_cast<uint64_t>(acc.bits());
  return t;
}

void IEngine::combine(const TileRequest& req, TypedMatrix& psum, const TypedMatrix& tile) const {
  accumulate_into(accum_rule(req), psum, tile);
}

void IEngine::finalize(const TileRequest& req, const TypedMatrix& acc, TypedMatrix& out) const {
  if (acc.format() != acc_format(req))
    throw std::invalid_argument("finalize: values are " + acc.format().name() + ", the accumulator is " +
                                acc_format(req).name());
  out = convert(acc, out_format(req), Conversion{Rounding::NearestEven, true});
}

std::array<int64_t, 3> origin_phase(const std::array<int64_t, 3>& origin, const std::array<int64_t, 3>& multiple) {
  std::array<int64_t, 3> p{};
  for (size_t i = 0; i < 3; ++i) p[i] = origin[i] == 0 ? -1 : origin[i] % multiple[i];
  return p;
}

std::array<int64_t, 3> origin_of_phase(const std::array<int64_t, 3>& phase, const std::array<int64_t, 3>& multiple) {
  std::array<int64_t, 3> o{};
  for (size_t i = 0; i < 3; ++i) o[i] = phase[i] < 0 ? 0 : phase[i] == 0 ? multiple[i] : phase[i];
  return o;
}

std::array<int64_t, 3> tile_multiple_of(const EngineCapabilities& caps, const std::string& dataflow) {
  const std::string d = dataflow.empty() && !caps.dataflows.empty() ? caps.dataflows.front() : dataflow;
  auto it = caps.tile_multiple.find(d);
  return it == caps.tile_multiple.end() ? std::array<int64_t, 3>{1, 1, 1} : it->second;
}

std::unique_ptr<IEngineSession> IEngine::begin_operator(const TileRequest&) const {
  return std::make_unique<DefaultSession>(*this);
}

TileCost DefaultSession::tile(const TileRequest& req, const TileContext& ctx) {
  live("tile");
  return ctx.stats ? engine_.cost(req, *ctx.stats) : engine_.cost(req);
}
TileCost DefaultSession::combine(const TileRequest& req, const TileContext&) {
  live("combine");
  return engine_.combine_cost(req);
}
TileCost DefaultSession::finish() {
  live("finish");
  finished_ = true;
  return {};
}
void DefaultSession::live(const char* call) const {
  if (finished_) throw std::logic_error(std::string("engine session: ") + call + "() after finish()");
}

std::vector<ActionPrimitive> IEngine::action_primitives() const { return {}; }

TileCost IEngine::cost_given(const TileRequest& req, const OperandStats&) const { return cost(req); }

void IEngine::compute_typed(const TileRequest& req, const TypedMatrix& a, const TypedMatrix& b, TypedMatrix& out) const {
  if (a.format() != NumFormat::of(req.a_type) || b.format() != NumFormat::of(req.b_type))
    throw std::invalid_argument("compute: operands are " + a.format().name() + " x " + b.format().name() +
                                ", the request says " + dtype_name(req.a_type) + " x " + dtype_name(req.b_type));
  const NumFormat acc = acc_format(req);
  if (!a.format().is_int() || !b.format().is_int() || !acc.is_int())
    throw UserError("engine '" + type() + "' has no functional model for " + a.format().name() + " x " +
                    b.format().name() + " into " + acc.name());
  IntMatrix o;
  compute(req, to_int_matrix(a), to_int_matrix(b), o);
  out = to_typed(o, acc);
}

std::vector<ActionPrimitive> IEngine::with_default_combine(const ActionCounts& every) const {
  std::vector<ActionPrimitive> own;
  for (const Action& a : every.items()) own.push_back({a.component, a.primitive, a.bits});
  return with_default_combine(std::move(own));
}

std::vector<AreaItem> without_empty(std::vector<AreaItem> items) {
  items.erase(std::remove_if(items.begin(), items.end(), [](const AreaItem& i) { return i.bits <= 0 || i.count == 0; }),
              items.end());
  return items;
}

std::vector<ActionPrimitive> IEngine::with_default_combine(std::vector<ActionPrimitive> own) const {
  for (const auto& p : default_combine_primitives())
    if (std::find(own.begin(), own.end(), p) == own.end()) own.push_back(p);
  return own;
}

void IEngine::reference_gemm_typed(const TileRequest& req, const TypedMatrix& a, const TypedMatrix& b,
                                   TypedMatrix& out) const {
  const GemmShape& g = req.gemm;
  if (a.format() != NumFormat::of(req.a_type) || b.format() != NumFormat::of(req.b_type) || a.rows() != g.m ||
      a.cols() != g.k || b.rows() != g.k || b.cols() != g.n)
    throw std::invalid_argument(type() + " compute: operands " + a.format().name() + " " + std::to_string(a.rows()) +
                                "x" + std::to_string(a.cols()) + " and " + b.format().name() + " " +
                                std::to_string(b.rows()) + "x" + std::to_string(b.cols()) +
                                " do not match the request");
  out = gemm(a, b, accum_rule(req));
}

std::vector<ActionPrimitive> IEngine::default_combine_primitives() const {
  const EngineCapabilities& caps = capabilities();
  const std::vector<NumFormat> accs =
      caps.acc_types.empty() ? std::vector<NumFormat>{NumFormat::int_bits(caps.psum_bits)} : caps.acc_types;
  std::vector<ActionPrimitive> v;
  for (const auto& f : accs) v.push_back({kAccumulator, add_primitive(f), f.bits()});
  return v;
}

}  // namespace tessera
