#include "models/tech/engine_pricing.h"

namespace tessera {

void check_engine_pricing(const IEngine& engine, const std::string& engine_name, const TechLibrary& tech) {
  const std::string who = "engine '" + engine_name + "' (type " + engine.type() + ")";
  const std::string lib =
      "the technology library" + (tech.spec().origin.empty() ? std::string() : " (" + tech.spec().origin + ")");
  const auto declared = engine.action_primitives();
  if (declared.empty())
    throw UserError(who + " declares no action primitives, so " + lib +
                    " cannot be checked to price it (IEngine::action_primitives)");
  for (const auto& p : declared) {
    try {
      tech.action_pj(p.primitive, p.bits);
    } catch (const UserError& e) {
      throw UserError(who + " emits action '" + p.primitive + "' at " + std::to_string(p.bits) +
                      " bits in component '" + p.component + "', which " + lib + " cannot price: " + e.message());
    }
  }
  for (const auto& a : engine.area_items()) {
    try {
      tech.area_um2(a.primitive, a.bits);
    } catch (const UserError& e) {
      throw UserError(who + " lists hardware '" + a.primitive + "' at " + std::to_string(a.bits) +
                      " bits in component '" + a.component + "', which " + lib + " cannot price: " + e.message());
    }
  }
}

}  // namespace tessera
