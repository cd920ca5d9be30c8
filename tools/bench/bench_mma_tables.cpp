// The tensor-core microbenchmarks of Sun et al. ("Dissecting Tensor Cores via Microbenchmarks",
// IEEE TPDS 2023; code github sunlex0717/DissectingTensorCores) run on the model: one thread
// block on one SM, W warps, each warp ILP independent accumulators (fragments), each a chain of
// ITERS dependent mma.sync instructions. Their "latency" is cycles / ITERS (the MMA latency at
// W = 1, ILP = 1) and their throughput FMAs per cycle per SM. For each machine given (default:
// the three presets), prints
//   1. latency per MMA shape and input format at W = 1, ILP = 1;
//   2. throughput per format (its largest shape) over W and ILP, with the published per-SM peak
//      next to it (the preset's sources; "-" where no figure was available).
// The model's run: the machine's tensor_core engine with sms = 1, warps = ceil(W / tensor_cores),
// only the measured class's FMAs, warp tiles of 1 x ILP fragments, and a tile of W warp tiles
// (m = W x shape m) over k = ITERS x shape k, so warp w runs on sub-partition w mod tensor_cores, as the hardware places them.
// Not a timed test.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "models/common/error.h"
#include "models/engine/i_engine.h"
#include "models/engine/mma_shapes.h"
#include "models/engine/tensor_core.h"
#include "models/numerics/tensor_core_numerics.h"
#include "sim/config/arch.h"

using namespace tessera;

namespace {

constexpr int64_t kIters = 1024;  // the benchmarks' loop count (DissectingTensorCores' source default)

// Published dense per-SM peaks, FMA per cycle, by machine name and format (sources in the
// presets' headers): [S23] via DESIGN.md for the A100 rates, the NVIDIA whitepapers otherwise.
const std::map<std::string, std::map<std::string, double>> kPublished = {
    {"a100", {{"fp16", 1024}, {"fp16/fp16", 1024}, {"bf16", 1024}, {"tf32", 512}, {"int8", 2048}, {"int4", 4096}}},
    {"rtx3070ti", {{"fp16", 256}, {"fp16/fp16", 512}, {"bf16", 256}, {"tf32", 128}, {"int8", 1024}, {"int4", 2048}}},
    {"h800", {{"fp16", 2048}, {"fp16/fp16", 2048}, {"bf16", 2048}, {"tf32", 1024}, {"int8", 4096}, {"fp8_e4m3", 4096}}},
};

struct Run {
  double latency = 0, fmas_per_cycle = 0;
};

Run run(const EngineRegistry::Entry& entry, ParamValues p, const std::string& acc, DType t, const MmaShape& s,
        int64_t warps, int64_t ilp) {
  const int64_t tcs = p.i("tensor_cores");
  p.set("acc", acc);
  p.set("sms", int64_t{1});
  p.set("warps", (warps + tcs - 1) / tcs);
  p.set("warp_tile", std::string("fixed"));
  p.set("warp_frags_m", int64_t{1});
  p.set("warp_frags_n", ilp);
  p.set("shape", s.text());
  // Only the measured class runs (a fixed shape must be an MMA of every class that does).
  const TensorCoreSpec spec = TensorCoreSpec::from_params(p);
  const std::string cls = tc_class_name(t, spec.acc_of(t));
  for (const TcClass& c : spec.classes)
    if (cls != c.name) p.set(std::string(c.name) + "_fmas", int64_t{0});
  const auto e = entry.make(p);
  TileRequest r;
  r.a_type = r.b_type = t;
  r.gemm = {warps * s.m, ilp * s.n, kIters * s.k};
  e->check(r);
  const TileCost c = e->cost(r);
  const double cycles = static_cast<double>(c.cycles.total());
  return {cycles / kIters, static_cast<double>(r.gemm.m * r.gemm.n * r.gemm.k) / cycles};
}

void tables(const std::string& path) {
  const Arch a = load_arch(path);
  for (const auto& inst : a.engines) {
    if (inst.type != "tensor_core") continue;
    const auto& entry = *EngineRegistry::instance().find(inst.type);
    const std::string gen = inst.params.s("generation");
    const auto caps = inst.model->capabilities();
    fmt::print("## {} ({}): engine '{}', {} tensor cores per SM, acc {}\n\n", a.name, gen, inst.name,
               inst.params.i("tensor_cores"), inst.params.s("acc"));
    fmt::print("Latency at 1 warp, ILP 1 (cycles per MMA; published: not available here)\n\n");
    // (input, accumulator) pairs: the engine's formats into their default accumulator, and fp16
    // into fp16 where the part has such MMAs.
    std::vector<std::pair<DType, std::string>> pairs;
    const auto formats = tensor_core_formats(gen);
    for (DType t : caps.a_types) {  // the MMA formats (the engine also takes narrow ints, converted)
      const std::string acc = dtype_is_float(t) ? inst.params.s("acc") : "int32";
      if (std::find(formats.begin(), formats.end(), dtype_name(t) + "->" + acc) != formats.end())
        pairs.emplace_back(t, dtype_is_float(t) ? acc : "fp32");
    }
    if (inst.params.s("acc") != "fp16" && inst.params.i("fp16acc_fmas") > 0) pairs.emplace_back(DType::fp16, "fp16");
    const auto label = [](DType t, const std::string& acc) {
      return dtype_is_float(t) && acc == "fp16" ? dtype_name(t) + "/fp16" : dtype_name(t);
    };
    fmt::print("| format | shape | model |\n|---|---|---|\n");
    for (const auto& [t, acc] : pairs)
      for (const MmaShape& s : mma_shapes(gen, t))
        fmt::print("| {} | {} | {:.1f} |\n", label(t, acc), s.text(), run(entry, inst.params, acc, t, s, 1, 1).latency);
    const std::vector<int64_t> warps = {1, 2, 4, 8, 16, 32}, ilps = {1, 2, 4};
    fmt::print("\nThroughput, FMA per cycle per SM, largest shape (columns: warps; rows: ILP)\n\n");
    const auto pub = kPublished.count(a.name) ? kPublished.at(a.name) : std::map<std::string, double>{};
    for (const auto& [t, acc] : pairs) {
      const auto shapes = mma_shapes(gen, t);
      MmaShape s = shapes.front();
      for (const auto& x : shapes)
        if (x.fmas() > s.fmas()) s = x;
      const auto it = pub.find(label(t, acc));
      fmt::print("{} {} (published peak: {})\n\n| ILP |", label(t, acc), s.text(),
                 it == pub.end() ? std::string("-") : fmt::format("{:.0f}", it->second));
      for (int64_t w : warps) fmt::print(" {} |", w);
      fmt::print("\n|---|");
      for (size_t i = 0; i < warps.size(); ++i) fmt::print("---|");
      fmt::print("\n");
      for (int64_t ilp : ilps) {
        fmt::print("| {} |", ilp);
        for (int64_t w : warps) fmt::print(" {:.1f} |", run(entry, inst.params, acc, t, s, w, ilp).fmas_per_cycle);
        fmt::print("\n");
      }
      fmt::print("\n");
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) files.push_back(argv[i]);
  if (files.empty())
    for (const char* f : {"a100", "rtx3070ti", "h800"})
      files.push_back(std::string(TESSERA_SOURCE_DIR) + "/configs/arch/" + f + ".yaml");
  try {
    for (const auto& f : files) tables(f);
  } catch (const UserError& e) {
    std::fprintf(stderr, "error: %s\n", e.formatted().c_str());
    return 2;
  }
  return 0;
}
