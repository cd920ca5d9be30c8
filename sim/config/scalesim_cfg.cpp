#include "sim/config/scalesim_cfg.h"

#include <algorithm>
#include <map>
#include <sstream>

#include "models/common/error.h"
#include "models/common/params.h"
#include "sim/config/yaml_util.h"

namespace tessera {
namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

struct Value {
  std::string text;
  int line = 0, col = 0;
};

// Keys SCALE-Sim v2 reads (scalesim/scale_config.py); the ones tessera maps are in kMapped.
const std::vector<std::string> kKnown = {
    "run_name",     "ArrayHeight",  "ArrayWidth",    "IfmapSramSzkB",   "FilterSramSzkB", "OfmapSramSzkB",
    "IfmapOffset",  "FilterOffset", "OfmapOffset",   "Dataflow",        "Bandwidth",      "MemoryBanks",
    "InterfaceBandwidth", "UseRamulatorTrace", "ReadRequestBuffer", "WriteRequestBuffer", "SparsitySupport",
    "SparseRep",    "OptimizedMapping", "BlockSize",  "RandomNumberGeneratorSeed", "TopologyCsvLoc"};

constexpr int64_t kPsumBytes = 4;  // the systolic engine's default acc_bits / 8

}  // namespace

YAML::Node scalesim_cfg_text_to_yaml(const std::string& text, const std::string& name) {
  std::map<std::string, Value> kv;
  // As Python's configparser (which SCALE-Sim reads with): a section or a key (in any case)
  // given twice in one section is an error, not "last one wins".
  std::map<std::string, int> section_line;
  std::map<std::pair<std::string, std::string>, int> key_line;
  std::string section;
  std::istringstream in(text);
  std::string raw;
  int line_no = 0;
  while (std::getline(in, raw)) {
    ++line_no;
    const std::string line = trim(raw.substr(0, raw.find('#')));
    if (line.empty() || line.front() == '[' || line.front() == ';') {
      if (!line.empty() && line.front() == '[' && line.back() != ']')
        throw UserError("malformed section header '" + line + "'", SourceLoc{name, line_no, 1});
      if (!line.empty() && line.front() == '[') {
        section = trim(line.substr(1, line.size() - 2));
        if (const auto [it, fresh] = section_line.emplace(section, line_no); !fresh)
          throw UserError("section [" + section + "] given twice (first on line " + std::to_string(it->second) + ")",
                          SourceLoc{name, line_no, static_cast<int>(raw.find('[')) + 1});
      }
      continue;
    }
    const auto sep = line.find_first_of(":=");
    if (sep == std::string::npos)
      throw UserError("expected 'Key : value', got '" + line + "'", SourceLoc{name, line_no, 1});
    const std::string written = trim(line.substr(0, sep));
    const std::string val = trim(line.substr(sep + 1));
    // SCALE-Sim reads keys through configparser, which ignores case.
    auto same = [&](const std::string& k) {
      return k.size() == written.size() &&
             std::equal(k.begin(), k.end(), written.begin(), [](char a, char b) { return ::tolower(a) == ::tolower(b); });
    };
    const auto known = std::find_if(kKnown.begin(), kKnown.end(), same);
    const std::string key = known == kKnown.end() ? written : *known;
    if (known == kKnown.end()) {
      const std::string close = closest_match(key, kKnown);
      throw UserError("unknown SCALE-Sim key '" + key + "'" + (close.empty() ? "" : " -- did you mean '" + close + "'?"),
                      SourceLoc{name, line_no, static_cast<int>(raw.find(key)) + 1}, key);
    }
    if (const auto [it, fresh] = key_line.emplace(std::make_pair(section, key), line_no); !fresh)
      throw UserError("key '" + key + "' given twice in [" + section + "] (first on line " + std::to_string(it->second) + ")",
                      SourceLoc{name, line_no, static_cast<int>(raw.find(written)) + 1}, key);
    kv[key] = {val, line_no, static_cast<int>(raw.find(val, sep)) + 1};
  }
  auto get = [&](const std::string& k, const std::string& dflt) -> std::pair<std::string, SourceLoc> {
    auto it = kv.find(k);
    if (it == kv.end()) return {dflt, SourceLoc{name, 0, 0}};
    return {it->second.text, SourceLoc{name, it->second.line, it->second.col}};
  };
  auto need_int = [&](const std::string& k, const std::string& dflt) {
    if (dflt.empty() && !kv.count(k))
      throw UserError("missing required key '" + k + "' (SCALE-Sim needs it; a positive integer)", SourceLoc{name, 0, 0}, k);
    auto [t, loc] = get(k, dflt);
    const auto decl = ParamDecl::integer(k, "", std::nullopt, 1, 1e9, "");
    return std::get<int64_t>(parse_param(decl, t, loc, k));
  };

  const int64_t rows = need_int("ArrayHeight", "");
  const int64_t cols = need_int("ArrayWidth", "");
  auto [df, df_loc] = get("Dataflow", "os");
  std::string dataflow = df;
  std::transform(dataflow.begin(), dataflow.end(), dataflow.begin(), ::tolower);
  if (dataflow != "os" && dataflow != "ws" && dataflow != "is")
    throw UserError("expected Dataflow os|ws|is, got '" + df + "'" + did_you_mean(dataflow, {"os", "ws", "is"}), df_loc,
                    "Dataflow");
  // SCALE-Sim's Bandwidth is in words per cycle and only read when InterfaceBandwidth is USER;
  // with CALC (its default) it sizes the interface so nothing stalls, which the largest DRAM
  // bandwidth tessera accepts reproduces. Words are 1 byte and the clock is taken as 1 GHz, so
  // words/cycle == GB/s.
  auto [iface, iface_loc] = get("InterfaceBandwidth", "CALC");
  std::string iface_uc = iface;
  std::transform(iface_uc.begin(), iface_uc.end(), iface_uc.begin(), ::toupper);
  if (iface_uc != "CALC" && iface_uc != "USER")
    throw UserError("expected InterfaceBandwidth CALC|USER, got '" + iface + "'" + did_you_mean(iface_uc, {"CALC", "USER"}),
                    iface_loc, "InterfaceBandwidth");
  // Bandwidth may be a list (one per memory); SCALE-Sim's single-DRAM runs use the first.
  if (auto it = kv.find("Bandwidth"); it != kv.end()) it->second.text = trim(it->second.text.substr(0, it->second.text.find(',')));
  const int64_t bw_words = iface_uc == "USER" ? need_int("Bandwidth", "10") : 100000;
  std::string run_name = get("run_name", "scalesim").first;
  if (run_name.empty()) run_name = "scalesim";

  YAML::Node root;
  root["name"] = run_name;
  root["clock_ghz"] = 1.0;
  YAML::Node eng;
  eng["name"] = "array";
  eng["type"] = "systolic";
  eng["rows"] = rows;
  eng["cols"] = cols;
  eng["dataflow"] = dataflow;
  eng["timing"] = "scalesim";
  root["engines"].push_back(eng);
  const std::pair<const char*, const char*> srams[] = {{"IfmapSramSzkB", "a"}, {"FilterSramSzkB", "b"}, {"OfmapSramSzkB", "out"}};
  const char* names[] = {"ifmap_sram", "filter_sram", "ofmap_sram"};
  int i = 0;
  for (const auto& [key, operand] : srams) {
    YAML::Node s;
    s["name"] = names[i++];
    // SCALE-Sim sizes its SRAMs in 1-byte words. tessera keeps as many words: int8 operands,
    // and partial sums at the engine's acc_bits (32, its default) in the output SRAM.
    s["size_kb"] = need_int(key, "") * (std::string(operand) == "out" ? kPsumBytes : 1);
    // SCALE-Sim's SRAMs never hold the array back (it does not model their ports; v2 does not
    // read MemoryBanks): give each one array edge of 32-bit words per cycle, the widest
    // operand (partial sums) tessera streams, through its second port.
    const int64_t edge_bits = 32 * std::max<int64_t>(rows, cols);
    const int64_t width = std::min<int64_t>(8192, edge_bits);
    s["banks"] = std::max<int64_t>(need_int("MemoryBanks", "1"), (edge_bits + width - 1) / width);
    s["width_bits"] = width;
    s["ports"] = 2;
    s["holds"].push_back(operand);
    root["memory"]["scratchpads"].push_back(s);
  }
  root["memory"]["dram"]["bandwidth_gbps"] = bw_words;
  root["memory"]["dram"]["latency_ns"] = 0;
  return root;
}

YAML::Node scalesim_cfg_to_yaml(const std::string& path) {
  return scalesim_cfg_text_to_yaml(read_text_file(path), path);
}

}  // namespace tessera
