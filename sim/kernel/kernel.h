#pragma once
// The transaction-level SystemC kernel. Operators run one after another; inside an operator a
// loader, the engine and a writer run as three SystemC threads over a double-buffered pipeline:
// the loader moves tile i+1's operands DRAM -> scratchpad (through a DMA channel and the DRAM
// channel) while the engine computes tile i, and the writer stores finished outputs. Nothing
// ticks per cycle: each thread waits exactly the cycles the models return. Simulated time is
// counted in cycles of the machine clock (1 cycle = 1 SC_NS tick).
//
// An operator's total cycles = its engine cycles + the memory stall the pipeline could not
// hide (first load, DRAM bandwidth, scratchpad bandwidth, the last store).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "models/engine/i_engine.h"
#include "sim/config/arch.h"
#include "sim/mapper/tiling.h"

namespace tessera {

// tile: closed-form engine costs; pe: per-cycle PE models; rtl: the engines' Verilated RTL
// (sim/cosim) clocked inside the engine thread, one SystemC cycle per RTL clock.
enum class Fidelity { Tile, Pe, Rtl };
Fidelity parse_fidelity(const std::string& s);  // tile|pe|rtl; throws UserError
const char* fidelity_name(Fidelity f);

// One operator, ready to run: the engine, the request every tile shares (dataflow, precision),
// and the tile steps of one group, repeated `groups` times.
struct OpPlan {
  std::string op, kind;
  size_t engine = 0;
  TileRequest request;  // shape fields are overwritten per tile
  int64_t groups = 1;
  std::vector<TileStep> steps;
  uint64_t macs = 0;    // useful operations of the whole operator
};

struct ScratchpadCounts {
  uint64_t read_bits = 0, write_bits = 0;  // engine and DMA traffic through it
};

struct OpResult {
  std::string op, kind, engine;
  uint64_t start_cycle = 0;
  uint64_t compute_cycles = 0;  // sum of engine tile cycles
  uint64_t spm_stall_cycles = 0;  // tile time beyond the engine's, for scratchpad bandwidth
  uint64_t total_cycles = 0;
  uint64_t stall_cycles = 0;    // total - compute
  uint64_t dram_busy_cycles = 0;
  uint64_t dram_read_bits = 0, dram_write_bits = 0;
  uint64_t tiles = 0;
  uint64_t macs = 0;
  CycleSplit engine_split;
  ActionCounts actions;          // engine actions (component names are the engine's)
  std::vector<ScratchpadCounts> spm;  // per arch scratchpad
  bool memory_bound() const { return dram_busy_cycles > compute_cycles; }
};

// The functional data of one GEMM operator in a data run: per group, the whole operands
// (a: m x k, b: k x n) and the result its tiles build (m x n, wrapping at the engine's
// psum_bits as the partial sums of later k tiles are added).
struct OpData {
  std::vector<IntMatrix> a, b, out;
};

// Supplies operands before an operator runs and takes its results after (sim/kernel/datapath.h).
class IDataPath {
 public:
  virtual ~IDataPath() = default;
  // Throws UserError if `plan` cannot run with data. Called for every plan before anything is
  // simulated: a throw after SystemC has switched stacks confuses AddressSanitizer.
  virtual void check(const OpPlan& plan) const = 0;
  virtual OpData operands(const OpPlan& plan) = 0;
  virtual void results(const OpPlan& plan, OpData&& data) = 0;
};

// With `data`, every GEMM tile is also computed on its operands by the fidelity's engine view
// (tile: compute(), pe: simulate_pe(), rtl: the RTL); vector work is then a UserError.
std::vector<OpResult> run_kernel(const Arch& arch, const std::vector<OpPlan>& plans, Fidelity fidelity,
                                 IDataPath* data = nullptr);

}  // namespace tessera
