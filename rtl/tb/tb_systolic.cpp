// tb_systolic.cpp -- standalone Verilated self-check of rtl/src/systolic/systolic_array.v
// (through the counting wrapper rtl/tb/systolic_counters.v).
//
// Drives random folds of all three dataflows (os, ws, is) with random int8 operands, back to
// back or with random idle gaps, and checks, against docs/engines/systolic.md:
//   - every output element against a plain C++ reference GEMM (wrapping at ACC_BITS), in the
//     exact cycle the doc names, and out_valid low in every other cycle and column;
//   - the fold length (busy cycles, fold_last, and first cycle -> last valid result);
//   - the action counters per fold against the doc's table, and per cycle against a PE-level
//     enumeration of the doc's schedule (which PE does its MAC in which cycle).
// TB_DB=1 (WEIGHT_DB=1): commands are also offered at random points while a fold runs, so the
// next fold's stationary rows load fully, partly or not at all during the current fold
// (docs/rtl.md, WEIGHT_DB = 1), with os and ws/is folds mixed; the testbench follows the
// prefetch rule to drive the bus and checks the shadow loads and swaps per cycle.
// Build (one executable per array size; see rtl/run_tb.sh):
//   verilator --cc --exe --build -j 1 -Irtl/src/systolic -GROWS=R -GCOLS=C -GACC_BITS=A -GWEIGHT_DB=D
//     -CFLAGS "-DTB_ROWS=R -DTB_COLS=C -DTB_ACC=A -DTB_DB=D" --top-module systolic_counters
//     rtl/tb/systolic_counters.v rtl/tb/tb_systolic.cpp
// Run: ./Vsystolic_counters [folds] [seed]      exit status 0 = pass.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "Vsystolic_counters.h"
#include "verilated.h"

#ifndef TB_ROWS
#define TB_ROWS 8
#endif
#ifndef TB_COLS
#define TB_COLS 8
#endif
#ifndef TB_IN
#define TB_IN 8
#endif
#ifndef TB_ACC
#define TB_ACC 32
#endif
#ifndef TB_DB
#define TB_DB 0
#endif

namespace {

constexpr int R = TB_ROWS, C = TB_COLS, IN = TB_IN, ACC = TB_ACC;
constexpr bool DB = TB_DB != 0;
enum Mode { OS = 0, WS = 1, IS = 2 };
const char* mode_name(int m) { return m == OS ? "os" : m == WS ? "ws" : "is"; }

// ---- bit access for any Verilator port type (CData..QData, VlWide<N>)
template <typename T>
void set_bit(T& s, int b, bool v) {
  if (v) s |= (T(1) << b); else s &= ~(T(1) << b);
}
template <std::size_t N>
void set_bit(VlWide<N>& s, int b, bool v) {
  if (v) s[b / 32] |= (1u << (b % 32)); else s[b / 32] &= ~(1u << (b % 32));
}
template <typename T>
bool get_bit(const T& s, int b) { return (s >> b) & 1; }
template <std::size_t N>
bool get_bit(const VlWide<N>& s, int b) { return (s[b / 32] >> (b % 32)) & 1; }

template <typename T>
void set_field(T& s, int lo, int w, int64_t v) {
  for (int b = 0; b < w; ++b) set_bit(s, lo + b, (static_cast<uint64_t>(v) >> b) & 1);
}
template <typename T>
int64_t get_field_signed(const T& s, int lo, int w) {
  uint64_t u = 0;
  for (int b = 0; b < w; ++b) u |= static_cast<uint64_t>(get_bit(s, lo + b)) << b;
  if (w < 64 && ((u >> (w - 1)) & 1)) u |= ~((uint64_t(1) << w) - 1);
  return static_cast<int64_t>(u);
}

int64_t wrap_acc(int64_t x) {  // two's complement wrap to ACC bits, sign-extended
  uint64_t u = static_cast<uint64_t>(x);
  if (ACC < 64) {
    u &= (uint64_t(1) << ACC) - 1;
    if ((u >> (ACC - 1)) & 1) u |= ~((uint64_t(1) << ACC) - 1);
  }
  return static_cast<int64_t>(u);
}

// Plain reference GEMM: out[m][n] = sum_k a[m][k] * b[k][n], wrapping at ACC bits.
std::vector<int64_t> gemm(int M, int N, int K, const std::vector<int64_t>& a,
                          const std::vector<int64_t>& b) {
  std::vector<int64_t> o(static_cast<size_t>(M) * N);
  for (int m = 0; m < M; ++m)
    for (int n = 0; n < N; ++n) {
      uint64_t s = 0;  // unsigned: wrapping is defined
      for (int k = 0; k < K; ++k)
        s += static_cast<uint64_t>(a[m * K + k] * b[k * N + n]);
      o[m * N + n] = wrap_acc(static_cast<int64_t>(s));
    }
  return o;
}

struct Fold {
  int id = 0, mode = OS, r = 1, c = 1, T = 1;
  int M = 0, N = 0, K = 0;
  int h = 0;  // WEIGHT_DB: stationary rows loaded during the previous fold
  std::vector<int64_t> a, b, out;  // the GEMM tile (a M x K, b K x N, out M x N)
  int vis() const { return mode == OS ? r : r - h; }  // visible load cycles (os: r, its read-out)
  int len() const { return T + r + c - 2 + vis(); }
  int s() const { return mode == OS ? 0 : r - h; }  // first stream cycle into PE(0,0)
  // Stationary row i on column bus lane j (ws: b[k0+i][n0+j]; is: a[m0+j][k0+i]).
  int64_t stat(int i, int j) const { return mode == WS ? b[i * N + j] : a[j * K + i]; }

  // Operand on row edge i / column edge j in fold cycle t (false: don't care).
  bool row_op(int t, int i, int64_t& v) const {
    if (i >= r) return false;
    int q = t - s() - i;  // k (os), m (ws), n (is)
    if (q < 0 || q >= T) return false;
    if (mode == OS) v = a[i * K + q];         // a[m0+i][k]
    else if (mode == WS) v = a[q * K + i];    // a[m][k0+i]
    else v = b[i * N + q];                    // b[k0+i][n]
    return true;
  }
  bool col_op(int t, int j, int64_t& v) const {
    if (j >= c) return false;
    if (mode == OS) {
      int k = t - j;
      if (k < 0 || k >= T) return false;
      v = b[k * N + j];                       // b[k][n0+j]
      return true;
    }
    if (t >= s()) return false;               // visible load: row h+t latches the column bus
    v = stat(h + t, j);
    return true;
  }
  // Expected output of column j in fold cycle t.
  bool out_exp(int t, int j, int64_t& v) const {
    if (j >= c) return false;
    if (mode == OS) {
      int d = t - (T + r + c - 2);
      if (d < 0 || d >= r) return false;
      v = out[d * N + j];
      return true;
    }
    int q = t - (s() + r - 1) - j;
    if (q < 0 || q >= T) return false;
    v = (mode == WS) ? out[q * N + j] : out[j * N + q];
    return true;
  }
  // PE-level schedule: MACs in fold cycle t.
  int macs(int t) const {
    int n = 0;
    for (int i = 0; i < r; ++i)
      for (int j = 0; j < c; ++j) {
        int q = t - s() - i - j;
        n += (q >= 0 && q < T);
      }
    return n;
  }
  // WEIGHT_DB: PEs taking their shadow (first MAC) in fold cycle t.
  int swaps(int t) const {
    if (!DB || mode == OS) return 0;
    int n = 0;
    for (int i = 0; i < r; ++i)
      for (int j = 0; j < c; ++j) n += (t == s() + i + j);
    return n;
  }
};

struct Counters {
  uint64_t mul, add, rw_in, rw_acc, mux, mux_in, cycles, out, folds;
};

}  // namespace

int main(int argc, char** argv) {
  int nfolds = argc > 1 ? std::atoi(argv[1]) : 300;
  uint64_t seed = argc > 2 ? std::strtoull(argv[2], nullptr, 0) : 1;
  std::mt19937_64 rng(seed ^ (uint64_t(R) << 32) ^ (uint64_t(C) << 40));
  auto rnd = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  auto rnd_in = [&]() -> int64_t {
    int lo = -(1 << (IN - 1)), hi = (1 << (IN - 1)) - 1;
    int p = rnd(0, 9);
    if (p == 0) return lo;  // extremes more often
    if (p == 1) return hi;
    return rnd(lo, hi);
  };

  auto ctx = std::make_unique<VerilatedContext>();
  ctx->commandArgs(argc, argv);
  auto dut = std::make_unique<Vsystolic_counters>(ctx.get());

  auto read_cnt = [&]() {
    return Counters{dut->cnt_int_mul, dut->cnt_int_add, dut->cnt_rw_in, dut->cnt_rw_acc, dut->cnt_mux,
                    dut->cnt_mux_in,  dut->cnt_cycles,  dut->cnt_out,   dut->cnt_folds};
  };

  // make the folds
  std::deque<Fold> pending;
  int tmax_small = 2 * (R > C ? R : C) + 6;
  for (int f = 0; f < nfolds; ++f) {
    Fold F;
    F.id = f;
    F.mode = f < 3 ? f : rnd(0, 2);
    int shape = rnd(0, 9);
    F.r = shape == 0 ? R : shape == 1 ? 1 : rnd(1, R);
    F.c = shape == 0 ? C : shape == 2 ? 1 : rnd(1, C);
    int tk = rnd(0, 9);
    F.T = tk == 0 ? 1 : tk == 1 ? rnd(40, 80) : rnd(1, tmax_small);
    if (F.mode == OS) { F.M = F.r; F.N = F.c; F.K = F.T; }
    else if (F.mode == WS) { F.K = F.r; F.N = F.c; F.M = F.T; }
    else { F.K = F.r; F.M = F.c; F.N = F.T; }
    F.a.resize(static_cast<size_t>(F.M) * F.K);
    F.b.resize(static_cast<size_t>(F.K) * F.N);
    for (auto& x : F.a) x = rnd_in();
    for (auto& x : F.b) x = rnd_in();
    F.out = gemm(F.M, F.N, F.K, F.a, F.b);
    pending.push_back(std::move(F));
  }

  long errors = 0, checked_outputs = 0, folds_done = 0, fold_per_mode[3] = {0, 0, 0};
  auto fail = [&](const char* what, const Fold* f, int t, long got, long exp) {
    if (errors < 30)
      std::printf("MISMATCH %s: fold %d (%s r=%d c=%d T=%d) cycle %d: got %ld expected %ld\n",
                  what, f ? f->id : -1, f ? mode_name(f->mode) : "-", f ? f->r : 0,
                  f ? f->c : 0, f ? f->T : 0, t, got, exp);
    ++errors;
  };

  // reset
  dut->clk = 0;
  dut->rst = 1;
  dut->fold_valid = 0;
  for (int k = 0; k < 3; ++k) {
    dut->clk = 0; dut->eval();
    dut->clk = 1; dut->eval();
  }
  dut->rst = 0;

  std::unique_ptr<Fold> cur;  // fold in progress
  std::unique_ptr<Fold> nxt;  // WEIGHT_DB: the command in the next-fold slot
  int nxt_ld = 0;             // its stationary rows latched so far
  int cyc = 0;                // the current fold's cycle index
  int last_valid_cyc = -1;
  uint64_t fold_loads = 0;    // column-bus load lanes driven during the current fold's cycles
  Counters at_start{}, prev = read_cnt();
  int gap = 0;
  long idle_guard = 0;
  long prefetched_rows = 0, partial_hides = 0;

  auto begin_fold = [&](std::unique_ptr<Fold> f, int h, const Counters& now) {
    cur = std::move(f);
    cur->h = cur->mode == OS ? 0 : h;
    cyc = 0;
    last_valid_cyc = -1;
    fold_loads = 0;
    at_start = now;
  };

  while ((!pending.empty() || cur || nxt) && idle_guard < 1000) {
    // ---- drive inputs for this cycle (clk low)
    dut->clk = 0;
    bool offer = !pending.empty() && gap == 0;
    dut->fold_valid = offer;
    if (offer) {
      const Fold& n = pending.front();
      dut->fold_mode = n.mode;
      dut->fold_r = n.r;
      dut->fold_c = n.c;
      dut->fold_t = n.T;
    } else {  // junk on the command bus when not valid
      dut->fold_mode = rnd(0, 3);
      dut->fold_r = rnd(0, R);
      dut->fold_c = rnd(0, C);
      dut->fold_t = rnd(0, 100);
    }
    // WEIGHT_DB prefetch: the slot's ws/is rows go on the bus once the current ws/is fold's
    // PEs have all swapped (cycle s + c - 1), one row per cycle.
    const bool prefetch = DB && cur && nxt && cur->mode != OS && nxt->mode != OS && cyc >= cur->s() + cur->c - 1 &&
                          nxt_ld < nxt->r;
    int loads = 0;  // column-bus lanes latched this cycle
    for (int i = 0; i < R; ++i) {
      int64_t v = rnd_in();  // junk unless the contract names an operand for this cycle
      if (cur) cur->row_op(cyc, i, v);
      set_field(dut->row_in, i * IN, IN, v);
    }
    for (int j = 0; j < C; ++j) {
      int64_t v = rnd_in();
      if (cur && cur->col_op(cyc, j, v) && cur->mode != OS) ++loads;
      if (prefetch && j < nxt->c) {
        v = nxt->stat(nxt_ld, j);
        ++loads;
      }
      set_field(dut->col_in, j * IN, IN, v);
    }
    dut->eval();

    // ---- check combinational outputs of this cycle
    const bool last = cur && cyc == cur->len() - 1;
    if (bool(dut->busy) != bool(cur)) fail("busy", cur.get(), cyc, dut->busy, bool(cur));
    if (bool(dut->fold_last) != last) fail("fold_last", cur.get(), cyc, dut->fold_last, last);
    bool expect_ready = DB ? (!nxt || last) : (!cur || last);
    if (bool(dut->fold_ready) != expect_ready)
      fail("fold_ready", cur.get(), cyc, dut->fold_ready, expect_ready);
    for (int j = 0; j < C; ++j) {
      int64_t e = 0;
      bool ev = cur && cur->out_exp(cyc, j, e);
      bool gv = get_bit(dut->out_valid, j);
      if (gv != ev) {
        fail(gv ? "spurious out_valid" : "missing out_valid", cur.get(), cyc, j, ev);
        continue;
      }
      if (ev) {
        int64_t g = get_field_signed(dut->out_data, j * ACC, ACC);
        if (g != e) fail("out_data", cur.get(), cyc, static_cast<long>(g), static_cast<long>(e));
        ++checked_outputs;
        last_valid_cyc = cyc;
      }
    }
    bool handshake = dut->fold_valid && dut->fold_ready;

    // ---- rising edge
    dut->clk = 1;
    dut->eval();
    ctx->timeInc(1);
    Counters now = read_cnt();

    // per-cycle action check (PE-level schedule of the doc)
    if (cur) {
      bool os = cur->mode == OS;
      uint64_t m = cur->macs(cyc), sw = cur->swaps(cyc);
      uint64_t rw_in = os ? 2 * m : m + loads + sw;
      uint64_t mux = (os && cyc >= cur->T + cur->r + cur->c - 2) ? cur->c : 0;
      if (now.mul - prev.mul != m) fail("int_mul/cycle", cur.get(), cyc, now.mul - prev.mul, m);
      if (now.add - prev.add != m) fail("int_add/cycle", cur.get(), cyc, now.add - prev.add, m);
      if (now.rw_in - prev.rw_in != rw_in)
        fail("reg_write in/cycle", cur.get(), cyc, now.rw_in - prev.rw_in, rw_in);
      if (now.rw_acc - prev.rw_acc != m)
        fail("reg_write acc/cycle", cur.get(), cyc, now.rw_acc - prev.rw_acc, m);
      if (now.mux - prev.mux != mux) fail("mux/cycle", cur.get(), cyc, now.mux - prev.mux, mux);
      if (now.mux_in - prev.mux_in != sw) fail("mux in_bits/cycle", cur.get(), cyc, now.mux_in - prev.mux_in, sw);
      fold_loads += loads;
    } else {
      if (now.mul != prev.mul || now.rw_in != prev.rw_in || now.rw_acc != prev.rw_acc ||
          now.mux != prev.mux || now.mux_in != prev.mux_in || now.cycles != prev.cycles)
        fail("action while idle", nullptr, cyc, 1, 0);
    }
    prev = now;
    if (prefetch) {
      ++nxt_ld;
      ++prefetched_rows;
    }

    // ---- advance the testbench's view
    if (cur) {
      if (last) {  // fold complete: per-fold checks against the doc's table
        const Fold& f = *cur;
        uint64_t r = f.r, c = f.c, T = f.T;
        bool os = f.mode == OS;
        Counters d{now.mul - at_start.mul,       now.add - at_start.add,     now.rw_in - at_start.rw_in,
                   now.rw_acc - at_start.rw_acc, now.mux - at_start.mux,     now.mux_in - at_start.mux_in,
                   now.cycles - at_start.cycles, now.out - at_start.out,     now.folds - at_start.folds};
        uint64_t L = f.len();
        if (d.cycles != L) fail("fold cycles", &f, cyc, d.cycles, L);
        if (uint64_t(last_valid_cyc + 1) != L) fail("first->last valid", &f, cyc, last_valid_cyc + 1, L);
        if (d.mul != r * c * T) fail("int_mul", &f, cyc, d.mul, r * c * T);
        if (d.add != r * c * T) fail("int_add", &f, cyc, d.add, r * c * T);
        // ws/is: every load lane latched in this fold's cycles (its own visible rows and, double
        // buffered, the next fold's prefetched rows), plus one swap per PE.
        uint64_t swaps = (DB && !os) ? r * c : 0;
        if (!os && fold_loads < (r - f.h) * c) fail("own loads", &f, cyc, fold_loads, (r - f.h) * c);
        uint64_t rwi = os ? 2 * r * c * T : r * c * T + fold_loads + swaps;
        if (d.rw_in != rwi) fail("reg_write in_bits", &f, cyc, d.rw_in, rwi);
        if (d.rw_acc != r * c * T) fail("reg_write acc_bits", &f, cyc, d.rw_acc, r * c * T);
        uint64_t mx = os ? r * c : 0;
        if (d.mux != mx) fail("mux", &f, cyc, d.mux, mx);
        if (d.mux_in != swaps) fail("mux in_bits", &f, cyc, d.mux_in, swaps);
        uint64_t no = os ? r * c : T * c;
        if (d.out != no) fail("outputs", &f, cyc, d.out, no);
        ++folds_done;
        ++fold_per_mode[f.mode];
        cur.reset();
        if (nxt) {  // the slot's fold starts now with the rows it already has
          if (nxt->mode != OS && nxt_ld > 0 && nxt_ld < nxt->r) ++partial_hides;
          begin_fold(std::move(nxt), nxt_ld, now);
        }
      } else {
        ++cyc;
      }
    }
    if (handshake) {
      auto f = std::make_unique<Fold>(std::move(pending.front()));
      pending.pop_front();
      if (!cur) {
        begin_fold(std::move(f), 0, now);
      } else if (DB && !nxt) {
        nxt = std::move(f);
        nxt_ld = 0;
      } else {
        fail("accepted while busy", cur.get(), cyc, 1, 0);
      }
      // 30%: idle cycles before the next offer (WEIGHT_DB: they also count down while a fold
      // runs, so the next command arrives at any point of the current fold)
      gap = rnd(0, 9) < 3 ? rnd(1, DB ? 2 * R + 4 : 3) : 0;
    } else if (gap > 0 && (DB || !cur)) {
      --gap;
    }  // (single-buffered, gaps count down only once the array is idle: real idle cycles)
    idle_guard = (cur || nxt) ? 0 : idle_guard + 1;
  }
  dut->final();
  if (read_cnt().folds != uint64_t(nfolds)) fail("folds accepted", nullptr, 0, read_cnt().folds, nfolds);

  std::printf("tb_systolic %dx%d IN=%d ACC=%d WEIGHT_DB=%d seed=%llu: %ld folds (os %ld, ws %ld, is %ld), "
              "%ld outputs checked, %ld rows prefetched, %ld partly hidden loads, %ld errors: %s\n",
              R, C, IN, ACC, DB ? 1 : 0, static_cast<unsigned long long>(seed), folds_done, fold_per_mode[0],
              fold_per_mode[1], fold_per_mode[2], checked_outputs, prefetched_rows, partial_hides, errors,
              (errors == 0 && folds_done == nfolds) ? "PASS" : "FAIL");
  return (errors == 0 && folds_done == nfolds) ? 0 : 1;
}
