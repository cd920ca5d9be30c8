#include "sim/config/tech_loader.h"

#include "sim/config/yaml_util.h"

namespace tessera {

namespace {

// The largest energy (pJ), area (um2) or leakage a tech value may take: far past any silicon,
// and small enough that no total over a run overflows a double (1e308 used to make the
// report's energy inf, written as null, with exit 0).
constexpr double kMaxValue = 1e9;

// Declared once: the loader, `tessera list` and docs/tech.md read these.
const std::vector<ParamDecl>& top_params() {
  static const std::vector<ParamDecl> d = {
      ParamDecl::integer("node_nm", "nm", std::nullopt, 7, 180, "technology node the table describes"),
      ParamDecl::real("vdd_v", "V", std::nullopt, 0.3, 2.0, "supply the energies were measured at"),
      ParamDecl::choice("int_mul_area_law", {"fitted", "array"}, "fitted",
                        "int_mul area: fitted to the int_mul.area_um2 points (Booth/Wallace silicon), or an "
                        "array multiplier of b^2 logic.and2_um2 + b(b-1) logic.full_adder_um2 cells"),
  };
  return d;
}

const std::vector<ParamDecl>& logic_params() {
  static const std::vector<ParamDecl> d = {
      ParamDecl::real("reg_write_pj_per_bit", "pJ", std::nullopt, 0, kMaxValue, "energy to clock one bit into a flip-flop"),
      ParamDecl::real("reg_read_pj_per_bit", "pJ", std::nullopt, 0, kMaxValue, "energy to drive one flip-flop output to its reader"),
      ParamDecl::real("mux2_pj_per_bit", "pJ", std::nullopt, 0, kMaxValue, "energy of one output bit of a 2:1 mux"),
      ParamDecl::real("reg_um2_per_bit", "um2", std::nullopt, 0, kMaxValue, "area of one flip-flop"),
      ParamDecl::real("mux2_um2_per_bit", "um2", std::nullopt, 0, kMaxValue, "area of one output bit of a 2:1 mux"),
      ParamDecl::real("and2_um2", "um2", "0", 0, kMaxValue,
                      "area of one two-input AND cell; needed by int_mul_area_law: array (0 = not given)"),
      ParamDecl::real("full_adder_um2", "um2", "0", 0, kMaxValue,
                      "area of one full-adder cell; needed by int_mul_area_law: array (0 = not given)"),
      ParamDecl::real("leakage_mw_per_mm2", "mW/mm2", std::nullopt, 0, kMaxValue, "logic leakage power density"),
  };
  return d;
}

const std::vector<ParamDecl>& sram_params() {
  static const std::vector<ParamDecl> d = {
      ParamDecl::real("write_read_ratio", "", std::nullopt, 0.1, 10, "write energy / read energy"),
      ParamDecl::real("port_area_increment", "", "0.5", 0, 10, "extra cell area per extra port, fraction of a cell"),
      ParamDecl::real("bank_fixed_um2", "um2", std::nullopt, 0, kMaxValue, "decoder and control area per bank"),
      ParamDecl::real("leakage_nw_per_bit", "nW", std::nullopt, 0, kMaxValue, "leakage per stored bit"),
  };
  return d;
}

// One published SRAM figure in `sram.read_pj` / `sram.area_um2` (lists: the laws need points
// across capacities and widths). A point published at another node is scaled to this file's
// node like the file itself.
std::vector<ParamDecl> sram_point_params(const std::string& value_key, const std::string& unit,
                                         const std::string& what) {
  return {
      ParamDecl::real("bytes", "B", std::nullopt, 1, 1e12, "capacity of the bank"),
      ParamDecl::integer("bits", "bits", std::nullopt, 1, 4096, "word width"),
      ParamDecl::real(value_key, unit, std::nullopt, 0, kMaxValue, what),
      ParamDecl::integer("node_nm", "nm", "0", 0, 180,
                         "node the point was published at (0 = this file's); scaled by Stillmaker & Baas"),
      ParamDecl::string("source", std::nullopt, "citation tag of the point"),
  };
}
const std::vector<ParamDecl>& sram_read_params() {
  static const std::vector<ParamDecl> d = sram_point_params("pj", "pJ", "published energy of one read");
  return d;
}
const std::vector<ParamDecl>& sram_area_params() {
  static const std::vector<ParamDecl> d = sram_point_params("um2", "um2", "published area of a single-port bank");
  return d;
}

const std::vector<ParamDecl>& chip_params() {
  static const std::vector<ParamDecl> d = {
      ParamDecl::real("clock_tree_power_share", "", std::nullopt, 0, 0.9,
                      "clock network's share of chip power at full use; it toggles every cycle, busy or idle"),
      ParamDecl::real("control_power_share", "", std::nullopt, 0, 0.9,
                      "control and sequencing logic's share of chip power; follows activity"),
      ParamDecl::real("clock_tree_area_share", "", std::nullopt, 0, 0.9, "clock buffers' share of core area"),
      ParamDecl::real("control_area_share", "", std::nullopt, 0, 0.9, "control logic's share of core area"),
      ParamDecl::real("placement_utilization", "", std::nullopt, 0.05, 1,
                      "standard-cell area / placed logic area (the rest is routing whitespace)"),
  };
  return d;
}

const std::vector<ParamDecl>& dram_device_params() {
  static const std::vector<ParamDecl> d = {
      ParamDecl::real("device_gbit", "Gbit", std::nullopt, 0, 1e4, "capacity of one DRAM device"),
      ParamDecl::real("vdd_v", "V", std::nullopt, 0.3, 5, "device supply"),
      ParamDecl::real("idd3n_ma", "mA", std::nullopt, 0, 1e4, "active standby current per device (background)"),
      ParamDecl::real("idd5b_ma", "mA", std::nullopt, 0, 1e4, "burst refresh current per device"),
      ParamDecl::real("trfc_ns", "ns", std::nullopt, 0, 1e6, "refresh cycle time"),
      ParamDecl::real("trefi_ns", "ns", std::nullopt, 0, 1e8, "average refresh interval"),
      ParamDecl::string("source", std::nullopt, "datasheet the currents come from"),
  };
  return d;
}

const std::vector<ParamDecl>& io_phy_params() {
  static const std::vector<ParamDecl> d = {
      ParamDecl::real("static_mw_per_gbps", "mW/(GB/s)", std::nullopt, 0, 1e4,
                      "PHY power drawn while the link is up (DLL, termination, bias), per GB/s"),
      ParamDecl::real("area_mm2_per_gbps", "mm2/(GB/s)", std::nullopt, 0, 100, "PHY area on the die, per GB/s"),
      ParamDecl::string("source", std::nullopt, "where the numbers come from"),
  };
  return d;
}

const std::vector<ParamDecl>& derived_params() {
  static const std::vector<ParamDecl> d = {
      ParamDecl::string("derive_from", std::nullopt, "technology file to scale, relative to this file"),
      ParamDecl::integer("node_nm", "nm", std::nullopt, 7, 180, "target technology node"),
      ParamDecl::real("energy_factor", "", "0", 0, 100, "dynamic energy multiplier; 0 = Stillmaker & Baas"),
      ParamDecl::real("area_factor", "", "0", 0, 100, "area multiplier; 0 = Stillmaker & Baas"),
      ParamDecl::real("leakage_factor", "", "0", 0, 100, "per-device leakage multiplier; 0 = energy factor"),
      ParamDecl::choice("int_mul_area_law", {"inherit", "fitted", "array"}, "inherit",
                        "int_mul area law; inherit = the base file's"),
  };
  return d;
}

const std::vector<std::string> kTableSections = {"int_add", "int_mul", "fp_add", "fp_mul", "logic", "sram",
                                                  "dram_pj_per_bit", "chip", "dram_devices", "io_phy"};
const std::vector<std::string> kLawKeys = {"energy_pj", "area_um2"};

const ParamDecl& value_decl(const std::string& unit) {
  static const ParamDecl pj = ParamDecl::real("value", "pJ", std::nullopt, 0, kMaxValue, "published energy");
  static const ParamDecl um2 = ParamDecl::real("value", "um2", std::nullopt, 0, kMaxValue, "published area");
  return unit == "pJ" ? pj : um2;
}

double positive_value(const YAML::Node& v, const std::string& unit, const std::string& file, const std::string& key) {
  const auto x = std::get<double>(parse_param(value_decl(unit), scalar_text(v, file, key, "a number"),
                                              yaml_loc(v, file), key));
  if (!(x > 0)) throw UserError("expected a positive " + unit + " value, got " + scalar_text(v, file, key, ""),
                                yaml_loc(v, file), key);
  return x;
}

// {key: value} with integer keys in [lo, hi] (bits, bytes).
std::vector<FitPoint> int_points(const YAML::Node& n, double lo, double hi, const std::string& key_unit,
                                 const std::string& unit, const std::string& file, const std::string& key) {
  expect_map(n, file, key, key_unit + " -> " + unit + " points");
  const ParamDecl kd = ParamDecl::integer("x", key_unit, std::nullopt, lo, hi, "");
  std::vector<FitPoint> out;
  for (auto it = n.begin(); it != n.end(); ++it) {
    const std::string k = scalar_text(it->first, file, key, "a " + key_unit + " count");
    const std::string sub = join_key(key, k);
    const auto x = std::get<int64_t>(parse_param(kd, k, yaml_loc(it->first, file), sub));
    out.push_back({double(x), positive_value(it->second, unit, file, sub)});
  }
  return out;
}

std::map<std::string, double> fp_points(const YAML::Node& n, const std::string& unit, const std::string& file,
                                        const std::string& key) {
  expect_map(n, file, key, "format -> " + unit + " points");
  std::vector<std::string> names;
  for (const auto& f : float_formats()) names.push_back(f.name);
  check_keys(n, names, file, key);
  std::map<std::string, double> out;
  for (auto it = n.begin(); it != n.end(); ++it) {
    const std::string k = it->first.Scalar();
    out[k] = positive_value(it->second, unit, file, join_key(key, k));
  }
  return out;
}

YAML::Node required(const YAML::Node& parent, const std::string& k, const std::string& file,
                    const std::string& key_path, const std::string& what) {
  YAML::Node n = parent[k];
  if (!n.IsDefined() || n.IsNull())
    throw UserError("missing required key '" + k + "' (" + what + ")", yaml_loc(parent, file), join_key(key_path, k));
  return n;
}

void int_law(const YAML::Node& root, const std::string& sec, const std::string& file, std::vector<FitPoint>& pj,
             std::vector<FitPoint>& um2) {
  const YAML::Node n = required(root, sec, file, "", "published energy and area points");
  expect_map(n, file, sec, "energy_pj and area_um2 points");
  check_keys(n, kLawKeys, file, sec);
  pj = int_points(required(n, "energy_pj", file, sec, "bits -> pJ"), 1, 64, "bits", "pJ", file, sec + ".energy_pj");
  um2 = int_points(required(n, "area_um2", file, sec, "bits -> um2"), 1, 64, "bits", "um2", file, sec + ".area_um2");
}

void fp_law(const YAML::Node& root, const std::string& sec, const std::string& file, std::map<std::string, double>& pj,
            std::map<std::string, double>& um2) {
  const YAML::Node n = required(root, sec, file, "", "published energy and area points");
  expect_map(n, file, sec, "energy_pj and area_um2 points");
  check_keys(n, kLawKeys, file, sec);
  pj = fp_points(required(n, "energy_pj", file, sec, "format -> pJ"), "pJ", file, sec + ".energy_pj");
  um2 = fp_points(required(n, "area_um2", file, sec, "format -> um2"), "um2", file, sec + ".area_um2");
}

// Fits happen in the TechLibrary constructor; its errors get the file name here.
TechLibrary build(const TechSpec& spec) {
  try {
    return TechLibrary(spec);
  } catch (const UserError& e) {
    throw UserError(e.message(), SourceLoc{spec.origin, 0, 0}, e.key());
  }
}

std::string dir_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash + 1);
}

TechSpec load_node(const YAML::Node& root, const std::string& file, int depth);

IntMulAreaLaw int_mul_area_law(const std::string& name) {
  return name == "array" ? IntMulAreaLaw::Array : IntMulAreaLaw::Fitted;
}

// Sections a derived file may give in full: its own published points at its node, in place of
// the base's scaled ones (e.g. the fp adders a synthesis flow builds, for the area cross-check).
const std::vector<std::string> kDerivedTables = {"fp_add", "fp_mul"};

TechSpec load_derived(const YAML::Node& root, const std::string& file, int depth) {
  const ParamValues p = resolve_params(root, derived_params(), file, "", kDerivedTables);
  if (depth > 8)
    throw UserError("derive_from chain deeper than 8 files (a cycle?)", yaml_loc(root["derive_from"], file),
                    "derive_from");
  const std::string base_path = dir_of(file) + p.s("derive_from");
  TechSpec base;
  try {
    base = load_node(load_yaml_file(base_path), base_path, depth + 1);
  } catch (const UserError& e) {
    if (e.loc().file == base_path && e.loc().line == 0 && e.message() == "cannot open file")
      throw UserError("cannot open '" + base_path + "'", yaml_loc(root["derive_from"], file), "derive_from");
    throw;
  }
  const int node = static_cast<int>(p.i("node_nm"));
  NodeScaling s;
  try {
    s = stillmaker_scaling(base.node_nm, base.vdd_v, node);
  } catch (const UserError& e) {
    throw UserError(e.message(), yaml_loc(root["node_nm"], file), "node_nm");
  }
  // An explicit factor wins (a file may quote a different source); 0 keeps the published table.
  if (p.f("energy_factor") > 0) s.energy = p.f("energy_factor");
  if (p.f("area_factor") > 0) s.area = p.f("area_factor");
  s.leakage = p.f("leakage_factor") > 0 ? p.f("leakage_factor") : s.energy;
  TechSpec out = scale_spec(base, node, s);
  out.origin = file;
  if (root["fp_add"].IsDefined()) fp_law(root, "fp_add", file, out.fp_add_pj, out.fp_add_um2);
  if (root["fp_mul"].IsDefined()) fp_law(root, "fp_mul", file, out.fp_mul_pj, out.fp_mul_um2);
  if (p.s("int_mul_area_law") != "inherit") {
    out.int_mul_area_law = int_mul_area_law(p.s("int_mul_area_law"));
    try {
      build(out);
    } catch (const UserError& e) {
      throw UserError(e.message(), yaml_loc(root["int_mul_area_law"], file), "int_mul_area_law");
    }
  }
  return out;
}

TechSpec load_node(const YAML::Node& root, const std::string& file, int depth) {
  expect_map(root, file, "", "a technology table");
  if (root["derive_from"].IsDefined()) return load_derived(root, file, depth);

  TechSpec s;
  s.origin = file;
  const ParamValues top = resolve_params(root, top_params(), file, "", kTableSections);
  s.node_nm = static_cast<int>(top.i("node_nm"));
  s.vdd_v = top.f("vdd_v");
  s.int_mul_area_law = int_mul_area_law(top.s("int_mul_area_law"));
  int_law(root, "int_add", file, s.int_add_pj, s.int_add_um2);
  int_law(root, "int_mul", file, s.int_mul_pj, s.int_mul_um2);
  fp_law(root, "fp_add", file, s.fp_add_pj, s.fp_add_um2);
  fp_law(root, "fp_mul", file, s.fp_mul_pj, s.fp_mul_um2);

  const ParamValues lg =
      resolve_params(required(root, "logic", file, "", "per-bit logic constants"), logic_params(), file, "logic");
  s.reg_write_pj_per_bit = lg.f("reg_write_pj_per_bit");
  s.reg_read_pj_per_bit = lg.f("reg_read_pj_per_bit");
  s.mux2_pj_per_bit = lg.f("mux2_pj_per_bit");
  s.reg_um2_per_bit = lg.f("reg_um2_per_bit");
  s.mux2_um2_per_bit = lg.f("mux2_um2_per_bit");
  s.and2_um2 = lg.f("and2_um2");
  s.full_adder_um2 = lg.f("full_adder_um2");
  s.logic_leakage_mw_per_mm2 = lg.f("leakage_mw_per_mm2");

  const YAML::Node sram = required(root, "sram", file, "", "SRAM model constants");
  const ParamValues sp = resolve_params(sram, sram_params(), file, "sram", {"read_pj", "area_um2"});
  // `energy`: scale a point's value by the energy factor between nodes, else by the area factor.
  auto points = [&](const char* list, const std::vector<ParamDecl>& decls, const std::string& value_key, bool energy) {
    const std::string where = std::string("sram.") + list;
    const std::string what = "a list of published points {bytes, bits, " + value_key + ", source}";
    const YAML::Node n = required(sram, list, file, "sram", what);
    expect_sequence(n, file, where, what);
    std::vector<SramPoint> out;
    for (size_t i = 0; i < n.size(); ++i) {
      const std::string key = where + "." + std::to_string(i);
      expect_map(n[i], file, key, "a published point {bytes, bits, " + value_key + ", source}");
      const ParamValues pt = resolve_params(n[i], decls, file, key);
      double v = pt.f(value_key);
      if (!(v > 0))
        throw UserError("expected a positive " + value_key + " value", yaml_loc(n[i][value_key], file), key + "." + value_key);
      const int at = static_cast<int>(pt.i("node_nm"));
      if (at != 0 && at != s.node_nm) {
        try {
          const NodeScaling f = stillmaker_scaling(at, stillmaker_nominal_vdd(at), s.node_nm);
          v *= energy ? f.energy : f.area;
        } catch (const UserError& e) {
          throw UserError(e.message(), yaml_loc(n[i]["node_nm"], file), key + ".node_nm");
        }
      }
      out.push_back({pt.f("bytes"), static_cast<double>(pt.i("bits")), v, pt.s("source")});
    }
    return out;
  };
  s.sram_read_pj = points("read_pj", sram_read_params(), "pj", true);
  s.sram_area_um2 = points("area_um2", sram_area_params(), "um2", false);
  s.sram_write_read_ratio = sp.f("write_read_ratio");
  s.sram_port_area_increment = sp.f("port_area_increment");
  s.sram_bank_fixed_um2 = sp.f("bank_fixed_um2");
  s.sram_leakage_nw_per_bit = sp.f("leakage_nw_per_bit");

  const YAML::Node dram = required(root, "dram_pj_per_bit", file, "", "technology -> pJ per bit");
  expect_map(dram, file, "dram_pj_per_bit", "technology -> pJ per bit");
  for (auto it = dram.begin(); it != dram.end(); ++it) {
    const std::string k = scalar_text(it->first, file, "dram_pj_per_bit", "a technology name");
    s.dram_pj_per_bit[k] = positive_value(it->second, "pJ", file, join_key("dram_pj_per_bit", k));
  }

  const ParamValues chip =
      resolve_params(required(root, "chip", file, "", "chip-level shares and placement"), chip_params(), file, "chip");
  s.clock_tree_power_share = chip.f("clock_tree_power_share");
  s.control_power_share = chip.f("control_power_share");
  s.clock_tree_area_share = chip.f("clock_tree_area_share");
  s.control_area_share = chip.f("control_area_share");
  s.placement_utilization = chip.f("placement_utilization");

  // Per-technology tables: a technology left out is not modelled, and using it is an error.
  auto per_tech = [&](const char* sec, const std::vector<ParamDecl>& decls, auto&& take) {
    const YAML::Node n = root[sec];
    if (!n.IsDefined() || n.IsNull()) return;
    expect_map(n, file, sec, "technology -> parameters");
    for (auto it = n.begin(); it != n.end(); ++it) {
      const std::string k = scalar_text(it->first, file, sec, "a technology name");
      const std::string key = join_key(sec, k);
      expect_map(it->second, file, key, "parameters of one technology");
      take(k, resolve_params(it->second, decls, file, key));
    }
  };
  per_tech("dram_devices", dram_device_params(), [&](const std::string& k, const ParamValues& v) {
    s.dram_devices[k] = {v.f("device_gbit"), v.f("vdd_v"), v.f("idd3n_ma"), v.f("idd5b_ma"), v.f("trfc_ns"),
                         v.f("trefi_ns")};
  });
  per_tech("io_phy", io_phy_params(), [&](const std::string& k, const ParamValues& v) {
    s.io_phy[k] = {v.f("static_mw_per_gbps"), v.f("area_mm2_per_gbps")};
  });

  build(s);  // fit now, so a bad table fails at load with the file named
  return s;
}

}  // namespace

const std::vector<std::pair<std::string, std::vector<ParamDecl>>>& tech_param_sections() {
  static const std::vector<std::pair<std::string, std::vector<ParamDecl>>> s = {
      {"", top_params()},
      {"logic", logic_params()},
      {"sram", sram_params()},
      {"sram.read_pj[]", sram_read_params()},
      {"sram.area_um2[]", sram_area_params()},
      {"chip", chip_params()},
      {"dram_devices.<technology>", dram_device_params()},
      {"io_phy.<technology>", io_phy_params()},
      {"derived", derived_params()}};
  return s;
}

TechSpec load_tech_spec(const std::string& path) { return load_node(load_yaml_file(path), path, 0); }

TechSpec load_tech_spec_string(const std::string& text, const std::string& name) {
  return load_node(load_yaml_string(text, name), name, 0);
}

TechLibrary load_tech(const std::string& path) { return build(load_tech_spec(path)); }

}  // namespace tessera
