#pragma once
// Workload loaders: the tessera workload YAML (docs/workload-format.md) and SCALE-Sim topology
// CSVs (conv form: "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width,
// Channels, Num Filter, Strides," and GEMM form: "Layer, M, N, K,"). Every problem in the
// input is a UserError naming file:line:col; nothing else escapes for any input text.
// The returned Workload is finalized (validated, with its topological order).
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "sim/workload/workload.h"

namespace tessera {

enum class WorkloadFormat { yaml, csv, onnx };

// How an ONNX model becomes a workload: the format float tensors take, and values for symbolic
// dimensions (batch, sequence) by name.
struct OnnxOptions {
  DType dtype = DType::int8;
  std::map<std::string, int64_t> dims;
};

// Loads by extension (.yaml/.yml, .csv or .onnx, the last with default OnnxOptions). A bare name that is not a file but names a built-in
// ("resnet50") loads workloads/<name>.yaml.
Workload load_workload(const std::string& path, const OnnxOptions& onnx = {});

// Parses `text` as if read from a file called `name` (used in messages and as the source).
Workload load_workload_string(const std::string& text, const std::string& name, WorkloadFormat format);

// Names of the built-in workloads (workloads/*.yaml, without extension), sorted.
std::vector<std::string> builtin_workloads();
std::string builtin_workload_path(const std::string& name);  // "" if there is no such built-in

// The individual parsers (load_workload_string dispatches to these).
Workload parse_workload_yaml(const std::string& text, const std::string& name);
Workload parse_topology_csv(const std::string& text, const std::string& name);
Workload parse_onnx(const std::string& bytes, const std::string& name, const OnnxOptions& opt = {});
// The same from a file, read as a stream (its bytes are not held whole).
Workload load_onnx_file(const std::string& path, const OnnxOptions& opt = {});
// The ONNX operator types parse_onnx reads, each with what it becomes.
std::vector<std::pair<std::string, std::string>> onnx_supported_ops();

}  // namespace tessera
