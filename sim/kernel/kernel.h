#pragma once
// The transaction-level SystemC kernel: it executes a plan (sim/plan) on the machine.
//
// Hardware units are SystemC processes created once per run: per engine a loader (DMA
// requests for the engine's operands), the engine itself, and a writer (stores of its
// results); one completion process for the DMA/DRAM path shared by all. Work items flow
// through them as transactions: each engine takes its items in plan order, an item computes
// once every item it depends on is done, and items on different engines run at the same time,
// contending for DMA channels, the DRAM channel and scratchpad ports. Each engine's tile
// stream is double-buffered across item boundaries, so the next item's first loads (weights,
// graph inputs; activations once their producers are done) go out while the current item
// computes. Nothing ticks per cycle: each process waits exactly the cycles the models return.
// Simulated time is counted in cycles of the machine clock (1 cycle = 1 SC_NS tick).
//
// The plan's placement is executed as given: an operand on chip costs scratchpad reads only;
// an operand in DRAM is loaded tile by tile; spills are written to DRAM before their item.
#include <cstdint>
#include <string>
#include <functional>
#include <vector>

#include "models/engine/i_engine.h"
#include "sim/config/arch.h"
#include "sim/plan/plan.h"

namespace tessera {

// tile: closed-form engine costs; pe: per-cycle PE models; rtl: the engines' Verilated RTL
// (sim/cosim) clocked inside the engine process, one SystemC cycle per RTL clock.
enum class Fidelity { Tile, Pe, Rtl };
Fidelity parse_fidelity(const std::string& s);  // tile|pe|rtl; throws UserError
const char* fidelity_name(Fidelity f);

struct ScratchpadCounts {
  uint64_t read_bits = 0, write_bits = 0;  // engine and DMA traffic through it
};

struct OpResult {
  std::string op, kind, engine;
  uint64_t start_cycle = 0;      // its engine took it up (its inputs ready); loads may precede it
  uint64_t end_cycle = 0;        // its last result stored
  uint64_t compute_cycles = 0;   // sum of engine tile cycles
  uint64_t spm_stall_cycles = 0; // tile time beyond the engine's, waiting for scratchpad ports
  uint64_t total_cycles = 0;     // end - start
  uint64_t stall_cycles = 0;     // total - compute
  uint64_t dram_busy_cycles = 0; // DRAM data-phase cycles of its transfers
  uint64_t dram_read_bits = 0, dram_write_bits = 0;  // write includes spills before it
  uint64_t spill_bits = 0;
  uint64_t tiles = 0;
  uint64_t macs = 0;
  WorkKind work = WorkKind::Gemm;     // GEMM MACs or vector element ops
  CycleSplit engine_split;
  ActionCounts actions;               // engine actions (component names are the engine's)
  std::vector<ScratchpadCounts> spm;  // per arch scratchpad
  std::vector<TensorUse> reads;       // from the plan: which inputs stayed on chip
  TensorUse write;
  std::vector<std::string> spills;
  std::string fused_into;  // done in that item's output path
  bool memory_bound() const { return dram_busy_cycles > compute_cycles; }
};

// The functional data of one GEMM item in a data run: per group, the whole operands
// (a: m x k, b: k x n) and the result its tiles build (m x n, wrapping at the engine's
// psum_bits as the partial sums of later k tiles are added).
struct OpData {
  std::vector<IntMatrix> a, b, out;
};

// Supplies operands before an item runs and takes its results after (sim/kernel/datapath.h).
class IDataPath {
 public:
  virtual ~IDataPath() = default;
  // Throws UserError if `plan` cannot run with data. Called for every item before anything is
  // simulated: a throw after SystemC has switched stacks confuses AddressSanitizer.
  virtual void check(const OpPlan& plan) const = 0;
  virtual OpData operands(const OpPlan& plan) = 0;
  virtual void results(const OpPlan& plan, OpData&& data) = 0;
};

// Results per plan item, in plan order. With `data`, every GEMM tile is also computed on its
// operands by the fidelity's engine view (tile: compute(), pe: simulate_pe(), rtl: the RTL);
// vector work is then a UserError.
// `progress`, if given, is called with (tile steps computed, all the plan's tile steps) every
// 4096 steps and once at the end; it must not throw.
using KernelProgress = std::function<void(uint64_t done, uint64_t total)>;
std::vector<OpResult> run_kernel(const Arch& arch, const Plan& plan, Fidelity fidelity, IDataPath* data = nullptr,
                                 const KernelProgress& progress = {});

// All tile steps of the plan (what `progress` counts, and what `run --max-tiles` limits).
uint64_t plan_steps(const Plan& plan);

// The run's span: from the first item's start to the last store of any item.
uint64_t makespan(const std::vector<OpResult>& results);

}  // namespace tessera
