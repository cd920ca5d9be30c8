#include "tools/tessera/workload_options.h"

#include <cerrno>
#include <cstdlib>

#include "models/common/dtype.h"
#include "models/common/error.h"
#include "models/common/params.h"

namespace tessera::cli {

void add_workload_options(CLI::App& cmd, WorkloadArgs& a) {
  cmd.add_option("--dim", a.dims, "ONNX: a value for a symbolic dimension, e.g. batch=1 (repeatable)");
  cmd.add_option("--dtype", a.dtype,
                 "ONNX: the format float tensors take (default: the widest integer format every GEMM engine of the "
                 "machine reads; int8 for validate)");
}

OnnxOptions onnx_options(const WorkloadArgs& a, const Arch* arch) {
  OnnxOptions o;
  if (a.dtype.empty()) {
    o.dtype = arch ? arch->default_int_format() : DType::int8;
  } else {
    const auto t = parse_dtype(a.dtype);
    if (!t) throw UserError("unknown dtype '" + a.dtype + "'" + did_you_mean(a.dtype, dtype_names()), SourceLoc{}, "--dtype");
    o.dtype = *t;
  }
  for (const auto& d : a.dims) {
    const size_t eq = d.find('=');
    errno = 0;
    char* end = nullptr;
    const long long v = eq == std::string::npos ? 0 : std::strtoll(d.c_str() + eq + 1, &end, 10);
    if (eq == std::string::npos || eq == 0 || eq + 1 == d.size() || *end != '\0' || errno == ERANGE || v <= 0)
      throw UserError("expected NAME=N with N a positive integer, got '" + d + "'", SourceLoc{}, "--dim");
    o.dims[d.substr(0, eq)] = v;
  }
  return o;
}

}  // namespace tessera::cli
