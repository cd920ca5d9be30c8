// tessera cosim: an engine's C++ model and its Verilated RTL side by side on the same random
// tiles; outputs, cycles and actions compared. The dataflows come from the engine's
// capabilities(), never from a list here.
#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <random>
#include <sstream>

#include "models/engine/i_engine.h"
#include "sim/config/arch.h"
#include "sim/cosim/compare.h"
#include "sim/cosim/rtl_engine.h"
#include "tools/tessera/command.h"

namespace tessera::cli {
namespace {

struct CosimArgs {
  std::string arch, op, dataflow, engine;
  std::vector<std::string> sets;
  uint64_t seed = 1;
  int64_t count = 1;
};

// "gemm:M=64,N=64,K=64" -> the shape; every key once, each in 1..65535.
GemmShape parse_gemm_op(const std::string& text) {
  const auto bad = [&](const std::string& why) {
    return UserError("bad --op '" + text + "': " + why + " (expected gemm:M=<m>,N=<n>,K=<k>)", SourceLoc{}, "--op");
  };
  if (text.rfind("gemm:", 0) != 0) throw bad("only gemm tiles can be co-simulated");
  int64_t dims[3] = {0, 0, 0};
  std::stringstream in(text.substr(5));
  std::string item;
  while (std::getline(in, item, ',')) {
    const auto eq = item.find('=');
    const std::string key = eq == std::string::npos ? item : item.substr(0, eq);
    const int d = key == "M" || key == "m" ? 0 : key == "N" || key == "n" ? 1 : key == "K" || key == "k" ? 2 : -1;
    if (d < 0 || eq == std::string::npos) throw bad("'" + item + "' is not M=, N= or K=");
    if (dims[d]) throw bad(key + " given twice");
    const std::string v = item.substr(eq + 1);
    if (v.empty() || v.size() > 5 || v.find_first_not_of("0123456789") != std::string::npos) throw bad(key + " is not a number in 1..65535");
    dims[d] = std::stoll(v);
    if (dims[d] < 1 || dims[d] > 65535) throw bad(key + " is not a number in 1..65535");
  }
  if (!dims[0] || !dims[1] || !dims[2]) throw bad("M, N and K are all required");
  if (dims[0] * dims[2] > (int64_t{1} << 24) || dims[2] * dims[1] > (int64_t{1} << 24))
    throw bad("operands larger than 2^24 elements");
  return {dims[0], dims[1], dims[2]};
}

// --dataflow must be one the engine declares in capabilities().dataflows.
void check_dataflow(const std::string& dataflow, const EngineInstance& eng, const EngineCapabilities& caps) {
  if (dataflow.empty() || caps.accepts_dataflow(dataflow)) return;
  std::string list;
  for (const auto& d : caps.dataflows) list += (list.empty() ? "" : "|") + d;
  const std::string close = closest_match(dataflow, caps.dataflows);
  throw UserError("engine '" + eng.name + "' (" + eng.type + ") has no dataflow '" + dataflow + "'" +
                      (close.empty() ? "" : " -- did you mean '" + close + "'?") +
                      (list.empty() ? "; it declares none" : "; expected one of " + list),
                  SourceLoc{}, "--dataflow");
}

// Float operands from random integers: each int / 16 in `t` (fractions, signs, zeros, exact
// and rounding sums alike).
TypedMatrix random_floats(const IntMatrix& x, DType t) {
  TypedMatrix m(x.rows, x.cols, NumFormat::of(t));
  for (int64_t r = 0; r < x.rows; ++r)
    for (int64_t c = 0; c < x.cols; ++c) m.set_value(r, c, static_cast<double>(x.at(r, c)) / 16.0);
  return m;
}

// Model vs RTL on the same random tiles. Tile i of a dataflow draws its data from seed + i, so
// one failing tile is reproduced alone with --seed <seed+i> --count 1 and its exact shape.
int cmd_cosim(const CosimArgs& a) {
  const Arch arch = load_arch(a.arch, a.sets);
  const GemmShape full = parse_gemm_op(a.op);
  if (a.count < 1) throw UserError("--count must be at least 1", SourceLoc{}, "--count");
  const EngineInstance* eng = nullptr;
  for (const auto& e : arch.engines)
    if (a.engine.empty() ? RtlEngineRegistry::instance().find(e.type) != nullptr : e.name == a.engine) eng = &e;
  if (!eng)
    throw UserError(a.engine.empty() ? "machine '" + arch.name + "' has no engine with an RTL model"
                                     : "no engine named '" + a.engine + "' in machine '" + arch.name + "'",
                    SourceLoc{a.arch, 0, 0}, "--engine");
  const auto rtl = make_rtl_engine(eng->type, eng->params);
  const IEngine& model = *eng->model;
  const auto caps = model.capabilities();
  check_dataflow(a.dataflow, *eng, caps);
  std::vector<std::string> dataflows = a.dataflow.empty() ? caps.dataflows : std::vector<std::string>{a.dataflow};
  fmt::print("cosim: engine '{}' ({}, {}x{}, psum {} bits) vs its Verilated RTL; {} tile(s) per dataflow, seed {}\n",
             eng->name, eng->type, caps.rows, caps.cols, caps.psum_bits, a.count, a.seed);
  // Operands: int8 where the engine takes it, else its first activation format and widest weight.
  auto pick = [](const std::vector<DType>& v, bool widest) {
    if (std::find(v.begin(), v.end(), DType::int8) != v.end()) return DType::int8;
    DType best = v.front();
    for (DType t : v)
      if (widest && dtype_is_int(t) && dtype_bits(t) > dtype_bits(best)) best = t;
    return best;
  };
  const DType a_type = pick(caps.a_types, false), b_type = pick(caps.b_types, true);
  bool all_ok = true;
  for (const auto& df : dataflows) {
    std::mt19937_64 shapes(a.seed);
    uint64_t cycles = 0, macs = 0, outputs = 0;
    double model_s = 0, rtl_s = 0;
    int64_t done = 0;
    for (int64_t i = 0; i < a.count; ++i) {
      TileRequest req;
      req.dataflow = df;
      req.gemm = full;
      if (a.count > 1) {
        auto upto = [&](int64_t n) { return std::uniform_int_distribution<int64_t>(1, n)(shapes); };
        req.gemm = {upto(full.m), upto(full.n), upto(full.k)};
      }
      req.a_type = a_type;
      req.b_type = b_type;
      try {
        model.check(req);
      } catch (const UserError&) {
        // An engine that takes k in whole groups (the LUT array): the drawn k rounded up to them.
        const int64_t g = tile_multiple_of(caps, df)[2];
        req.gemm.k = (req.gemm.k + g - 1) / g * g;
        model.check(req);
      }
      rtl->check(req);
      std::mt19937_64 data(a.seed + static_cast<uint64_t>(i));
      const IntMatrix x = random_operands(req.gemm.m, req.gemm.k, dtype_bits(req.a_type), data);
      const IntMatrix w = random_operands(req.gemm.k, req.gemm.n, dtype_bits(req.b_type), data);
      const TileCheck chk = dtype_is_int(req.a_type) ? check_tile(model, *rtl, req, x, w)
                                                     : check_tile_typed(model, *rtl, req, random_floats(x, req.a_type),
                                                                        to_typed(w, NumFormat::of(req.b_type)));
      model_s += chk.model_seconds;
      rtl_s += chk.rtl_seconds;
      if (!chk.ok) {
        fmt::print("{}: MISMATCH at tile {} (m={} n={} k={}): {}\n", df, i, req.gemm.m, req.gemm.n, req.gemm.k,
                   chk.first_difference);
        fmt::print("  reproduce: tessera cosim --arch {} --op gemm:M={},N={},K={} --dataflow {} --seed {} --count 1{}\n",
                   a.arch, req.gemm.m, req.gemm.n, req.gemm.k, df, a.seed + static_cast<uint64_t>(i),
                   a.engine.empty() ? "" : " --engine " + a.engine);
        all_ok = false;
        break;
      }
      cycles += chk.rtl.cycles.total();
      macs += chk.rtl.macs;
      outputs += static_cast<uint64_t>(req.gemm.m * req.gemm.n);
      ++done;
    }
    if (done == a.count)
      fmt::print("{}: {} tiles ok: {} outputs bit-exact, {} cycles and {} MACs equal (closed form, pe model, rtl); "
                 "model {:.3f} s, rtl {:.3f} s\n",
                 df, done, outputs, cycles, macs, model_s, rtl_s);
  }
  return all_ok ? 0 : 1;
}

Action setup_cosim(CLI::App& cmd) {
  auto a = std::make_shared<CosimArgs>();
  cmd.add_option("--arch", a->arch, "machine description (its first engine with an RTL model is used)")->required();
  cmd.add_option("--op", a->op, "tile shape gemm:M=..,N=..,K=.. (with --count > 1: random shapes up to it)")->required();
  // Checked against the chosen engine's capabilities().dataflows once the arch is loaded.
  cmd.add_option("--dataflow", a->dataflow, "one dataflow (default: every dataflow the engine has)");
  cmd.add_option("--seed", a->seed, "random seed (tile i uses seed + i for its data)")->check(non_negative());
  cmd.add_option("--count", a->count, "tiles per dataflow");
  cmd.add_option("--engine", a->engine, "engine name (default: the first with an RTL model)");
  cmd.add_option("--set", a->sets, "override an arch parameter, e.g. engines.0.rows=16 (repeatable)");
  return [a] { return cmd_cosim(*a); };
}

}  // namespace

TESSERA_CLI_COMMAND(cosim, 50, "run an engine's C++ model and its Verilated RTL on the same random tiles", setup_cosim)

}  // namespace tessera::cli
