// GPU-style tensor-core engine (docs/engines/tensor_core.md). A GEMM tile becomes output fragments
// of the MMA shape, each a chain of dependent MMAs over k; warp tiles of frags_m x frags_n
// fragments are dealt, largest first, round robin to the SMs' tensor cores, which run them in
// waves of `warps` warp tiles, every fragment of a wave an independent chain of the sub-partition's
// MMA pipeline (models/engine/mma_pipeline.h). Three views of the same machine:
//   cost()        the closed form: the tensor core dealt the most work, wave by wave;
//   simulate_pe() every tensor core's waves through the per-cycle pipeline, MMA by MMA, counting
//                 events as MMAs issue and warps load fragments, computing the fragments;
//   compute()     the functional result (the generation's block rule, models/numerics).
#include "models/engine/tensor_core.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <tuple>
#include <memory>
#include <stdexcept>
#include <utility>

#include "models/common/error.h"
#include "models/common/int_math.h"
#include "models/numerics/accumulate.h"
#include "models/numerics/tensor_core_numerics.h"

namespace tessera {

namespace {

using u64 = uint64_t;
constexpr const char* kDatapath = "tensor_cores";
constexpr const char* kRegisters = "register_file";
constexpr const char* kConvert = "convert";
constexpr const char* kClassNames[] = {"fp16", "fp16acc", "tf32", "int8", "int4", "fp8"};
constexpr DType kMmaFormats[] = {DType::fp16, DType::bf16,     DType::tf32,    DType::int8,
                                 DType::int4, DType::fp8_e4m3, DType::fp8_e5m2};


MmaShape parse_shape(const std::string& text) {
  MmaShape s;
  char tail = 0;
  long long m = 0, n = 0, k = 0;
  if (std::sscanf(text.c_str(), "m%lldn%lldk%lld%c", &m, &n, &k, &tail) != 3 || m < 1 || n < 1 || k < 1)
    throw UserError("MMA shape '" + text + "' is not of the form m<M>n<N>k<K> (e.g. m16n8k16)", {}, "shape");
  s.m = m;
  s.n = n;
  s.k = k;
  return s;
}

}  // namespace

TensorCoreSpec TensorCoreSpec::from_params(const ParamValues& p) {
  TensorCoreSpec s;
  s.generation = p.s("generation");
  s.sms = p.i("sms");
  s.tensor_cores = p.i("tensor_cores");
  s.warps = p.i("warps");
  s.frags_m = p.i("warp_frags_m");
  s.frags_n = p.i("warp_frags_n");
  s.auto_warp_tile = p.s("warp_tile") == "auto";
  if (p.s("shape") != "largest") s.shape = parse_shape(p.s("shape"));
  s.float_acc = NumFormat::of(*parse_dtype(p.s("acc")));
  for (const char* c : kClassNames)
    s.classes.push_back({c, p.i(std::string(c) + "_fmas"), p.i(std::string(c) + "_depth")});
  return s;
}

bool TensorCoreSpec::generation_runs(DType in) const {
  const auto formats = tensor_core_formats(generation);
  return std::find(formats.begin(), formats.end(), dtype_name(in) + "->" + acc_of(in).name()) != formats.end();
}

std::string tc_class_name(DType in, const NumFormat& acc) {
  const bool fp32 = acc == NumFormat::of(DType::fp32);
  switch (in) {
    case DType::fp16:
      if (fp32) return "fp16";
      return acc == NumFormat::of(DType::fp16) ? "fp16acc" : "";
    case DType::bf16:
      return fp32 ? "fp16" : "";
    case DType::tf32:
      return fp32 ? "tf32" : "";
    case DType::int8:
      return acc == NumFormat::int_bits(32) ? "int8" : "";
    case DType::int4:
      return acc == NumFormat::int_bits(32) ? "int4" : "";
    case DType::fp8_e4m3:
    case DType::fp8_e5m2:
      return fp32 ? "fp8" : "";
    default:
      return "";
  }
}

std::optional<DType> tc_mma_input(DType a, DType b) {
  const auto small_int = [](DType t, int bits) { return dtype_is_int(t) && dtype_value_bits(t) <= bits; };
  const auto fp8 = [](DType t) { return t == DType::fp8_e4m3 || t == DType::fp8_e5m2; };
  if (a == b && !small_int(a, 8)) return a;
  if (fp8(a) && fp8(b)) return a;
  for (auto [x, y] : {std::pair{a, b}, std::pair{b, a}})
    if ((x == DType::fp16 || x == DType::bf16) && (small_int(y, 8) || y == x)) return x;
  if (small_int(a, 4) && small_int(b, 4)) return DType::int4;
  if (small_int(a, 8) && small_int(b, 8)) return DType::int8;
  return std::nullopt;
}

TcMma tc_mma(const TensorCoreSpec& s, DType in, const NumFormat& acc) {
  tensor_core_rule(s.generation, in, acc);  // the generation has such an MMA, or says what it has
  const std::string cls = tc_class_name(in, acc);
  const auto c = std::find_if(s.classes.begin(), s.classes.end(), [&](const TcClass& x) { return x.name == cls; });
  if (cls.empty() || c == s.classes.end() || c->fmas == 0) {
    std::string have;
    for (const TcClass& x : s.classes)
      if (x.fmas > 0) have += (have.empty() ? "" : ", ") + std::string(x.name);
    throw UserError("this tensor core runs no " + dtype_name(in) + "->" + acc.name() + " MMA (" + cls +
                        "_fmas is 0); it runs the classes " + (have.empty() ? "none" : have),
                    {}, cls.empty() ? "acc" : cls + "_fmas");
  }
  const auto shapes = mma_shapes(s.generation, in);
  const MmaShape shape =
      s.shape ? *s.shape  // else the largest: fewest instructions per FMA
              : *std::max_element(shapes.begin(), shapes.end(),
                                  [](const MmaShape& x, const MmaShape& y) { return x.fmas() < y.fmas(); });
  check_mma_shape(s.generation, in, shape);
  const int64_t interval = static_cast<int64_t>(ceil_div(static_cast<u64>(shape.fmas()), static_cast<u64>(c->fmas)));
  return {shape, {interval, interval + c->depth}};
}

TcWarpTiles tc_warp_tiles(const MmaShape& shape, const GemmShape& g, int64_t wm, int64_t wn) {
  TcWarpTiles w;
  w.wm = wm;
  w.wn = wn;
  w.frag_m = static_cast<int64_t>(ceil_div(static_cast<u64>(g.m), static_cast<u64>(shape.m)));
  w.frag_n = static_cast<int64_t>(ceil_div(static_cast<u64>(g.n), static_cast<u64>(shape.n)));
  w.chain = static_cast<int64_t>(ceil_div(static_cast<u64>(g.k), static_cast<u64>(shape.k)));
  w.tiles_m = static_cast<int64_t>(ceil_div(static_cast<u64>(w.frag_m), static_cast<u64>(wm)));
  w.tiles_n = static_cast<int64_t>(ceil_div(static_cast<u64>(w.frag_n), static_cast<u64>(wn)));
  const int64_t em = w.frag_m - (w.tiles_m - 1) * wm, en = w.frag_n - (w.tiles_n - 1) * wn;
  std::map<int64_t, int64_t, std::greater<>> by_size;
  by_size[wm * wn] += (w.tiles_m - 1) * (w.tiles_n - 1);
  by_size[wm * en] += w.tiles_m - 1;
  by_size[em * wn] += w.tiles_n - 1;
  by_size[em * en] += 1;
  for (const auto& [size, n] : by_size)
    if (n > 0) w.kinds.emplace_back(size, n);
  return w;
}

std::vector<std::pair<int64_t, int64_t>> tc_warp_tile_candidates(const TensorCoreSpec& s) {
  if (!s.auto_warp_tile) return {{s.frags_m, s.frags_n}};
  std::vector<std::pair<int64_t, int64_t>> v;
  for (int64_t wm = 1; wm <= s.frags_m; ++wm)
    for (int64_t wn = 1; wn <= s.frags_n; ++wn) v.emplace_back(wm, wn);
  std::sort(v.begin(), v.end(), [](const auto& x, const auto& y) {
    return x.first * x.second != y.first * y.second ? x.first * x.second > y.first * y.second : x.first > y.first;
  });
  return v;
}

// The first tensor core's warp tiles are at j U (j = 0 .. n-1); wave v holds j in [vW, vW + W).
// A wave's fragments are a sum over the kinds' index ranges; waves that lie in one kind (all but
// at most one per kind boundary, and the last) repeat, so they are counted, not walked.
uint64_t tc_unit_cycles(const TensorCoreSpec& s, const MmaPipe& pipe, const TcWarpTiles& w) {
  const int64_t U = s.units(), W = s.warps, total = w.count();
  if (total == 0 || w.chain == 0) return 0;
  const int64_t n = (total + U - 1) / U;  // warp tiles of this tensor core
  // Kind boundaries in this tensor core's own index j: kind q holds j in [lo_q, hi_q).
  std::vector<std::pair<int64_t, int64_t>> bounds;  // {hi_j, size}
  int64_t start = 0;
  for (const auto& [size, cnt] : w.kinds) {
    start += cnt;
    bounds.emplace_back(std::min((start + U - 1) / U, n), size);  // j with j U < start
  }
  const auto fragments = [&](int64_t j0, int64_t j1) {  // sum of sizes over j in [j0, j1)
    int64_t f = 0, lo = 0;
    for (const auto& [hi, size] : bounds) {
      f += std::max<int64_t>(0, std::min(j1, hi) - std::max(j0, lo)) * size;
      lo = std::max(lo, hi);
    }
    return f;
  };
  uint64_t cycles = 0;
  for (int64_t v = 0; v * W < n;) {
    const int64_t j0 = v * W, j1 = std::min(n, j0 + W);
    // Waves v .. last lie in one kind when their j range does: count them at once.
    int64_t lo = 0, repeat = 1;
    for (const auto& [hi, size] : bounds) {
      if (j0 >= lo && j1 <= hi && j1 - j0 == W) repeat = std::max<int64_t>(1, (hi - j0) / W);
      lo = std::max(lo, hi);
    }
    cycles += static_cast<u64>(repeat) * mma_pipe_cycles(pipe, fragments(j0, j1), w.chain);
    v += repeat;
  }
  return cycles;
}

namespace {

// Events of a tile, in the units both models count them.
struct TcCounts {
  u64 mmas = 0;          // MMA instructions issued
  u64 a_loads = 0;       // A elements loaded into registers (fragments, padded)
  u64 b_loads = 0;       // B elements
};

struct TcKernelInfo {
  DType in;  // the MMA's input format (tc_mma_input)
  TcMma mma;
  AccumRule rule;
  NumFormat acc;
  int a_bits, b_bits;  // as stored (and loaded)
  bool convert_a, convert_b;
};

class TensorCoreEngine final : public IEngine {
 public:
  explicit TensorCoreEngine(const ParamValues& p) : s_(TensorCoreSpec::from_params(p)) {
    for (DType t : kMmaFormats)
      if (runs(t)) types_.push_back(t);
    if (types_.empty())
      throw UserError("this tensor core runs no MMA: every <class>_fmas is 0 or names a format " + s_.generation +
                          " tensor cores do not take (with acc " + s_.float_acc.name() + ")",
                      {}, "fp16_fmas");
    // A fixed shape must be an MMA of every class the part runs: work it cannot take would go
    // to another engine without a word.
    if (s_.shape)
      for (const TcClass& c : s_.classes) {
        if (c.fmas == 0) continue;
        std::string have;
        bool fits = false, any = false;
        for (DType t : kMmaFormats) {
          if (tc_class_name(t, s_.acc_of(t)) != c.name || !s_.generation_runs(t)) continue;
          any = true;
          for (const MmaShape& m : mma_shapes(s_.generation, t)) {
            fits = fits || m == *s_.shape;
            if (have.find(m.text()) == std::string::npos) have += (have.empty() ? "" : ", ") + m.text();
          }
        }
        if (any && !fits)
          throw UserError("shape " + s_.shape->text() + " is no " + s_.generation + " MMA of class " + c.name + " (" + c.name +
                              "_fmas " + std::to_string(c.fmas) + "), which takes " + have + "; set " + c.name +
                              "_fmas: 0 to run only the classes that have it",
                          {}, "shape");
      }
  }

  std::string type() const override { return "tensor_core"; }

  EngineCapabilities declare_capabilities() const override {
    EngineCapabilities c;
    c.work = {WorkKind::Gemm};
    c.dataflows = {"os"};
    // Beyond the MMA formats, the narrow ints that convert to one (tc_mma_input).
    c.a_types = types_;
    const auto has = [&](DType t) { return std::find(types_.begin(), types_.end(), t) != types_.end(); };
    if (has(DType::int8) || has(DType::int4) || has(DType::fp16) || has(DType::bf16))
      for (DType t : signed_int_dtypes(8))
        if (!has(t)) c.a_types.push_back(t);
    if (has(DType::int8) || has(DType::fp16) || has(DType::bf16)) c.a_types.push_back(DType::olive4);
    c.b_types = c.a_types;
    const TcMma first = mma_of(types_.front());
    c.rows = s_.units() * first.shape.m * s_.frags_m;
    c.cols = first.shape.n * s_.frags_n;
    u64 peak = 0;
    for (DType t : types_) {
      const TcMma m = mma_of(t);
      peak = std::max(peak, static_cast<u64>(s_.units()) * static_cast<u64>(m.shape.fmas()) /
                                static_cast<u64>(m.pipe.interval));
    }
    c.peak_ops_per_cycle = peak;
    c.tile_multiple = {{"os", {first.shape.m * s_.frags_m, first.shape.n * s_.frags_n, first.shape.k}}};
    if (s_.float_acc.is_float() && std::any_of(types_.begin(), types_.end(), dtype_is_float))
      c.acc_types.push_back(s_.float_acc);
    if (std::any_of(types_.begin(), types_.end(), [](DType t) { return !dtype_is_float(t); }))
      c.acc_types.push_back(NumFormat::int_bits(32));
    c.psum_bits = 0;
    for (const NumFormat& f : c.acc_types) c.psum_bits = std::max(c.psum_bits, f.bits());
    c.timing = TimingDependence::Shape;
    return c;
  }

  // The tensor core's own errors first (they say what runs), then the contract's.
  void check(const TileRequest& req) const override {
    if (req.kind != WorkKind::Gemm) return IEngine::check(req);
    info(req);
    IEngine::check(req);
  }

  TileCost cost(const TileRequest& req) const override {
    const TcKernelInfo k = info(req);
    TcWarpTiles w;
    u64 cycles = 0;
    bool first = true;
    for (const auto& [wm, wn] : tc_warp_tile_candidates(s_)) {
      TcWarpTiles c = tc_warp_tiles(k.mma.shape, req.gemm, wm, wn);
      const u64 cc = tc_unit_cycles(s_, k.mma.pipe, c);
      if (first || cc < cycles) std::tie(w, cycles, first) = std::make_tuple(std::move(c), cc, false);
    }
    const MmaShape& sh = k.mma.shape;
    TcCounts n;
    n.mmas = static_cast<u64>(w.frag_m * w.frag_n * w.chain);
    n.a_loads = static_cast<u64>(w.tiles_n * w.frag_m * sh.m * w.chain * sh.k);
    n.b_loads = static_cast<u64>(w.tiles_m * w.frag_n * sh.n * w.chain * sh.k);
    TileCost t;
    t.cycles = split(cycles, k.mma.pipe);
    t.macs = static_cast<u64>(req.gemm.m * req.gemm.n * req.gemm.k);
    t.actions = actions(k, n);
    t.traffic = traffic(req, k, w);
    return t;
  }

  TileCost simulate_pe(const TileRequest& req, const IntMatrix* a, const IntMatrix* b, IntMatrix* out) const override;

  void compute(const TileRequest& req, const IntMatrix& a, const IntMatrix& b, IntMatrix& out) const override {
    const TcKernelInfo k = info(req);
    if (k.acc.is_float())
      throw UserError("tensor core: integer data runs take int8/int4 operands; " + dtype_name(req.a_type) +
                      " tiles compute through the typed model");
    out = int_gemm_wrapping(a, b, 32);
  }

  AccumRule accum_rule(const TileRequest& req) const override { return info(req).rule; }

  // Partial sums of later k tiles add on the CUDA cores (fp32 FMA units round to nearest even),
  // not in the tensor core: the baseline rule of the accumulator.
  void combine(const TileRequest& req, TypedMatrix& psum, const TypedMatrix& tile) const override {
    accumulate_into(AccumRule::baseline(acc_format(req)), psum, tile);
  }

  std::vector<AreaItem> area_items() const override;

  // Full use: every tensor core issuing its default format's MMAs back to back from its largest
  // warp tile: wm wn MMAs per k step (one interval each), the step's fragment loads with them.
  FullUse full_use() const override {
    TileRequest r;
    r.a_type = r.b_type = types_.front();
    const TcKernelInfo k = info(r);
    const MmaShape& sh = k.mma.shape;
    const u64 U = static_cast<u64>(s_.units()), wm = static_cast<u64>(s_.frags_m), wn = static_cast<u64>(s_.frags_n);
    TcCounts n;
    n.mmas = U * wm * wn;
    n.a_loads = U * wm * static_cast<u64>(sh.m * sh.k);
    n.b_loads = U * wn * static_cast<u64>(sh.n * sh.k);
    return {actions(k, n), wm * wn * static_cast<u64>(k.mma.pipe.interval)};
  }
  std::vector<ActionPrimitive> action_primitives() const override {
    ActionCounts all;
    const EngineCapabilities& c = capabilities();
    for (DType a : c.a_types)
      for (DType b : c.b_types) {
        TileRequest r;
        r.a_type = a;
        r.b_type = b;
        const auto in = tc_mma_input(a, b);
        if (in && runs(*in)) all.merge(actions(info(r), TcCounts{1, 1, 1}));
      }
    return with_default_combine(all);
  }

 protected:
  NumFormat default_acc(const TileRequest& req) const override {
    return dtype_is_float(req.a_type) || dtype_is_float(req.b_type) ? s_.float_acc : NumFormat::int_bits(32);
  }

  // The generation's block rule over k, on operands padded with +0 to whole MMAs (as a kernel's
  // zero-filled shared-memory tiles are: a block's padded products are +0, not absent).
  void compute_typed(const TileRequest& req, const TypedMatrix& a, const TypedMatrix& b,
                     TypedMatrix& out) const override {
    const TcKernelInfo k = info(req);
    const GemmShape& g = req.gemm;
    if (a.format() != NumFormat::of(req.a_type) || b.format() != NumFormat::of(req.b_type) || a.rows() != g.m ||
        a.cols() != g.k || b.rows() != g.k || b.cols() != g.n)
      throw std::invalid_argument("tensor core compute: operands do not match the request");
    const int64_t kp = static_cast<int64_t>(ceil_div(static_cast<u64>(g.k), static_cast<u64>(k.mma.shape.k))) *
                       k.mma.shape.k;
    // Narrow operands convert to the MMA's format exactly, as they are loaded into registers.
    const NumFormat in = NumFormat::of(k.in);
    const TypedMatrix ac = k.convert_a ? convert(a, in) : a, bc = k.convert_b ? convert(b, in) : b;
    if (kp == g.k) {
      out = gemm(ac, bc, k.rule);
      return;
    }
    TypedMatrix ap(g.m, kp, in), bp(kp, g.n, in);
    for (int64_t i = 0; i < g.m; ++i)
      for (int64_t j = 0; j < g.k; ++j) ap.set_raw(i, j, ac.raw(i, j));
    for (int64_t i = 0; i < g.k; ++i)
      for (int64_t j = 0; j < g.n; ++j) bp.set_raw(i, j, bc.raw(i, j));
    out = gemm(ap, bp, k.rule);
  }

 private:
  // The generation has MMAs of `t` (of the fixed shape, if any) and this part's class has FMAs.
  bool runs(DType t) const {
    const auto shapes = mma_shapes(s_.generation, t);
    if (shapes.empty() || !s_.generation_runs(t) ||
        (s_.shape && std::find(shapes.begin(), shapes.end(), *s_.shape) == shapes.end()))
      return false;
    const std::string cls = tc_class_name(t, s_.acc_of(t));
    for (const TcClass& c : s_.classes)
      if (c.name == cls) return c.fmas > 0;
    return false;
  }
  TcMma mma_of(DType t) const { return tc_mma(s_, t, s_.acc_of(t)); }

  TcKernelInfo info(const TileRequest& req) const {
    const auto in = tc_mma_input(req.a_type, req.b_type);
    if (!in)
      throw UserError("tensor-core MMAs take A and B of one format (fp8 may mix e4m3 and e5m2), or an int of at "
                      "most 8 bits with fp16 or bf16 or with another such int (converted as loaded); got " +
                      dtype_name(req.a_type) + " x " + dtype_name(req.b_type));
    const NumFormat acc = acc_format(req);
    return {*in,
            tc_mma(s_, *in, acc),
            tensor_core_rule(s_.generation, *in, acc),
            acc,
            dtype_bits(req.a_type),
            dtype_bits(req.b_type),
            req.a_type != *in,
            req.b_type != *in};
  }

  // Cycles until the last MMA's result; the last `latency` of them drain the pipeline.
  static CycleSplit split(u64 cycles, const MmaPipe& p) {
    const u64 drain = std::min<u64>(cycles, static_cast<u64>(p.latency));
    return {0, cycles - drain, drain};
  }

  // Per MMA: shape products (padded), each added once into the block's aligned sum (integers: an
  // int32 adder), one normalise-and-round per output and block (floats), the register-file reads
  // of A, B and C and the write of D; per fragment load, a register write.
  ActionCounts actions(const TcKernelInfo& k, const TcCounts& n) const {
    const MmaShape& sh = k.mma.shape;
    const u64 products = n.mmas * static_cast<u64>(sh.fmas()), outs = n.mmas * static_cast<u64>(sh.m * sh.n);
    const int in_bits = dtype_bits(k.in);
    ActionCounts a;
    a.add(kDatapath, mul_primitive(k.in), in_bits, products);
    if (k.acc.is_float()) {
      a.add(kDatapath, "int_add", aligned_bits(k.rule), products);
      const u64 blocks = ceil_div(static_cast<u64>(sh.k), static_cast<u64>(k.rule.block));
      a.add(kDatapath, add_primitive(k.acc), k.acc.bits(), outs * blocks);
    } else {
      a.add(kDatapath, "int_add", 32, products);
    }
    a.add(kRegisters, "reg_read", in_bits, n.mmas * static_cast<u64>(sh.m * sh.k));
    a.add(kRegisters, "reg_read", in_bits, n.mmas * static_cast<u64>(sh.k * sh.n));
    a.add(kRegisters, "reg_read", k.acc.bits(), outs);
    a.add(kRegisters, "reg_write", k.acc.bits(), outs);
    a.add(kRegisters, "reg_write", k.a_bits, n.a_loads);
    a.add(kRegisters, "reg_write", k.b_bits, n.b_loads);
    // Conversion of each loaded element of a narrower operand, on the CUDA cores: into a float,
    // one add of that float (the magic-number trick: the int ORed into the significand of a
    // constant, the constant subtracted); into an int, one logic op at the MMA's width.
    const std::string conv = dtype_is_float(k.in) ? add_primitive(NumFormat::of(k.in)) : "int_add";
    if (k.convert_a) a.add(kConvert, conv, in_bits, n.a_loads);
    if (k.convert_b) a.add(kConvert, conv, in_bits, n.b_loads);
    return a;
  }

  // A block's fixed-point sum: sign, the leading bit, align_frac_bits below it, and the carries of
  // block + 1 terms.
  static int aligned_bits(const AccumRule& r) {
    return r.align_frac_bits + 2 + clog2(static_cast<u64>(r.block) + 1);
  }

  // Shared memory -> registers: each warp reads the real (unpadded) rows of A and columns of B
  // its warp tile covers, over all of k; results leave once, in the accumulator format.
  static OperandTraffic traffic(const TileRequest& req, const TcKernelInfo& k, const TcWarpTiles& w) {
    const GemmShape& g = req.gemm;
    OperandTraffic t;
    t.a_read_bits = static_cast<u64>(w.tiles_n * g.m * g.k) * static_cast<u64>(k.a_bits);
    t.b_read_bits = static_cast<u64>(w.tiles_m * g.n * g.k) * static_cast<u64>(k.b_bits);
    t.out_write_bits = static_cast<u64>(g.m * g.n) * static_cast<u64>(k.acc.bits());
    return t;
  }

  TensorCoreSpec s_;
  std::vector<DType> types_;
};

// The per-cycle view: every tensor core's warp tiles (dealing order: largest first, round robin),
// wave by wave through mma_pipe_simulate; each warp loads its fragments once per k step and issues
// its MMAs, counted as they go; with data, each fragment's chain is computed MMA by MMA.
TileCost TensorCoreEngine::simulate_pe(const TileRequest& req, const IntMatrix* a, const IntMatrix* b,
                                       IntMatrix* out) const {
  const TcKernelInfo k = info(req);
  const bool data = a && b && out;
  if (data && k.acc.is_float())
    throw UserError("tensor core: integer data runs take int8/int4 operands; " + dtype_name(req.a_type) +
                    " tiles compute through the typed model");
  const GemmShape& g = req.gemm;
  const MmaShape& sh = k.mma.shape;
  std::map<int64_t, u64> wave_cycles;  // per-cycle pipeline runs, by the wave's chain count
  // One warp tile choice on the machine: its slowest tensor core's cycles and the events.
  const auto run = [&](int64_t wm, int64_t wn, bool compute_data, TcCounts& n) {
    const int64_t frag_m = (g.m + sh.m - 1) / sh.m, frag_n = (g.n + sh.n - 1) / sh.n, chain = (g.k + sh.k - 1) / sh.k;
    // Warp tiles in dealing order: sizes sorted largest first, as (tile row, tile column) origins.
    struct WarpTile {
      int64_t fm0, fn0, fm, fn;
    };
    std::vector<WarpTile> tiles;
    for (int64_t fm0 = 0; fm0 < frag_m; fm0 += wm)
      for (int64_t fn0 = 0; fn0 < frag_n; fn0 += wn)
        tiles.push_back({fm0, fn0, std::min(wm, frag_m - fm0), std::min(wn, frag_n - fn0)});
    std::stable_sort(tiles.begin(), tiles.end(),
                     [](const WarpTile& x, const WarpTile& y) { return x.fm * x.fn > y.fm * y.fn; });
    u64 longest = 0;
    const int64_t U = s_.units();
    for (int64_t u = 0; u < std::min<int64_t>(U, static_cast<int64_t>(tiles.size())); ++u) {
      std::vector<const WarpTile*> mine;
      for (size_t i = static_cast<size_t>(u); i < tiles.size(); i += static_cast<size_t>(U)) mine.push_back(&tiles[i]);
      u64 unit = 0;
      for (size_t v = 0; v < mine.size(); v += static_cast<size_t>(s_.warps)) {
        int64_t chains = 0;
        for (size_t j = v; j < std::min(mine.size(), v + static_cast<size_t>(s_.warps)); ++j) {
          const WarpTile& t = *mine[j];
          chains += t.fm * t.fn;
          for (int64_t step = 0; step < chain; ++step) {  // the warp's k loop
            n.a_loads += static_cast<u64>(t.fm * sh.m * sh.k);
            n.b_loads += static_cast<u64>(t.fn * sh.n * sh.k);
            n.mmas += static_cast<u64>(t.fm * t.fn);
          }
          if (!compute_data) continue;
          for (int64_t fm = t.fm0; fm < t.fm0 + t.fm; ++fm)
            for (int64_t fn = t.fn0; fn < t.fn0 + t.fn; ++fn)
              for (int64_t step = 0; step < chain; ++step)  // D = A B + C, the fragment's chain
                for (int64_t i = fm * sh.m; i < std::min(g.m, (fm + 1) * sh.m); ++i)
                  for (int64_t j = fn * sh.n; j < std::min(g.n, (fn + 1) * sh.n); ++j) {
                    u64 d = static_cast<u64>(out->at(i, j));
                    for (int64_t q = step * sh.k; q < std::min(g.k, (step + 1) * sh.k); ++q)
                      d += static_cast<u64>(a->at(i, q)) * static_cast<u64>(b->at(q, j));
                    out->at(i, j) = wrap_to_bits(d, 32);
                  }
        }
        auto it = wave_cycles.find(chains);
        if (it == wave_cycles.end()) it = wave_cycles.emplace(chains, mma_pipe_simulate(k.mma.pipe, chains, chain)).first;
        unit += it->second;
      }
      longest = std::max(longest, unit);
    }
    return longest;
  };
  // Every candidate warp tile through the pipeline; the first with the fewest cycles runs.
  std::pair<int64_t, int64_t> best{0, 0};
  u64 best_cycles = 0;
  for (const auto& [wm, wn] : tc_warp_tile_candidates(s_)) {
    TcCounts scratch;
    const u64 c = run(wm, wn, false, scratch);
    if (best.first == 0 || c < best_cycles) std::tie(best, best_cycles) = std::make_pair(std::make_pair(wm, wn), c);
  }
  if (data) *out = IntMatrix(g.m, g.n);
  TcCounts n;
  const u64 longest = run(best.first, best.second, data, n);
  TileCost t;
  t.cycles = split(longest, k.mma.pipe);
  t.macs = static_cast<u64>(g.m * g.n * g.k);
  t.actions = actions(k, n);
  t.traffic = traffic(req, k, tc_warp_tiles(sh, g, best.first, best.second));
  return t;
}

// Per tensor core, the datapath of its widest class (the first of fp16, fp16acc, tf32, int8, int4,
// fp8 it runs; the other formats reuse it, as the multipliers of real tensor cores split): that
// class's FMAs per cycle as multipliers and aligned adders, one normaliser per block of them, and
// one MMA's operand registers (A, B, C). The register file and shared memory are not here: the
// machine's scratchpads and the register-file actions price them.
std::vector<AreaItem> TensorCoreEngine::area_items() const {
  const u64 U = static_cast<u64>(s_.units());
  DType t = types_.front();
  const NumFormat acc = s_.acc_of(t);
  const TcMma m = tc_mma(s_, t, acc);
  const AccumRule r = tensor_core_rule(s_.generation, t, acc);
  const u64 lanes = static_cast<u64>(m.shape.fmas() / m.pipe.interval);
  const int in_bits = dtype_bits(t);
  std::vector<AreaItem> v = {{kDatapath, mul_primitive(t), in_bits, U * lanes}};
  if (acc.is_float()) {
    v.push_back({kDatapath, "int_add", aligned_bits(r), U * lanes});
    v.push_back({kDatapath, add_primitive(acc), acc.bits(), U * ceil_div(lanes, static_cast<u64>(r.block))});
  } else {
    v.push_back({kDatapath, "int_add", 32, U * lanes});
  }
  const MmaShape& sh = m.shape;
  v.push_back({kDatapath, "reg", in_bits, U * static_cast<u64>(sh.m * sh.k + sh.k * sh.n)});
  v.push_back({kDatapath, "reg", acc.bits(), U * static_cast<u64>(sh.m * sh.n)});
  return without_empty(std::move(v));
}

std::vector<ParamDecl> tensor_core_params() {
  std::vector<ParamDecl> v = {
      ParamDecl::choice("generation", tensor_core_generations(), "ampere",
                        "tensor-core generation: its MMA shapes (PTX mma.sync) and numerics (block size, "
                        "alignment bits, rounding; docs/numerics.md)"),
      ParamDecl::integer("sms", "SMs", "108", 1, 1024, "streaming multiprocessors"),
      ParamDecl::integer("tensor_cores", "per SM", "4", 1, 16, "tensor cores per SM, one per sub-partition"),
      ParamDecl::integer("warps", "per tensor core", "4", 1, 64,
                         "resident warps issuing MMAs on one tensor core (occupancy): warp tiles run in waves of "
                         "this many"),
      ParamDecl::integer("warp_frags_m", "fragments", "2", 1, 64,
                         "a warp's (largest) tile along m, in MMA fragments (independent accumulators: "
                         "warp_frags_m x warp_frags_n per warp)"),
      ParamDecl::integer("warp_frags_n", "fragments", "4", 1, 64, "a warp's tile along n, in MMA fragments"),
      ParamDecl::choice("warp_tile", {"auto", "fixed"}, "auto",
                        "auto: per tile, the warp tile of at most warp_frags_m x warp_frags_n fragments that "
                        "finishes first (ties: the larger); fixed: always warp_frags_m x warp_frags_n"),
      ParamDecl::string("shape", "largest",
                        "MMA shape for every input format (e.g. m16n8k8), or largest: each format's largest "
                        "mma.sync shape"),
      ParamDecl::choice("acc", {"fp32", "fp16"}, "fp32", "accumulator of float inputs (int inputs: int32)"),
  };
  struct Dflt {
    const char* cls;
    const char* fmas;
    const char* doc;
  };
  // Defaults: an A100 SM sub-partition (docs/engines/tensor_core.md names the sources).
  const Dflt d[] = {{"fp16", "256", "fp16/bf16 x fp16/bf16 -> fp32"}, {"fp16acc", "256", "fp16 x fp16 -> fp16"},
                    {"tf32", "128", "tf32 x tf32 -> fp32"},           {"int8", "512", "int8 x int8 -> int32"},
                    {"int4", "1024", "int4 x int4 -> int32"},         {"fp8", "0", "fp8 x fp8 -> fp32"}};
  for (const Dflt& x : d) {
    v.push_back(ParamDecl::integer(std::string(x.cls) + "_fmas", "FMA/cycle", x.fmas, 0, 1 << 16,
                                   std::string("dense ") + x.doc + " FMAs per cycle per tensor core; 0: none"));
    v.push_back(ParamDecl::integer(std::string(x.cls) + "_depth", "cycles", "24", 0, 4096,
                                   std::string(x.doc) + " MMA latency beyond its issue interval"));
  }
  return v;
}

}  // namespace

TESSERA_REGISTER_ENGINE("tensor_core",
                        "GPU-style tensor cores: SMs x sub-partitions issuing warp-level MMA chains (mma.sync), "
                        "numerics of a generation",
                        tensor_core_params, [](const ParamValues& p) { return std::make_unique<TensorCoreEngine>(p); });

}  // namespace tessera
