#include "sim/plan/plan.h"

#include <algorithm>
#include <optional>

namespace tessera {

namespace {
int dim_of(char c) { return c == 'm' ? 0 : c == 'n' ? 1 : 2; }
// floor(total * num / den) without overflow.
uint64_t share(uint64_t total, uint64_t num, uint64_t den) {
  return static_cast<uint64_t>((static_cast<unsigned __int128>(total) * num) / den);
}
}  // namespace

TileSequence TileSequence::gemm(const GemmShape& full, const GemmShape& tile, const std::string& order,
                                const OperandBits& bits, const OperandHomes& homes, ATileElements a_elems,
                                const AccLevel& acc) {
  TileSequence s;
  s.is_gemm_ = true;
  s.full_ = {full.m, full.n, full.k};
  s.step_ = {tile.m, tile.n, tile.k};
  for (int d = 0; d < 3; ++d) s.count_[d] = (s.full_[d] + s.step_[d] - 1) / s.step_[d];
  s.loop_ = {dim_of(order[0]), dim_of(order[1]), dim_of(order[2])};
  s.bits_ = bits;
  s.homes_ = homes;
  s.a_elems_ = std::move(a_elems);
  s.acc_ = acc;
  s.set_counts();
  return s;
}

TileSequence TileSequence::conv(const ConvDims& dims, int64_t n_full, const std::array<int64_t, 3>& m_tile,
                                int64_t n_tile, const std::array<int64_t, 3>& k_tile, const std::string& order,
                                const OperandBits& bits, const OperandHomes& homes, const AccLevel& acc) {
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
  s.acc_ = acc;
  s.acc_.m = 0;
  s.set_counts();
  return s;
}

// Engine calls per scratchpad tile along m and n: interior tiles and the ragged last one.
void TileSequence::set_counts() {
  size_ = 1;
  for (size_t d = 0; d < 3; ++d) {
    subs_[d] = subs_last_[d] = 1;
    sub_step_[d] = step_[d];
    const int64_t a = d == 0 ? acc_.m : d == 1 ? acc_.n : 0;
    if (acc_.on && a > 0 && step_[d] > 0 && a < step_[d]) {
      sub_step_[d] = a;
      subs_[d] = (step_[d] + a - 1) / a;
      const int64_t last = full_[d] - (count_[d] - 1) * step_[d];
      subs_last_[d] = (last + a - 1) / a;
    }
    size_ *= static_cast<size_t>((count_[d] - 1) * subs_[d] + subs_last_[d]);
  }
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

// Step i's position: an odometer over the scratchpad tiles in the loop order (inner loop
// fastest), each tile's engine calls innermost. A tile's calls number the product of its
// per-dimension counts, so the steps under a fixed prefix of loops number the product of the
// fixed dimensions' counts and the free dimensions' totals: each loop index is one division.
TileSequence::Pos TileSequence::pos_of(size_t i) const {
  Pos p;
  auto rem = static_cast<int64_t>(i);
  int64_t fixed = 1;
  for (size_t l = 0; l < 3; ++l) {
    const auto d = static_cast<size_t>(loop_[l]);
    int64_t rest = fixed;
    for (size_t l2 = l + 1; l2 < 3; ++l2) {
      const auto d2 = static_cast<size_t>(loop_[l2]);
      rest *= (count_[d2] - 1) * subs_[d2] + subs_last_[d2];
    }
    const int64_t block = subs_[d] * rest, interior = (count_[d] - 1) * block;
    int64_t v = count_[d] - 1;
    if (rem < interior) v = rem / block;
    rem -= v * block;
    p.t[d] = v;
    fixed *= subs_of(static_cast<int>(d), v);
  }
  p.subs = fixed;
  p.sub = rem;
  const int64_t sm = subs_of(0, p.t[0]), sn = subs_of(1, p.t[1]);
  if (acc_.n_outer) {
    p.sn = rem / sm;
    p.sm = rem % sm;
  } else {
    p.sm = rem / sn;
    p.sn = rem % sn;
  }
  return p;
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
  const Pos p = pos_of(i);
  const int64_t im = p.t[0], in = p.t[1], ik = p.t[2];
  // The scratchpad tile's n range and the call's part of it (likewise m for a GEMM).
  const int64_t n_lo = in * step_[1], n_len = std::min(step_[1], full_[1] - n_lo);
  const int64_t sn_lo = n_lo + p.sn * sub_step_[1], sn_len = std::min(sub_step_[1], n_lo + n_len - sn_lo);
  int64_t tile_m = 0, tile_m0 = 0;  // the scratchpad tile's rows (a's loads)
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
    t.shape = {b.m_ext[0] * b.m_ext[1] * b.m_ext[2], sn_len, b.k_ext[0] * b.k_ext[1] * b.k_ext[2]};
    t.m0 = (b.m0[0] * conv_.m[1] + b.m0[1]) * conv_.m[2] + b.m0[2];
    t.k0 = (b.k0[0] * conv_.k[1] + b.k0[1]) * conv_.k[2] + b.k0[2];
    tile_m = t.shape.m;
    tile_m0 = t.m0;
  } else {
    tile_m0 = im * step_[0];
    tile_m = std::min(step_[0], full_[0] - tile_m0);
    t.m0 = tile_m0 + p.sm * sub_step_[0];
    t.k0 = ik * step_[2];
    t.shape = {std::min(sub_step_[0], tile_m0 + tile_m - t.m0), sn_len, std::min(step_[2], full_[2] - t.k0)};
  }
  t.n0 = sn_lo;
  const auto m = static_cast<uint64_t>(t.shape.m), n = static_cast<uint64_t>(t.shape.n),
             k = static_cast<uint64_t>(t.shape.k);
  bool a_new = true, b_new = true;  // the scratchpad tile's operands differ from the previous tile's
  if (i > 0) {
    const Pos q = pos_of(i - 1);
    t.opens_tile = !q.same_tile(p);
    t.a_changed = q.t[0] != im || q.t[2] != ik || q.sm != p.sm;
    t.b_changed = q.t[2] != ik || q.t[1] != in || q.sn != p.sn;
    t.out_changed = !q.same_acc(p);
    a_new = q.t[0] != im || q.t[2] != ik;
    b_new = q.t[2] != ik || q.t[1] != in;
  }
  std::optional<Pos> next;
  if (i + 1 < size_) next = pos_of(i + 1);
  t.closes_tile = !next || !next->same_tile(p);
  if (t.opens_tile && a_new && homes_.a_dram) {
    const uint64_t elems = is_conv_  ? conv_.a_elements(t.block)
                           : a_elems_ ? a_elems_(tile_m0, tile_m, t.k0, t.shape.k)
                                      : static_cast<uint64_t>(tile_m) * k;
    t.load_a_bits = elems * static_cast<uint64_t>(bits_.a);
  }
  if (t.opens_tile && b_new && homes_.b_dram) t.load_b_bits = k * static_cast<uint64_t>(n_len) * static_cast<uint64_t>(bits_.b);
  // An output tile's k tiles come in increasing order (the odometer), so `ik` counts its
  // earlier visits. Between visits its partial sums stay where they are (in the accumulator
  // while its calls are consecutive); with an accumulator, in out's scratchpad while the
  // scratchpad tile's outputs stay on chip; else in DRAM.
  t.accumulates = ik > 0;
  const uint64_t psums = m * n * static_cast<uint64_t>(bits_.psum);
  if (t.out_changed && ik > 0) {
    bool on_chip = false;
    if (acc_.on && static_cast<size_t>(p.sub) < i) on_chip = pos_of(i - static_cast<size_t>(p.sub) - 1).same_out(p);
    (on_chip ? t.acc_fill_bits : t.load_psum_bits) = psums;
  }
  if (!next || !next->same_acc(p)) {  // the output tile leaves the engine
    const uint64_t outs = m * n * static_cast<uint64_t>(bits_.out);
    const bool final_values = ik + 1 == count_[2];
    bool stays_on_chip = false;  // the scratchpad tile's outputs come back next, without DRAM
    if (acc_.on && !final_values) {
      const size_t next_tile = i + static_cast<size_t>(p.subs - p.sub);
      stays_on_chip = next_tile < size_ && pos_of(next_tile).same_out(p);
    }
    if (final_values) {
      if (acc_.on) t.acc_drain_bits = outs;
      if (homes_.out_dram) t.store_bits = outs;
    } else if (stays_on_chip) {
      t.acc_drain_bits = psums;
    } else {
      t.store_bits = psums;
      t.stores_psums = true;
    }
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
