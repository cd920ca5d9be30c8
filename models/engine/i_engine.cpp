#include "models/engine/i_engine.h"

#include <algorithm>

namespace tessera {

void ActionCounts::add(const std::string& component, const std::string& primitive, int bits, uint64_t count) {
  if (count == 0) return;
  for (auto& a : items_) {
    if (a.component == component && a.primitive == primitive && a.bits == bits) {
      a.count += count;
      return;
    }
  }
  items_.push_back({component, primitive, bits, count});
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

bool EngineCapabilities::accepts(WorkKind k) const { return std::find(work.begin(), work.end(), k) != work.end(); }
bool EngineCapabilities::accepts_dataflow(const std::string& d) const {
  return std::find(dataflows.begin(), dataflows.end(), d) != dataflows.end();
}

void IEngine::check(const TileRequest& req) const {
  const auto caps = capabilities();
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
  }
}

}  // namespace tessera
