#pragma once
// Load-time proof that an engine can be priced: every action primitive it declares
// (IEngine::action_primitives()) has an energy in the technology library, and every item of its
// hardware (area_items()) an area. Call it once per configured engine before simulating (the
// arch loader does, sim/config/arch.cpp), so a run never stops halfway on a price it lacks.
#include <string>

#include "models/engine/i_engine.h"
#include "models/tech/tech_library.h"

namespace tessera {

// Throws UserError naming the engine (`engine_name`, its type), the component, the primitive
// and its bit width for the first one `tech` cannot price, with the library's reason; also if
// the engine declares no action primitives at all.
void check_engine_pricing(const IEngine& engine, const std::string& engine_name, const TechLibrary& tech);

}  // namespace tessera
