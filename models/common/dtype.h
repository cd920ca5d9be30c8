#pragma once
// Number formats a tensor may carry. Integer formats are two's complement; `ternary` is
// {-1,0,+1} stored in 2 bits. Floating formats are kept as raw bit patterns by numerics/.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tessera {

enum class DType {
  int1, int2, int3, int4, int5, int6, int7, int8, int16, int32, ternary,
  fp8_e4m3, fp8_e5m2, fp16, bf16, tf32, fp32,
  olive4  // OliVe's outlier-victim pairs (models/numerics/olive.h): 4 bits stored, int8-range values
};

int dtype_bits(DType t);             // storage bits per element
int dtype_value_bits(DType t);       // bits of its values as arithmetic sees them (olive4: 8, decoded)
bool dtype_is_int(DType t);          // int* and ternary
bool dtype_is_float(DType t);
std::string dtype_name(DType t);
std::optional<DType> parse_dtype(const std::string& s);
const std::vector<std::string>& dtype_names();

}  // namespace tessera
