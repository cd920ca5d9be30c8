// The engine contract v2 (models/engine/i_engine.h): accumulator and output formats, the typed
// functional model, cross-tile combination (whose defaults must reproduce what the kernel
// charges today), operand statistics, sessions, declared action primitives and their pricing
// check at load.
#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <random>
#include <string>

#include "models/engine/i_engine.h"
#include "models/tech/engine_pricing.h"
#include "sim/config/arch.h"
#include "sim/config/tech_loader.h"

using namespace tessera;

namespace {

std::unique_ptr<IEngine> systolic(int64_t rows, int64_t cols, const std::string& df = "ws", int in_bits = 8,
                                  int acc_bits = 32, const std::string& timing = "native",
                                  const std::string& mac = "plain") {
  const auto* e = EngineRegistry::instance().find("systolic");
  REQUIRE(e != nullptr);
  ParamValues p = default_params(e->params);
  p.set("rows", rows);
  p.set("cols", cols);
  p.set("dataflow", df);
  p.set("in_bits", int64_t{in_bits});
  p.set("acc_bits", int64_t{acc_bits});
  p.set("timing", timing);
  p.set("mac", mac);
  return e->make(p);
}

std::unique_ptr<IEngine> vector_unit() {
  const auto* e = EngineRegistry::instance().find("vector");
  REQUIRE(e != nullptr);
  return e->make(default_params(e->params));
}

TileRequest gemm_req(int64_t m, int64_t n, int64_t k, const std::string& df = "", DType t = DType::int8) {
  TileRequest r;
  r.gemm = {m, n, k};
  r.dataflow = df;
  r.a_type = r.b_type = t;
  return r;
}

TypedMatrix random_typed(std::mt19937_64& rng, int64_t rows, int64_t cols, DType t) {
  const NumFormat f = NumFormat::of(t);
  std::uniform_int_distribution<int64_t> d(f.int_min(), f.int_max());
  TypedMatrix x(rows, cols, f);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) x.set_int(r, c, d(rng));
  return x;
}

// What the kernel charged per accumulating tile before the engine owned the combine: m*n
// accumulator int_add at psum_bits, m*n*psum_bits read from the out scratchpad, and the value
// wrapping at psum_bits.
TileCost kernel_combine_cost(const IEngine& e, const GemmShape& s) {
  const int psum = e.capabilities().psum_bits;
  const uint64_t mn = static_cast<uint64_t>(s.m) * static_cast<uint64_t>(s.n);
  TileCost t;
  t.actions.add("accumulator", "int_add", psum, mn);
  t.traffic.out_read_bits = mn * static_cast<uint64_t>(psum);
  return t;
}
int64_t kernel_wrap_bits(uint64_t v, int bits) {
  if (bits >= 64) return static_cast<int64_t>(v);
  const uint64_t mask = (uint64_t{1} << bits) - 1;
  v &= mask;
  if ((v >> (bits - 1)) & 1) v |= ~mask;
  return static_cast<int64_t>(v);
}

// A test engine whose one action the tech library cannot price (a 70-bit multiplier), and one
// that declares nothing.
class BadEngine final : public IEngine {
 public:
  explicit BadEngine(bool declare) : declare_(declare) {}
  std::string type() const override { return declare_ ? "test_unpriceable" : "test_undeclared"; }
  EngineCapabilities declare_capabilities() const override {
    EngineCapabilities c;
    c.work = {WorkKind::Gemm};
    c.dataflows = {"os"};
    c.a_types = c.b_types = {DType::int8};
    return c;
  }
  TileCost cost(const TileRequest& req) const override {
    TileCost t;
    t.actions.add("pe", "int_mul", 70, static_cast<uint64_t>(req.gemm.m * req.gemm.n * req.gemm.k));
    return t;
  }
  TileCost simulate_pe(const TileRequest& req, const IntMatrix*, const IntMatrix*, IntMatrix*) const override {
    return cost(req);
  }
  void compute(const TileRequest&, const IntMatrix&, const IntMatrix&, IntMatrix&) const override {}
  std::vector<AreaItem> area_items() const override { return {{"pe", "reg", 8, 1}}; }
  std::vector<ActionPrimitive> action_primitives() const override {
    if (!declare_) return {};
    return {{"pe", "int_mul", 70}};
  }

 private:
  bool declare_;
};

std::vector<ParamDecl> no_params() { return {}; }

}  // namespace

TESSERA_REGISTER_ENGINE("test_unpriceable", "test: emits a 70-bit int_mul", no_params,
                        [](const ParamValues&) { return std::make_unique<BadEngine>(true); });
TESSERA_REGISTER_ENGINE("test_undeclared", "test: declares no action primitives", no_params,
                        [](const ParamValues&) { return std::make_unique<BadEngine>(false); });

TEST_CASE("accumulator and output formats default from the engine", "[contract]") {
  const auto e = systolic(4, 4, "ws", 8, 20);
  const EngineCapabilities caps = e->capabilities();
  REQUIRE(caps.acc_types.size() == 1);
  CHECK(caps.acc_types[0] == NumFormat::int_bits(20));
  CHECK(caps.timing == TimingDependence::Shape);
  TileRequest r = gemm_req(2, 2, 2);
  CHECK(e->acc_format(r) == NumFormat::int_bits(20));
  CHECK(e->out_format(r) == NumFormat::int_bits(20));
  CHECK(e->accum_rule(r) == AccumRule::baseline(NumFormat::int_bits(20)));
  r.out_type = NumFormat::of(DType::int8);
  CHECK(e->out_format(r) == NumFormat::of(DType::int8));
  r.acc_type = NumFormat::int_bits(20);
  CHECK_NOTHROW(e->check(r));
  r.acc_type = NumFormat::of(DType::int32);
  try {
    e->check(r);
    FAIL("expected a UserError");
  } catch (const UserError& err) {
    CHECK(err.message() == "engine 'systolic' cannot accumulate in int32; expected int20");
  }
  // An engine that lists no acc_types accumulates in a psum_bits-wide integer.
  const auto v = vector_unit();
  CHECK(v->acc_format(TileRequest{}) == NumFormat::of(DType::int32));
  CHECK(std::string(timing_dependence_name(TimingDependence::Histogram)) == "histogram");
}

TEST_CASE("systolic: typed compute is bit-exact equal to the IntMatrix model and the PE model", "[contract][systolic]") {
  std::mt19937_64 rng(3);
  std::uniform_int_distribution<int64_t> dim(1, 9);
  const DType types[] = {DType::int1, DType::int2, DType::int3, DType::int4, DType::int5,
                         DType::int6, DType::int7, DType::int8, DType::ternary};
  for (int acc : {8, 12, 32, 64}) {
    for (const char* df : {"os", "ws", "is"}) {
      const auto e = systolic(3, 4, df, 8, acc);
      for (int i = 0; i < 25; ++i) {
        const DType t = types[static_cast<size_t>(i) % 9];
        const TileRequest r = gemm_req(dim(rng), dim(rng), dim(rng), "", t);
        INFO("acc " << acc << " " << df << " " << dtype_name(t) << " " << r.gemm.m << "x" << r.gemm.n << "x" << r.gemm.k);
        const TypedMatrix a = random_typed(rng, r.gemm.m, r.gemm.k, t), b = random_typed(rng, r.gemm.k, r.gemm.n, t);
        TypedMatrix out;
        e->compute(r, a, b, out);
        CHECK(out.format() == NumFormat::int_bits(acc));
        const IntMatrix ai = to_int_matrix(a), bi = to_int_matrix(b);
        IntMatrix ref, pe;
        e->compute(r, ai, bi, ref);
        e->simulate_pe(r, &ai, &bi, &pe);
        CHECK(to_int_matrix(out) == ref);
        CHECK(out == to_typed(ref, NumFormat::int_bits(acc)));
        CHECK(pe == ref);
      }
    }
  }
  // Operands that do not match the request are a programmer error.
  const auto e = systolic(2, 2);
  TypedMatrix a(2, 2, NumFormat::of(DType::int4)), b(2, 2, NumFormat::of(DType::int8)), out;
  CHECK_THROWS_AS(e->compute(gemm_req(2, 2, 2), a, b, out), std::invalid_argument);
}

TEST_CASE("IntMatrix <-> TypedMatrix for integer formats", "[contract]") {
  IntMatrix x(2, 2);
  x.v = {-8, 7, 0, -1};
  const TypedMatrix t = to_typed(x, NumFormat::of(DType::int4));
  CHECK(t.raw(0, 0) == 8);
  CHECK(t.raw(1, 1) == 15);
  CHECK(to_int_matrix(t) == x);
  CHECK_THROWS_AS(to_typed(x, NumFormat::of(DType::int3)), std::invalid_argument);
  CHECK_THROWS_AS(to_typed(x, NumFormat::of(DType::ternary)), std::invalid_argument);
  CHECK_THROWS_AS(to_typed(x, NumFormat::of(DType::fp16)), std::invalid_argument);
  CHECK_THROWS_AS(to_int_matrix(TypedMatrix(1, 1, NumFormat::of(DType::bf16))), std::invalid_argument);
}

TEST_CASE("cross-tile combination: the defaults are exactly what the kernel charges today", "[contract]") {
  std::mt19937_64 rng(5);
  std::uniform_int_distribution<int64_t> dim(1, 300);
  for (int acc : {8, 20, 32, 64}) {
    const auto e = systolic(8, 8, "ws", 8, acc);
    for (int i = 0; i < 20; ++i) {
      const TileRequest r = gemm_req(dim(rng), dim(rng), dim(rng));
      CHECK(e->combine_cost(r) == kernel_combine_cost(*e, r.gemm));
    }
    // Functional: psum + tile wrapping at psum_bits, as the kernel's data path adds them.
    const NumFormat f = NumFormat::int_bits(acc);
    std::uniform_int_distribution<int64_t> val(f.int_min(), f.int_max());
    TypedMatrix psum(5, 7, f), tile(5, 7, f);
    IntMatrix want(5, 7);
    for (int64_t r = 0; r < 5; ++r)
      for (int64_t c = 0; c < 7; ++c) {
        const int64_t p = val(rng), t = val(rng);
        psum.set_int(r, c, p);
        tile.set_int(r, c, t);
        want.at(r, c) = kernel_wrap_bits(static_cast<uint64_t>(p) + static_cast<uint64_t>(t), acc);
      }
    e->combine(gemm_req(5, 7, 1), psum, tile);
    CHECK(to_int_matrix(psum) == want);
  }
  // Vector jobs never accumulate.
  TileRequest vr;
  vr.kind = WorkKind::Vector;
  vr.vec = {1000, 1, "add"};
  CHECK(vector_unit()->combine_cost(vr) == TileCost{});
  // The tile's cost and the combine add as the kernel adds them.
  const auto e = systolic(4, 4);
  TileCost sum = e->cost(gemm_req(4, 4, 8));
  sum += e->combine_cost(gemm_req(4, 4, 8));
  CHECK(sum.actions.count("accumulator", "int_add", 32) == 4 * 4 + 4 * 4);  // one later K fold + combine
  CHECK(sum.traffic.out_read_bits == (16 + 16) * 32u);
}

TEST_CASE("finalize converts accumulator values to the output format", "[contract]") {
  const auto e = systolic(2, 2);
  TileRequest r = gemm_req(1, 3, 1);
  r.out_type = NumFormat::of(DType::int8);
  TypedMatrix acc(1, 3, NumFormat::of(DType::int32)), out;
  acc.set_int(0, 0, 1000);
  acc.set_int(0, 1, -1000);
  acc.set_int(0, 2, -5);
  e->finalize(r, acc, out);
  CHECK(out.format() == NumFormat::of(DType::int8));
  CHECK(out.int_value(0, 0) == 127);
  CHECK(out.int_value(0, 1) == -128);
  CHECK(out.int_value(0, 2) == -5);
  CHECK_THROWS_AS(e->finalize(r, out, out), std::invalid_argument);  // not accumulator values
}

TEST_CASE("operand statistics: shape-only engines ignore them", "[contract]") {
  std::mt19937_64 rng(9);
  const auto e = systolic(4, 4, "os");
  const TileRequest r = gemm_req(6, 5, 7, "", DType::int4);
  const TypedMatrix a = random_typed(rng, 6, 7, DType::int4), b = random_typed(rng, 7, 5, DType::int4);
  const OperandStats s = stats_of(a, b);
  CHECK(s.a.count == 42);
  CHECK(s.b.count == 35);
  CHECK(s.a_data == &a);
  CHECK(s.b.bins.size() == 16);
  CHECK(stats_of(a, b, false).a_data == nullptr);
  CHECK(e->cost(r, s) == e->cost(r));
  OperandStats declared;
  declared.a = histogram_uniform(NumFormat::of(DType::int4), 42, 0.9);
  declared.b = histogram_uniform(NumFormat::of(DType::int4), 35, 0.0);
  CHECK(e->cost(r, declared) == e->cost(r));
}

TEST_CASE("the default session is the stateless engine, tile by tile", "[contract]") {
  const auto e = systolic(4, 4, "ws");
  const TileRequest op = gemm_req(8, 8, 8);
  auto s = e->begin_operator(op);
  TileCost total, want;
  const GemmShape shapes[] = {{8, 8, 4}, {8, 8, 4}, {8, 3, 4}};
  for (size_t i = 0; i < 3; ++i) {
    TileRequest r = op;
    r.gemm = shapes[i];
    TileContext ctx;
    ctx.first = i == 0;
    ctx.a_changed = i != 1;
    ctx.b_changed = true;
    ctx.out_changed = i != 1;
    ctx.accumulates = i == 1;
    total += s->tile(r, ctx);
    want += e->cost(r);
    if (ctx.accumulates) {
      total += s->combine(r, ctx);
      want += e->combine_cost(r);
    }
  }
  CHECK(s->finish() == TileCost{});
  CHECK(total == want);
  CHECK_THROWS_AS(s->tile(op, TileContext{}), std::logic_error);
  CHECK_THROWS_AS(s->finish(), std::logic_error);
}

TEST_CASE("systolic declares every action its cost and PE model emit", "[contract][systolic]") {
  std::mt19937_64 rng(13);
  std::uniform_int_distribution<int64_t> dim(1, 40), arr(1, 8);
  int tiles = 0;
  for (const char* mac : {"plain", "bitweight"})
  for (const char* timing : {"native", "scalesim"})
    for (const char* df : {"os", "ws", "is"})
      for (auto [in_bits, acc_bits] : {std::pair{8, 32}, std::pair{4, 12}, std::pair{16, 64}, std::pair{2, 8}}) {
        const auto e = systolic(arr(rng), arr(rng), df, in_bits, acc_bits, timing, mac);
        const auto declared = e->action_primitives();
        for (int i = 0; i < 12; ++i) {
          const TileRequest r = gemm_req(dim(rng), dim(rng), dim(rng), i % 2 ? df : "");
          INFO(mac << " " << timing << " " << df << " in " << in_bits << " acc " << acc_bits << " " << r.gemm.m << "x" << r.gemm.n
                      << "x" << r.gemm.k);
          CHECK(describe_actions(undeclared_actions(declared, e->cost(r).actions)) == "");
          CHECK(describe_actions(undeclared_actions(declared, e->combine_cost(r).actions)) == "");
          if (i < 3) CHECK(describe_actions(undeclared_actions(declared, e->simulate_pe(r, nullptr, nullptr, nullptr).actions)) == "");
          ++tiles;
        }
        // No stray declarations either: each declared primitive is emitted by some call.
        ActionCounts all;
        for (const char* d : {"os", "ws", "is"}) {
          const TileRequest r = gemm_req(9, 9, 9, d);
          all.merge(e->cost(r).actions);
          all.merge(e->combine_cost(r).actions);
        }
        for (const auto& p : declared) {
          INFO(p.component << "/" << p.primitive << "@" << p.bits);
          CHECK(all.count(p.component, p.primitive, p.bits) > 0);
        }
      }
  CHECK(tiles == 2 * 2 * 3 * 4 * 12);
}

TEST_CASE("vector unit declares every op at every format", "[contract][vector]") {
  const auto v = vector_unit();
  const auto declared = v->action_primitives();
  for (const auto& name : dtype_names())
    for (const char* op : {"add", "mul", "compare", "max", "div", "exp", "rsqrt"}) {
      TileRequest r;
      r.kind = WorkKind::Vector;
      r.vec = {77, 3, op};
      r.a_type = *parse_dtype(name);
      INFO(name << " " << op);
      CHECK_NOTHROW(v->check(r));
      CHECK(describe_actions(undeclared_actions(declared, v->cost(r).actions)) == "");
      CHECK(describe_actions(undeclared_actions(declared, v->simulate_pe(r, nullptr, nullptr, nullptr).actions)) == "");
    }
  TileRequest r;
  r.kind = WorkKind::Vector;
  r.vec = {77, 3, "tanh"};
  try {
    v->check(r);
    FAIL("expected a UserError");
  } catch (const UserError& e) {
    CHECK(e.message() == "engine 'vector' has no op 'tanh'; expected one of add|mul|compare|max|div|exp|rsqrt");
  }
}

std::unique_ptr<IEngine> vector_unit(int64_t lanes, int64_t depth, int64_t bits) {
  const auto* e = EngineRegistry::instance().find("vector");
  REQUIRE(e != nullptr);
  ParamValues p = default_params(e->params);
  p.set("lanes", lanes);
  p.set("pipeline_depth", depth);
  p.set("datapath_bits", bits);
  return e->make(p);
}

TEST_CASE("vector unit GEMM mode: hand-derived counts", "[contract][vector]") {
  // 8 lanes, depth 4, 32-bit lanes; tile 20 x 3 x 5: 3 columns x ceil(20/8) = 9 passes of 5 cycles.
  const auto v = vector_unit(8, 4, 32);
  TileRequest r = gemm_req(20, 3, 5, "", DType::int4);
  r.b_type = DType::int8;
  const TileCost c = v->cost(r);
  CHECK(c.cycles.fill == 4);
  CHECK(c.cycles.steady == 45);
  CHECK(c.cycles.drain == 0);
  CHECK(c.macs == 300);
  CHECK(c.actions.count("lanes", "int_mul", 8) == 300);
  CHECK(c.actions.count("lanes", "int_add", 32) == 300);
  CHECK(c.actions.count("lanes", "reg_write", 32) == 300 * 5);
  CHECK(c.traffic.a_read_bits == 300 * 4);  // every MAC reads its own activation
  CHECK(c.traffic.b_read_bits == 45 * 8);   // one broadcast weight per pass-cycle
  CHECK(c.traffic.out_write_bits == 60 * 32);
  CHECK(v->capabilities().tile_multiple.at("") == std::array<int64_t, 3>{8, 1, 1});
  // Operands wider than a lane are refused; floating GEMMs too.
  CHECK_THROWS_AS(vector_unit(8, 4, 8)->check(gemm_req(2, 2, 2, "", DType::int16)), UserError);
  CHECK_THROWS_AS(v->check(gemm_req(2, 2, 2, "", DType::fp16)), UserError);
}

TEST_CASE("vector unit GEMM mode: closed form = per-cycle model, outputs bit-exact", "[contract][vector]") {
  std::mt19937_64 rng(17);
  std::uniform_int_distribution<int64_t> dim(1, 40), lanes(1, 16), depth(0, 6);
  const DType types[] = {DType::int1, DType::int2, DType::int4, DType::int8, DType::ternary};
  for (int i = 0; i < 200; ++i) {
    const int64_t bits = i % 3 == 0 ? 8 : 32;
    const auto v = vector_unit(lanes(rng), depth(rng), bits);
    TileRequest r = gemm_req(dim(rng), dim(rng) / 4 + 1, dim(rng), "", types[static_cast<size_t>(i) % 5]);
    r.b_type = types[static_cast<size_t>(i / 5) % 5];
    INFO(r.gemm.m << "x" << r.gemm.n << "x" << r.gemm.k << " lanes " << v->capabilities().cols);
    REQUIRE_NOTHROW(v->check(r));
    const TypedMatrix a = random_typed(rng, r.gemm.m, r.gemm.k, r.a_type);
    const TypedMatrix b = random_typed(rng, r.gemm.k, r.gemm.n, r.b_type);
    const IntMatrix ai = to_int_matrix(a), bi = to_int_matrix(b);
    IntMatrix pe, fn;
    CHECK(v->simulate_pe(r, &ai, &bi, &pe) == v->cost(r));
    CHECK(v->simulate_pe(r, nullptr, nullptr, nullptr) == v->cost(r));
    v->compute(r, ai, bi, fn);
    CHECK(pe == fn);
    // The numerics library's reference GEMM under the engine's accumulation rule.
    CHECK(to_int_matrix(gemm(a, b, v->accum_rule(r))) == fn);
    CHECK(describe_actions(undeclared_actions(v->action_primitives(), v->cost(r).actions)) == "");
    CHECK(describe_actions(undeclared_actions(v->action_primitives(), v->combine_cost(r).actions)) == "");
  }
}

TEST_CASE("the tech library prices every declared primitive, or the engine is rejected at load", "[contract][tech]") {
  const TechLibrary tech = load_tech("configs/tech/45nm.yaml");
  for (auto [in_bits, acc_bits] : {std::pair{1, 8}, std::pair{8, 32}, std::pair{16, 64}})
    CHECK_NOTHROW(check_engine_pricing(*systolic(4, 4, "ws", in_bits, acc_bits), "array", tech));
  CHECK_NOTHROW(check_engine_pricing(*vector_unit(), "vec", tech));

  BadEngine bad(true);
  try {
    check_engine_pricing(bad, "big", tech);
    FAIL("expected a UserError");
  } catch (const UserError& e) {
    const std::string m = e.message();
    INFO(m);
    CHECK(m.find("engine 'big' (type test_unpriceable)") != std::string::npos);
    CHECK(m.find("action 'int_mul' at 70 bits in component 'pe'") != std::string::npos);
    CHECK(m.find("bits must be 1..64, got 70") != std::string::npos);
    CHECK(m.find("45nm.yaml") != std::string::npos);
  }
  CHECK_THROWS_WITH(check_engine_pricing(BadEngine(false), "quiet", tech),
                    Catch::Contains("engine 'quiet' (type test_undeclared) declares no action primitives"));

  // Through the arch loader: rejected at load, at the engine's place in the file.
  const std::string arch = R"(name: bad
tech: configs/tech/45nm.yaml
engines:
  - name: array
    type: systolic
  - name: big
    type: test_unpriceable
memory:
  scratchpads:
    - size_kb: 64
      banks: 4
      width_bits: 64
)";
  try {
    load_arch_string(arch, "bad.yaml");
    FAIL("expected a UserError");
  } catch (const UserError& e) {
    INFO(e.formatted());
    CHECK(e.loc().file == "bad.yaml");
    CHECK(e.loc().line == 6);
    CHECK(e.key() == "engines.1");
    CHECK(e.message().find("engine 'big' (type test_unpriceable) emits action 'int_mul' at 70 bits in component 'pe'") !=
          std::string::npos);
  }
}
