#pragma once
// Run results -> priced stats -> report.json, operators.csv and the summary table.
// Energy and area are priced here with the tech library and nowhere else. The JSON carries a
// schema version, the resolved config, the version and commit; apart from `wall_time_s` the
// same inputs give a byte-identical report.
#include <nlohmann/json.hpp>

#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include "sim/config/arch.h"
#include "sim/evaluate/evaluate.h"
#include "sim/kernel/kernel.h"
#include "sim/mapper/mapping.h"
#include "sim/plan/plan.h"
#include "sim/workload/workload.h"

namespace tessera {

constexpr int kReportSchemaVersion = 2;

// What a report says about the workload: a run may free the graph before it reports (a
// 100,000-operator graph is 130 MB).
struct WorkloadInfo {
  WorkloadInfo(const Workload& wl);  // implicit: a Workload is what most callers have
  std::string name, source;
  size_t operators = 0;
  uint64_t gemm_macs = 0;
};

struct PricedOp {
  const OpResult* result = nullptr;
  std::map<std::string, double> energy_pj;  // by component, dynamic only (leakage is per run)
  double total_energy_pj() const;
  double utilization = 0;  // useful ops / (peak ops per cycle * total cycles)
};

struct RunSummary {
  std::string arch, workload, fidelity;
  uint64_t total_cycles = 0;    // makespan: first activity to last store
  uint64_t compute_cycles = 0;  // engine busy cycles, summed over engines
  std::map<std::string, uint64_t> engine_busy_cycles;  // per engine
  uint64_t on_chip_reads = 0, dram_reads = 0;  // operand reads by residency, over all items
  uint64_t spill_bytes = 0;
  double seconds = 0;
  // By component, incl. the chip-level items: clock_tree, control, leakage, dram.background,
  // dram.refresh, io_phy (their sum is total_energy_pj).
  std::map<std::string, double> energy_pj;
  std::map<std::string, double> area_um2;   // by component, incl. placement, clock_tree, control, io_phy
  double total_energy_pj = 0, total_area_um2 = 0;
  double power_mw = 0;       // total energy / run time
  double idle_power_mw = 0;  // clock tree + leakage + DRAM background and refresh + PHY: the chip on, no work
  double clock_tree_mw = 0;
  uint64_t gemm_macs = 0;
  double array_utilization = 0;  // GEMM MACs / (peak MACs per cycle of GEMM engines * total cycles)
  uint64_t dram_read_bytes = 0, dram_write_bytes = 0;
  std::vector<PricedOp> ops;
};

RunSummary summarize(const Arch& arch, const WorkloadInfo& wl, const std::vector<OpResult>& results, Fidelity fid);

// Area of every component of the machine, um^2, with the chip-level items (placement
// whitespace, clock tree, control, I/O PHY).
std::map<std::string, double> machine_area(const Arch& arch);

// report.json's small part: schema, version, machine, workload, totals and the evaluator's
// makespans, with the per-operator lists ("operators", "evaluator.operators") left empty.
nlohmann::json report_json(const Arch& arch, const WorkloadInfo& wl, const RunSummary& s, const PlanEval& ev,
                           const std::vector<OpResult>& results, double wall_time_s);
// report.json: `head` (report_json, plus what the caller added) with its per-operator lists
// filled, byte for byte as the whole tree's dump(2) but made and written one operator at a
// time: a 100,000-operator report (200 MB of text) never exists as one tree or one string.
// Invalid UTF-8 in names is written as U+FFFD (JSON must be UTF-8; the other outputs keep the
// bytes).
void write_report_json(std::ostream& out, const nlohmann::json& head, const Arch& arch, const Mapping& mapping,
                       const RunSummary& s, const PlanEval& ev, const std::vector<OpResult>& results);
// One element of "operators": the priced result of a work item and its mapping.
nlohmann::json operator_json(const Arch& arch, const Mapping& mapping, const PricedOp& p);
// report.json's "evaluator" with its list: the analytic makespan (sim/evaluate, items in
// isolation composed by dependencies and engine order) beside the kernel's and their
// difference, and per work item its analytic isolated cycles beside the kernel's cycles for it
// in the run. `ev` and `results` are of the same plan, in plan order.
nlohmann::json evaluator_json(const PlanEval& ev, const std::vector<OpResult>& results);

void write_operators_csv(const RunSummary& s, std::ostream& out);
void print_summary_table(const RunSummary& s, std::ostream& out, size_t slowest = 10);

std::string tessera_version();
std::string tessera_commit();

}  // namespace tessera
