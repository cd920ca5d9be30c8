#pragma once
// Seeded functional data for `tessera run --data SEED`: every GEMM operator (gemm, conv2d,
// depthwise: the kinds with a GemmLayout) is computed tile by tile through the engine at the
// run's fidelity, on random integer inputs and weights, and every tensor it writes gets a
// checksum, so runs at tile, pe and rtl fidelity can be compared on their outputs.
//
// Inputs and weights: uniform random integers of the tensor's dtype (int1..int16, ternary),
// drawn from a generator seeded by the seed and the tensor's name (independent of run order).
// Requantization of an operator's result (the engine's sign-extended partial sums) into its
// output tensor of b bits, when b < 32: arithmetic shift right by (a_bits - 1) +
// ceil(ceil(log2 K) / 2) (a_bits: the activation operand's width, K: the reduction length),
// then saturation to [-2^(b-1), 2^(b-1) - 1] ({-1, 0, 1} for ternary). Products of two
// a_bits operands carry about 2*a_bits - 2 magnitude bits and a K-long sum of random signs
// about log2(K)/2 more, so the shift keeps most values inside the output's range. Outputs of
// 32 bits or more take the result as is.
// Checksum: FNV-1a 64 over the tensor's values as little-endian int64, in row-major order.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sim/kernel/kernel.h"
#include "sim/workload/workload.h"

namespace tessera {

class SeededData final : public IDataPath {
 public:
  SeededData(const Workload& wl, uint64_t seed) : wl_(wl), seed_(seed) {}

  // UserError when the operator has no functional model (kind without a GemmLayout, a bias,
  // a non-integer tensor) or reads a tensor no functional operator produced.
  void check(const OpPlan& plan) const override;
  OpData operands(const OpPlan& plan) override;
  void results(const OpPlan& plan, OpData&& data) override;

  // The values of a tensor generated or written so far (row-major), or null.
  const std::vector<int64_t>* tensor_values(const std::string& name) const {
    auto it = values_.find(name);
    return it == values_.end() ? nullptr : &it->second;
  }
  // Every tensor an operator wrote: name -> checksum (16 hex digits).
  std::map<std::string, std::string> checksums() const;
  static const char* requantization_rule();

 private:
  struct Item;
  Item item(const OpPlan& plan) const;
  const std::vector<int64_t>& values(const std::string& tensor);

  const Workload& wl_;
  uint64_t seed_;
  std::map<std::string, std::vector<int64_t>> values_;
  std::vector<std::string> written_;
};

}  // namespace tessera
