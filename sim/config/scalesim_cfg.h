#pragma once
// SCALE-Sim v2 `.cfg` files (INI: [general], [architecture_presets], [run_presets]) read as a
// tessera machine: one systolic engine with `timing: scalesim`, the three SRAMs as scratchpads
// holding a / b / out, and DRAM at the cfg's words-per-cycle bandwidth. See docs/engines/scalesim.md.
#include <yaml-cpp/yaml.h>

#include <string>

namespace tessera {

YAML::Node scalesim_cfg_to_yaml(const std::string& path);
YAML::Node scalesim_cfg_text_to_yaml(const std::string& text, const std::string& name);

}  // namespace tessera
