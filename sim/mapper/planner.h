#pragma once
// From (arch, workload, mapping) to the kernel's per-operator plans, and the default mapping
// used when the user gives none: each operator on the first engine that accepts its work, in
// the engine's default dataflow, with the largest tiles whose double-buffered operands fit the
// scratchpads, in the loop order that moves the fewest DRAM bits. The ILP mapper replaces the
// default later; it produces the same Mapping.
#include <string>
#include <vector>

#include "sim/config/arch.h"
#include "sim/kernel/kernel.h"
#include "sim/mapper/mapping.h"
#include "sim/workload/workload.h"

namespace tessera {

// Mapping entries are per lowered item: "<op>" for an operator's first (usually only) engine
// job, "<op>#<i>" for the i-th further one (e.g. softmax's max/sub-exp/sum/div passes).
std::string work_item_name(const std::string& op, size_t item);

Mapping default_mapping(const Arch& arch, const Workload& wl);

// Validates the mapping against arch and workload (every item mapped, engines and dataflows
// exist and accept the work, tiles fit the scratchpads) and builds the plans in topological
// order. Errors are UserErrors at the mapping entry.
std::vector<OpPlan> build_plans(const Arch& arch, const Workload& wl, const Mapping& mapping);

}  // namespace tessera
