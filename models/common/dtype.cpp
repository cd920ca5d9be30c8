#include "models/common/dtype.h"

#include <array>

namespace tessera {
namespace {
struct Info {
  DType t;
  const char* name;
  int bits;
  bool is_int;
};
constexpr std::array<Info, 18> kInfo{{
    {DType::int1, "int1", 1, true},       {DType::int2, "int2", 2, true},
    {DType::int3, "int3", 3, true},       {DType::int4, "int4", 4, true},
    {DType::int5, "int5", 5, true},       {DType::int6, "int6", 6, true},
    {DType::int7, "int7", 7, true},       {DType::int8, "int8", 8, true},
    {DType::int16, "int16", 16, true},    {DType::int32, "int32", 32, true},
    {DType::ternary, "ternary", 2, true}, {DType::fp8_e4m3, "fp8_e4m3", 8, false},
    {DType::fp8_e5m2, "fp8_e5m2", 8, false}, {DType::fp16, "fp16", 16, false},
    {DType::bf16, "bf16", 16, false},     {DType::tf32, "tf32", 19, false},
    {DType::fp32, "fp32", 32, false},     {DType::olive4, "olive4", 4, true},
}};
const Info& info(DType t) { return kInfo[static_cast<size_t>(t)]; }
}  // namespace

int dtype_bits(DType t) { return info(t).bits; }
int dtype_value_bits(DType t) { return t == DType::olive4 ? 8 : info(t).bits; }
bool dtype_is_int(DType t) { return info(t).is_int; }
bool dtype_is_float(DType t) { return !info(t).is_int; }
std::string dtype_name(DType t) { return info(t).name; }

std::optional<DType> parse_dtype(const std::string& s) {
  for (const auto& i : kInfo)
    if (s == i.name) return i.t;
  if (s == "fp8") return DType::fp8_e4m3;
  return std::nullopt;
}

const std::vector<std::string>& dtype_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& i : kInfo) v.push_back(i.name);
    return v;
  }();
  return names;
}

}  // namespace tessera
