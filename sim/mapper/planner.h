#pragma once
// The default mapping, used when the user gives none: each work item on the first engine that
// accepts it, in the engine's default dataflow, with the largest tiles whose double-buffered
// staging fits half of each scratchpad (the other half is left to tensors kept on chip, see
// sim/scheduler), in the loop order that moves the fewest DRAM bits when activations stay on
// chip. The ILP mapper replaces it later; it produces the same Mapping.
#include <string>
#include <vector>

#include "sim/config/arch.h"
#include "sim/mapper/mapping.h"
#include "sim/plan/plan.h"
#include "sim/workload/workload.h"

namespace tessera {

// Mapping entries are per lowered item: "<op>" for an operator's first (usually only) engine
// job, "<op>#<i>" for the i-th further one (e.g. softmax's max/sub-exp/sum/div passes).
std::string work_item_name(const std::string& op, size_t item);

struct WorkItem {
  const Operator* op = nullptr;
  int op_index = -1;
  LoweredOp work;
  std::string name;
  size_t index = 0, count = 1;  // position among the operator's engine jobs
};
// Every engine job of the workload, operators in topological order.
std::vector<WorkItem> work_items(const Workload& wl);

OperandBits operand_bits(const Workload& wl, const LoweredOp& w, const IEngine& e);
TileRequest request_for(const Workload& wl, const LoweredOp& w, const std::string& dataflow);

// Bits each scratchpad stages for a GEMM tile, double-buffered: the operands read from DRAM
// (homes) and the partial-sum tile of the output.
std::vector<uint64_t> gemm_staging(const Arch& arch, const LoweredOp& w, const GemmShape& tile, const OperandBits& b,
                                   const OperandHomes& homes);
// The same for a vector job of `tile` elements; `in_dram`: its inputs are loaded from DRAM.
std::vector<uint64_t> vector_staging(const Arch& arch, const Workload& wl, const LoweredOp& w, int64_t tile,
                                     bool in_dram);

// Whether engine `e` can run work like `req` (kind, operand formats, its own checks).
bool engine_accepts(const EngineInstance& e, const TileRequest& req);

Mapping default_mapping(const Arch& arch, const Workload& wl);

// Why element-wise `op` cannot be fused into the GEMM operator that produces its input on
// engine `engine` ("" = it can): it must take one input, produced by a GEMM operator whose
// output nothing else reads, and the engine must list the op in its `fuse` key.
std::string fusion_obstacle(const Workload& wl, const Operator& op, const EngineInstance& engine);
// The operator producing `op`'s first input, or -1.
int fusion_producer(const Workload& wl, const Operator& op);

}  // namespace tessera
