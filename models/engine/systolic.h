#pragma once
// Systolic-array engine (`type: systolic`). The timing and action contract is
// docs/engines/systolic.md; this header only exposes the engine's plain Spec, so tools can
// read a resolved configuration without naming the engine class (which is private to
// systolic.cpp and reached through the engine registry).
#include <cstdint>
#include <string>

#include "models/common/params.h"

namespace tessera {

struct SystolicSpec {
  int64_t rows = 128, cols = 128;  // PE grid R x C
  int in_bits = 8;                 // multiplier operand width
  int acc_bits = 32;               // accumulator / partial-sum width
  std::string dataflow = "ws";     // default dataflow: os | ws | is
  bool scalesim_timing = false;    // report SCALE-Sim v2's cycle count instead of the native one
  bool weight_db = false;          // double-buffered stationary operand (shadow register per PE)

  static SystolicSpec from_params(const ParamValues& p);
};

}  // namespace tessera
