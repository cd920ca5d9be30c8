#pragma once
// Tensor-core MMA numerics per GPU generation: the block rule of accumulate.h with the
// parameters published for each generation (sources in tensor_core_numerics.cpp, next to each
// number; docs/numerics.md "Tensor cores"). Pure C++, no I/O.
#include <string>
#include <vector>

#include "models/common/dtype.h"
#include "models/numerics/accumulate.h"

namespace tessera {

// The generations with presets: "volta", "ampere", "hopper".
std::vector<std::string> tensor_core_generations();

// How `generation`'s tensor cores add products of `in` x `in` into `acc`: the block rule for
// floats, exact wrapping int32 for ints. UserError listing what the generation supports when it
// has no such MMA (e.g. volta with bf16, fp8 before hopper).
AccumRule tensor_core_rule(const std::string& generation, DType in, const NumFormat& acc);

// The (input, accumulator) pairs a generation's MMAs take, as "fp16->fp32" text, for messages
// and `tessera list`.
std::vector<std::string> tensor_core_formats(const std::string& generation);

}  // namespace tessera
