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

}  // namespace tessera
