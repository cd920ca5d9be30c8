// The tensor-core engine against docs/engines/tensor_core.md: hand-derived tiles (one chain, edge
// warp tiles over two tensor cores), the closed form == the per-cycle model over random shapes and
// machines, the published A100 per-SM rates (DESIGN.md) from its throughput-bound limit, the
// latency-bound limit, outputs (int data and the typed block rule), and its errors.
#include "models/engine/tensor_core.h"

#include <catch2/catch.hpp>

#include <memory>
#include <random>
#include <string>

#include "models/common/error.h"
#include "models/numerics/tensor_core_numerics.h"

using namespace tessera;

namespace {

struct Config {
  std::string generation = "ampere";
  int64_t sms = 1, tensor_cores = 1, warps = 1, fm = 1, fn = 1;
  std::string shape = "largest", acc = "fp32";
  int64_t fp16_fmas = 256, depth = 24;
  std::string warp_tile = "fixed";
};

ParamValues params(const Config& c) {
  const auto* e = EngineRegistry::instance().find("tensor_core");
  REQUIRE(e != nullptr);
  ParamValues p = default_params(e->params);
  p.set("generation", c.generation);
  p.set("sms", c.sms);
  p.set("tensor_cores", c.tensor_cores);
  p.set("warps", c.warps);
  p.set("warp_frags_m", c.fm);
  p.set("warp_frags_n", c.fn);
  p.set("shape", c.shape);
  p.set("acc", c.acc);
  p.set("fp16_fmas", c.fp16_fmas);
  p.set("warp_tile", c.warp_tile);
  for (const char* cls : {"fp16", "fp16acc", "tf32", "int8", "int4", "fp8"}) p.set(std::string(cls) + "_depth", c.depth);
  if (c.generation == "hopper") p.set("fp8_fmas", int64_t{512});
  if (c.shape != "largest")  // a fixed shape must be an MMA of every class that runs: the floats here
    for (const char* cls : {"int8", "int4", "fp8"}) p.set(std::string(cls) + "_fmas", int64_t{0});
  return p;
}

std::unique_ptr<IEngine> make(const Config& c) { return EngineRegistry::instance().find("tensor_core")->make(params(c)); }

TileRequest gemm(int64_t m, int64_t n, int64_t k, DType t = DType::fp16) {
  TileRequest r;
  r.gemm = {m, n, k};
  r.a_type = r.b_type = t;
  return r;
}

}  // namespace

TEST_CASE("tensor core: one warp, one fragment, by hand", "[tensor_core]") {
  // A100 sub-partition, m16n8k16 fp16->fp32: interval 2048 / 256 = 8, latency 8 + 24 = 32. A
  // 16 x 8 x 40 tile is one fragment, a chain of ceil(40/16) = 3 MMAs: 3 x 32 = 96 cycles, the
  // last 32 the drain. 3 MMAs x 2048 = 6144 products (k padded to 48), 16 x 8 x 40 useful MACs.
  auto e = make({});
  const TileCost t = e->cost(gemm(16, 8, 40));
  CHECK(t.cycles == CycleSplit{0, 64, 32});
  CHECK(t.macs == 5120);
  CHECK(t.actions.count("tensor_cores", "fp16_mul", 16) == 6144);
  // Block of 8 + c: a sign, the leading bit, 24 fraction bits, clog2(9) = 4 carry bits: 30.
  CHECK(t.actions.count("tensor_cores", "int_add", 30) == 6144);
  // One normalise-and-round per output, block and MMA: 128 x 2 x 3.
  CHECK(t.actions.count("tensor_cores", "fp32_add", 32) == 768);
  CHECK(t.actions.count("register_file", "reg_read", 16) == 3 * (16 * 16 + 16 * 8));
  CHECK(t.actions.count("register_file", "reg_read", 32) == 3 * 128);
  CHECK(t.actions.count("register_file", "reg_write", 32) == 3 * 128);
  CHECK(t.actions.count("register_file", "reg_write", 16) == 3 * (16 * 16 + 16 * 8));
  // The warp reads the real 16 x 40 of A and 40 x 8 of B once; 128 fp32 results leave.
  CHECK(t.traffic == OperandTraffic{16 * 40 * 16, 40 * 8 * 16, 128 * 32, 0});
  CHECK(e->simulate_pe(gemm(16, 8, 40), nullptr, nullptr, nullptr) == t);
}

TEST_CASE("tensor core: edge warp tiles dealt largest first over two tensor cores, by hand", "[tensor_core]") {
  // 2 tensor cores, 2 warps each, warp tiles of 2 x 2 fragments. 48 x 24 x 16: 3 x 3 fragments of
  // m16n8, one MMA each; warp tiles: one of 4 fragments, a right edge of 2, a bottom edge of 2, a
  // corner of 1 -> dealt 4, 2, 2, 1: tensor core 0 gets 4 and 2 (one wave, 6 chains), tensor core
  // 1 gets 2 and 1 (3 chains). Core 0: 5 x 8 + 32 = 72; core 1: 2 x 8 + 32 = 48. The tile: 72.
  auto e = make({"ampere", 1, 2, 2, 2, 2});
  const TileCost t = e->cost(gemm(48, 24, 16));
  CHECK(t.cycles.total() == 72);
  CHECK(t.actions.count("tensor_cores", "fp16_mul", 16) == 9 * 2048);
  // A: 2 warp-tile columns each read all 48 rows; B: 2 warp-tile rows each read all 24 columns.
  CHECK(t.traffic.a_read_bits == 2 * 48 * 16 * 16);
  CHECK(t.traffic.b_read_bits == 2 * 24 * 16 * 16);
  // Fragment loads (padded, per warp tile and k step): A 16 x 16 per fragment row, B 16 x 8 per
  // fragment column: A (2 + 1) x 2 tile columns, B (2 + 1) x 2 tile rows.
  CHECK(t.actions.count("register_file", "reg_write", 16) == 6 * 256 + 6 * 128);
  CHECK(e->simulate_pe(gemm(48, 24, 16), nullptr, nullptr, nullptr) == t);
  // One warp per tensor core: core 0 runs 4 then 2 (8 x 3 + 32 = 56, then 8 + 32 = 40): 96.
  CHECK(make({"ampere", 1, 2, 1, 2, 2})->cost(gemm(48, 24, 16)).cycles.total() == 96);
}

TEST_CASE("tensor core: closed form == per-cycle model over random tiles and machines", "[tensor_core]") {
  std::mt19937_64 rng(12);
  const auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  const DType ampere_types[] = {DType::fp16, DType::bf16, DType::tf32, DType::int8, DType::int4};
  for (int it = 0; it < 600; ++it) {
    Config c;
    c.generation = it % 7 == 0 ? "volta" : it % 7 == 1 ? "hopper" : "ampere";
    c.sms = pick(1, 3);
    c.tensor_cores = pick(1, 4);
    c.warps = pick(1, 5);
    c.fm = pick(1, 4);
    c.fn = pick(1, 4);
    c.depth = pick(0, 40);
    c.fp16_fmas = std::vector<int64_t>{64, 128, 256, 100}[static_cast<size_t>(pick(0, 3))];
    if (it % 5 == 0 && c.generation == "ampere") c.shape = "m16n8k8";
    c.warp_tile = it % 2 ? "auto" : "fixed";
    DType t = DType::fp16;
    if (c.generation == "ampere" && c.shape == "largest") t = ampere_types[pick(0, 4)];
    if (c.generation == "hopper" && it % 2) t = DType::fp8_e4m3;
    auto e = make(c);
    const TileRequest r = gemm(pick(1, 200), pick(1, 120), pick(1, 300), t);
    INFO("it " << it << " " << c.generation << " " << dtype_name(t) << " sms " << c.sms << " tc " << c.tensor_cores
               << " warps " << c.warps << " frags " << c.fm << "x" << c.fn << " m" << r.gemm.m << " n" << r.gemm.n
               << " k" << r.gemm.k);
    const TileCost closed = e->cost(r), pe = e->simulate_pe(r, nullptr, nullptr, nullptr);
    CHECK(closed.cycles == pe.cycles);
    CHECK(closed.actions == pe.actions);
    CHECK(closed.traffic == pe.traffic);
    CHECK(closed.macs == pe.macs);
    CHECK(describe_actions(undeclared_actions(e->action_primitives(), closed.actions)) == "");
  }
}

TEST_CASE("tensor core: A100 per-SM rates when throughput-bound (DESIGN.md)", "[tensor_core]") {
  // DESIGN.md (Dissecting Tensor Cores): per SM per clock FP16 1024, TF32 512, INT8 2048 FMA.
  // One SM, its 4 tensor cores, 4 warps of 2 x 4 fragments each: 32 chains x interval 8 = 256
  // cycles per round >> latency, so the long-k tile issues back to back: FMAs / cycles -> rate.
  const Config a100{"ampere", 1, 4, 4, 2, 4};
  auto e = make(a100);
  for (auto [t, rate] : {std::pair{DType::fp16, 1024}, {DType::bf16, 1024}, {DType::tf32, 512}, {DType::int8, 2048}}) {
    INFO(dtype_name(t));
    const TileRequest r = gemm(4 * 2 * 16 * 4, 4 * 8, 4096, t);  // 4 cores x 4 warps of 32 x 32
    const TileCost c = e->cost(r);
    const double per_cycle = static_cast<double>(c.macs) / static_cast<double>(c.cycles.total());
    CHECK(per_cycle == Approx(rate).epsilon(0.01));
    CHECK(per_cycle < rate);  // never above the peak
  }
}

TEST_CASE("tensor core: auto picks the warp tile that finishes first, by hand", "[tensor_core]") {
  // 4 tensor cores, 1 warp each, warp tiles of up to 1 x 4 fragments; 16 x 32 x 16 is 1 x 4
  // fragments of one MMA. 1 x 4: one tensor core, 4 chains: 3 x 8 + 32 = 56. 1 x 3: sizes 3 and 1,
  // 2 x 8 + 32 = 48. 1 x 2: two cores with 2 chains: 8 + 32 = 40. 1 x 1: four cores, one chain: 32.
  Config c{"ampere", 1, 4, 1, 1, 4};
  auto fixed = make(c);
  c.warp_tile = "auto";
  auto autom = make(c);
  const TileRequest r = gemm(16, 32, 16);
  CHECK(fixed->cost(r).cycles.total() == 56);
  CHECK(autom->cost(r).cycles.total() == 32);
  // A is read once per warp-tile column: once with 1 x 4, four times with 1 x 1.
  CHECK(fixed->cost(r).traffic.a_read_bits == 16 * 16 * 16);
  CHECK(autom->cost(r).traffic.a_read_bits == 4 * 16 * 16 * 16);
  CHECK(autom->simulate_pe(r, nullptr, nullptr, nullptr) == autom->cost(r));
  // With 1 x 4 and 1 x 1 equally fast (one tensor core), the larger wins the tie: A read once.
  Config one{"ampere", 1, 1, 4, 1, 4};
  one.warp_tile = "auto";
  CHECK(make(one)->cost(r).cycles.total() == 56);
  CHECK(make(one)->cost(r).traffic.a_read_bits == 16 * 16 * 16);
}

TEST_CASE("tensor core: one chain is latency-bound, many reach the interval", "[tensor_core]") {
  auto e = make({});
  // L dependent MMAs on one fragment: L x latency (the microbenchmarks' latency at 1 warp, ILP 1).
  CHECK(e->cost(gemm(16, 8, 16 * 10)).cycles.total() == 10 * 32);
  // 4 fragments (ILP 4) fill the pipe exactly: 4 x 8 = 32 = latency; L rounds of 32 + 3 x 8.
  CHECK(make({"ampere", 1, 1, 1, 1, 4})->cost(gemm(16, 32, 160)).cycles.total() == 9 * 32 + 3 * 8 + 32);
  // m16n8k8: interval 4, latency 28.
  CHECK(make({"ampere", 1, 1, 1, 1, 1, "m16n8k8"})->cost(gemm(16, 8, 16)).cycles.total() == 2 * 28);
}

TEST_CASE("tensor core: int8 data through the MMA chains equals the wrapping GEMM", "[tensor_core]") {
  std::mt19937_64 rng(5);
  std::uniform_int_distribution<int64_t> v(-128, 127);
  auto e = make({"ampere", 1, 2, 2, 2, 2});
  for (int it = 0; it < 20; ++it) {
    const TileRequest r = gemm(1 + it * 7 % 50, 1 + it * 5 % 30, 1 + it * 13 % 70, DType::int8);
    IntMatrix a(r.gemm.m, r.gemm.k), b(r.gemm.k, r.gemm.n), out, fn;
    for (auto& x : a.v) x = v(rng);
    for (auto& x : b.v) x = v(rng);
    const TileCost pe = e->simulate_pe(r, &a, &b, &out);
    e->compute(r, a, b, fn);
    CHECK(out == int_gemm_wrapping(a, b, 32));
    CHECK(fn == out);
    CHECK(pe == e->cost(r));
  }
}

TEST_CASE("tensor core: float outputs follow the generation's block rule, k padded with +0", "[tensor_core]") {
  const NumFormat f16 = NumFormat::of(DType::fp16), f32 = NumFormat::of(DType::fp32);
  auto e = make({});
  const TileRequest r = gemm(1, 1, 16);
  CHECK(e->accum_rule(r) == tensor_core_rule("ampere", DType::fp16, f32));
  // Alignment loss in one block of 8: 1 + 7 x 2^-25 truncates to 1.0 (24 fraction bits kept).
  TypedMatrix a(1, 16, f16), b(16, 1, f16), out;
  a.set_value(0, 0, 1.0);
  b.set_value(0, 0, 1.0);
  for (int i = 1; i < 8; ++i) {
    a.set_value(0, i, std::ldexp(1.0, -13));
    b.set_value(i, 0, std::ldexp(1.0, -12));
  }
  e->compute(r, a, b, out);
  CHECK(out.value(0, 0) == 1.0);
  // The same products first, 1.0 in the next block: their block sums exactly to 7 x 2^-25, which
  // then meets 1.0 truncated to 3 x 2^-24 and rounds toward zero in fp32: 1 + 2^-23.
  TypedMatrix a2(1, 16, f16), b2(16, 1, f16);
  for (int i = 0; i < 7; ++i) {
    a2.set_value(0, i, std::ldexp(1.0, -13));
    b2.set_value(i, 0, std::ldexp(1.0, -12));
  }
  a2.set_value(0, 8, 1.0);
  b2.set_value(8, 0, 1.0);
  e->compute(r, a2, b2, out);
  CHECK(out.value(0, 0) == 1.0 + std::ldexp(1.0, -23));
  // k = 12 is padded to 16: the result equals the 16-wide GEMM of the zero-padded operands.
  TypedMatrix a3(1, 12, f16), b3(12, 1, f16), a3p(1, 16, f16), b3p(16, 1, f16), out3;
  for (int i = 0; i < 12; ++i) {
    a3.set_value(0, i, -std::ldexp(1.0, -i));
    b3.set_value(i, 0, std::ldexp(1.0, -i));
    a3p.set_raw(0, i, a3.raw(0, i));
    b3p.set_raw(i, 0, b3.raw(i, 0));
  }
  e->compute(gemm(1, 1, 12), a3, b3, out3);
  CHECK(out3 == gemm(a3p, b3p, e->accum_rule(r)));
  // Later k tiles combine on the CUDA cores, to nearest (not the MMA's toward zero).
  TypedMatrix psum(1, 1, f32), tile(1, 1, f32);
  psum.set_value(0, 0, 1.0);
  tile.set_value(0, 0, std::ldexp(1.0, -24) * 1.5);  // 1 + 0.75 ulp: nearest 1 + 1 ulp, toward zero 1
  e->combine(r, psum, tile);
  CHECK(psum.value(0, 0) == 1.0 + std::ldexp(1.0, -23));
  // The accumulator follows the inputs: fp32 for fp16, int32 for int8.
  CHECK(e->acc_format(gemm(1, 1, 1)) == f32);
  CHECK(e->acc_format(gemm(1, 1, 1, DType::int8)) == NumFormat::int_bits(32));
  CHECK(make({"ampere", 1, 1, 1, 1, 1, "largest", "fp16"})->acc_format(gemm(1, 1, 1)) == f16);
}

TEST_CASE("tensor core: unsupported formats and shapes are errors listing what runs", "[tensor_core]") {
  auto e = make({});
  CHECK_THROWS_WITH(e->check(gemm(16, 8, 16, DType::fp8_e4m3)), Catch::Contains("fp8_e4m3"));
  CHECK_THROWS_WITH(e->check(gemm(16, 8, 16, DType::int16)), Catch::Contains("no int16->int32 MMA"));
  TileRequest mixed = gemm(16, 8, 16);
  mixed.b_type = DType::bf16;
  CHECK_THROWS_WITH(e->check(mixed), Catch::Contains("take A and B of one format"));
  mixed.a_type = DType::tf32;
  mixed.b_type = DType::int4;
  CHECK_THROWS_WITH(e->check(mixed), Catch::Contains("got tf32 x int4"));
  // A fixed shape that a class the part runs lacks is refused at load, with the class's shapes.
  CHECK_THROWS_WITH(make({"ampere", 1, 1, 1, 1, 1, "m16n8k16"}),
                    "shape m16n8k16 is no ampere MMA of class tf32 (tf32_fmas 128), which takes m16n8k4, m16n8k8; "
                    "set tf32_fmas: 0 to run only the classes that have it");
  {  // With tf32 off, a tf32 request says what runs.
    const auto* entry = EngineRegistry::instance().find("tensor_core");
    ParamValues p = params({"ampere", 1, 1, 1, 1, 1, "m16n8k16"});
    p.set("tf32_fmas", int64_t{0});
    CHECK_THROWS_WITH(entry->make(p)->check(gemm(16, 8, 16, DType::tf32)),
                      Catch::Contains("runs no tf32->fp32 MMA (tf32_fmas is 0); it runs the classes fp16, fp16acc"));
  }
  CHECK_THROWS_WITH(make({"ampere", 1, 1, 1, 1, 1, "m16x8"}), Catch::Contains("m<M>n<N>k<K>"));
  // A class the part does not run (fp16 FMAs 0): what it runs instead.
  Config no_fp16;
  no_fp16.fp16_fmas = 0;
  CHECK_THROWS_WITH(make(no_fp16)->check(gemm(16, 8, 16)),
                    Catch::Contains("runs no fp16->fp32 MMA (fp16_fmas is 0); it runs the classes fp16acc, tf32, int8, int4"));
  // Volta: fp16 only, m8n8k4.
  auto v = make({"volta"});
  CHECK(v->capabilities().a_types.front() == DType::fp16);  // and narrow ints, as fp16 dequantised
  CHECK_THROWS_WITH(v->check(gemm(8, 8, 16, DType::int8)), Catch::Contains("volta tensor cores"));
  CHECK_THROWS_WITH(v->check(gemm(8, 8, 4, DType::bf16)), Catch::Contains("volta"));
}

TEST_CASE("tensor core: narrow weights convert to the MMA's format as they are loaded", "[tensor_core]") {
  CHECK(tc_mma_input(DType::int8, DType::int4) == DType::int8);
  CHECK(tc_mma_input(DType::int4, DType::ternary) == DType::int4);
  CHECK(tc_mma_input(DType::fp16, DType::int4) == DType::fp16);
  CHECK(tc_mma_input(DType::int2, DType::bf16) == DType::bf16);
  CHECK(tc_mma_input(DType::fp8_e5m2, DType::fp8_e4m3) == DType::fp8_e5m2);
  CHECK_FALSE(tc_mma_input(DType::tf32, DType::int8));
  CHECK_FALSE(tc_mma_input(DType::fp16, DType::bf16));
  CHECK_FALSE(tc_mma_input(DType::int16, DType::int8));
  // W4A8: one fragment, m16n8k32 int8, k 64: two MMAs. B (int4) is loaded 64 x 8 (padded
  // fragment columns) and converted element by element at 8 bits; it is read as 4-bit values.
  auto e = make({});
  TileRequest r = gemm(16, 8, 64, DType::int8);
  r.b_type = DType::int4;
  const TileCost c = e->cost(r);
  CHECK(c.cycles.total() == 2 * 32);
  CHECK(c.actions.count("tensor_cores", "int_mul", 8) == 2 * 16 * 8 * 32);
  CHECK(c.actions.count("convert", "int_add", 8) == 64 * 8);
  CHECK(c.actions.count("register_file", "reg_write", 4) == 64 * 8);
  CHECK(c.traffic.b_read_bits == 64 * 8 * 4);
  CHECK(c == e->simulate_pe(r, nullptr, nullptr, nullptr));
  CHECK(describe_actions(undeclared_actions(e->action_primitives(), c.actions)) == "");
  // W4A16: fp16 MMAs on dequantised weights, the conversion an fp16 add per loaded element; the
  // result is the block-rule GEMM of the converted operands.
  TileRequest h = gemm(3, 5, 20);
  h.b_type = DType::int4;
  CHECK(e->acc_format(h) == NumFormat::of(DType::fp32));
  CHECK(e->cost(h).actions.count("convert", "fp16_add", 16) == 32 * 8);  // k 32 (padded) x 8 columns
  std::mt19937_64 rng(3);
  TypedMatrix a(3, 20, NumFormat::of(DType::fp16)), b(20, 5, NumFormat::of(DType::int4)), out;
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t j = 0; j < 20; ++j) a.set_value(i, j, std::ldexp(static_cast<double>(rng() % 2000) - 1000.0, -7));
  for (int64_t i = 0; i < 20; ++i)
    for (int64_t j = 0; j < 5; ++j) b.set_int(i, j, static_cast<int64_t>(rng() % 16) - 8);
  e->compute(h, a, b, out);
  TypedMatrix ap(3, 32, NumFormat::of(DType::fp16)), bp(32, 5, NumFormat::of(DType::fp16));
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t j = 0; j < 20; ++j) ap.set_raw(i, j, a.raw(i, j));
  for (int64_t i = 0; i < 20; ++i)
    for (int64_t j = 0; j < 5; ++j) bp.set_value(i, j, static_cast<double>(b.int_value(i, j)));
  CHECK(out == gemm(ap, bp, tensor_core_rule("ampere", DType::fp16, NumFormat::of(DType::fp32))));
  // int8 data with int4 weights through the MMA chains: the wrapping GEMM.
  IntMatrix ai(16, 64), bi(64, 8), o;
  for (auto& x : ai.v) x = static_cast<int64_t>(rng() % 256) - 128;
  for (auto& x : bi.v) x = static_cast<int64_t>(rng() % 16) - 8;
  e->simulate_pe(r, &ai, &bi, &o);
  CHECK(o == int_gemm_wrapping(ai, bi, 32));
}

TEST_CASE("tensor core: full use is its largest warp tile's MMAs back to back on every tensor core", "[tensor_core]") {
  // 2 SMs x 2 tensor cores, warp tiles of 2 x 4: per k step 8 MMAs of m16n8k16 fp16 (8 cycles
  // each) per tensor core, 64 cycles; the loads of that step, 2 x 16 x 16 of A, 4 x 8 x 16 of B.
  const IEngine::FullUse f = make({"ampere", 2, 2, 1, 2, 4})->full_use();
  CHECK(f.cycles == 64);
  CHECK(f.actions.count("tensor_cores", "fp16_mul", 16) == 4 * 8 * 2048);
  CHECK(f.actions.count("register_file", "reg_write", 16) == 4 * (2 * 256 + 4 * 128));
}

TEST_CASE("tensor core: OliVe pair operands decode to int8 as they are loaded", "[tensor_core][olive]") {
  // olive4 values reach +-96: int8 MMAs (not int4), fp16 with fp16 activations.
  CHECK(tc_mma_input(DType::olive4, DType::int8) == DType::int8);
  CHECK(tc_mma_input(DType::int4, DType::olive4) == DType::int8);
  CHECK(tc_mma_input(DType::olive4, DType::olive4) == DType::int8);
  CHECK(tc_mma_input(DType::fp16, DType::olive4) == DType::fp16);
  auto e = make({});
  TileRequest r = gemm(16, 8, 64, DType::int8);
  r.b_type = DType::olive4;
  const TileCost c = e->cost(r);
  CHECK(c.traffic.b_read_bits == 64 * 8 * 4);                      // 4 bits stored
  CHECK(c.actions.count("convert", "int_add", 8) == 64 * 8);        // one decode per loaded element
  CHECK(c.actions.count("tensor_cores", "int_mul", 8) == 2 * 4096);  // two m16n8k32 int8 MMAs
  CHECK(c == e->simulate_pe(r, nullptr, nullptr, nullptr));
}
