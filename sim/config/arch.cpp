#include "sim/config/arch.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "models/tech/engine_pricing.h"
#include "sim/config/scalesim_cfg.h"
#include "sim/config/tech_loader.h"
#include "sim/config/yaml_util.h"

namespace tessera {
namespace fs = std::filesystem;

bool ScratchpadInstance::holds_operand(Operand o) const {
  for (auto h : holds)
    if (h == o) return true;
  return false;
}

const ScratchpadInstance& Arch::scratchpad_for(Operand o) const {
  for (const auto& s : scratchpads)
    if (s.holds_operand(o)) return s;
  throw std::logic_error("validated arch has no scratchpad for an operand");
}

int Arch::accumulator() const {
  for (size_t i = 0; i < scratchpads.size(); ++i)
    if (scratchpads[i].holds_operand(Operand::Psum) && !scratchpads[i].holds_operand(Operand::Out)) return static_cast<int>(i);
  return -1;
}

DType Arch::default_int_format() const {
  std::optional<DType> widest;
  for (const DType t : {DType::int1, DType::int2, DType::int3, DType::int4, DType::int5, DType::int6, DType::int7,
                        DType::int8, DType::int16, DType::int32}) {
    bool all = true, any = false;
    for (const auto& e : engines) {
      const EngineCapabilities& c = e.model->capabilities();
      if (!c.accepts(WorkKind::Gemm)) continue;
      any = true;
      all = all && std::find(c.a_types.begin(), c.a_types.end(), t) != c.a_types.end() &&
            std::find(c.b_types.begin(), c.b_types.end(), t) != c.b_types.end();
    }
    if (any && all) widest = t;
  }
  return widest.value_or(DType::int8);
}

const EngineInstance* Arch::find_engine(const std::string& n) const {
  for (const auto& e : engines)
    if (e.name == n) return &e;
  return nullptr;
}

uint64_t Arch::cycles_from_ns(double ns) const {
  // Guard against rounding noise turning an exact cycle count into one more.
  return static_cast<uint64_t>(std::ceil(ns * clock_ghz - 1e-9));
}

std::vector<ParamDecl> arch_top_params() {
  return {
      ParamDecl::string("name", std::nullopt, "machine name, used in report paths"),
      ParamDecl::real("clock_ghz", "GHz", "1.0", 0.001, 100, "clock of engines, scratchpads and DMA"),
      ParamDecl::string("tech", "configs/tech/45nm.yaml", "technology library file"),
  };
}

std::vector<ParamDecl> engine_instance_params() {
  return {
      ParamDecl::string("name", "", "engine name (mappings and reports use it); default <type><index>"),
      ParamDecl::string("fuse", "",
                        "element-wise ops its output path applies to results, comma-separated (e.g. 'relu, relu6'); "
                        "a mapping may fuse such an op into the GEMM that feeds it"),
  };
}

namespace {

nlohmann::json params_json(const ParamValues& p) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& kv : p.all()) {
    const std::string& key = kv.first;  // not a structured binding: C++17 lambdas cannot capture those
    std::visit([&](const auto& x) { j[key] = x; }, kv.second);
  }
  return j;
}

// Applies one "a.b.0.c=value" override. Intermediate keys must exist; the last key may be new
// (a parameter left at its default), and resolve_params rejects it unless it is declared.
std::string apply_override(YAML::Node root, const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0)
    throw UserError("expected key.path=value, got '" + text + "'", SourceLoc{"--set", 0, 0});
  const std::string path = text.substr(0, eq), value = text.substr(eq + 1);
  std::vector<std::string> parts;
  std::stringstream ss(path);
  for (std::string p; std::getline(ss, p, '.');) parts.push_back(p);
  YAML::Node node = root;
  std::string walked;
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string& key = parts[i];
    const bool last = i + 1 == parts.size();
    const std::string here = join_key(walked, key);
    if (node.IsSequence()) {
      char* end = nullptr;
      const long idx = std::strtol(key.c_str(), &end, 10);
      if (key.empty() || *end || idx < 0 || static_cast<size_t>(idx) >= node.size())
        throw UserError("expected an index 0.." + std::to_string(node.size() ? node.size() - 1 : 0) + " into '" +
                            walked + "'",
                        SourceLoc{"--set", 0, 0}, here);
      if (last) throw UserError("cannot replace a whole list entry; name a key inside it", SourceLoc{"--set", 0, 0}, here);
      node.reset(node[static_cast<size_t>(idx)]);
    } else if (node.IsMap()) {
      if (last) {
        node[key] = value;
      } else {
        if (!node[key]) {
          std::vector<std::string> keys;
          for (auto it = node.begin(); it != node.end(); ++it) keys.push_back(it->first.as<std::string>());
          const std::string close = closest_match(key, keys);
          throw UserError("no such key" + (close.empty() ? std::string() : " -- did you mean '" + close + "'?"),
                          SourceLoc{"--set", 0, 0}, here);
        }
        YAML::Node next = node[key];
        node.reset(next);
      }
    } else {
      throw UserError("'" + walked + "' is a value, not a section", SourceLoc{"--set", 0, 0}, here);
    }
    walked = here;
  }
  return path;
}

std::string resolve_file(const std::string& ref, const std::string& relative_to) {
  const fs::path p(ref);
  if (p.is_absolute()) return ref;
  for (const fs::path& base : {fs::path(relative_to).parent_path(), fs::current_path(), fs::path(TESSERA_SOURCE_DIR)}) {
    const fs::path c = base / p;
    if (fs::exists(c)) return c.lexically_normal().string();
  }
  return ref;  // the loader reports it missing, with this name
}

template <class Interface>
const typename Registry<Interface>::Entry& find_type(const std::string& type, const std::string& what,
                                                     const SourceLoc& loc, const std::string& key) {
  const auto& reg = Registry<Interface>::instance();
  if (const auto* e = reg.find(type)) return *e;
  const std::string close = closest_match(type, reg.names());
  std::string msg = "unknown " + what + " type '" + type + "'";
  if (!close.empty()) msg += " -- did you mean '" + close + "'?";
  msg += " (registered:";
  for (const auto& n : reg.names()) msg += " " + n;
  throw UserError(msg + ")", loc, key);
}

Arch build_arch(const YAML::Node& root, const std::string& file) {
  Arch a;
  a.file = file;
  expect_map(root, file, "", "a machine description");
  check_keys(root, {"name", "clock_ghz", "tech", "engines", "memory"}, file, "");
  const ParamValues top = resolve_params(root, arch_top_params(), file, "", {"engines", "memory"});
  a.name = top.s("name");
  a.clock_ghz = top.f("clock_ghz");
  a.tech_file = resolve_file(top.s("tech"), file);
  try {
    a.tech = std::make_shared<const TechLibrary>(load_tech(a.tech_file));
  } catch (const UserError& e) {
    if (e.loc().file == a.tech_file && e.loc().line == 0)  // the file itself (missing, not a file): point at `tech:`
      throw UserError("tech file '" + a.tech_file + "': " + e.message(), yaml_loc(root["tech"], file), "tech");
    throw;
  }
  a.resolved["name"] = a.name;
  a.resolved["clock_ghz"] = a.clock_ghz;
  a.resolved["tech"] = a.tech_file;

  const YAML::Node engines = root["engines"];
  if (!engines) throw UserError("missing required key 'engines' (a list of processing engines)", yaml_loc(root, file), "engines");
  expect_sequence(engines, file, "engines", "a list of engines");
  if (engines.size() == 0) throw UserError("expected at least one engine", yaml_loc(engines, file), "engines");
  std::set<std::string> names;
  for (size_t i = 0; i < engines.size(); ++i) {
    const YAML::Node e = engines[i];
    const std::string key = "engines." + std::to_string(i);
    expect_map(e, file, key, "an engine");
    if (!e["type"]) throw UserError("missing required key 'type'", yaml_loc(e, file), key + ".type");
    EngineInstance inst;
    inst.type = scalar_text(e["type"], file, key + ".type", "an engine type");
    const auto& entry = find_type<IEngine>(inst.type, "engine", yaml_loc(e["type"], file), key + ".type");
    inst.name = e["name"] ? scalar_text(e["name"], file, key + ".name", "a name") : inst.type + std::to_string(i);
    if (!names.insert(inst.name).second)
      throw UserError("duplicate engine name '" + inst.name + "'", yaml_loc(e, file), key + ".name");
    std::vector<ParamDecl> decls = entry.params;
    for (const auto& d : engine_instance_params())
      if (d.name != "name") decls.push_back(d);
    inst.params = resolve_params(e, decls, file, key, {"name", "type"});
    inst.loc = yaml_loc(e, file);
    std::stringstream fuse(inst.params.s("fuse"));
    for (std::string op; std::getline(fuse, op, ',');) {
      op.erase(0, op.find_first_not_of(" \t"));
      op.erase(op.find_last_not_of(" \t") + 1);
      if (!op.empty()) inst.fuse.push_back(op);
    }
    try {
      inst.model = entry.make(inst.params);
    } catch (const UserError& err) {
      // A model's own check of its parameters names the parameter: place it at that key (a value
      // from --set has no place in the file: the engine's).
      SourceLoc at = !err.key().empty() && e[err.key()] ? yaml_loc(e[err.key()], file) : SourceLoc{};
      if (at.line == 0) at = yaml_loc(e, file);
      throw UserError(err.message(), at, err.key().empty() ? key : key + "." + err.key());
    }
    // Every action the engine can emit, and its hardware, must have a price before anything runs.
    try {
      check_engine_pricing(*inst.model, inst.name, *a.tech);
    } catch (const UserError& err) {
      throw UserError(err.message(), yaml_loc(e, file), key);
    }
    nlohmann::json j = params_json(inst.params);
    j["name"] = inst.name;
    j["type"] = inst.type;
    a.resolved["engines"].push_back(j);
    a.engines.push_back(std::move(inst));
  }

  const YAML::Node mem = root["memory"];
  if (!mem) throw UserError("missing required key 'memory' (scratchpads, dram, dma)", yaml_loc(root, file), "memory");
  expect_map(mem, file, "memory", "the memory system");
  check_keys(mem, {"scratchpads", "dram", "dma"}, file, "memory");
  const YAML::Node spms = mem["scratchpads"];
  if (!spms) throw UserError("missing required key 'scratchpads'", yaml_loc(mem, file), "memory.scratchpads");
  expect_sequence(spms, file, "memory.scratchpads", "a list of scratchpads");
  for (size_t i = 0; i < spms.size(); ++i) {
    const YAML::Node s = spms[i];
    const std::string key = "memory.scratchpads." + std::to_string(i);
    expect_map(s, file, key, "a scratchpad");
    ScratchpadInstance inst;
    inst.type = s["type"] ? scalar_text(s["type"], file, key + ".type", "a scratchpad type") : "scratchpad";
    const auto& entry = find_type<IScratchpad>(inst.type, "scratchpad", yaml_loc(s["type"] ? s["type"] : s, file), key + ".type");
    inst.name = s["name"] ? scalar_text(s["name"], file, key + ".name", "a name") : "spm" + std::to_string(i);
    if (!names.insert(inst.name).second)
      throw UserError("duplicate component name '" + inst.name + "'", yaml_loc(s, file), key + ".name");
    if (const YAML::Node h = s["holds"]) {
      expect_sequence(h, file, key + ".holds", "a list of operands (a, b, out, psum)");
      for (size_t j = 0; j < h.size(); ++j) {
        const std::string v = scalar_text(h[j], file, key + ".holds", "an operand");
        if (v == "a") inst.holds.push_back(Operand::A);
        else if (v == "b") inst.holds.push_back(Operand::B);
        else if (v == "out") inst.holds.push_back(Operand::Out);
        else if (v == "psum") inst.holds.push_back(Operand::Psum);
        else throw UserError("expected one of a|b|out|psum (activations, weights, outputs, partial sums), got '" + v + "'" +
                                 did_you_mean(v, {"a", "b", "out", "psum"}),
                             yaml_loc(h[j], file), key + ".holds");
        if (std::count(inst.holds.begin(), inst.holds.end(), inst.holds.back()) > 1)
          throw UserError("'" + v + "' is listed twice", yaml_loc(h[j], file), key + ".holds");
      }
    } else {
      inst.holds = {Operand::A, Operand::B, Operand::Out};
    }
    inst.params = resolve_params(s, entry.params, file, key, {"name", "type", "holds"});
    inst.model = entry.make(inst.params);
    // Every bank holds at least one word: 1024 banks of 8192-bit words in 1 KiB was once
    // accepted (and priced at 253 mm2).
    const uint64_t one_word_each = static_cast<uint64_t>(inst.model->banks()) * static_cast<uint64_t>(inst.model->width_bits());
    if (one_word_each > inst.model->capacity_bits())
      throw UserError(std::to_string(inst.model->banks()) + " banks of " + std::to_string(inst.model->width_bits()) +
                          "-bit words need at least " + std::to_string((one_word_each + 8191) / 8192) +
                          " KiB (one word per bank), more than size_kb " + std::to_string(inst.model->capacity_bits() / 8192),
                      yaml_loc(s["banks"] ? s["banks"] : s, file), key + ".banks");
    nlohmann::json j = params_json(inst.params);
    j["name"] = inst.name;
    j["type"] = inst.type;
    for (auto o : inst.holds) j["holds"].push_back(operand_name(o));
    a.resolved["memory"]["scratchpads"].push_back(j);
    a.scratchpads.push_back(std::move(inst));
  }
  for (Operand o : {Operand::A, Operand::B, Operand::Out}) {
    int n = 0;
    for (const auto& s : a.scratchpads) n += s.holds_operand(o);
    if (n != 1)
      throw UserError(std::string("operand '") + operand_name(o) + "' must be held by exactly one scratchpad, found " +
                          std::to_string(n),
                      yaml_loc(spms, file), "memory.scratchpads");
  }
  {
    int n = 0;
    for (const auto& s : a.scratchpads) n += s.holds_operand(Operand::Psum);
    if (n > 1)
      throw UserError("partial sums ('psum') may be held by one scratchpad (the accumulator), found " + std::to_string(n),
                      yaml_loc(spms, file), "memory.scratchpads");
  }

  auto one = [&](const char* section, const char* dflt_type, auto tag, std::string& type, ParamValues& params) {
    using Interface = typename decltype(tag)::type;
    const YAML::Node n = mem[section];
    const std::string key = std::string("memory.") + section;
    if (n) expect_map(n, file, key, section);
    type = n && n["type"] ? scalar_text(n["type"], file, key + ".type", "a type") : dflt_type;
    const auto& entry = find_type<Interface>(type, section, yaml_loc(n && n["type"] ? n["type"] : mem, file), key + ".type");
    params = resolve_params(n ? n : YAML::Node(), entry.params, file, key, {"type"});
    nlohmann::json j = params_json(params);
    j["type"] = type;
    a.resolved["memory"][section] = j;
    return std::shared_ptr<const Interface>(entry.make(params));
  };
  struct DramTag { using type = IDram; };
  struct DmaTag { using type = IDma; };
  a.dram = one("dram", "dram", DramTag{}, a.dram_type, a.dram_params);
  a.dma = one("dma", "dma", DmaTag{}, a.dma_type, a.dma_params);
  // Chip-level prices the report needs for this DRAM must exist before anything runs.
  try {
    a.tech->io_phy_mw(a.dram->technology(), a.dram->bandwidth_gbps());
    a.tech->dram_background_mw(a.dram->technology(), a.dram->capacity_gib());
  } catch (const UserError& e) {
    const YAML::Node d = mem["dram"];
    const bool cap = e.message().find("dram_devices") != std::string::npos;
    throw UserError(e.message() + " in " + a.tech_file,
                    yaml_loc(d && d[cap ? "capacity_gib" : "technology"] ? d[cap ? "capacity_gib" : "technology"] : mem, file),
                    cap ? "memory.dram.capacity_gib" : "memory.dram.technology");
  }
  return a;
}

Arch load_root(YAML::Node root, const std::string& file, const std::vector<std::string>& overrides) {
  std::vector<std::string> set_paths;
  for (const auto& o : overrides) set_paths.push_back(apply_override(root, o));
  try {
    return build_arch(root, file);
  } catch (const UserError& e) {
    // A bad value or key that came from --set is reported against --set, not the file.
    for (const auto& p : set_paths)
      if (e.key() == p) throw UserError(e.message(), SourceLoc{"--set", 0, 0}, e.key());
    throw;
  }
}

}  // namespace

Arch load_arch(const std::string& path, const std::vector<std::string>& overrides) {
  if (fs::path(path).extension() == ".cfg") return load_root(scalesim_cfg_to_yaml(path), path, overrides);
  return load_root(load_yaml_file(path), path, overrides);
}

Arch load_arch_string(const std::string& text, const std::string& name, const std::vector<std::string>& overrides) {
  return load_root(load_yaml_string(text, name), name, overrides);
}

}  // namespace tessera
