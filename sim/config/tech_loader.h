#pragma once
// Reads a technology file (configs/tech/*.yaml) into a TechSpec and builds the TechLibrary.
//
// Two shapes of file:
//   * a full table (45nm.yaml): node_nm, vdd_v, int_add, int_mul, fp_add, fp_mul, logic, sram,
//     dram_pj_per_bit -- published points and per-bit constants;
//   * a derived node (7nm.yaml): derive_from (path relative to this file), node_nm and optional
//     energy_factor / area_factor / leakage_factor; a factor left out is Stillmaker & Baas's.
// Every problem is a UserError naming file:line:col, the key, what was expected and, for a
// misspelt key, the closest declared one. Nothing here exits.
#include <string>
#include <utility>
#include <vector>

#include "models/common/params.h"
#include "models/tech/tech_library.h"

namespace tessera {

TechSpec load_tech_spec(const std::string& path);
TechLibrary load_tech(const std::string& path);
// Same, from text (`name` is used in messages; derive_from is resolved against its directory).
TechSpec load_tech_spec_string(const std::string& text, const std::string& name);

// The declared scalar parameters, by section ("" = top level of a full table, "derived" = a
// derived-node file), for `tessera list` and the docs.
const std::vector<std::pair<std::string, std::vector<ParamDecl>>>& tech_param_sections();

}  // namespace tessera
