#include "sim/workload/loader.h"

#include <algorithm>
#include <filesystem>

#include "sim/config/yaml_util.h"

#ifndef TESSERA_SOURCE_DIR
#define TESSERA_SOURCE_DIR "."
#endif

namespace tessera {

namespace fs = std::filesystem;

static std::string builtin_dir() { return std::string(TESSERA_SOURCE_DIR) + "/workloads"; }

std::vector<std::string> builtin_workloads() {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(builtin_dir(), ec), end; !ec && it != end; it.increment(ec))
    if (it->path().extension() == ".yaml") names.push_back(it->path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::string builtin_workload_path(const std::string& name) {
  const auto names = builtin_workloads();
  if (std::find(names.begin(), names.end(), name) == names.end()) return "";
  return builtin_dir() + "/" + name + ".yaml";
}

Workload load_workload_string(const std::string& text, const std::string& name, WorkloadFormat format) {
  switch (format) {
    case WorkloadFormat::csv: return parse_topology_csv(text, name);
    case WorkloadFormat::onnx: return parse_onnx(text, name);
    default: return parse_workload_yaml(text, name);
  }
}

Workload load_workload(const std::string& path, const OnnxOptions& onnx) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    if (fs::path(path).extension().empty() && path.find('/') == std::string::npos) {
      const std::string b = builtin_workload_path(path);
      if (!b.empty()) return load_workload(b);
      throw UserError(
          "no such file, and no built-in workload '" + path + "'" +
              [&] {
                std::string c = closest_match(path, builtin_workloads());
                return c.empty() ? std::string() : " -- did you mean '" + c + "'?";
              }(),
          SourceLoc{path, 0, 0});
    }
    throw UserError("cannot open file: no such file", SourceLoc{path, 0, 0});
  }
  std::string ext = fs::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  WorkloadFormat f;
  if (ext == ".yaml" || ext == ".yml") {
    f = WorkloadFormat::yaml;
  } else if (ext == ".csv") {
    f = WorkloadFormat::csv;
  } else if (ext == ".onnx") {
    f = WorkloadFormat::onnx;
  } else {
    throw UserError("unknown workload file type '" + ext + "'; expected .yaml, .yml (tessera), .csv (SCALE-Sim) or .onnx",
                    SourceLoc{path, 0, 0});
  }
  if (f == WorkloadFormat::onnx) return load_onnx_file(path, onnx);
  return load_workload_string(read_text_file(path), path, f);
}

}  // namespace tessera
