// Term-serial engine: an R x C grid of serial inner-product units (SIPs), output stationary,
// whose lanes take one non-zero term (a signed power of two) of their activation per cycle
// (`serial: activations`) or one pair of activation and weight terms (`serial: both`). A group
// of `lanes` k elements lasts as long as its slowest lane: cycles depend on the data.
// docs/engines/termserial.md is the contract, shared with rtl/src/termserial. Views of it here:
//   cost(req, stats)  given the data: the closed form, exact; given histograms only: the
//                     expected cost for independent values (rounded); cost(req) the same over
//                     the request's declared distributions, else values uniform over each format;
//   simulate_pe()     per cycle: encoded registers, pickers, lanes, tree, accumulators, read-out,
//                     each action counted when it happens;
//   compute()         the functional result only.
#include "models/engine/termserial.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <stdexcept>
#include <tuple>
#include <utility>
#include <vector>

#include "models/common/dtype.h"
#include "models/common/int_math.h"
#include "models/engine/i_engine.h"
#include "models/numerics/format.h"

namespace tessera {

namespace {

using u64 = uint64_t;

int popcount(u64 v) { return __builtin_popcountll(v); }

}  // namespace

TermserialSpec TermserialSpec::from_params(const ParamValues& p) {
  TermserialSpec s;
  s.rows = p.i("rows");
  s.cols = p.i("cols");
  s.lanes = p.i("lanes");
  s.both_serial = p.s("serial") == "both";
  s.booth = p.s("encoding") == "booth";
  s.max_bits = static_cast<int>(p.i("max_bits"));
  s.acc_bits = static_cast<int>(p.i("acc_bits"));
  return s;
}

TermserialSpec::Terms TermserialSpec::encode(int64_t v) const {
  const u64 field = (u64{1} << max_bits) - 1;
  if (!booth) {
    const u64 mag = (v < 0 ? u64{0} - static_cast<u64>(v) : static_cast<u64>(v)) & field;
    return {mag, v < 0 ? mag : 0};
  }
  // Non-adjacent form: y = 3v; digit e is non-zero where bit e+1 of (y XOR v) is set, negative
  // where bit e+1 of v is too (positive where bit e+1 of y is). Modulo 2^64 keeps bits 1..MB exact.
  const u64 x = static_cast<u64>(v), y = 3 * x;
  const u64 nz = ((y ^ x) >> 1) & field;
  return {nz, nz & (x >> 1)};
}

int TermserialSpec::terms(int64_t v) const { return popcount(encode(v).mask); }

int TermserialSpec::tree_bits() const { return product_bits() + clog2(static_cast<u64>(lanes)); }

std::vector<std::pair<int, int>> TermserialSpec::tree_adders() const {
  std::vector<std::pair<int, int>> v;
  for (int64_t n = lanes, level = 1; n > 1; n = (n + 1) / 2, ++level)
    v.emplace_back(product_bits() + static_cast<int>(level), static_cast<int>(n / 2));
  return v;
}

namespace {

constexpr const char* kArray = "sip_array";
constexpr const char* kOperands = "operand_regs";
constexpr const char* kTerms = "term_logic";
constexpr const char* kReadout = "readout";
constexpr const char* kController = "controller";
constexpr int kGroupBits = 16;  // the controller's group counter (rtl G_BITS: G < 65536)

struct TileGeom {
  u64 m, n, k, R, C, L, G, Fr, Fc, last_kv;
  u64 rows_of(u64 fr) const { return std::min(R, m - fr * R); }
  u64 cols_of(u64 fc) const { return std::min(C, n - fc * C); }
  u64 lanes_of(u64 g) const { return g + 1 == G ? last_kv : L; }
};

TileGeom geom(const TermserialSpec& s, const GemmShape& sh) {
  TileGeom t{};
  t.m = static_cast<u64>(sh.m);
  t.n = static_cast<u64>(sh.n);
  t.k = static_cast<u64>(sh.k);
  t.R = static_cast<u64>(s.rows);
  t.C = static_cast<u64>(s.cols);
  t.L = static_cast<u64>(s.lanes);
  t.G = ceil_div(t.k, t.L);
  t.Fr = ceil_div(t.m, t.R);
  t.Fc = ceil_div(t.n, t.C);
  t.last_kv = t.k - (t.G - 1) * t.L;
  return t;
}

using Counts = TermserialCounts;

}  // namespace

// Lane: a one-hot MB:1 select per product bit's MB candidates (about MB^2 AND-OR crosspoints, what
// yosys builds: docs/area.md), then a conditional negation (a running OR per bit and an XOR: `and2`
// + `mux` per product bit, no carry chain). Plain encoder: |v| as (v XOR s) + s, an incrementer's
// AND chain; Booth: a real adder for 3v. Picker: the decrement's borrow chain and the isolating and
// clearing ANDs (Booth: the sign select's too).
ActionCounts termserial_actions(const TermserialSpec& s, const TermserialCounts& c) {
  auto n = [](double x) { return static_cast<uint64_t>(std::llround(x)); };
  const int MB = s.max_bits, PB = s.product_bits(), acc = s.acc_bits;
  ActionCounts a;
  const uint64_t prod = n(c.products), sipc = n(c.sip_cycles);
  a.add(kArray, s.shifter_primitive(), MB, prod);
  a.add(kArray, "and2", PB, prod);
  a.add(kArray, "mux", PB, prod);
  for (const auto& [bits, adders] : s.tree_adders())
    a.add(kArray, "int_add", bits, sipc * static_cast<uint64_t>(adders));
  a.add(kArray, "int_add", acc, sipc);
  a.add(kArray, "reg_write", acc, sipc);
  const uint64_t lda = n(c.a_loads), ldb = n(c.b_loads);
  a.add(kOperands, "reg_write", s.enc_bits(), lda);
  a.add(kOperands, "reg_write", MB, n(c.a_drops) + n(c.b_drops) + (s.both_serial ? 0 : ldb));
  if (s.both_serial) a.add(kOperands, "reg_write", s.enc_bits() + MB, ldb);
  const uint64_t encodes = lda + (s.both_serial ? ldb : 0), picks = n(c.a_picks) + n(c.b_picks);
  if (s.booth) a.add(kTerms, "int_add", MB + 1, encodes);
  a.add(kTerms, "mux", MB, encodes);
  a.add(kTerms, "and2", MB, encodes);
  a.add(kTerms, "and2", s.picker_gates(), picks);
  a.add(kReadout, "reg_write", acc, n(c.results));
  a.add(kReadout, "mux", acc, n(c.readouts));
  return a;
}

namespace {

// Counts -> TileCost: the actions, traffic and macs.
TileCost price(const TermserialSpec& s, const TileRequest& req, const Counts& c) {
  auto n = [](double x) { return static_cast<u64>(std::llround(x)); };
  const TileGeom g = geom(s, req.gemm);
  TileCost t;
  t.cycles = {n(c.hold), n(c.steady), n(c.drain)};
  t.macs = g.m * g.n * g.k;
  t.actions = termserial_actions(s, c);
  const u64 sum_r = g.Fc * g.m, sum_c = g.Fr * g.n;
  t.traffic.a_read_bits = sum_r * g.k * static_cast<u64>(dtype_bits(req.a_type));
  t.traffic.b_read_bits = sum_c * g.k * static_cast<u64>(dtype_bits(req.b_type));
  t.traffic.out_write_bits = g.m * g.n * static_cast<u64>(s.acc_bits);
  return t;
}

// The parts of the counts that do not depend on the data: loads, read-out.
void shape_counts(const TileGeom& g, Counts& c) {
  c.a_loads = static_cast<double>(g.Fc * g.m * g.k);
  c.b_loads = static_cast<double>(g.Fr * g.n * g.k);
  c.drain = static_cast<double>(g.rows_of(g.Fr - 1));
  c.results = c.readouts = static_cast<double>(g.m * g.n);
}

// ---- exact, given the data
// ----------------------------------------------------------------

}  // namespace

TermserialCounts termserial_counts(const TermserialSpec& s, const GemmShape& shape, const IntMatrix& a,
                                   const IntMatrix& b) {
  const TileGeom g = geom(s, shape);
  Counts c;
  shape_counts(g, c);
  // Term counts; A[fr][grp] and B[fc][grp] the largest over a fold's live lanes, NB[fc][grp] the
  // sum of a column fold's weight terms in a group.
  std::vector<int> na(g.m * g.k), nb(g.k * g.n);
  for (u64 i = 0; i < g.m; ++i)
    for (u64 q = 0; q < g.k; ++q) na[i * g.k + q] = s.terms(a.at(static_cast<int64_t>(i), static_cast<int64_t>(q)));
  for (u64 q = 0; q < g.k; ++q)
    for (u64 j = 0; j < g.n; ++j) nb[q * g.n + j] = s.terms(b.at(static_cast<int64_t>(q), static_cast<int64_t>(j)));
  std::vector<u64> A(g.Fr * g.G, 0), B(g.Fc * g.G, 0), NB(g.Fc * g.G, 0);
  double sum_na = 0;
  for (u64 i = 0; i < g.m; ++i)
    for (u64 q = 0; q < g.k; ++q) {
      u64& x = A[(i / g.R) * g.G + q / g.L];
      x = std::max<u64>(x, static_cast<u64>(na[i * g.k + q]));
      sum_na += na[i * g.k + q];
    }
  for (u64 q = 0; q < g.k; ++q)
    for (u64 j = 0; j < g.n; ++j) {
      const u64 v = static_cast<u64>(nb[q * g.n + j]), at = (j / g.C) * g.G + q / g.L;
      B[at] = std::max(B[at], v);
      NB[at] += v;
    }
  if (s.both_serial) {
    for (u64 q = 0; q < g.k; ++q) {
      double col_a = 0, row_b = 0;
      for (u64 i = 0; i < g.m; ++i) col_a += na[i * g.k + q];
      for (u64 j = 0; j < g.n; ++j) row_b += nb[q * g.n + j];
      c.products += col_a * row_b;
    }
  } else {
    c.products = static_cast<double>(g.n) * sum_na;
  }
  c.a_picks = static_cast<double>(g.Fc) * sum_na;
  u64 prev_r = 0;
  for (u64 fr = 0; fr < g.Fr; ++fr)
    for (u64 fc = 0; fc < g.Fc; ++fc) {
      const u64 r = g.rows_of(fr), cc = g.cols_of(fc);
      u64 X = 0;
      for (u64 grp = 0; grp < g.G; ++grp) {
        const u64 kv = g.lanes_of(grp), a1 = std::max<u64>(1, A[fr * g.G + grp]);
        const u64 T = s.both_serial ? a1 * std::max<u64>(1, B[fc * g.G + grp]) : a1;
        X += T;
        if (s.both_serial) {
          c.a_drops += static_cast<double>(r * kv * (a1 - 1));
          c.b_drops += static_cast<double>(cc * kv * (T - 1));
          c.b_picks += static_cast<double>(a1 * NB[fc * g.G + grp]);
        } else {
          c.a_drops += static_cast<double>(r * kv * (T - 1));
        }
      }
      c.steady += static_cast<double>(X);
      c.sip_cycles += static_cast<double>(r * cc * X);
      if (fr + fc > 0 && prev_r > X) c.hold += static_cast<double>(prev_r - X);
      prev_r = r;
    }
  return c;
}

namespace {

// ---- expected, given histograms
// ---------------------------------------------------------------

// The term counts of a format's values: P(terms = t | v != 0), t = 0 .. max_bits, for v uniform
// over the non-zero values, and how many values the format has (zero included).
struct FormatTerms {
  std::vector<double> nonzero;
  double values = 0;
};

FormatTerms format_terms(const TermserialSpec& s, DType t) {
  FormatTerms f;
  f.nonzero.assign(static_cast<size_t>(s.max_bits) + 1, 0.0);
  const int bits = dtype_bits(t);
  const int64_t lo = t == DType::ternary ? -1 : -(int64_t{1} << (bits - 1));
  const int64_t hi = t == DType::ternary ? 1 : (int64_t{1} << (bits - 1)) - 1;
  f.values = static_cast<double>(hi - lo + 1);
  for (int64_t v = lo; v <= hi; ++v)
    if (v != 0) f.nonzero[static_cast<size_t>(s.terms(v))] += 1 / (f.values - 1);
  return f;
}

// P(terms = t), t = 0 .. max_bits, of a value drawn from `h` (of format `t`, whose values' terms
// are `ft`). No histogram (count 0): every value of the format equally likely, zero included.
// Unbinned (wider than 8 bits): the zeros as counted, the other values uniform.
std::vector<double> term_distribution(const TermserialSpec& s, const ValueHistogram& h, DType t,
                                      const FormatTerms& ft) {
  if (h.count > 0 && h.binned()) {
    std::vector<double> p(static_cast<size_t>(s.max_bits) + 1, 0.0);
    const NumFormat f = NumFormat::of(t);
    for (u64 pat = 0; pat < h.bins.size(); ++pat)
      if (h.bins[pat]) p[static_cast<size_t>(s.terms(decode_int(f, pat)))] += static_cast<double>(h.bins[pat]);
    for (double& x : p) x /= static_cast<double>(h.count);
    return p;
  }
  const double zeros = h.count > 0 ? static_cast<double>(h.zeros) / static_cast<double>(h.count) : 1 / ft.values;
  std::vector<double> p = ft.nonzero;
  for (double& x : p) x *= 1 - zeros;
  p[0] += zeros;
  return p;
}

// P(max(1, max of N independent term counts) = t), t = 0 .. max_bits (t = 0 has no mass).
std::vector<double> lockstep_distribution(const std::vector<double>& p, u64 N) {
  std::vector<double> q(p.size(), 0.0);
  double F = 0, prev = 0;
  for (size_t t = 0; t < p.size(); ++t) {
    F = std::min(1.0, F + p[t]);
    const double now = std::pow(F, static_cast<double>(N));
    q[std::max<size_t>(t, 1)] += now - prev;
    prev = now;
  }
  return q;
}

double mean(const std::vector<double>& q) {
  double e = 0;
  for (size_t t = 0; t < q.size(); ++t) e += static_cast<double>(t) * q[t];
  return e;
}

// The distribution of a group's T: the activation factor alone, or its product with the weight factor (independent).
std::vector<double> group_distribution(const std::vector<double>& qa, const std::vector<double>* qb) {
  if (!qb) return qa;
  std::vector<double> q(qa.size() * qb->size(), 0.0);
  for (size_t x = 1; x < qa.size(); ++x)
    for (size_t y = 1; y < qb->size(); ++y) q[x * y] += qa[x] * (*qb)[y];
  return q;
}

}  // namespace

TermserialCounts termserial_expected_counts(const TermserialSpec& s, const GemmShape& shape,
                                            const std::vector<double>& pa, const std::vector<double>& pb) {
  const TileGeom g = geom(s, shape);
  Counts c;
  shape_counts(g, c);
  const double Ena = mean(pa), Enb = mean(pb), mk = static_cast<double>(g.m * g.k);
  c.products = static_cast<double>(g.n) * mk * Ena * (s.both_serial ? Enb : 1.0);
  c.a_picks = static_cast<double>(g.Fc) * mk * Ena;
  // A fold of r x c SIPs: the distribution of a full group's T and of the last group's, and the
  // means the counts need. At most four fold shapes: computed once each.
  struct Fold {
    std::vector<double> q_full, q_last;
    double a1_full = 0, a1_last = 0, t_full = 0, t_last = 0;
  };
  std::map<std::pair<u64, u64>, Fold> folds;
  auto fold = [&](u64 r, u64 cc) -> const Fold& {
    auto [it, fresh] = folds.try_emplace({r, cc});
    Fold& f = it->second;
    if (!fresh) return f;
    for (const bool last : {false, true}) {
      const u64 kv = last ? g.last_kv : g.L;
      std::vector<double> q = lockstep_distribution(pa, r * kv);
      const double a1 = mean(q);
      double t = a1;
      if (s.both_serial) {
        const std::vector<double> qb = lockstep_distribution(pb, cc * kv);
        q = group_distribution(q, &qb);
        t = a1 * mean(qb);
      }
      (last ? f.q_last : f.q_full) = std::move(q);
      (last ? f.a1_last : f.a1_full) = a1;
      (last ? f.t_last : f.t_full) = t;
    }
    return f;
  };
  // E[max(0, r_prev - X)] for X the sum of G - 1 full groups' T and the last group's; cached per (r_prev, fold shape).
  std::map<std::tuple<u64, u64, u64>, double> holds;
  auto hold = [&](u64 r_prev, u64 r, u64 cc) {
    if (g.G >= r_prev) return 0.0;  // every group takes at least one cycle
    auto [it, fresh] = holds.try_emplace({r_prev, r, cc}, 0.0);
    if (!fresh) return it->second;
    const Fold& f = fold(r, cc);
    std::vector<double> dp(r_prev, 0.0);  // P(X = x) for x < r_prev
    dp[0] = 1;
    for (u64 grp = 0; grp < g.G; ++grp) {
      const std::vector<double>& q = grp + 1 == g.G ? f.q_last : f.q_full;
      std::vector<double> nx(r_prev, 0.0);
      for (u64 x = 0; x < r_prev; ++x)
        if (dp[x] > 0)
          for (u64 t = 1; t < q.size() && x + t < r_prev; ++t) nx[x + t] += dp[x] * q[t];
      dp.swap(nx);
    }
    for (u64 x = 0; x < r_prev; ++x) it->second += dp[x] * static_cast<double>(r_prev - x);
    return it->second;
  };
  const double full = static_cast<double>(g.G - 1), L = static_cast<double>(g.L), kl = static_cast<double>(g.last_kv);
  u64 prev_r = 0;
  for (u64 fr = 0; fr < g.Fr; ++fr)
    for (u64 fc = 0; fc < g.Fc; ++fc) {
      const u64 r = g.rows_of(fr), cc = g.cols_of(fc);
      const Fold& f = fold(r, cc);
      const double X = full * f.t_full + f.t_last, rd = static_cast<double>(r), cd = static_cast<double>(cc);
      c.steady += X;
      c.sip_cycles += rd * cd * X;
      if (s.both_serial) {
        c.a_drops += rd * (full * L * (f.a1_full - 1) + kl * (f.a1_last - 1));
        c.b_drops += cd * (full * L * (f.t_full - 1) + kl * (f.t_last - 1));
        c.b_picks += cd * Enb * (full * L * f.a1_full + kl * f.a1_last);
      } else {
        c.a_drops += rd * (full * L * (f.t_full - 1) + kl * (f.t_last - 1));
      }
      if (fr + fc > 0) c.hold += hold(prev_r, r, cc);
      prev_r = r;
    }
  return c;
}

namespace {

// ---- per cycle
// ----------------------------------------------------------------------------------

class PeModel {
 public:
  PeModel(const TermserialSpec& s, const TileRequest& req, const IntMatrix& a, const IntMatrix& b, IntMatrix& out)
      : s_(s), g_(geom(s, req.gemm)), a_(a), b_(b), out_(out) {
    const u64 r = std::min(g_.m, g_.R), c = std::min(g_.n, g_.C);
    acc_.assign(r * c, 0);
    result_.assign(r * c, 0);
    am_.assign(r * g_.L, {});
    bm_.assign(c * g_.L, {});
    bw_.assign(c * g_.L, 0);
    w_.assign(c * g_.L, 0);
    oa_.assign(r * g_.L, 0);
    ob_.assign(c * g_.L, 0);
    shape_counts(g_, n_);
  }

  Counts run() {
    for (u64 fr = 0; fr < g_.Fr; ++fr)
      for (u64 fc = 0; fc < g_.Fc; ++fc) {
        const u64 m0 = fr * g_.R, n0 = fc * g_.C, r = g_.rows_of(fr), c = g_.cols_of(fc);
        for (u64 grp = 0; grp < g_.G; ++grp) {
          const u64 kv = g_.lanes_of(grp), k0 = grp * g_.L;
          load(m0, n0, r, c, k0, kv);
          for (bool first = true;; first = false) {
            // This cycle's terms: each live lane's lowest remaining one.
            bool a_done = true, b_done = true;
            for (u64 i = 0; i < r; ++i)
              for (u64 l = 0; l < kv; ++l) {
                const u64 m = am_[i * g_.L + l].mask;
                oa_[i * g_.L + l] = m & (~m + 1);
                a_done = a_done && (m & (m - 1)) == 0;
              }
            if (s_.both_serial)
              for (u64 j = 0; j < c; ++j)
                for (u64 l = 0; l < kv; ++l) {
                  const u64 m = bw_[j * g_.L + l];
                  ob_[j * g_.L + l] = m & (~m + 1);
                  b_done = b_done && (m & (m - 1)) == 0;
                }
            const bool group_end = a_done && b_done;
            // The fold's last cycle copies into the result registers: it holds until the previous
            // fold's read-out takes its last row.
            while (group_end && grp + 1 == g_.G && readout_left_ > 1) {
              readout_cycle();
              ++n_.hold;
            }
            compute_cycle(r, c, kv, grp == 0 && first);
            picks_and_drops(r, c, kv, b_done, group_end);
            readout_cycle();
            ++n_.steady;
            if (group_end) break;
          }
        }
        if (readout_left_ != 0) throw std::logic_error("termserial: result registers overwritten during read-out");
        std::copy(acc_.begin(), acc_.end(), result_.begin());
        ro_ = {m0, n0, r, c};
        readout_left_ = r;
      }
    while (readout_left_ > 0) readout_cycle();
    return n_;
  }

 private:
  // A group's operands into the registers through the encoders (valid lanes only).
  void load(u64 m0, u64 n0, u64 r, u64 c, u64 k0, u64 kv) {
    for (u64 i = 0; i < r; ++i)
      for (u64 l = 0; l < kv; ++l)
        am_[i * g_.L + l] = s_.encode(a_.at(static_cast<int64_t>(m0 + i), static_cast<int64_t>(k0 + l)));
    for (u64 j = 0; j < c; ++j)
      for (u64 l = 0; l < kv; ++l) {
        const int64_t w = b_.at(static_cast<int64_t>(k0 + l), static_cast<int64_t>(n0 + j));
        w_[j * g_.L + l] = w;
        bm_[j * g_.L + l] = s_.encode(w);
        bw_[j * g_.L + l] = bm_[j * g_.L + l].mask;
      }
  }

  static int position(u64 onehot) { return __builtin_ctzll(onehot); }

  void compute_cycle(u64 r, u64 c, u64 kv, bool fold_first) {
    for (u64 i = 0; i < r; ++i)
      for (u64 j = 0; j < c; ++j) {
        int64_t sum = 0;  // the adder tree: exact within tree_bits()
        for (u64 l = 0; l < kv; ++l) {
          const u64 oa = oa_[i * g_.L + l];
          if (!oa) continue;
          const bool na = (am_[i * g_.L + l].neg & oa) != 0;
          int64_t p;
          if (s_.both_serial) {
            const u64 ob = ob_[j * g_.L + l];
            if (!ob) continue;
            p = int64_t{1} << (position(oa) + position(ob));
            if (na != ((bm_[j * g_.L + l].neg & ob) != 0)) p = -p;
          } else {
            p = static_cast<int64_t>(static_cast<u64>(w_[j * g_.L + l]) << position(oa));
            if (na) p = -p;
          }
          sum += p;
          ++n_.products;
        }
        int64_t& a = acc_[i * std::min(g_.n, g_.C) + j];
        a = wrap_to_bits((fold_first ? 0 : static_cast<u64>(a)) + static_cast<u64>(sum), s_.acc_bits);
      }
    n_.sip_cycles += static_cast<double>(r * c);
  }

  // Term pickers, and the mask registers' writes at the edge ending the cycle.
  void picks_and_drops(u64 r, u64 c, u64 kv, bool b_done, bool group_end) {
    const bool a_step = !s_.both_serial || b_done;  // the activation terms advance
    for (u64 i = 0; i < r; ++i)
      for (u64 l = 0; l < kv; ++l) {
        const u64 oa = oa_[i * g_.L + l];
        if (a_step && oa) ++n_.a_picks;
        if (a_step && !group_end) {
          am_[i * g_.L + l].mask &= ~oa;
          ++n_.a_drops;
        }
      }
    if (!s_.both_serial) return;
    for (u64 j = 0; j < c; ++j)
      for (u64 l = 0; l < kv; ++l) {
        const u64 ob = ob_[j * g_.L + l];
        if (ob) ++n_.b_picks;
        if (group_end) continue;
        bw_[j * g_.L + l] = b_done ? bm_[j * g_.L + l].mask : bw_[j * g_.L + l] & ~ob;
        ++n_.b_drops;
      }
  }

  void readout_cycle() {
    if (readout_left_ == 0) return;
    const u64 row = ro_.r - readout_left_;
    for (u64 j = 0; j < ro_.c; ++j)
      out_.at(static_cast<int64_t>(ro_.m0 + row), static_cast<int64_t>(ro_.n0 + j)) =
          result_[row * std::min(g_.n, g_.C) + j];
    --readout_left_;
  }

  const TermserialSpec& s_;
  const TileGeom g_;
  const IntMatrix &a_, &b_;
  IntMatrix& out_;
  std::vector<int64_t> acc_, result_;
  std::vector<TermserialSpec::Terms> am_,
      bm_;                    // encoded activation and weight registers
  std::vector<u64> bw_;       // weights' working masks (both serial)
  std::vector<int64_t> w_;    // weight registers (activations serial)
  std::vector<u64> oa_, ob_;  // this cycle's one-hot terms
  struct {
    u64 m0 = 0, n0 = 0, r = 0, c = 0;
  } ro_;
  u64 readout_left_ = 0;
  Counts n_;
};

class TermserialEngine final : public IEngine {
 public:
  explicit TermserialEngine(const ParamValues& p) : s_(TermserialSpec::from_params(p)) {
    for (DType t : capabilities().a_types) terms_.emplace(t, format_terms(s_, t));
  }

  std::string type() const override { return "termserial"; }

  EngineCapabilities declare_capabilities() const override {
    EngineCapabilities c;
    c.work = {WorkKind::Gemm};
    c.dataflows = {"os"};
    c.a_types = signed_int_dtypes(s_.max_bits);
    c.b_types = c.a_types;
    c.rows = s_.rows;
    c.cols = s_.cols;
    c.peak_ops_per_cycle = static_cast<u64>(s_.rows * s_.cols * s_.lanes);  // every group one cycle
    c.psum_bits = s_.acc_bits;
    c.tile_multiple = {{"os", {s_.rows, s_.cols, s_.lanes}}};
    c.acc_types = {NumFormat::int_bits(s_.acc_bits)};
    c.timing = TimingDependence::Data;
    return c;
  }

  // The expectation over the request's declared value distributions, else (the documented default)
  // over values uniform over each operand's format.
  TileCost cost(const TileRequest& req) const override { return cost_given(req, OperandStats{}); }

  TileCost simulate_pe(const TileRequest& req, const IntMatrix* a, const IntMatrix* b, IntMatrix* out) const override {
    if (!(a && b && out))
      throw std::invalid_argument(
          "termserial: the per-cycle model needs the "
          "operands (its timing depends on them)");
    *out = IntMatrix(req.gemm.m, req.gemm.n);
    return price(s_, req, PeModel(s_, req, *a, *b, *out).run());
  }

  void compute(const TileRequest&, const IntMatrix& a, const IntMatrix& b, IntMatrix& out) const override {
    out = int_gemm_wrapping(a, b, s_.acc_bits);
  }

  // Hardware of rtl/src/termserial (docs/engines/termserial.md, "Area").
  std::vector<AreaItem> area_items() const override {
    const auto R = static_cast<u64>(s_.rows), C = static_cast<u64>(s_.cols), L = static_cast<u64>(s_.lanes);
    const u64 sips = R * C;
    const int MB = s_.max_bits, PB = s_.product_bits();
    std::vector<AreaItem> v = {
        {kArray, s_.shifter_primitive(), MB, sips * L}, {kArray, "and2", PB, sips * L}, {kArray, "mux", PB, sips * L}};
    for (const auto& [bits, adders] : s_.tree_adders())
      v.push_back({kArray, "int_add", bits, sips * static_cast<u64>(adders)});
    v.push_back({kArray, "int_add", s_.acc_bits, sips});
    v.push_back({kArray, "reg", s_.acc_bits, sips});
    // Encoded lanes: every row lane, and (both serial) every column lane.
    const u64 encoded = (R + (s_.both_serial ? C : 0)) * L;
    v.push_back({kOperands, "reg", s_.enc_bits(), R * L});
    v.push_back({kOperands, "reg", s_.both_serial ? s_.enc_bits() + MB : MB, C * L});
    if (s_.booth) v.push_back({kTerms, "int_add", MB + 1, encoded});  // encoders
    v.push_back({kTerms, "mux", MB, encoded});
    v.push_back({kTerms, "and2", MB, encoded});
    v.push_back({kTerms, "and2", s_.picker_gates(), encoded});  // pickers
    v.push_back({kReadout, "reg", s_.acc_bits, sips});
    if (R > 1) v.push_back({kReadout, "mux", s_.acc_bits, C * (R - 1)});
    // Controller flip-flops: busy, read-out and group-first flags; r, read-out r and row; c and
    // read-out c; G and the group counter; the last group's lanes. Its logic: the group counter's
    // increment and two compares, the read-out row's increment and two compares.
    const int rb = clog2(R + 1), cb = clog2(C + 1), lb = clog2(L + 1);
    v.push_back({kController, "reg", 1, 3});
    v.push_back({kController, "reg", rb, 3});
    v.push_back({kController, "reg", cb, 2});
    v.push_back({kController, "reg", kGroupBits, 2});
    v.push_back({kController, "reg", lb, 1});
    v.push_back({kController, "int_add", kGroupBits, 2});
    v.push_back({kController, "int_compare", kGroupBits, 2});
    v.push_back({kController, "int_add", rb, 1});
    v.push_back({kController, "int_compare", rb, 2});
    return v;
  }

  std::vector<ActionPrimitive> action_primitives() const override {
    const int MB = s_.max_bits, PB = s_.product_bits(), acc = s_.acc_bits;
    std::vector<ActionPrimitive> v = {{kArray, s_.shifter_primitive(), MB},
                                      {kArray, "and2", PB},
                                      {kArray, "mux", PB},
                                      {kArray, "int_add", acc},
                                      {kArray, "reg_write", acc},
                                      {kOperands, "reg_write", s_.enc_bits()},
                                      {kOperands, "reg_write", MB},
                                      {kTerms, "mux", MB},
                                      {kTerms, "and2", MB},
                                      {kTerms, "and2", s_.picker_gates()},
                                      {kReadout, "reg_write", acc},
                                      {kReadout, "mux", acc}};
    auto add = [&v](const ActionPrimitive& p) {
      if (std::find(v.begin(), v.end(), p) == v.end()) v.push_back(p);
    };
    for (const auto& [bits, adders] : s_.tree_adders()) add({kArray, "int_add", bits});
    if (s_.both_serial) add({kOperands, "reg_write", s_.enc_bits() + MB});
    if (s_.booth) add({kTerms, "int_add", MB + 1});
    return with_default_combine(std::move(v));
  }

 protected:
  TileCost cost_given(const TileRequest& req, const OperandStats& stats) const override {
    if (stats.a_data && stats.b_data) {
      const IntMatrix a = to_int_matrix(*stats.a_data), b = to_int_matrix(*stats.b_data);
      if (a.rows != req.gemm.m || a.cols != req.gemm.k || b.rows != req.gemm.k || b.cols != req.gemm.n)
        throw std::invalid_argument("termserial: operand data does not match the tile's shape");
      return price(s_, req, termserial_counts(s_, req.gemm, a, b));
    }
    // Histograms given, else the request's declared distributions, else uniform (count 0).
    auto known = [](const ValueHistogram& h, DType t, const std::optional<ValueDistribution>& d) {
      if (h.count > 0 || !d) return h;
      return histogram_of_distribution(NumFormat::of(t), *d);
    };
    return price(
        s_, req,
        termserial_expected_counts(
            s_, req.gemm,
            term_distribution(s_, known(stats.a, req.a_type, req.a_values), req.a_type, terms_.at(req.a_type)),
            term_distribution(s_, known(stats.b, req.b_type, req.b_values), req.b_type, terms_.at(req.b_type))));
  }

  void compute_typed(const TileRequest& req, const TypedMatrix& a, const TypedMatrix& b,
                     TypedMatrix& out) const override {
    reference_gemm_typed(req, a, b, out);
  }

 private:
  TermserialSpec s_;
  std::map<DType, FormatTerms> terms_;  // per accepted format: the terms of its values
};

std::vector<ParamDecl> termserial_params() {
  return {
      ParamDecl::integer("rows", "SIPs", "16", 1, 1024, "SIP rows R: output rows (m) computed at once"),
      ParamDecl::integer("cols", "SIPs", "16", 1, 1024, "SIP columns C: output columns (n) computed at once"),
      ParamDecl::integer("lanes", "elements", "16", 1, 64, "k elements per SIP and group (adder tree inputs)"),
      ParamDecl::choice("serial", {"activations", "both"}, "activations",
                        "whose terms go serially: activations only (Pragmatic) "
                        "or both operands (Laconic)"),
      ParamDecl::choice("encoding", {"plain", "booth"}, "booth",
                        "terms of a value: plain (set bits of |v|, "
                        "sign-magnitude) or booth (non-adjacent form)"),
      ParamDecl::integer("max_bits", "bits", "8", 2, 16, "widest operand held; int formats up to it and ternary run"),
      ParamDecl::integer("acc_bits", "bits", "32", 8, 64, "accumulator width; sums wrap modulo 2^acc_bits"),
  };
}

}  // namespace

TESSERA_REGISTER_ENGINE("termserial",
                        "R x C term-serial inner-product units (Pragmatic / "
                        "Laconic), cycles scale with non-zero terms",
                        termserial_params, [](const ParamValues& p) { return std::make_unique<TermserialEngine>(p); });

}  // namespace tessera
