#include "sim/mapper/tiling.h"

#include <array>

namespace tessera {

std::vector<TileStep> gemm_tile_steps(const GemmShape& full, const GemmShape& tile, const std::string& order,
                                      const OperandBits& bits) {
  const std::array<int64_t, 3> size{full.m, full.n, full.k};
  const std::array<int64_t, 3> step{tile.m, tile.n, tile.k};
  std::array<int64_t, 3> count{};
  for (int d = 0; d < 3; ++d) count[d] = (size[d] + step[d] - 1) / step[d];
  auto dim = [](char c) { return c == 'm' ? 0 : c == 'n' ? 1 : 2; };
  const std::array<int, 3> loop{dim(order[0]), dim(order[1]), dim(order[2])};  // outer -> inner
  auto advance = [&](std::array<int64_t, 3> i) {  // odometer, inner loop fastest
    for (int l = 2; l >= 0; --l) {
      if (++i[loop[l]] < count[loop[l]]) break;
      i[loop[l]] = 0;
    }
    return i;
  };
  auto out_id = [&](const std::array<int64_t, 3>& i) { return i[0] * count[1] + i[1]; };

  const auto total = static_cast<size_t>(count[0] * count[1] * count[2]);
  std::vector<TileStep> steps(total);
  std::vector<int32_t> k_seen(static_cast<size_t>(count[0] * count[1]), 0);
  std::array<int64_t, 3> idx{0, 0, 0};
  int64_t prev_a = -1, prev_b = -1, prev_out = -1;
  for (size_t s = 0; s < total; ++s) {
    const int64_t im = idx[0], in = idx[1], ik = idx[2];
    TileStep& t = steps[s];
    t.shape = {std::min(step[0], size[0] - im * step[0]), std::min(step[1], size[1] - in * step[1]),
               std::min(step[2], size[2] - ik * step[2])};
    t.m0 = im * step[0];
    t.n0 = in * step[1];
    t.k0 = ik * step[2];
    const auto m = static_cast<uint64_t>(t.shape.m), n = static_cast<uint64_t>(t.shape.n),
               k = static_cast<uint64_t>(t.shape.k);
    const int64_t a_id = im * count[2] + ik, b_id = ik * count[1] + in, o_id = out_id(idx);
    if (a_id != prev_a) t.load_a_bits = m * k * static_cast<uint64_t>(bits.a);
    if (b_id != prev_b) t.load_b_bits = k * n * static_cast<uint64_t>(bits.b);
    int32_t& seen = k_seen[static_cast<size_t>(o_id)];
    t.accumulates = seen > 0;
    if (o_id != prev_out && seen > 0) t.load_psum_bits = m * n * static_cast<uint64_t>(bits.psum);
    ++seen;
    const auto next = advance(idx);
    if (s + 1 == total || out_id(next) != o_id)
      t.store_bits = m * n * static_cast<uint64_t>(seen == count[2] ? bits.out : bits.psum);
    prev_a = a_id;
    prev_b = b_id;
    prev_out = o_id;
    idx = next;
  }
  return steps;
}

std::vector<TileStep> vector_tile_steps(int64_t elements, int64_t tile_elements, uint64_t in_bits_total,
                                        uint64_t out_bits_total) {
  std::vector<TileStep> steps;
  if (tile_elements <= 0 || tile_elements > elements) tile_elements = elements;
  const auto e = static_cast<uint64_t>(elements);
  uint64_t in_done = 0, out_done = 0;
  for (int64_t start = 0; start < elements; start += tile_elements) {
    TileStep t;
    const int64_t len = std::min(tile_elements, elements - start);
    t.shape = {len, 1, 1};
    const auto end = static_cast<uint64_t>(start + len);
    // Exact integer shares: step i takes floor(total*end/E) - floor(total*start/E).
    const uint64_t in_to = static_cast<uint64_t>((static_cast<__uint128_t>(in_bits_total) * end) / e);
    const uint64_t out_to = static_cast<uint64_t>((static_cast<__uint128_t>(out_bits_total) * end) / e);
    t.load_a_bits = in_to - in_done;
    t.store_bits = out_to - out_done;
    in_done = in_to;
    out_done = out_to;
    steps.push_back(t);
  }
  return steps;
}

uint64_t dram_bits(const std::vector<TileStep>& steps) {
  uint64_t b = 0;
  for (const auto& t : steps) b += t.load_bits() + t.store_bits;
  return b;
}

}  // namespace tessera
