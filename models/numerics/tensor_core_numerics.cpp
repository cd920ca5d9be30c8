#include "models/numerics/tensor_core_numerics.h"

#include <algorithm>

#include "models/common/error.h"
#include "models/common/params.h"

namespace tessera {

namespace {

// One published behaviour: inputs, accumulator, products per block, fraction bits kept in the
// alignment (23 + the "extra alignment bits" of the models cited), rounding of each block into
// the accumulator.
struct Entry {
  const char* generation;
  DType in;
  DType acc;
  int block;
  int frac;
  Rounding rounding;
};

// Sources:
//  [F21] M. Fasi, N. J. Higham, M. Mikaitis, S. Pranesh, "Numerical behavior of NVIDIA tensor
//        cores", PeerJ Computer Science 7:e330, 2021, and its test suite (github
//        north-numerical-computing/tensor-cores-numerical-behavior): products exact, terms
//        aligned to the largest magnitude, truncated (no guard bits), normalised once; fp32
//        results rounded toward zero, fp16 results to nearest; subnormals in and out; V100 adds
//        4 products per step.
//  [M-A] github north-numerical-computing/MATLAB-tensor-core, models/A100TC.m: A100 fp16 and
//        bf16 8 products per block, tf32 4; one extra alignment bit (neab = 1: 24 fraction bits).
//  [KM25] F. Khattak, M. Mikaitis, "Accurate Models of NVIDIA Tensor Cores", arXiv 2512.07004,
//        and models/H100TC.m of [M-A]: H100 fp16 and bf16 16 products per block, two extra
//        alignment bits (25 fraction bits); tf32 8; fp8 (wgmma) 32 products with 13 fraction bits
//        (neab = -10), which DeepSeek-V3 (arXiv 2412.19437, section 3.3.2) observed on H800 as
//        "around 14 bits" of accumulation precision.
// Assumptions (not measured by the sources): fp16-accumulator MMAs align as their generation's
// fp32 ones and round each block to nearest [F21: "binary16 output rounded to nearest"]; hopper
// tf32 keeps 25 fraction bits like its fp16 path.
constexpr Rounding RZ = Rounding::TowardZero, RN = Rounding::NearestEven;
const Entry kEntries[] = {
    {"volta", DType::fp16, DType::fp32, 4, 23, RZ},        // [F21] V100
    {"volta", DType::fp16, DType::fp16, 4, 23, RN},        // [F21] binary16 mode
    {"ampere", DType::fp16, DType::fp32, 8, 24, RZ},       // [M-A], [F21] A100
    {"ampere", DType::fp16, DType::fp16, 8, 24, RN},       // [F21] binary16 mode
    {"ampere", DType::bf16, DType::fp32, 8, 24, RZ},       // [M-A]
    {"ampere", DType::tf32, DType::fp32, 4, 24, RZ},       // [M-A]
    {"hopper", DType::fp16, DType::fp32, 16, 25, RZ},      // [KM25]
    {"hopper", DType::fp16, DType::fp16, 16, 25, RN},      // [KM25], [F21] binary16 mode
    {"hopper", DType::bf16, DType::fp32, 16, 25, RZ},      // [KM25]
    {"hopper", DType::tf32, DType::fp32, 8, 25, RZ},       // [KM25] (25 bits assumed)
    {"hopper", DType::fp8_e4m3, DType::fp32, 32, 13, RZ},  // [KM25], DeepSeek-V3 3.3.2
    {"hopper", DType::fp8_e5m2, DType::fp32, 32, 13, RZ},  // [KM25]
};

// Integer MMAs (int8 since Turing, int4 on Turing and Ampere; Hopper drops int4 [KM25]) are
// exact and wrap in int32.
bool int_mma(const std::string& g, DType in) {
  if (in == DType::int8) return g != "volta";
  if (in == DType::int4) return g == "ampere";
  return false;
}

}  // namespace

std::vector<std::string> tensor_core_generations() { return {"volta", "ampere", "hopper"}; }

std::vector<std::string> tensor_core_formats(const std::string& generation) {
  std::vector<std::string> v;
  for (const Entry& e : kEntries)
    if (generation == e.generation) v.push_back(dtype_name(e.in) + "->" + dtype_name(e.acc));
  for (DType t : {DType::int8, DType::int4})
    if (int_mma(generation, t)) v.push_back(dtype_name(t) + "->int32");
  return v;
}

AccumRule tensor_core_rule(const std::string& generation, DType in, const NumFormat& acc) {
  const auto gens = tensor_core_generations();
  if (std::find(gens.begin(), gens.end(), generation) == gens.end())
    throw UserError("no tensor-core numerics for generation '" + generation + "'; known: volta, ampere, hopper" +
                    did_you_mean(generation, gens));
  if (int_mma(generation, in) && acc == NumFormat::int_bits(32)) return AccumRule::baseline(acc);
  for (const Entry& e : kEntries)
    if (generation == e.generation && in == e.in && acc == NumFormat::of(e.acc))
      return AccumRule::blocks(acc, e.block, e.frac, e.rounding);
  std::string list;
  for (const auto& f : tensor_core_formats(generation)) list += (list.empty() ? "" : ", ") + f;
  throw UserError(generation + " tensor cores have no " + dtype_name(in) + "->" + acc.name() + " MMA; they take " + list);
}

}  // namespace tessera
