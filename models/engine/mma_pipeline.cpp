#include "models/engine/mma_pipeline.h"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

namespace tessera {

namespace {
void check(const MmaPipe& p, int64_t chains, int64_t length) {
  if (p.interval < 1 || p.latency < 1 || chains < 1 || length < 0)
    throw std::invalid_argument("mma pipe: interval " + std::to_string(p.interval) + ", latency " +
                                std::to_string(p.latency) + ", chains " + std::to_string(chains) + ", length " +
                                std::to_string(length));
}
}  // namespace

uint64_t mma_pipe_cycles(const MmaPipe& p, int64_t chains, int64_t length) {
  check(p, chains, length);
  if (length == 0) return 0;
  const auto I = static_cast<uint64_t>(p.interval), T = static_cast<uint64_t>(p.latency);
  const auto C = static_cast<uint64_t>(chains), L = static_cast<uint64_t>(length);
  return (L - 1) * std::max(C * I, T) + (C - 1) * I + T;
}

uint64_t mma_pipe_simulate(const MmaPipe& p, int64_t chains, int64_t length) {
  check(p, chains, length);
  if (length == 0) return 0;
  std::vector<int64_t> ready(static_cast<size_t>(chains), 0), left(static_cast<size_t>(chains), length);
  int64_t unit_free = 0, last_result = 0, remaining = chains * length;
  size_t next = 0;  // round-robin pointer: the chain to try first
  for (int64_t t = 0; remaining > 0; ++t) {
    if (t < unit_free) continue;
    for (size_t k = 0; k < ready.size(); ++k) {
      const size_t c = (next + k) % ready.size();
      if (left[c] == 0 || ready[c] > t) continue;
      ready[c] = t + p.latency;
      last_result = std::max(last_result, ready[c]);
      --left[c];
      --remaining;
      unit_free = t + p.interval;
      next = (c + 1) % ready.size();
      break;
    }
  }
  return static_cast<uint64_t>(last_result);
}

}  // namespace tessera
