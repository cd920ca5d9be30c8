#pragma once
// The machine: arch YAML (or a SCALE-Sim .cfg) -> validated, typed instances built through the
// registries. Every parameter comes from a declaration (ParamDecl) next to its model; this file
// only knows the arch layout (name, clock, tech, engines, memory).
#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

#include "models/engine/i_engine.h"
#include "models/memory/i_memory.h"
#include "models/tech/tech_library.h"

namespace tessera {

struct EngineInstance {
  std::string name;
  std::string type;
  ParamValues params;
  // Element-wise operators (elementwise kind's `op` names) the engine's output path applies to
  // its results, so a mapping may fuse them into the GEMM before them (sim/scheduler).
  std::vector<std::string> fuse;
  SourceLoc loc;
  std::shared_ptr<const IEngine> model;
};

struct ScratchpadInstance {
  std::string name;
  std::string type;
  ParamValues params;
  std::vector<Operand> holds;
  std::shared_ptr<const IScratchpad> model;
  bool holds_operand(Operand o) const;
};

struct Arch {
  std::string name;
  std::string file;
  double clock_ghz = 1.0;
  std::string tech_file;
  std::shared_ptr<const TechLibrary> tech;
  std::vector<EngineInstance> engines;
  std::vector<ScratchpadInstance> scratchpads;
  std::string dram_type, dma_type;
  ParamValues dram_params, dma_params;
  std::shared_ptr<const IDram> dram;
  std::shared_ptr<const IDma> dma;
  nlohmann::json resolved;  // every parameter after defaults and overrides, for reports

  const ScratchpadInstance& scratchpad_for(Operand o) const;  // the one that holds `o` (a, b, out)
  // The accumulator: the scratchpad that holds partial sums apart from the outputs (holds psum,
  // not out), or -1 when partial sums live with the outputs.
  int accumulator() const;
  const EngineInstance* find_engine(const std::string& name) const;
  // The widest integer format (int1..int32) every GEMM engine reads as both operands: what a
  // float ONNX graph's tensors become unless --dtype says otherwise. int8 without GEMM engines.
  DType default_int_format() const;
  uint64_t cycles_from_ns(double ns) const;  // ceil at the clock
};

// `overrides` are "path=value" strings from --set (e.g. "engines.0.rows=64",
// "memory.dram.bandwidth_gbps=50"); each must name a declared key.
Arch load_arch(const std::string& path, const std::vector<std::string>& overrides = {});
Arch load_arch_string(const std::string& text, const std::string& name, const std::vector<std::string>& overrides = {});

// The parameters of the arch file's fixed layout (name, clock_ghz, tech), for `tessera list`.
std::vector<ParamDecl> arch_top_params();
// Keys every engine entry takes besides its type's parameters (name, fuse).
std::vector<ParamDecl> engine_instance_params();

}  // namespace tessera
