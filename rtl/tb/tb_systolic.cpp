// tb_systolic.cpp -- standalone Verilated self-check of rtl/src/systolic_array.v
// (through the counting wrapper rtl/tb/systolic_counters.v).
//
// Drives random folds of all three dataflows (os, ws, is) with random int8 operands, back to
// back or with random idle gaps, and checks, against docs/engines/systolic.md:
//   - every output element against a plain C++ reference GEMM (wrapping at ACC_BITS), in the
//     exact cycle the doc names, and out_valid low in every other cycle and column;
//   - the fold length T + 2r + c - 2 (busy cycles, and first cycle -> last valid result);
//   - the action counters per fold against the doc's table, and per cycle against a PE-level
//     enumeration of the doc's schedule (which PE does its MAC in which cycle).
// Build (one executable per array size; see rtl/run_tb.sh):
//   verilator --cc --exe --build -j 1 -Irtl/src -GROWS=R -GCOLS=C -GACC_BITS=A
//     -CFLAGS "-DTB_ROWS=R -DTB_COLS=C -DTB_ACC=A" --top-module systolic_counters
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

namespace {

constexpr int R = TB_ROWS, C = TB_COLS, IN = TB_IN, ACC = TB_ACC;
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
  std::vector<int64_t> a, b, out;  // the GEMM tile (a M x K, b K x N, out M x N)
  int len() const { return T + 2 * r + c - 2; }
  int s() const { return mode == OS ? 0 : r; }  // first stream cycle into PE(0,0)

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
    if (t >= r) return false;                 // load: row t latches the column bus
    v = (mode == WS) ? b[t * N + j]           // b[k0+t][n0+j]
                     : a[j * K + t];          // a[m0+j][k0+t]
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
    int q = t - (2 * r - 1) - j;
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
};

struct Counters {
  uint64_t mul, add, rw_in, rw_acc, mux, cycles, out, folds;
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
    return Counters{dut->cnt_int_mul, dut->cnt_int_add, dut->cnt_rw_in, dut->cnt_rw_acc,
                    dut->cnt_mux,     dut->cnt_cycles,  dut->cnt_out,   dut->cnt_folds};
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
  int cyc = 0;                // its cycle index
  int last_valid_cyc = -1;
  Counters at_start{}, prev = read_cnt();
  int gap = 0;
  long idle_guard = 0;

  while ((!pending.empty() || cur) && idle_guard < 1000) {
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
    for (int i = 0; i < R; ++i) {
      int64_t v = rnd_in();  // junk unless the contract names an operand for this cycle
      if (cur) cur->row_op(cyc, i, v);
      set_field(dut->row_in, i * IN, IN, v);
    }
    for (int j = 0; j < C; ++j) {
      int64_t v = rnd_in();
      if (cur) cur->col_op(cyc, j, v);
      set_field(dut->col_in, j * IN, IN, v);
    }
    dut->eval();

    // ---- check combinational outputs of this cycle
    if (bool(dut->busy) != bool(cur)) fail("busy", cur.get(), cyc, dut->busy, bool(cur));
    bool expect_ready = !cur || cyc == cur->len() - 1;
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
      uint64_t m = cur->macs(cyc);
      uint64_t rw_in = os ? 2 * m : m + (cyc < cur->r ? cur->c : 0);
      uint64_t mux = (os && cyc >= cur->T + cur->r + cur->c - 2) ? cur->c : 0;
      if (now.mul - prev.mul != m) fail("int_mul/cycle", cur.get(), cyc, now.mul - prev.mul, m);
      if (now.add - prev.add != m) fail("int_add/cycle", cur.get(), cyc, now.add - prev.add, m);
      if (now.rw_in - prev.rw_in != rw_in)
        fail("reg_write in/cycle", cur.get(), cyc, now.rw_in - prev.rw_in, rw_in);
      if (now.rw_acc - prev.rw_acc != m)
        fail("reg_write acc/cycle", cur.get(), cyc, now.rw_acc - prev.rw_acc, m);
      if (now.mux - prev.mux != mux) fail("mux/cycle", cur.get(), cyc, now.mux - prev.mux, mux);
    } else {
      if (now.mul != prev.mul || now.rw_in != prev.rw_in || now.rw_acc != prev.rw_acc ||
          now.mux != prev.mux || now.cycles != prev.cycles)
        fail("action while idle", nullptr, cyc, 1, 0);
    }
    prev = now;

    // ---- advance the testbench's view
    if (cur) {
      if (cyc == cur->len() - 1) {  // fold complete: per-fold checks against the doc's table
        const Fold& f = *cur;
        uint64_t r = f.r, c = f.c, T = f.T;
        bool os = f.mode == OS;
        Counters d{now.mul - at_start.mul,       now.add - at_start.add,
                   now.rw_in - at_start.rw_in,   now.rw_acc - at_start.rw_acc,
                   now.mux - at_start.mux,       now.cycles - at_start.cycles,
                   now.out - at_start.out,       now.folds - at_start.folds};
        uint64_t L = T + 2 * r + c - 2;
        if (d.cycles != L) fail("fold cycles", &f, cyc, d.cycles, L);
        if (uint64_t(last_valid_cyc + 1) != L) fail("first->last valid", &f, cyc, last_valid_cyc + 1, L);
        if (d.mul != r * c * T) fail("int_mul", &f, cyc, d.mul, r * c * T);
        if (d.add != r * c * T) fail("int_add", &f, cyc, d.add, r * c * T);
        uint64_t rwi = os ? 2 * r * c * T : r * c * T + r * c;
        if (d.rw_in != rwi) fail("reg_write in_bits", &f, cyc, d.rw_in, rwi);
        if (d.rw_acc != r * c * T) fail("reg_write acc_bits", &f, cyc, d.rw_acc, r * c * T);
        uint64_t mx = os ? r * c : 0;
        if (d.mux != mx) fail("mux", &f, cyc, d.mux, mx);
        uint64_t no = os ? r * c : T * c;
        if (d.out != no) fail("outputs", &f, cyc, d.out, no);
        ++folds_done;
        ++fold_per_mode[f.mode];
        cur.reset();
      } else {
        ++cyc;
      }
    }
    if (handshake) {
      if (cur) fail("accepted while busy", cur.get(), cyc, 1, 0);
      cur = std::make_unique<Fold>(std::move(pending.front()));
      pending.pop_front();
      cyc = 0;
      last_valid_cyc = -1;
      at_start = now;
      gap = rnd(0, 9) < 3 ? rnd(1, 3) : 0;  // 30%: idle cycles before the next offer
    } else if (gap > 0 && !cur) {
      --gap;
    }  // (gaps count down only once the array is idle, so they produce real idle cycles)
    idle_guard = cur ? 0 : idle_guard + 1;
  }
  dut->final();
  if (read_cnt().folds != uint64_t(nfolds)) fail("folds accepted", nullptr, 0, read_cnt().folds, nfolds);

  std::printf("tb_systolic %dx%d IN=%d ACC=%d seed=%llu: %ld folds (os %ld, ws %ld, is %ld), "
              "%ld outputs checked, %ld errors: %s\n",
              R, C, IN, ACC, static_cast<unsigned long long>(seed), folds_done, fold_per_mode[0],
              fold_per_mode[1], fold_per_mode[2], checked_outputs, errors,
              (errors == 0 && folds_done == nfolds) ? "PASS" : "FAIL");
  return (errors == 0 && folds_done == nfolds) ? 0 : 1;
}
