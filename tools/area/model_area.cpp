// area_model: an engine's hardware inventory (area_items()) priced by a technology file, as
// JSON, for tools/area/area_check.py to compare against yosys synthesis of the engine's RTL.
//
//   area_model [--tech FILE] ENGINE PARAMS [PARAMS ...]
//
// ENGINE is a registered engine type (systolic, bitserial, ...); each PARAMS is one
// configuration, `name=value,name=value` over that engine's parameters (the rest default; an
// empty string is the defaults). FILE defaults to tools/area/yosys_45nm.yaml: the 45 nm table
// with int_mul_area_law: array, the multiplier yosys builds (docs/area.md); area_check.py also
// runs configs/tech/45nm.yaml.
//
// Prints one JSON array, one object per configuration: its parameters, flip-flop bits and area
// (um^2) by component, and every item with its unit price. Errors go to stderr with exit status 1.
#include <cstdio>
#include <exception>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/engine/i_engine.h"
#include "sim/config/tech_loader.h"

using namespace tessera;

namespace {

// "rows=4,cols=8" -> the engine's resolved parameters.
ParamValues configuration(const EngineRegistry::Entry& e, const std::string& text) {
  ParamValues p = default_params(e.params);
  size_t i = 0;
  while (i < text.size()) {
    const size_t end = std::min(text.find(',', i), text.size());
    const std::string kv = text.substr(i, end - i);
    const size_t eq = kv.find('=');
    if (eq == std::string::npos) throw std::invalid_argument("expected name=value, got '" + kv + "'");
    const std::string name = kv.substr(0, eq);
    const ParamDecl* decl = nullptr;
    for (const auto& d : e.params)
      if (d.name == name) decl = &d;
    if (!decl) throw std::invalid_argument("engine '" + e.type + "' has no parameter '" + name + "'");
    p.set(name, parse_param(*decl, kv.substr(eq + 1), SourceLoc{}, name));
    i = end + 1;
  }
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::string tech_path = std::string(TESSERA_SOURCE_DIR) + "/tools/area/yosys_45nm.yaml";
    std::vector<std::string> args;
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      if (a == "--tech" && i + 1 < argc) {
        tech_path = argv[++i];
      } else if (a == "-h" || a == "--help") {
        std::puts("usage: area_model [--tech FILE] ENGINE PARAMS [PARAMS ...]   (PARAMS: name=value,...)");
        return 0;
      } else {
        args.push_back(a);
      }
    }
    if (args.size() < 2) throw std::invalid_argument("expected ENGINE and at least one PARAMS");
    const auto* entry = EngineRegistry::instance().find(args[0]);
    if (!entry) throw std::invalid_argument("no engine '" + args[0] + "'");
    const TechLibrary tech = load_tech(tech_path);

    nlohmann::json out = nlohmann::json::array();
    for (size_t k = 1; k < args.size(); ++k) {
      const ParamValues params = configuration(*entry, args[k]);
      const auto eng = entry->make(params);
      std::map<std::string, uint64_t> ff;
      std::map<std::string, double> um2;
      nlohmann::json items = nlohmann::json::array();
      for (const AreaItem& it : eng->area_items()) {
        const double unit = tech.area_um2(it.primitive, it.bits);
        um2[it.component] += unit * static_cast<double>(it.count);
        if (it.primitive == "reg") ff[it.component] += it.count * static_cast<uint64_t>(it.bits);
        items.push_back({{"component", it.component}, {"primitive", it.primitive}, {"bits", it.bits},
                         {"count", it.count}, {"unit_um2", unit}});
      }
      out.push_back({{"engine", args[0]}, {"params", args[k]}, {"tech", tech_path}, {"ff_bits", ff},
                     {"area_um2", um2}, {"items", items}});
    }
    std::cout << out.dump(1) << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "area_model: " << e.what() << "\n";
    return 1;
  }
}
