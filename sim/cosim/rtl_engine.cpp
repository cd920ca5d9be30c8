#include "sim/cosim/rtl_engine.h"

#include "models/common/error.h"

namespace tessera {

std::unique_ptr<IRtlEngine> make_rtl_engine(const std::string& type, const ParamValues& params) {
  const auto* entry = RtlEngineRegistry::instance().find(type);
  if (!entry) {
    std::string have;
    for (const auto& n : RtlEngineRegistry::instance().names()) have += (have.empty() ? "" : ", ") + n;
    throw UserError("engine type '" + type + "' has no RTL model to co-simulate (RTL exists for: " + have + ")",
                    SourceLoc{}, "type");
  }
  return entry->make(params);
}

TileCost IRtlEngine::run_tile_typed(const TileRequest& req, const TypedMatrix* a, const TypedMatrix* b,
                                    TypedMatrix* out, const Clock& clock) const {
  if (!(a && b && out)) return run_tile(req, nullptr, nullptr, nullptr, clock);
  const IntMatrix ia = to_int_matrix(*a), ib = to_int_matrix(*b);
  IntMatrix io;
  const TileCost c = run_tile(req, &ia, &ib, &io, clock);
  *out = to_typed(io, acc_format(req));
  return c;
}

}  // namespace tessera
