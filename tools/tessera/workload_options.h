#pragma once
// The options that say how a workload file is read, shared by `run`, `map` and `validate`:
// for ONNX models, values of symbolic dimensions and the format of float tensors.
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "sim/workload/loader.h"

namespace tessera::cli {

struct WorkloadArgs {
  std::vector<std::string> dims;  // NAME=N
  std::string dtype = "int8";
};

void add_workload_options(CLI::App& cmd, WorkloadArgs& a);

// The options as the loader takes them; a malformed --dim or an unknown --dtype is a UserError.
OnnxOptions onnx_options(const WorkloadArgs& a);

}  // namespace tessera::cli
