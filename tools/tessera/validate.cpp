// tessera validate: check arch, workload, mapping and tech files without simulating.
#include <fmt/format.h>

#include <filesystem>
#include <memory>

#include "sim/config/arch.h"
#include "sim/config/tech_loader.h"
#include "sim/config/yaml_util.h"
#include "sim/mapper/mapping.h"
#include "sim/workload/loader.h"
#include "tools/tessera/command.h"

namespace fs = std::filesystem;

namespace tessera::cli {
namespace {

// Tells what a YAML file is from its top-level keys.
std::string classify(const std::string& path) {
  const auto ext = fs::path(path).extension().string();
  if (ext == ".cfg") return "arch";
  if (ext == ".csv") return "workload";
  const YAML::Node n = load_yaml_file(path);
  if (n.IsMap()) {
    if (n["engines"] || n["memory"]) return "arch";
    if (n["ops"] || n["tensors"]) return "workload";
    if (n["mapping"]) return "mapping";
    if (n["node_nm"] || n["int_add"] || n["sram"] || n["derive_from"]) return "tech";
  }
  throw UserError("cannot tell what this file is: expected an arch (engines:, memory:), a workload (tensors:, ops:), "
                  "a mapping (mapping:) or a tech library",
                  SourceLoc{path, 1, 1});
}

int cmd_validate(const std::vector<std::string>& files) {
  int bad = 0;
  for (const auto& f : files) {
    try {
      const std::string what = classify(f);
      if (what == "arch") {
        const Arch a = load_arch(f);
        fmt::print("ok  {}: machine '{}', {} engine(s), {} scratchpad(s)\n", f, a.name, a.engines.size(), a.scratchpads.size());
      } else if (what == "workload") {
        const Workload w = load_workload(f);
        fmt::print("ok  {}: workload '{}', {} operators, {} GEMM MACs\n", f, w.name(), w.ops().size(), w.total_macs());
      } else if (what == "mapping") {
        const Mapping m = load_mapping(f);
        fmt::print("ok  {}: mapping with {} entries\n", f, m.ops.size());
      } else {
        const TechLibrary t = load_tech(f);
        fmt::print("ok  {}: tech library at {} nm\n", f, t.node_nm());
      }
    } catch (const UserError& e) {
      print_error(e);
      ++bad;
    }
  }
  return bad ? 2 : 0;
}

Action setup_validate(CLI::App& cmd) {
  auto files = std::make_shared<std::vector<std::string>>();
  cmd.add_option("files", *files, "files to check")->required();
  return [files] { return cmd_validate(*files); };
}

}  // namespace

TESSERA_CLI_COMMAND(validate, 30, "check arch, workload, mapping and tech files without simulating", setup_validate)

}  // namespace tessera::cli
