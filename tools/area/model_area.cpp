// area_model: the systolic engine's hardware inventory (area_items()) priced by a technology
// file, as JSON, for tools/area/area_check.py to compare against yosys synthesis of
// rtl/src/systolic/systolic_array.v.
//
//   area_model [--tech FILE] ROWS COLS IN_BITS ACC_BITS [ROWS COLS IN_BITS ACC_BITS ...]
//
// FILE defaults to tools/area/yosys_45nm.yaml: the 45 nm table with int_mul_area_law: array,
// the multiplier yosys builds (docs/area.md); area_check.py also runs configs/tech/45nm.yaml.
//
// Prints one JSON array, one object per configuration: flip-flop bits and area (um^2) by
// component, and every item with its unit price. Errors go to stderr with exit status 1.
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

std::unique_ptr<IEngine> make_systolic(int64_t rows, int64_t cols, int64_t in_bits, int64_t acc_bits) {
  const auto* e = EngineRegistry::instance().find("systolic");
  if (e == nullptr) throw std::runtime_error("engine 'systolic' is not registered");
  ParamValues p = default_params(e->params);
  p.set("rows", rows);
  p.set("cols", cols);
  p.set("in_bits", in_bits);
  p.set("acc_bits", acc_bits);
  return e->make(p);
}

int64_t to_int(const std::string& s) {
  size_t used = 0;
  const long long v = std::stoll(s, &used);
  if (used != s.size()) throw std::invalid_argument("not an integer: '" + s + "'");
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::string tech_path = std::string(TESSERA_SOURCE_DIR) + "/tools/area/yosys_45nm.yaml";
    std::vector<int64_t> nums;
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      if (a == "--tech" && i + 1 < argc) {
        tech_path = argv[++i];
      } else if (a == "-h" || a == "--help") {
        std::puts("usage: area_model [--tech FILE] ROWS COLS IN_BITS ACC_BITS [...]");
        return 0;
      } else {
        nums.push_back(to_int(a));
      }
    }
    if (nums.empty() || nums.size() % 4 != 0)
      throw std::invalid_argument("expected groups of four integers: ROWS COLS IN_BITS ACC_BITS");
    const TechLibrary tech = load_tech(tech_path);

    nlohmann::json out = nlohmann::json::array();
    for (size_t k = 0; k < nums.size(); k += 4) {
      const auto eng = make_systolic(nums[k], nums[k + 1], nums[k + 2], nums[k + 3]);
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
      out.push_back({{"rows", nums[k]}, {"cols", nums[k + 1]}, {"in_bits", nums[k + 2]},
                     {"acc_bits", nums[k + 3]}, {"tech", tech_path}, {"ff_bits", ff},
                     {"area_um2", um2}, {"items", items}});
    }
    std::cout << out.dump(1) << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "area_model: " << e.what() << "\n";
    return 1;
  }
}
