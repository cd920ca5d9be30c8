#include "sim/mapper/ilp.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "sim/mapper/mip.h"

namespace tessera {

namespace {

using Terms = std::vector<std::pair<int, double>>;
constexpr double kInf = std::numeric_limits<double>::infinity();

// y >= exp(c + sum(coef * col)); `groups` are the one-hot (or at-most-one) column sets the
// argument sums over, for its range.
struct ExpTerm {
  int y = -1;
  double c = 0;
  std::vector<Terms> groups;
  bool at_most_one = false;  // groups may be all zero (w columns), not exactly one
  double lo() const {
    double v = c;
    for (const auto& g : groups) {
      double m = kInf;
      for (const auto& [_, k] : g) m = std::min(m, k);
      v += g.empty() ? 0 : std::min(m, 0.0);
    }
    return v;
  }
  double hi() const {
    double v = c;
    for (const auto& g : groups) {
      double m = -kInf;
      for (const auto& [_, k] : g) m = std::max(m, k);
      v += g.empty() ? 0 : std::max(m, 0.0);
    }
    return v;
  }
  double eval(const std::vector<double>& x) const {
    double v = c;
    for (const auto& g : groups)
      for (const auto& [col, k] : g) v += k * x[static_cast<size_t>(col)];
    return v;
  }
  // y >= e^a (1 + arg - a): the tangent at a, below exp everywhere, equal at a.
  // On `arg` (= c + the groups' sum, one row): a tangent row has two entries, not one per
  // binary, which keeps the LPs sparse (the tangents are most of the rows).
  int arg = -1;
  void tangent(Mip& mip, double a) const {
    const double ea = std::exp(a);
    mip.add_row({{y, 1.0}, {arg, -ea}}, ea * (1 - a), kInf);
  }
};

// The engine's compute law for this option, fitted on its closed form: cycles of a tile
// ~ u * prod f_d + o * prod g_d, f_d = folds (grid dims) or extent (others), g_d = folds or 1.
struct ComputeLaw {
  double u = 1, o = 0;
};

double fold_work(int64_t t, int64_t mult) { return mult > 1 ? static_cast<double>((t + mult - 1) / mult) : static_cast<double>(t); }
double fold_count(int64_t t, int64_t mult) { return mult > 1 ? static_cast<double>((t + mult - 1) / mult) : 1.0; }

ComputeLaw fit_compute(const ItemSpace& sp, const GemmOption& o) {
  const LoweredOp& w = sp.item().work;
  TileRequest r = request_for(sp.workload(), w, o.dataflow);
  const IEngine& e = *sp.arch().engines[o.engine].model;
  // Relative least squares over probe tiles: 1 and 2 grid multiples on grid dimensions, 1, 8
  // and 64 on the others. A law per tile, so probes need not fit inside this layer.
  double suu = 0, suo = 0, soo = 0, su = 0, so = 0;
  std::array<std::vector<int64_t>, 3> probe;
  for (size_t d = 0; d < 3; ++d)
    probe[d] = o.multiple[d] > 1 ? std::vector<int64_t>{o.multiple[d], 2 * o.multiple[d]} : std::vector<int64_t>{1, 8, 64};
  for (int64_t pm : probe[0])
    for (int64_t pn : probe[1])
      for (int64_t pk : probe[2]) {
    const std::array<int64_t, 3> t{pm, pn, pk};
    r.gemm = {t[0], t[1], t[2]};
    const double c = static_cast<double>(e.cost(r).cycles.total());
    if (c <= 0) continue;
    double f = 1, g = 1;
    for (size_t d = 0; d < 3; ++d) {
      f *= fold_work(t[d], o.multiple[d]);
      g *= fold_count(t[d], o.multiple[d]);
    }
    const double a = f / c, b = g / c;  // relative: (u a + o b - 1)^2
    suu += a * a;
    suo += a * b;
    soo += b * b;
    su += a;
    so += b;
      }
  ComputeLaw law;
  const double det = suu * soo - suo * suo;
  if (std::abs(det) > 1e-12 * suu * soo) {
    law.u = (su * soo - so * suo) / det;
    law.o = (so * suu - su * suo) / det;
  }
  if (!(law.u > 0) || law.o < 0) {  // one-term fit
    law.o = 0;
    law.u = suu > 0 ? su / suu : 1;
  }
  return law;
}

// One candidate of a loop dimension (m, n or k) of an option: the tile sizes of the option's
// dimensions that make it up (one for a GEMM; N P Q or C R S of a convolution's own), and what
// the model needs of it, exact over its (ragged) tiles.
struct Cand {
  std::vector<int64_t> sub;
  double extent = 1;  // the largest tile's extent along the loop dimension
  double tiles = 1;   // tiles along it
  std::vector<std::pair<int64_t, double>> spread;  // (tile extent, how many tiles)
  // A convolution's input patch, a factor per loop dimension (m and k; 1 for n): summed over
  // the tiles (traffic), the most one tile reads (capacity), the first tile's (fill).
  double a_sum = 1, a_cap = 1, a_fill = 1;
  bool covers(const Cand& o) const {  // at least as large in every dimension
    for (size_t i = 0; i < sub.size(); ++i)
      if (sub[i] < o.sub[i]) return false;
    return true;
  }
};

// (extent, count) of the tiles of size t over d.
std::vector<std::pair<int64_t, double>> spread_of(int64_t d, int64_t t) {
  std::vector<std::pair<int64_t, double>> v{{t, static_cast<double>(d / t)}};
  if (d % t) v.emplace_back(d % t, 1.0);
  return v;
}

// The candidates of each loop dimension of option `o` (sizes already pruned). Blocks of a
// convolution whose tile count exceeds `known_cycles` (every step takes a cycle) are left out.
std::array<std::vector<Cand>, 3> candidates(const ItemSpace& sp, const GemmOption& o, double known_cycles) {
  const LoweredOp& w = sp.item().work;
  std::array<std::vector<Cand>, 3> out;
  if (!o.conv) {
    const std::array<int64_t, 3> full{w.gemm.m, w.gemm.n, w.gemm.k};
    for (size_t d = 0; d < 3; ++d)
      for (int64_t t : o.sizes[d]) {
        Cand c;
        c.sub = std::vector<int64_t>{t};
        c.extent = static_cast<double>(t);
        c.tiles = std::ceil(static_cast<double>(full[d]) / static_cast<double>(t));
        c.spread = spread_of(full[d], t);
        if (d != 1) c.a_cap = c.a_fill = c.extent;
        if (w.a_tile_elements && d != 1) {  // im2col: the patch of each tile against the whole other dimension
          double sum = 0;
          for (int64_t p0 = 0; p0 < full[d]; p0 += t) {
            const int64_t e = std::min(t, full[d] - p0);
            sum += static_cast<double>(d == 0 ? w.a_tile_elements(p0, e, 0, full[2]) : w.a_tile_elements(0, full[0], p0, e));
          }
          c.a_sum = sum;
          if (d == 0) c.a_fill = c.extent * static_cast<double>(w.a_tile_elements(0, full[0], 0, full[2])) / static_cast<double>(full[0] * full[2]);
        } else if (d != 1) {
          c.a_sum = static_cast<double>(full[d]);
        }
        out[d].push_back(c);
      }
    return out;
  }
  const ConvDims& cd = *w.conv;
  // m: (N, P, Q) blocks. The patch part is images x rows x cols of one channel over the whole
  // kernel (R and S are not split in the search), separable in P and Q.
  for (int64_t bn : o.sizes[0])
    for (int64_t bp : o.sizes[3])
      for (int64_t bq : o.sizes[4]) {
        Cand c;
        c.sub = std::vector<int64_t>{bn, bp, bq};
        c.extent = static_cast<double>(bn * bp * bq);
        const auto sn = spread_of(cd.m[0], bn), sp_ = spread_of(cd.m[1], bp), sq = spread_of(cd.m[2], bq);
        c.tiles = 0;
        for (const auto& [en, cn] : sn)
          for (const auto& [ep, cp] : sp_)
            for (const auto& [eq, cq] : sq) {
              c.spread.emplace_back(en * ep * eq, cn * cp * cq);
              c.tiles += cn * cp * cq;
            }
        if (c.extent < static_cast<double>(cd.m[0] * cd.m[1] * cd.m[2]) && c.tiles * static_cast<double>(w.groups) > known_cycles) continue;
        double rows = 0, cols = 0;
        for (int64_t p0 = 0; p0 < cd.m[1]; p0 += bp) rows += static_cast<double>(cd.rows(p0, std::min(bp, cd.m[1] - p0), 0, cd.k[1]));
        for (int64_t q0 = 0; q0 < cd.m[2]; q0 += bq) cols += static_cast<double>(cd.cols(q0, std::min(bq, cd.m[2] - q0), 0, cd.k[2]));
        c.a_sum = static_cast<double>(cd.m[0]) * rows * cols;
        c.a_cap = static_cast<double>(bn * cd.rows(-1, bp, 0, cd.k[1]) * cd.cols(-1, bq, 0, cd.k[2]));
        c.a_fill = static_cast<double>(bn * cd.rows(0, bp, 0, cd.k[1]) * cd.cols(0, bq, 0, cd.k[2]));
        out[0].push_back(c);
      }
  for (int64_t bk : o.sizes[1]) {
    Cand c;
    c.sub = std::vector<int64_t>{bk};
    c.extent = static_cast<double>(bk);
    c.tiles = std::ceil(static_cast<double>(w.gemm.n) / static_cast<double>(bk));
    c.spread = spread_of(w.gemm.n, bk);
    out[1].push_back(c);
  }
  // k: (C, R, S) blocks with R and S whole; the patch part is the block's channels.
  const int64_t taps = cd.k[1] * cd.k[2];
  for (int64_t bc : o.sizes[2]) {
    Cand c;
    c.sub = std::vector<int64_t>{bc, cd.k[1], cd.k[2]};
    c.extent = static_cast<double>(bc * taps);
    c.tiles = std::ceil(static_cast<double>(cd.k[0]) / static_cast<double>(bc));
    for (const auto& [e, n] : spread_of(cd.k[0], bc)) c.spread.emplace_back(e * taps, n);
    c.a_sum = static_cast<double>(cd.k[0]);
    c.a_cap = c.a_fill = static_cast<double>(bc);
    out[2].push_back(c);
  }
  return out;
}

struct OptionResult {
  std::vector<GemmCandidate> found;
  bool optimal = false, timed_out = false, infeasible = false, crashed = false;
  bool pruned = false;  // its model cannot come within the cutoff
  int solves = 0;
  double model_latency = 0;
};

OptionResult solve_option(const ItemSpace& sp, size_t oi, Objective objective, double seconds, double known_cycles,
                          double cutoff_cycles, bool bound_only) {
  const auto t0 = std::chrono::steady_clock::now();
  // Sizes that cut a dimension into more tiles than a known mapping takes cycles cannot win
  // (every tile step takes a cycle): dropped, which keeps the model's numbers in range.
  GemmOption o = sp.options()[oi];
  const std::vector<int64_t> dims = sp.dims(o);
  for (size_t d = 0; d < dims.size(); ++d) {
    std::vector<int64_t> kept;
    for (int64_t t : o.sizes[d])
      if (t == dims[d] || static_cast<double>((dims[d] + t - 1) / t) * static_cast<double>(sp.item().work.groups) <= known_cycles)
        kept.push_back(t);
    o.sizes[d] = kept;
  }
  const Arch& arch = sp.arch();
  const LoweredOp& w = sp.item().work;
  const OperandHomes& homes = sp.homes();
  const std::array<int64_t, 3> full{w.gemm.m, w.gemm.n, w.gemm.k};
  const auto g = static_cast<double>(w.groups);
  const double a_bits = o.bits.a, b_bits = o.bits.b, psum = o.bits.psum, out_bits = o.bits.out;
  const double M = static_cast<double>(full[0]), N = static_cast<double>(full[1]), K = static_cast<double>(full[2]);
  // DRAM bits per cycle, from a long transfer (the evaluator's per-transfer law).
  const double bpc = 8e9 / static_cast<double>(std::max<uint64_t>(1, arch.cycles_from_ns(arch.dram->transfer_ns(8000000000ULL))));
  const ComputeLaw law = fit_compute(sp, o);
  const double ref = std::max(1.0, static_cast<double>(w.macs) /
                                       static_cast<double>(arch.engines[o.engine].model->capabilities().peak_ops_per_cycle));

  const std::array<std::vector<Cand>, 3> cand = candidates(sp, o, known_cycles);
  const bool conv = static_cast<bool>(w.a_tile_elements) || o.conv;  // a is an input patch, not a matrix
  Mip mip;
  std::array<std::vector<int>, 3> x;
  for (size_t d = 0; d < 3; ++d) {
    Terms one;
    for (size_t i = 0; i < cand[d].size(); ++i) {
      x[d].push_back(mip.add_binary());
      one.emplace_back(x[d].back(), 1.0);
    }
    mip.add_row(one, 1, 1);
  }
  auto tiles_of = [&](size_t d, size_t i) { return cand[d][i].tiles; };
  // Per-dimension sums over the tiles of a candidate (ragged edges included).
  auto over_tiles = [&](size_t d, size_t i, auto f) {
    double sum = 0;
    for (const auto& [extent, count] : cand[d][i].spread) sum += count * f(extent);
    return sum;
  };
  // Stationary tensor: 0 = a (n innermost), 1 = b (m innermost), 2 = out (k innermost).
  std::array<int, 3> s{};
  Terms one_s;
  for (auto& c : s) {
    c = mip.add_binary();
    one_s.emplace_back(c, 1.0);
  }
  mip.add_row(one_s, 1, 1);
  // w[t][i] = x[dim reloading t][i] and t not stationary (pushed down to that by the objective).
  const std::array<size_t, 3> reload_dim{1, 0, 2};
  std::array<std::vector<int>, 3> wv;
  for (size_t t = 0; t < 3; ++t)
    for (size_t i = 0; i < cand[reload_dim[t]].size(); ++i) {
      wv[t].push_back(mip.add_col(0, 1, 0, false));
      mip.add_row({{wv[t].back(), 1.0}, {x[reload_dim[t]][i], -1.0}, {s[t], 1.0}}, 0, kInf);
    }

  std::vector<ExpTerm> terms;
  auto exp_term = [&](double c, std::vector<Terms> groups) {
    ExpTerm e;
    e.y = mip.add_col(0, kInf, 0, false);
    e.c = c;
    e.groups = std::move(groups);
    e.arg = mip.add_col(e.lo(), e.hi(), 0, false);
    Terms def{{e.arg, 1.0}};
    for (const auto& gr : e.groups)
      for (const auto& [col, k] : gr) def.emplace_back(col, -k);
    mip.add_row(def, c, c);
    terms.push_back(e);
    return e.y;
  };
  auto log_group = [&](size_t d, auto f) {
    Terms gr;
    for (size_t i = 0; i < cand[d].size(); ++i) gr.emplace_back(x[d][i], std::log(f(i)));
    return gr;
  };
  auto size_of = [&](size_t d) { return [&, d](size_t i) { return cand[d][i].extent; }; };
  // The a operand of a convolution: traffic a_sum[m] x a_sum[k] / a_norm summed over the tiles,
  // capacity rho x a_cap[m] x a_cap[k], the first tile's a_fill[m] x a_fill[k].
  auto a_part = [&](size_t d, double Cand::*field) { return [&, d, field](size_t i) { return cand[d][i].*field; }; };

  // DRAM traffic, in units of `ref` cycles.
  const double to_cyc = 1.0 / bpc / ref;
  Terms dram;
  double dram_const = 0;
  const double a_norm = o.conv ? 1.0 : conv ? static_cast<double>(w.a_tile_elements(0, full[0], 0, full[2])) : M * K;
  if (homes.a_dram) {
    if (!conv) {
      dram_const += M * K * a_bits * g * to_cyc;
      for (size_t i = 0; i < wv[0].size(); ++i) dram.emplace_back(wv[0][i], M * K * a_bits * g * (tiles_of(1, i) - 1) * to_cyc);
    } else {
      // The input patches: separable in m and k, each summed exactly over its tiles.
      Terms reload;
      for (size_t i = 0; i < wv[0].size(); ++i) reload.emplace_back(wv[0][i], std::log(tiles_of(1, i)));
      const int y = exp_term(std::log(a_bits * g * to_cyc / a_norm),
                             {log_group(0, a_part(0, &Cand::a_sum)), log_group(2, a_part(2, &Cand::a_sum)), reload});
      dram.emplace_back(y, 1.0);
    }
  }
  if (homes.b_dram) {
    dram_const += K * N * b_bits * g * to_cyc;
    for (size_t i = 0; i < wv[1].size(); ++i) dram.emplace_back(wv[1][i], K * N * b_bits * g * (tiles_of(0, i) - 1) * to_cyc);
  }
  if (homes.out_dram) dram_const += M * N * out_bits * g * to_cyc;
  for (size_t i = 0; i < wv[2].size(); ++i) dram.emplace_back(wv[2][i], 2 * M * N * psum * g * (tiles_of(2, i) - 1) * to_cyc);

  // Compute: u * work over folds + o * folds, summed over every tile and group.
  Terms compute;
  {
    std::vector<Terms> gs;
    for (size_t d = 0; d < 3; ++d)
      gs.push_back(log_group(d, [&, d](size_t i) { return over_tiles(d, i, [&](int64_t t) { return fold_work(t, o.multiple[d]); }); }));
    compute.emplace_back(exp_term(std::log(law.u * g / ref), gs), 1.0);
  }
  if (law.o > 0) {
    std::vector<Terms> gs;
    for (size_t d = 0; d < 3; ++d)
      gs.push_back(log_group(d, [&, d](size_t i) { return over_tiles(d, i, [&](int64_t t) { return fold_count(t, o.multiple[d]); }); }));
    compute.emplace_back(exp_term(std::log(law.o * g / ref), gs), 1.0);
  }
  // Pipeline fill: the first tile's operands arrive before anything computes.
  Terms fill;
  if (homes.a_dram)
    fill.emplace_back(exp_term(std::log(a_bits * to_cyc), {log_group(0, a_part(0, &Cand::a_fill)), log_group(2, a_part(2, &Cand::a_fill))}), 1.0);
  if (homes.b_dram) fill.emplace_back(exp_term(std::log(b_bits * to_cyc), {log_group(2, size_of(2)), log_group(1, size_of(1))}), 1.0);

  // Transfers: one load per step (some operand changes every step), one store per output
  // tile visit; each holds a DMA channel for setup + data + DRAM latency.
  const double per_transfer = static_cast<double>(arch.dma->setup_cycles() + arch.cycles_from_ns(arch.dram->latency_ns())) / ref;
  const double channels = std::max(1, arch.dma->channels());
  auto log_tiles = [&](size_t d) { return log_group(d, [&, d](size_t i) { return tiles_of(d, i); }); };
  const int steps = exp_term(std::log(g), {log_tiles(0), log_tiles(1), log_tiles(2)});
  Terms visits_k;
  for (size_t i = 0; i < wv[2].size(); ++i) visits_k.emplace_back(wv[2][i], std::log(tiles_of(2, i)));
  const int stores = exp_term(std::log(g), {log_tiles(0), log_tiles(1), visits_k});

  // Steps that reload partial sums (k split and `out` not stationary) serialize: their load
  // waits for the previous step's store, which waits for its compute (the evaluator's and the
  // kernel's rule: a reloaded psum must have left first). So besides the roofline, latency is
  // at least all compute plus every load of those steps: the psum reloads, and the a and b loads
  // that fall on them, (T_k - 1) / T_k of each (a and b tiles are loaded alike in every k tile),
  // each with a DMA setup + DRAM latency. Factors that vanish (T_k = 1, or out stationary) are
  // exp(-30): the term is zero for the model.
  constexpr double kOff = -30;
  auto k_share = [&](auto f) {  // x_k weighted by log(f(i) * (T_k - 1) / T_k), or kOff when T_k = 1
    Terms gr;
    for (size_t i = 0; i < cand[2].size(); ++i) {
      const double tk = tiles_of(2, i);
      gr.emplace_back(x[2][i], tk > 1 ? std::log(f(i) * (tk - 1) / tk) : kOff);
    }
    return gr;
  };
  const Terms out_stationary{{s[2], kOff}};
  auto reload_group = [&](size_t t, size_t d) {  // log(tiles of d) when tensor t is reloaded per d
    Terms gr;
    for (size_t i = 0; i < wv[t].size(); ++i) gr.emplace_back(wv[t][i], std::log(tiles_of(d, i)));
    return gr;
  };
  Terms serial;  // loads on psum-reloading steps
  for (size_t i = 0; i < wv[2].size(); ++i) serial.emplace_back(wv[2][i], M * N * psum * g * (tiles_of(2, i) - 1) * to_cyc);
  if (homes.a_dram) {
    if (!conv) {
      serial.emplace_back(exp_term(std::log(M * K * a_bits * g * to_cyc), {reload_group(0, 1), k_share([](size_t) { return 1.0; }), out_stationary}), 1.0);
    } else {
      serial.emplace_back(exp_term(std::log(a_bits * g * to_cyc / a_norm), {log_group(0, a_part(0, &Cand::a_sum)),
                                                                         k_share(a_part(2, &Cand::a_sum)), reload_group(0, 1), out_stationary}),
                          1.0);
    }
  }
  if (homes.b_dram)
    serial.emplace_back(exp_term(std::log(K * N * b_bits * g * to_cyc), {reload_group(1, 0), k_share([](size_t) { return 1.0; }), out_stationary}), 1.0);
  // ... and one transfer's setup and latency per such step.
  serial.emplace_back(exp_term(std::log(g * per_transfer), {log_tiles(0), log_tiles(1), k_share([&](size_t i) { return tiles_of(2, i); }), out_stationary}), 1.0);

  // With two buffers per operand a step's load overlaps only the step before it, so a step
  // that loads more than one step computes waits. Under stationarity t the innermost loop runs
  // over d = reload_dim[t]; the first step of each of its runs ("boundary") also loads t's tile.
  // So latency >= (all boundary loads) + (compute of the other steps): t's whole traffic, the
  // other tensors' traffic / T_d, and compute (T_d - 1) / T_d. Each term is gated by s_t (a
  // factor exp(kOff) unless s_t = 1).
  Terms boundary;
  {
    auto per_d = [&](size_t d, auto f) {  // x_d weighted by log f(i); kOff where f(i) = 0
      Terms gr;
      for (size_t i = 0; i < cand[d].size(); ++i) gr.emplace_back(x[d][i], f(i) > 0 ? std::log(f(i)) : kOff);
      return gr;
    };
    auto inv_tiles = [&](size_t d) { return per_d(d, [&, d](size_t i) { return 1.0 / tiles_of(d, i); }); };
    auto gated = [&](size_t t, double c, std::vector<Terms> groups) {
      groups.push_back({{s[t], -kOff}});
      boundary.emplace_back(exp_term(c + kOff, std::move(groups)), 1.0);
    };
    auto tiles_d = [&](size_t d) { return per_d(d, [&, d](size_t i) { return tiles_of(d, i); }); };
    auto a_traffic = [&](size_t t, std::vector<Terms> extra) {  // a's loads, reloaded per n tile unless t = a
      if (!homes.a_dram) return;
      if (t != 0) extra.push_back(tiles_d(1));
      if (!conv) {
        gated(t, std::log(M * K * a_bits * g * to_cyc), std::move(extra));
      } else {
        extra.push_back(per_d(0, a_part(0, &Cand::a_sum)));
        // The patch sum over k tiles, as a factor on x_k: merged into an x_k group if present.
        Terms ak = per_d(2, a_part(2, &Cand::a_sum));
        for (auto& gr : extra)
          if (!gr.empty() && gr.front().first == x[2].front()) {
            for (size_t i = 0; i < gr.size(); ++i) gr[i].second += ak[i].second;
            ak.clear();
          }
        if (!ak.empty()) extra.push_back(ak);
        gated(t, std::log(a_bits * g * to_cyc / a_norm), std::move(extra));
      }
    };
    auto b_traffic = [&](size_t t, std::vector<Terms> extra) {  // b's loads, reloaded per m tile unless t = b
      if (!homes.b_dram) return;
      if (t != 1) extra.push_back(tiles_d(0));
      gated(t, std::log(K * N * b_bits * g * to_cyc), std::move(extra));
    };
    auto psum_loads = [&](size_t t, std::vector<Terms> extra) {  // t != out: (T_k - 1) reloads per output tile
      extra.push_back(per_d(2, [&](size_t i) { return tiles_of(2, i) - 1; }));
      gated(t, std::log(M * N * psum * g * to_cyc), std::move(extra));
    };
    auto compute_share = [&](size_t t, size_t d) {  // compute x (T_d - 1) / T_d
      for (int part = 0; part < (law.o > 0 ? 2 : 1); ++part) {
        std::vector<Terms> gs;
        for (size_t e = 0; e < 3; ++e)
          gs.push_back(log_group(e, [&, e](size_t i) {
            return over_tiles(e, i, [&](int64_t tt) { return part == 0 ? fold_work(tt, o.multiple[e]) : fold_count(tt, o.multiple[e]); });
          }));
        for (size_t i = 0; i < cand[d].size(); ++i) {
          const double td = tiles_of(d, i);
          gs[d][i].second += td > 1 ? std::log((td - 1) / td) : kOff;
        }
        gated(t, std::log((part == 0 ? law.u : law.o) * g / ref), std::move(gs));
      }
    };
    // t = a (n innermost): a whole; b, psum / T_n.
    a_traffic(0, {});
    b_traffic(0, {inv_tiles(1)});
    psum_loads(0, {inv_tiles(1)});
    compute_share(0, 1);
    // t = b (m innermost): b whole; a, psum / T_m.
    b_traffic(1, {});
    a_traffic(1, {inv_tiles(0)});
    psum_loads(1, {inv_tiles(0)});
    compute_share(1, 0);
    // t = out (k innermost): no psum reloads; a, b / T_k.
    a_traffic(2, {inv_tiles(2)});
    b_traffic(2, {inv_tiles(2)});
    compute_share(2, 2);
  }

  const int L = mip.add_col(0, kInf, 0, false);
  // Rows with exp terms, kept to check the solution against the true exp values.
  struct ModelRow {
    Terms terms;
    double lo, hi;
  };
  std::vector<ModelRow> model_rows;
  auto model_row = [&](Terms r, double lo, double hi) {
    mip.add_row(r, lo, hi);
    model_rows.push_back({std::move(r), lo, hi});
  };
  {
    // Roofline with the pipeline's fill: compute, and DRAM data transfer.
    Terms r{{L, 1.0}};
    for (const auto& [c, v] : compute) r.emplace_back(c, -v);
    for (const auto& [c, v] : fill) r.emplace_back(c, -v);
    model_row(r, per_transfer, kInf);
    Terms d{{L, 1.0}};
    for (const auto& [c, v] : dram) d.emplace_back(c, -v);
    model_row(d, dram_const, kInf);
    // DMA channels: every transfer holds one for setup + data + latency.
    Terms ch{{L, 1.0}, {steps, -per_transfer / channels}, {stores, -per_transfer / channels}};
    for (const auto& [c, v] : dram) ch.emplace_back(c, -v / channels);
    model_row(ch, dram_const / channels, kInf);
    // Two buffers per operand: a step's load starts when the step two before has computed,
    // so each two steps take at least one transfer and one compute.
    Terms db{{L, 1.0}, {steps, -per_transfer / 2}};
    for (const auto& [c, v] : dram) db.emplace_back(c, -v / 2);
    for (const auto& [c, v] : compute) db.emplace_back(c, -v / 2);
    for (const auto& [c, v] : fill) db.emplace_back(c, -v);  // plus the first load and the last store
    model_row(db, dram_const / 2 + 2 * per_transfer, kInf);
    Terms sr{{L, 1.0}};
    for (const auto* part : {&compute, &fill, &serial})
      for (const auto& [c, v] : *part) sr.emplace_back(c, -v);
    model_row(sr, per_transfer, kInf);
    Terms br{{L, 1.0}};
    for (const auto* part : {&fill, &boundary})
      for (const auto& [c, v] : *part) br.emplace_back(c, -v);
    model_row(br, per_transfer, kInf);
  }
  // Capacity per scratchpad, relative to its staging budget. A convolution's patch is relaxed
  // to its smallest ratio to the im2col tile and made exact by cover cuts below.
  double rho = 1;
  if (conv && !o.conv) {
    for (size_t i = 0; i < cand[0].size(); ++i)
      for (size_t j = 0; j < cand[2].size(); ++j) {
        const double im2col = cand[0][i].extent * cand[2][j].extent;
        rho = std::min(rho, static_cast<double>(w.a_tile_elements(-1, static_cast<int64_t>(cand[0][i].extent), 0,
                                                                   static_cast<int64_t>(cand[2][j].extent))) /
                                im2col);
      }
  }
  std::vector<int> capacity_terms;  // their y columns
  for (size_t si = 0; si < arch.scratchpads.size(); ++si) {
    const auto& spm = arch.scratchpads[si];
    const double budget = static_cast<double>(sp.budget()[si]);
    Terms cap;
    if (homes.a_dram && spm.holds_operand(Operand::A))
      cap.emplace_back(exp_term(std::log(2 * a_bits * rho / std::max(1.0, budget)),
                                {log_group(0, a_part(0, &Cand::a_cap)), log_group(2, a_part(2, &Cand::a_cap))}),
                       1.0);
    if (homes.b_dram && spm.holds_operand(Operand::B))
      cap.emplace_back(exp_term(std::log(2 * b_bits / std::max(1.0, budget)), {log_group(2, size_of(2)), log_group(1, size_of(1))}), 1.0);
    if (spm.holds_operand(Operand::Out))
      cap.emplace_back(exp_term(std::log(2 * psum / std::max(1.0, budget)), {log_group(0, size_of(0)), log_group(1, size_of(1))}), 1.0);
    if (!cap.empty()) model_row(cap, -kInf, budget > 0 ? 1.0 : 0.0);
    for (const auto& [y, _] : cap) capacity_terms.push_back(y);
  }

  // Initial tangents: up to exp(arg) = 1000 (1000x the ideal compute time, or 1000x a
  // scratchpad: nothing near the optimum lies beyond) every 2 in log space over each term's range (denser grids made CBC's
  // models bigger for fewer rounds and cost more: 0.25 was 3x slower on edge_small ResNet-50).
  // Capacity terms also get one every 0.5 from 8% of the budget to 110%, where tiles that
  // barely fit or barely do not lie: with the coarse grid alone, a third of the rounds went to
  // tiles the tangents let through and the staging refused (LLaMA-7B ffn.gate on edge_small).
  for (const auto& t : terms) {
    const double lo = t.lo(), hi = std::max(lo, std::min(t.hi(), std::log(1000.0)));
    const int n = std::min(16, static_cast<int>(std::ceil((hi - lo) / 2.0)) + 1);
    for (int k = 0; k < n; ++k) t.tangent(mip, n == 1 ? lo : lo + (hi - lo) * k / (n - 1));
    if (std::find(capacity_terms.begin(), capacity_terms.end(), t.y) != capacity_terms.end())
      for (double a = std::max(lo, -2.5); a <= std::min(t.hi(), 0.1); a += 0.5) t.tangent(mip, a);
  }
  OptionResult out;
  const double obj_weight_l = objective == Objective::energy ? 1e-3 : 1.0;
  // The objective lives on columns: latency on L, traffic on the dram terms.
  std::vector<double> start;  // the previous round's solution: CBC's first incumbent
  auto with_objective = [&] {
    Mip m = mip;
    m.set_objective(L, obj_weight_l);
    if (objective == Objective::energy)
      for (const auto& [c, v] : dram) m.set_objective(c, m.objective(c) + v);
    // Ties in L (a bound that binds for many tiles) go to less fill, compute and traffic.
    for (const auto* part : {&fill, &compute, &dram})
      for (const auto& [c, v] : *part) m.set_objective(c, m.objective(c) + 1e-3 * v);
    // Latency: the objective is L plus tie-breaks of at most 0.3% of L, so a node whose bound
    // exceeds 1.003 x the cutoff cannot reach a latency within it.
    return m;
  };
  std::vector<double> objective_of;
  {
    const Mip m = with_objective();
    for (size_t ci = 0; ci < m.cols(); ++ci) objective_of.push_back(m.objective(static_cast<int>(ci)));
  }
  constexpr double kGap = 1e-3;
  const double cutoff = objective == Objective::latency && std::isfinite(cutoff_cycles) ? 1.003 * cutoff_cycles / ref : kInf;
  auto solve_with_objective = [&](double remaining) { return with_objective().solve(remaining, start, cutoff); };
  if (bound_only) {  // the LP relaxation's optimum: a lower bound on every solution's objective
    const Mip::Result lp = with_objective().solve_relaxation();
    out.solves = 1;
    out.infeasible = lp.infeasible;
    out.model_latency = lp.found ? lp.objective * ref : 0;
    return out;
  }
  for (;;) {
    const double used = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (used >= seconds && out.solves > 0) {
      out.timed_out = true;
      break;
    }
    const Mip::Result res = solve_with_objective(std::max(0.01, seconds - used));
    ++out.solves;
    if (!res.found && res.infeasible && std::isfinite(cutoff_cycles) && objective == Objective::latency) {
      out.pruned = out.optimal = true;  // no solution within the cutoff: proven, nothing to offer
      break;
    }
    if (!res.found) {
      out.infeasible = res.infeasible;
      // No solution and no proof of infeasibility: the time ran out, or CBC gave up.
      const double after = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (!res.infeasible) (after >= seconds * 0.95 && !res.broken ? out.timed_out : out.crashed) = true;
      break;
    }
    GemmCandidate c;
    c.option = oi;
    std::array<size_t, 3> pick{};
    for (size_t d = 0; d < 3; ++d) {
      size_t best = 0;
      for (size_t i = 0; i < x[d].size(); ++i)
        if (res.x[static_cast<size_t>(x[d][i])] > res.x[static_cast<size_t>(x[d][best])]) best = i;
      pick[d] = best;
    }
    const auto &cm = cand[0][pick[0]].sub, &cn = cand[1][pick[1]].sub, &ck = cand[2][pick[2]].sub;
    c.tile = o.conv ? std::vector<int64_t>{cm[0], cn[0], ck[0], cm[1], cm[2], ck[1], ck[2]} : std::vector<int64_t>{cm[0], cn[0], ck[0]};
    size_t st = 0;
    for (size_t t = 1; t < 3; ++t)
      if (res.x[static_cast<size_t>(s[t])] > res.x[static_cast<size_t>(s[st])]) st = t;
    c.loop_order = st == 0 ? "mkn" : st == 1 ? "nkm" : "mnk";
    // The solution is the model's optimum when every row holds with the terms' true values
    // (the MIP is a relaxation of the model). Terms of a row that does not get a tangent at the
    // solution; terms of rows that hold may stay below their value (they cannot bind).
    // Binaries are snapped to 0/1 first: CBC leaves them within its integrality tolerance,
    // which exp() of a log-sized coefficient turns into visible error.
    std::vector<double> snapped = res.x;
    for (size_t ci = 0; ci < snapped.size(); ++ci)
      if (mip.is_integer(static_cast<int>(ci))) snapped[ci] = std::round(snapped[ci]);
    std::vector<double> truth = res.x;
    for (const auto& t : terms) truth[static_cast<size_t>(t.y)] = std::max(res.x[static_cast<size_t>(t.y)], std::exp(t.eval(snapped)));
    // Under the true values L is what its rows need; the solution's true objective is an upper
    // bound on the model's optimum, the MIP's objective a lower bound (tangents are below exp).
    double l_true = 0;
    for (const auto& row : model_rows)
      if (row.terms.front().first == L) {
        double need = row.lo;
        for (const auto& [c, v] : row.terms)
          if (c != L) need -= v * truth[static_cast<size_t>(c)];
        l_true = std::max(l_true, need);
      }
    double true_objective = 0;
    for (size_t ci = 0; ci < objective_of.size(); ++ci)
      true_objective += objective_of[ci] * (static_cast<int>(ci) == L ? std::max(truth[ci], l_true) : truth[ci]);
    std::vector<bool> cut(terms.size(), false);
    for (const auto& row : model_rows) {
      double lhs = 0, scale = 1;
      for (const auto& [c, v] : row.terms) {
        lhs += v * truth[static_cast<size_t>(c)];
        scale += std::abs(v * truth[static_cast<size_t>(c)]);
      }
      // A row holds within 1e-4 of its magnitude: CBC's solutions can miss a tangent row by
      // ~1e-5 relative (its tolerances apply to scaled rows), so a tighter test would add the
      // same tangent again, round after round.
      if (lhs >= row.lo - 1e-4 * scale && lhs <= row.hi + 1e-4 * scale) continue;
      for (const auto& [c, v] : row.terms)
        for (size_t ti = 0; ti < terms.size(); ++ti)
          if (terms[ti].y == c) cut[ti] = true;
    }
    const bool fits = sp.fits(o, c.tile);
    if (!fits) {  // exclude this tile and every one at least as large in every dimension
      Terms cover;
      for (size_t d = 0; d < 3; ++d)
        for (size_t i = 0; i < x[d].size(); ++i)
          if (cand[d][i].covers(cand[d][pick[d]])) cover.emplace_back(x[d][i], 1.0);
      mip.add_row(cover, -kInf, 2);
    } else {
      out.found.push_back(c);
      start = res.x;  // still feasible after the new tangents (CBC completes the rest)
    }
    // Done when this solution fits (the capacity rows approximate the staging; `fits` is
    // exact) and is within kGap of the MIP's bound: proven within kGap of the model's optimum
    // (when CBC proved its own). Stopping at the best of the rounds' solutions instead saves
    // rounds but loses candidates the evaluator ranks first (the model differs from it): up to
    // +13% on edge_small ResNet-50's layer3 3x3 convolutions.
    if (fits && true_objective <= res.objective + kGap * std::abs(true_objective)) {
      out.optimal = res.proven_optimal;
      out.timed_out = out.timed_out || res.timed_out;
      out.model_latency = std::max(res.x[static_cast<size_t>(L)], l_true) * ref;
      break;
    }
    for (size_t ti = 0; ti < terms.size(); ++ti) {
      const double a = terms[ti].eval(snapped);
      if (cut[ti] && std::exp(a) > res.x[static_cast<size_t>(terms[ti].y)] + 1e-6 * (1 + std::exp(a))) terms[ti].tangent(mip, a);
    }
    if (out.solves >= 40) break;
  }
  std::reverse(out.found.begin(), out.found.end());  // the last (proven) solution first
  return out;
}

// OptionResult <-> doubles, for its trip back from the solver's process.
std::vector<double> encode(const OptionResult& r) {
  std::vector<double> v{static_cast<double>(r.optimal), static_cast<double>(r.timed_out),
                        static_cast<double>(r.infeasible) + 2.0 * static_cast<double>(r.crashed) + 4.0 * static_cast<double>(r.pruned),
                        static_cast<double>(r.solves),
                        r.model_latency};
  for (const auto& c : r.found) {
    v.push_back(static_cast<double>(c.option));
    v.push_back(static_cast<double>(c.tile.size()));
    for (int64_t t : c.tile) v.push_back(static_cast<double>(t));
    v.push_back(c.loop_order == "mkn" ? 0 : c.loop_order == "nkm" ? 1 : 2);
  }
  return v;
}

OptionResult decode(const std::vector<double>& v) {
  OptionResult r;
  if (v.size() < 5) return r;
  r.optimal = v[0] != 0;
  r.timed_out = v[1] != 0;
  const int flags = static_cast<int>(v[2]);
  r.infeasible = flags & 1;
  r.crashed = flags & 2;
  r.pruned = flags & 4;
  r.solves = static_cast<int>(v[3]);
  r.model_latency = v[4];
  for (size_t i = 5; i + 2 <= v.size();) {
    GemmCandidate c;
    c.option = static_cast<size_t>(v[i]);
    const auto n = static_cast<size_t>(v[i + 1]);
    if (i + 3 + n > v.size()) break;
    c.tile.assign(n, 0);
    for (size_t d = 0; d < n; ++d) c.tile[d] = static_cast<int64_t>(v[i + 2 + d]);
    c.loop_order = v[i + 2 + n] == 0 ? "mkn" : v[i + 2 + n] == 1 ? "nkm" : "mnk";
    r.found.push_back(c);
    i += 3 + n;
  }
  return r;
}

}  // namespace

IlpOutcome ilp_map_item(const ItemSpace& space, Objective objective, double seconds, double known_cycles) {
  IlpOutcome r;
  const auto t0 = std::chrono::steady_clock::now();
  const size_t n = space.options().size();
  double best_model = kInf, best_cycles = known_cycles;
  Evaluator ev(space.arch(), EvalOptions{false});
  // Options whose engine cannot beat the known mapping even at its peak rate are not solved;
  // the others go fastest engine first, so that the first solutions set a tight cutoff.
  std::vector<std::pair<double, size_t>> order;
  for (size_t oi = 0; oi < n; ++oi) {
    const double peak = static_cast<double>(space.arch().engines[space.options()[oi].engine].model->capabilities().peak_ops_per_cycle);
    const double ideal = static_cast<double>(space.item().work.macs) / std::max(1.0, peak);
    if (ideal < known_cycles) order.emplace_back(ideal, oi);
  }
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  // Each option's LP-relaxation bound (in one child process): options go in bound order, so
  // that the first solutions set a tight cutoff, and one whose bound cannot come within the
  // cutoff is not solved (the MIP's cutoff would prove it infeasible at its root).
  const Objective model_objective = objective == Objective::energy ? Objective::energy : Objective::latency;
  std::vector<double> bound(n, 0.0);
  {
    const auto sent = run_isolated([&] {
      std::vector<double> v;
      for (const auto& [_, oi] : order) v.push_back(solve_option(space, oi, model_objective, seconds, known_cycles, kInf, true).model_latency);
      return v;
    });
    if (sent && sent->size() == order.size())
      for (size_t j = 0; j < order.size(); ++j) bound[order[j].second] = (*sent)[j];
    r.solves += static_cast<int>(order.size());
  }
  std::stable_sort(order.begin(), order.end(), [&](const auto& a, const auto& b) { return bound[a.second] < bound[b.second]; });
  std::vector<size_t> todo;
  for (const auto& [_, oi] : order) todo.push_back(oi);
  for (size_t j = 0; j < todo.size(); ++j) {
    const size_t oi = todo[j];
    const double used = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double share = std::max(0.02, (seconds - used) / static_cast<double>(todo.size() - j));
    // EDP: the latency solution; the evaluator weighs energy among the candidates.
    // In a child process: a CBC crash costs this option, not the run (sim/mapper/mip.h).
    // Cutoff: an option whose model latency cannot come within kCutoffMargin of the best mapping
    // so far (the evaluator's cycles of the known mapping or of an earlier option's solutions)
    // is not searched further. The margin covers the model's over-estimates; models of
    // different options are not compared (their errors differ: up to 4x on a small is array).
    constexpr double kCutoffMargin = 1.25;
    const double cutoff = kCutoffMargin * best_cycles;
    if (objective == Objective::latency && bound[oi] >= 1.003 * cutoff) continue;  // proven: nothing within the cutoff
    const auto sent = run_isolated([&] {
      return encode(solve_option(space, oi, model_objective, share, known_cycles, cutoff, false));
    });
    OptionResult o;
    if (sent) o = decode(*sent);
    else o.crashed = true;
    r.solves += o.solves;
    r.proven_optimal = r.proven_optimal && o.optimal;
    r.timed_out = r.timed_out || o.timed_out;
    r.solver_failed = r.solver_failed || o.crashed;
    r.candidates.insert(r.candidates.end(), o.found.begin(), o.found.end());
    // The cutoff follows the option's proven (first) solution alone: scoring every round's
    // solution here cost a quarter of the MIP time on large layers (the search scores them all
    // afterwards anyway).
    if (objective == Objective::latency && !o.found.empty())
      best_cycles = std::min(best_cycles, static_cast<double>(space.score(ev, space.plan(o.found.front())).cycles));
    if (!o.found.empty() && o.model_latency < best_model) {
      best_model = o.model_latency;
      r.model_cycles = o.model_latency;
    }
  }
  // Options were solved in bound order; candidates go back to option order, so that the
  // evaluator's ties go to the lower option (im2col before blocks, the engine's dataflows in
  // order) whatever the bounds were. (Ties in the evaluator's cycles can differ in a network:
  // edge_small MobileNetV2's features.12.project, 49,398 cycles alone either way, ran 61,132 or
  // 91,972 cycles in the network.)
  std::stable_sort(r.candidates.begin(), r.candidates.end(), [](const GemmCandidate& a, const GemmCandidate& b) { return a.option < b.option; });
  return r;
}

}  // namespace tessera
