#include "sim/plan/plan.h"

#include <algorithm>

namespace tessera {

namespace {
int dim_of(char c) { return c == 'm' ? 0 : c == 'n' ? 1 : 2; }
// floor(total * num / den) without overflow.
uint64_t share(uint64_t total, uint64_t num, uint64_t den) {
  return static_cast<uint64_t>((static_cast<unsigned __int128>(total) * num) / den);
}
}  // namespace

TileSequence TileSequence::gemm(const GemmShape& full, const GemmShape& tile, const std::string& order,
                                const OperandBits& bits, const OperandHomes& homes, ATileElements a_elems) {
  TileSequence s;
  s.is_gemm_ = true;
  s.full_ = {full.m, full.n, full.k};
  s.step_ = {tile.m, tile.n, tile.k};
  for (int d = 0; d < 3; ++d) s.count_[d] = (s.full_[d] + s.step_[d] - 1) / s.step_[d];
  s.loop_ = {dim_of(order[0]), dim_of(order[1]), dim_of(order[2])};
  s.bits_ = bits;
  s.homes_ = homes;
  s.a_elems_ = std::move(a_elems);
  s.size_ = static_cast<size_t>(s.count_[0] * s.count_[1] * s.count_[2]);
  return s;
}

TileSequence TileSequence::conv(const ConvDims& dims, int64_t n_full, const std::array<int64_t, 3>& m_tile,
                                int64_t n_tile, const std::array<int64_t, 3>& k_tile, const std::string& order,
                                const OperandBits& bits, const OperandHomes& homes) {
  TileSequence s;
  s.is_conv_ = true;
  s.conv_ = dims;
  s.m_tile_ = m_tile;
  s.k_tile_ = k_tile;
  int64_t m_blocks = 1, k_blocks = 1, m_full = 1, k_full = 1;
  for (size_t d = 0; d < 3; ++d) {
    s.m_count_[d] = (dims.m[d] + m_tile[d] - 1) / m_tile[d];
    s.k_count_[d] = (dims.k[d] + k_tile[d] - 1) / k_tile[d];
    m_blocks *= s.m_count_[d];
    k_blocks *= s.k_count_[d];
    m_full *= dims.m[d];
    k_full *= dims.k[d];
  }
  s.full_ = {m_full, n_full, k_full};
  s.step_ = {0, n_tile, 0};  // m and k steps are blocks (below)
  s.count_ = {m_blocks, (n_full + n_tile - 1) / n_tile, k_blocks};
  s.loop_ = {dim_of(order[0]), dim_of(order[1]), dim_of(order[2])};
  s.bits_ = bits;
  s.homes_ = homes;
  s.size_ = static_cast<size_t>(s.count_[0] * s.count_[1] * s.count_[2]);
  return s;
}

TileSequence TileSequence::vector(int64_t elements, int64_t tile_elements, uint64_t in_bits_total,
                                  uint64_t out_bits_total) {
  TileSequence s;
  s.is_gemm_ = false;
  if (tile_elements <= 0 || tile_elements > elements) tile_elements = elements;
  s.elements_ = elements;
  s.tile_elements_ = tile_elements;
  s.in_bits_ = in_bits_total;
  s.out_bits_ = out_bits_total;
  s.size_ = tile_elements > 0 ? static_cast<size_t>((elements + tile_elements - 1) / tile_elements) : 0;
  return s;
}

// Step i's tile indices (m, n, k): an odometer over the loop order, inner loop fastest.
std::array<int64_t, 3> TileSequence::index_of(size_t i) const {
  std::array<int64_t, 3> idx{};
  auto rest = static_cast<int64_t>(i);
  for (int l = 2; l >= 0; --l) {
    const int d = loop_[static_cast<size_t>(l)];
    idx[static_cast<size_t>(d)] = rest % count_[static_cast<size_t>(d)];
    rest /= count_[static_cast<size_t>(d)];
  }
  return idx;
}

TileStep TileSequence::at(size_t i) const {
  TileStep t;
  if (!is_gemm_) {
    const int64_t start = static_cast<int64_t>(i) * tile_elements_;
    const int64_t len = std::min(tile_elements_, elements_ - start);
    t.shape = {len, 1, 1};
    t.m0 = start;
    const auto e = static_cast<uint64_t>(elements_), lo = static_cast<uint64_t>(start),
               hi = static_cast<uint64_t>(start + len);
    t.load_a_bits = share(in_bits_, hi, e) - share(in_bits_, lo, e);
    t.store_bits = share(out_bits_, hi, e) - share(out_bits_, lo, e);
    return t;
  }
  const auto idx = index_of(i);
  const int64_t im = idx[0], in = idx[1], ik = idx[2];
  if (is_conv_) {
    // Block indices, row-major: (image, oy, ox) and (channel, ky, kx).
    t.is_block = true;
    int64_t rm = im, rk = ik;
    for (int d = 2; d >= 0; --d) {
      const auto u = static_cast<size_t>(d);
      t.block.m0[u] = (rm % m_count_[u]) * m_tile_[u];
      t.block.k0[u] = (rk % k_count_[u]) * k_tile_[u];
      rm /= m_count_[u];
      rk /= k_count_[u];
      t.block.m_ext[u] = std::min(m_tile_[u], conv_.m[u] - t.block.m0[u]);
      t.block.k_ext[u] = std::min(k_tile_[u], conv_.k[u] - t.block.k0[u]);
    }
    const auto& b = t.block;
    t.shape = {b.m_ext[0] * b.m_ext[1] * b.m_ext[2], std::min(step_[1], full_[1] - in * step_[1]),
               b.k_ext[0] * b.k_ext[1] * b.k_ext[2]};
    t.m0 = (b.m0[0] * conv_.m[1] + b.m0[1]) * conv_.m[2] + b.m0[2];
    t.n0 = in * step_[1];
    t.k0 = (b.k0[0] * conv_.k[1] + b.k0[1]) * conv_.k[2] + b.k0[2];
  } else {
    t.shape = {std::min(step_[0], full_[0] - im * step_[0]), std::min(step_[1], full_[1] - in * step_[1]),
               std::min(step_[2], full_[2] - ik * step_[2])};
    t.m0 = im * step_[0];
    t.n0 = in * step_[1];
    t.k0 = ik * step_[2];
  }
  const auto m = static_cast<uint64_t>(t.shape.m), n = static_cast<uint64_t>(t.shape.n),
             k = static_cast<uint64_t>(t.shape.k);
  if (i > 0) {
    const auto p = index_of(i - 1);
    t.a_changed = p[0] != im || p[2] != ik;
    t.b_changed = p[2] != ik || p[1] != in;
    t.out_changed = p[0] != im || p[1] != in;
  }
  if (t.a_changed && homes_.a_dram) {
    const uint64_t elems = is_conv_ ? conv_.a_elements(t.block) : a_elems_ ? a_elems_(t.m0, t.shape.m, t.k0, t.shape.k) : m * k;
    t.load_a_bits = elems * static_cast<uint64_t>(bits_.a);
  }
  if (t.b_changed && homes_.b_dram) t.load_b_bits = k * n * static_cast<uint64_t>(bits_.b);
  // Every visit of an output tile comes with the next k tile (the odometer visits its k tiles
  // in increasing order), so `ik` counts the earlier visits.
  t.accumulates = ik > 0;
  if (t.out_changed && ik > 0) t.load_psum_bits = m * n * static_cast<uint64_t>(bits_.psum);
  bool leaves = i + 1 == size_;
  if (!leaves) {
    const auto nx = index_of(i + 1);
    leaves = nx[0] != im || nx[1] != in;
  }
  if (leaves) {
    const bool final_values = ik + 1 == count_[2];
    if (!final_values) t.store_bits = m * n * static_cast<uint64_t>(bits_.psum);
    else if (homes_.out_dram) t.store_bits = m * n * static_cast<uint64_t>(bits_.out);
  }
  return t;
}

std::vector<TileStep> TileSequence::all() const {
  std::vector<TileStep> v;
  v.reserve(size_);
  for (size_t i = 0; i < size_; ++i) v.push_back(at(i));
  return v;
}

uint64_t TileSequence::dram_bits() const {
  uint64_t b = 0;
  for (size_t i = 0; i < size_; ++i) {
    const TileStep t = at(i);
    b += t.load_bits() + t.store_bits;
  }
  return b;
}

}  // namespace tessera

namespace tessera {

namespace {
// Row-major linear indices of a block [lo, lo + ext) within dims `full` (3 dimensions).
std::vector<int64_t> block_indices(const std::array<int64_t, 3>& full, const std::array<int64_t, 3>& lo,
                                   const std::array<int64_t, 3>& ext) {
  std::vector<int64_t> v;
  v.reserve(static_cast<size_t>(ext[0] * ext[1] * ext[2]));
  for (int64_t a = lo[0]; a < lo[0] + ext[0]; ++a)
    for (int64_t b = lo[1]; b < lo[1] + ext[1]; ++b)
      for (int64_t c = lo[2]; c < lo[2] + ext[2]; ++c) v.push_back((a * full[1] + b) * full[2] + c);
  return v;
}
std::vector<int64_t> range(int64_t lo, int64_t n) {
  std::vector<int64_t> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = lo + i;
  return v;
}
}  // namespace

std::vector<int64_t> TileSequence::rows_of(const TileStep& t) const {
  return t.is_block ? block_indices(conv_.m, t.block.m0, t.block.m_ext) : range(t.m0, t.shape.m);
}

std::vector<int64_t> TileSequence::cols_of(const TileStep& t) const {
  return t.is_block ? block_indices(conv_.k, t.block.k0, t.block.k_ext) : range(t.k0, t.shape.k);
}

std::vector<int64_t> TileSequence::out_cols_of(const TileStep& t) const { return range(t.n0, t.shape.n); }

}  // namespace tessera
