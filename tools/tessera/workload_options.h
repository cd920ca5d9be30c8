#pragma once
// The options that say how a workload file is read, shared by `run`, `map` and `validate`:
// for ONNX models, values of symbolic dimensions and the format of float tensors.
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "sim/config/arch.h"
#include "sim/workload/loader.h"

namespace tessera::cli {

struct WorkloadArgs {
  std::vector<std::string> dims;  // NAME=N
  std::string dtype;  // empty: the machine's default integer format
};

void add_workload_options(CLI::App& cmd, WorkloadArgs& a);

// The options as the loader takes them; a malformed --dim or an unknown --dtype is a UserError.
// Without --dtype, float tensors take the machine's default integer format (Arch::
// default_int_format), or int8 where there is no machine (`validate`).
OnnxOptions onnx_options(const WorkloadArgs& a, const Arch* arch = nullptr);

}  // namespace tessera::cli
