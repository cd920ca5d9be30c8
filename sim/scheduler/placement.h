#pragma once
// From (arch, workload, mapping) to the plan the kernel runs: the mapping is validated (every
// item mapped, engines and dataflows exist and accept the work), and the default placement
// decides where each tensor lives.
//
// Default placement (the ILP scheduler replaces it later), over the items in plan order:
// a tensor produced inside the graph stays in the scratchpad that holds its producer's output
// from its producer to its last consumer, while it fits next to the running item's staging
// buffers and the tensors already kept; when it does not fit, the kept tensor whose next use
// is furthest away (Belady) is written to DRAM (a spill, paid before the item starts) and its
// later readers load it from DRAM. A consumer reads a kept tensor in place only if the
// scratchpad that holds it also holds the consumer's operand role; otherwise it goes through
// DRAM. Views (reshape, transpose, concat, slice: operators with no engine work) share their
// inputs' storage. Graph inputs and weights are read from DRAM by every consumer; graph
// outputs are written to DRAM.
//
// Errors (UserError at the mapping entry, before anything simulates): an unknown engine or
// dataflow, work an engine cannot run, and an item whose staging alone does not fit a
// scratchpad (naming the item, the scratchpad, the bytes needed and its capacity).
#include "sim/config/arch.h"
#include "sim/mapper/mapping.h"
#include "sim/plan/plan.h"
#include "sim/workload/workload.h"

namespace tessera {

Plan build_plan(const Arch& arch, const Workload& wl, const Mapping& mapping);

}  // namespace tessera
