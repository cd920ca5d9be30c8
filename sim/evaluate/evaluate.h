#pragma once
// The analytic evaluator: scores a plan (sim/plan) without SystemC, for mappers and sweeps.
//
// Per work item, in isolation (the item alone on its engine, its dependencies done, nothing
// else running), it replays the kernel's rules (sim/kernel/kernel.cpp) as a plain recurrence
// over the item's tile steps: the double-buffered loader / engine / writer pipeline, DMA
// channels and the DRAM channel booked arithmetically in the kernel's grant order, spills
// written before the first load, scratchpad port bookings per tile, and closed-form engine
// costs (an engine session's tile(), as the kernel asks) once per distinct tile step: shape,
// context flags and origin phase. Its cycles, DRAM bits, DRAM busy cycles,
// actions and scratchpad bits equal what run_kernel reports for a plan holding that item alone
// (tile fidelity; pe and rtl give the same cycles), exactly.
//
// The whole plan is then composed from the isolated items: each engine takes its items in plan
// order, and an item starts once its dependencies have ended and its engine's previous item has
// ended. No cross-item prefetch, no contention for DMA, DRAM or scratchpad ports between items
// on different engines. The kernel does both, so the composed makespan differs from the
// kernel's where items overlap or contend.
//
// Assumes every non-empty tile takes at least one engine cycle (true of every engine here).
// Cost: O(tile steps) integer work per item, memory O(1) in the number of steps.
// docs/evaluate.md: the rules, where the evaluator equals the kernel, where it differs.
#include <cstdint>
#include <memory>
#include <vector>

#include "models/engine/i_engine.h"
#include "sim/config/arch.h"
#include "sim/plan/plan.h"

namespace tessera {

struct SpmBits {
  uint64_t read_bits = 0, write_bits = 0;  // engine and DMA traffic through one scratchpad
};

struct EvalOptions {
  // Also tally the engine actions and the scratchpad bits of each item (as the kernel does,
  // per distinct tile shape). Off: cycles and DRAM figures only, somewhat faster.
  bool tally = true;
};

// One work item. Isolated (evaluate_item): start_cycle 0, end_cycle = total_cycles. In a
// composed plan (evaluate_plan): start and end on the plan's analytic time line.
struct ItemEval {
  uint64_t start_cycle = 0, end_cycle = 0;
  uint64_t total_cycles = 0;       // first activity to last store, in isolation
  uint64_t compute_cycles = 0;     // sum of engine tile cycles (closed form)
  uint64_t spm_stall_cycles = 0;   // tile time beyond the engine's, waiting for scratchpad ports
  uint64_t stall_cycles = 0;       // total - compute
  uint64_t dram_busy_cycles = 0;   // DRAM data-phase cycles of its transfers (spills included)
  uint64_t dram_read_bits = 0, dram_write_bits = 0;  // write includes spills
  uint64_t spill_bits = 0;
  uint64_t tiles = 0;
  uint64_t macs = 0;
  uint64_t roofline_cycles = 0;    // max(compute_cycles, dram_busy_cycles): a lower bound
  CycleSplit engine_split;
  ActionCounts actions;            // with EvalOptions::tally
  std::vector<SpmBits> spm;        // per arch scratchpad, with EvalOptions::tally
  bool memory_bound() const { return dram_busy_cycles > compute_cycles; }
};

struct PlanEval {
  std::vector<ItemEval> items;  // per plan item, in plan order; start/end on the composed line
  uint64_t makespan = 0;        // first start to last end
};

// The item alone on its engine, starting at cycle 0.
ItemEval evaluate_item(const Arch& arch, const OpPlan& item, const EvalOptions& opt = {});

// Every item in isolation, composed by dependencies and per-engine plan order.
PlanEval evaluate_plan(const Arch& arch, const Plan& plan, const EvalOptions& opt = {});

// The same, for callers that score many plans on one machine (mappers, sweeps): it keeps the
// engines' closed-form tile costs between calls (keyed by engine, request and tile shape), so
// a shape seen before costs a lookup. Results are identical to the free functions. Not
// thread-safe; one per thread. `arch` must outlive it.
class Evaluator {
 public:
  explicit Evaluator(const Arch& arch, const EvalOptions& opt = {});
  ~Evaluator();
  Evaluator(const Evaluator&) = delete;
  Evaluator& operator=(const Evaluator&) = delete;
  ItemEval item(const OpPlan& item);
  PlanEval plan(const Plan& plan);
  size_t cached_shapes() const;
  void clear_cache();  // forget the tile costs (bounds the memory of a long search)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tessera
