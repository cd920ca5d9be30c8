#include "sim/mapper/mapping.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ostream>

#include "sim/config/yaml_util.h"

namespace tessera {

const std::array<const char*, 7>& conv_tile_dims() {
  static const std::array<const char*, 7> names{"N", "K", "C", "P", "Q", "R", "S"};
  return names;
}

const OpMapping* Mapping::find(const std::string& op) const {
  if (indexed_ > ops.size()) {  // ops was replaced, not appended to
    index_.clear();
    indexed_ = 0;
  }
  for (; indexed_ < ops.size(); ++indexed_) index_.emplace(ops[indexed_].op, indexed_);
  const auto it = index_.find(op);
  return it == index_.end() ? nullptr : &ops[it->second];
}

namespace {

Mapping parse(const YamlNode& root, const std::string& file) {
  Mapping m;
  expect_map(root, file, "", "a mapping file");
  check_keys(root, {"arch", "workload", "mapping"}, file, "");
  if (root["arch"]) m.arch = scalar_text(root["arch"], file, "arch", "a name");
  if (root["workload"]) m.workload = scalar_text(root["workload"], file, "workload", "a name");
  const YamlNode list = root["mapping"];
  if (!list) throw UserError("missing required key 'mapping' (a list of per-operator entries)", yaml_loc(root, file), "mapping");
  expect_sequence(list, file, "mapping", "a list of per-operator entries");
  m.loc = yaml_loc(list, file);
  const std::vector<ParamDecl> decls = {
      ParamDecl::string("op", std::nullopt, "operator name"),
      ParamDecl::string("engine", std::nullopt, "engine instance name"),
      ParamDecl::string("dataflow", "", "dataflow (GEMM work)"),
      ParamDecl::string("loop_order", "mnk", "tile loop order, outer to inner"),
      ParamDecl::string("acc_loop_order", "nm", "order of the accumulator tiles within a tile: nm (n outer) or mn"),
      ParamDecl::integer("tile_elements", "", "0", 0, 1e15, "elements per tile (vector work); 0 = all"),
      ParamDecl::boolean("fused", "false",
                         "element-wise work done in the output path of the engine that produced its input"),
  };
  const std::vector<ParamDecl> tile_decls = {
      ParamDecl::integer("m", "", "0", 0, 1e12, "tile rows of the output (0 = all)"),
      ParamDecl::integer("n", "", "0", 0, 1e12, "tile columns of the output (0 = all)"),
      ParamDecl::integer("k", "", "0", 0, 1e12, "tile reduction depth (0 = all)"),
  };
  const std::vector<ParamDecl> acc_decls = {
      ParamDecl::integer("m", "", "0", 0, 1e12, "accumulator tile rows (0 = all of the tile's)"),
      ParamDecl::integer("n", "", "0", 0, 1e12, "accumulator tile columns (0 = all of the tile's)"),
  };
  std::vector<ParamDecl> conv_decls;
  const std::array<const char*, 7> conv_docs{"images", "output channels", "input channels (per group)", "output rows",
                                             "output columns", "kernel rows", "kernel columns"};
  for (size_t d = 0; d < 7; ++d)
    conv_decls.push_back(ParamDecl::integer(conv_tile_dims()[d], "", "0", 0, 1e12, std::string(conv_docs[d]) + " per tile (0 = all)"));
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string key = "mapping." + std::to_string(i);
    const YamlNode e = list[i];
    expect_map(e, file, key, "an operator mapping");
    const ParamValues p = resolve_params(e, decls, file, key, {"tile", "conv_tile", "acc_tile"});
    OpMapping om;
    om.loc = yaml_loc(e, file);
    om.op = p.s("op");
    om.engine = p.s("engine");
    om.dataflow = p.s("dataflow");
    om.loop_order = p.s("loop_order");
    om.acc_loop_order = p.s("acc_loop_order");
    if (om.acc_loop_order != "nm" && om.acc_loop_order != "mn")
      throw UserError("expected nm (n outer) or mn, got '" + om.acc_loop_order + "'", yaml_loc(e["acc_loop_order"], file),
                      key + ".acc_loop_order");
    if (e["acc_tile"]) {
      const ParamValues t = resolve_params(e["acc_tile"], acc_decls, file, key + ".acc_tile");
      om.acc_m = t.i("m");
      om.acc_n = t.i("n");
    }
    om.tile_elements = p.i("tile_elements");
    om.fused = p.b("fused");
    std::string sorted = om.loop_order;
    std::sort(sorted.begin(), sorted.end());
    if (sorted != "kmn")
      throw UserError("expected a permutation of m, n, k (outer to inner), got '" + om.loop_order + "'",
                      yaml_loc(e["loop_order"], file), key + ".loop_order");
    if (e["tile"]) {
      const ParamValues t = resolve_params(e["tile"], tile_decls, file, key + ".tile");
      om.tile_m = t.i("m");
      om.tile_n = t.i("n");
      om.tile_k = t.i("k");
    }
    if (e["conv_tile"]) {
      if (e["tile"])
        throw UserError("give either 'tile' (the im2col GEMM's m, n, k) or 'conv_tile' (N, K, C, P, Q, R, S), not both",
                        yaml_loc(e["conv_tile"], file), key + ".conv_tile");
      const ParamValues t = resolve_params(e["conv_tile"], conv_decls, file, key + ".conv_tile");
      for (size_t d = 0; d < 7; ++d) om.conv_tile[d] = t.i(conv_tile_dims()[d]);
      if (!om.has_conv_tile()) om.conv_tile.fill(0);
    }
    if (m.find(om.op)) throw UserError("operator '" + om.op + "' is mapped twice", om.loc, key + ".op");
    m.ops.push_back(om);
  }
  return m;
}

}  // namespace

Mapping load_mapping(const std::string& path) { return load_mapping_string(read_text_file(path), path); }
Mapping load_mapping_string(const std::string& text, const std::string& name) {
  const YamlTree doc = YamlTree::parse(text, name);
  return parse(doc.root(), name);
}

namespace {
// Plain names stay bare for readability; anything YAML could read differently is quoted.
std::string yaml_str(const std::string& s) {
  bool plain = !s.empty();
  for (char c : s) plain = plain && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '#' || c == '~' || c == '/' || c == '-');
  plain = plain && s.front() != '-' && s.front() != '#' && s.front() != '~';
  for (const char* word : {"true", "false", "null", "yes", "no", "on", "off", "True", "False", "Null", "NULL", "Yes", "No", "On", "Off", "TRUE", "FALSE", "YES", "NO", "ON", "OFF"})
    plain = plain && s != word;
  if (plain) return s;
  std::string q = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      q += '\\';
      q += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      q += buf;
    } else {
      q += static_cast<char>(c);
    }
  }
  return q + "\"";
}
}  // namespace

void write_mapping(const Mapping& m, std::ostream& out) {
  out << "# tessera mapping: one entry per operator. Edit and pass back with --mapping.\n";
  out << "# tile: GEMM tile per group (m x n outputs, k reduction); conv_tile: a convolution's tile in its\n";
  out << "# own dimensions (N K C P Q R S); loop_order: outer -> inner over m (N P Q), n (K), k (C R S);\n";
  out << "# acc_tile: outputs per engine call held in the accumulator (whole k), visited in acc_loop_order.\n";
  if (!m.arch.empty()) out << "arch: " << yaml_str(m.arch) << "\n";
  if (!m.workload.empty()) out << "workload: " << yaml_str(m.workload) << "\n";
  out << (m.ops.empty() ? "mapping: []\n" : "mapping:\n");  // an empty block would read back as null
  for (const auto& o : m.ops) {
    out << "  - op: " << yaml_str(o.op) << "\n    engine: " << yaml_str(o.engine) << "\n";
    if (!o.dataflow.empty() || o.tile_m || o.tile_n || o.tile_k || o.has_conv_tile()) {  // GEMM work
      if (!o.dataflow.empty()) out << "    dataflow: " << yaml_str(o.dataflow) << "\n";
      if (o.has_conv_tile()) {
        out << "    conv_tile: {";
        for (size_t d = 0; d < 7; ++d) out << (d ? ", " : "") << conv_tile_dims()[d] << ": " << o.conv_tile[d];
        out << "}\n";
      } else {
        out << "    tile: {m: " << o.tile_m << ", n: " << o.tile_n << ", k: " << o.tile_k << "}\n";
      }
      out << "    loop_order: " << yaml_str(o.loop_order) << "\n";
      if (o.has_acc_tile())
        out << "    acc_tile: {m: " << o.acc_m << ", n: " << o.acc_n << "}\n    acc_loop_order: " << yaml_str(o.acc_loop_order) << "\n";
    } else if (o.fused) {
      out << "    fused: true\n";
    } else {
      out << "    tile_elements: " << o.tile_elements << "\n";
    }
  }
}

}  // namespace tessera
