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
#include "tools/tessera/workload_options.h"

namespace fs = std::filesystem;

namespace tessera::cli {
namespace {

// Tells what a YAML file is from its top-level keys.
std::string classify(const std::string& path) {
  const auto ext = fs::path(path).extension().string();
  if (ext == ".cfg") return "arch";
  if (ext == ".csv" || ext == ".onnx") return "workload";
  // By the first decisive top-level key, without a tree: the loader that follows parses the
  // file once (a 100,000-operator workload took 1 GB more when classified from a tree).
  const std::string text = read_text_file(path);
  const auto keys = yaml_top_keys(text, {"engines", "memory", "ops", "tensors", "mapping", "node_nm", "int_add", "sram", "derive_from"});
  if (!keys.empty()) {
    const std::string& k = keys.front();
    if (k == "engines" || k == "memory") return "arch";
    if (k == "ops" || k == "tensors") return "workload";
    if (k == "mapping") return "mapping";
    return "tech";
  }
  (void)load_yaml_string(text, path);  // not YAML: its error, with the position
  throw UserError("cannot tell what this file is: expected an arch (engines:, memory:), a workload (tensors:, ops:), "
                  "a mapping (mapping:) or a tech library",
                  SourceLoc{path, 1, 1});
}

int cmd_validate(const std::vector<std::string>& files, const WorkloadArgs& wa) {
  int bad = 0;
  for (const auto& f : files) {
    try {
      const std::string what = classify(f);
      if (what == "arch") {
        const Arch a = load_arch(f);
        fmt::print("ok  {}: machine '{}', {} engine(s), {} scratchpad(s)\n", f, a.name, a.engines.size(), a.scratchpads.size());
      } else if (what == "workload") {
        const Workload w = load_workload(f, onnx_options(wa));
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
  auto wa = std::make_shared<WorkloadArgs>();
  cmd.add_option("files", *files, "files to check")->required();
  add_workload_options(cmd, *wa);
  return [files, wa] { return cmd_validate(*files, *wa); };
}

}  // namespace

TESSERA_CLI_COMMAND(validate, 30, "check arch, workload, mapping and tech files without simulating", setup_validate)

}  // namespace tessera::cli
