#include "models/engine/mma_shapes.h"

#include <algorithm>

#include "models/common/error.h"

namespace tessera {

std::string MmaShape::text() const {
  return "m" + std::to_string(m) + "n" + std::to_string(n) + "k" + std::to_string(k);
}

std::vector<MmaShape> mma_shapes(const std::string& generation, DType in) {
  const bool volta = generation == "volta", ampere = generation == "ampere", hopper = generation == "hopper";
  if (!volta && !ampere && !hopper) return {};
  switch (in) {
    case DType::fp16:
      if (volta) return {{8, 8, 4}};
      return {{8, 8, 4}, {16, 8, 8}, {16, 8, 16}};
    case DType::bf16:
      if (volta) return {};
      return {{16, 8, 8}, {16, 8, 16}};
    case DType::tf32:
      if (volta) return {};
      return {{16, 8, 4}, {16, 8, 8}};
    case DType::int8:
      if (volta) return {};
      return {{8, 8, 16}, {16, 8, 16}, {16, 8, 32}};
    case DType::int4:
      if (volta) return {};
      return {{8, 8, 32}, {16, 8, 32}, {16, 8, 64}};
    case DType::fp8_e4m3:
    case DType::fp8_e5m2:
      if (!hopper) return {};
      return {{16, 8, 32}};
    default:
      return {};
  }
}

void check_mma_shape(const std::string& generation, DType in, const MmaShape& shape) {
  const auto shapes = mma_shapes(generation, in);
  if (std::find(shapes.begin(), shapes.end(), shape) != shapes.end()) return;
  if (!shapes.empty()) {
    std::string list;
    for (const auto& s : shapes) list += (list.empty() ? "" : ", ") + s.text();
    throw UserError(generation + " tensor cores have no " + shape.text() + " MMA for " + dtype_name(in) +
                    " inputs; they take " + list);
  }
  std::string types;
  for (DType t : {DType::fp16, DType::bf16, DType::tf32, DType::int8, DType::int4, DType::fp8_e4m3, DType::fp8_e5m2})
    if (!mma_shapes(generation, t).empty()) types += (types.empty() ? "" : ", ") + dtype_name(t);
  throw UserError(generation + " tensor cores take no " + dtype_name(in) + " inputs" +
                  (types.empty() ? " (unknown generation; known: volta, ampere, hopper)" : "; they take " + types));
}

}  // namespace tessera
