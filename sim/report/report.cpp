#include "sim/report/report.h"

#include "sim/evaluate/price.h"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <deque>
#include <functional>
#include <future>
#include <thread>
#include <numeric>
#include <ostream>
#include <stdexcept>

namespace tessera {

std::string tessera_version() { return TESSERA_VERSION; }
std::string tessera_commit() { return TESSERA_GIT_COMMIT; }

double PricedOp::total_energy_pj() const {
  double t = 0;
  for (const auto& [_, v] : energy_pj) t += v;
  return t;
}

namespace {
// Chip-level area items beside the engines' and scratchpads' own.
constexpr const char* kPlacement = "placement";
constexpr const char* kClockTree = "clock_tree";
constexpr const char* kControl = "control";
constexpr const char* kIoPhy = "io_phy";

bool is_scratchpad(const Arch& arch, const std::string& name) {
  for (const auto& spm : arch.scratchpads)
    if (spm.name == name) return true;
  return false;
}
}  // namespace

std::map<std::string, double> machine_area(const Arch& arch) {
  std::map<std::string, double> area;
  const TechLibrary& tech = *arch.tech;
  double cells = 0, sram = 0;
  for (const auto& e : arch.engines)
    for (const auto& item : e.model->area_items()) {
      const double a = tech.area_um2(item.primitive, item.bits) * static_cast<double>(item.count);
      area[e.name + "." + item.component] += a;
      cells += a;
    }
  for (const auto& s : arch.scratchpads) {
    const auto& m = *s.model;
    const double a = tech.sram_area_um2(static_cast<double>(m.capacity_bits() / 8), m.width_bits(), m.banks(), m.ports());
    area[s.name] += a;
    sram += a;
  }
  area[kPlacement] = tech.placement_um2(cells);
  area[kClockTree] = tech.clock_tree_area_um2(cells, sram);
  area[kControl] = tech.control_area_um2(cells, sram);
  area[kIoPhy] = tech.io_phy_area_um2(arch.dram->technology(), arch.dram->bandwidth_gbps());
  return area;
}

WorkloadInfo::WorkloadInfo(const Workload& wl)
    : name(wl.name()), source(wl.source()), operators(wl.ops().size()), gemm_macs(wl.total_macs()) {}

RunSummary summarize(const Arch& arch, const WorkloadInfo& wl, const std::vector<OpResult>& results, Fidelity fid) {
  RunSummary s;
  s.arch = arch.name;
  s.workload = wl.name;
  s.fidelity = fidelity_name(fid);
  const TechLibrary& tech = *arch.tech;
  s.area_um2 = machine_area(arch);
  // Leaking silicon: cells, clock buffers and control; not the placement whitespace, and the
  // PHY's standing power is its own item.
  double logic_area = 0;
  for (const auto& [name, a] : s.area_um2) {
    if (!is_scratchpad(arch, name) && name != kPlacement && name != kIoPhy) logic_area += a;
    s.total_area_um2 += a;
  }
  double leak_mw = tech.logic_leakage_mw(logic_area);
  for (const auto& spm : arch.scratchpads) leak_mw += tech.sram_leakage_mw(static_cast<double>(spm.model->capacity_bits() / 8));
  const std::string dram_tech = arch.dram->technology();
  const double dram_background_mw = tech.dram_background_mw(dram_tech, arch.dram->capacity_gib());
  const double dram_refresh_mw = tech.dram_refresh_mw(dram_tech, arch.dram->capacity_gib());
  const double phy_mw = tech.io_phy_mw(dram_tech, arch.dram->bandwidth_gbps());

  uint64_t gemm_peak = 0;
  for (const auto& e : arch.engines)
    if (e.model->capabilities().accepts(WorkKind::Gemm)) gemm_peak += e.model->capabilities().peak_ops_per_cycle;

  for (const auto& r : results) {
    PricedOp p;
    p.result = &r;
    std::vector<uint64_t> rd, wr;
    for (const auto& c : r.spm) {
      rd.push_back(c.read_bits);
      wr.push_back(c.write_bits);
    }
    p.energy_pj = item_energy_pj(arch, r.engine, r.actions, rd, wr, r.dram_read_bits + r.dram_write_bits);
    const auto& caps = arch.engines[arch.find_engine(r.engine) - arch.engines.data()].model->capabilities();
    p.utilization = r.total_cycles ? static_cast<double>(r.macs) / (static_cast<double>(caps.peak_ops_per_cycle) * static_cast<double>(r.total_cycles)) : 0;
    for (const auto& [k, v] : p.energy_pj) s.energy_pj[k] += v;
    s.compute_cycles += r.compute_cycles;
    s.engine_busy_cycles[r.engine] += r.compute_cycles;
    for (const auto& u : r.reads) (u.on_chip ? s.on_chip_reads : s.dram_reads) += 1;
    s.spill_bytes += r.spill_bits / 8;
    s.dram_read_bytes += r.dram_read_bits / 8;
    s.dram_write_bytes += r.dram_write_bits / 8;
    if (r.work == WorkKind::Gemm) s.gemm_macs += r.macs;
    s.ops.push_back(std::move(p));
  }
  s.total_cycles = makespan(results);
  // Clock tree and control are shares of the logic's power. Each engine's energy per cycle at
  // full use is its dynamic energy over the cycles its work would take at its peak rate (ops /
  // peak ops per cycle); the clock tree takes its share of their sum every cycle of the run,
  // busy or idle, and control its share of the logic energy actually spent.
  double logic_pj = 0, full_use_pj_per_cycle = 0;
  for (const auto& e : arch.engines) {
    double pj = 0, ops = 0;
    for (const auto& [k, v] : s.energy_pj)
      if (k.rfind(e.name + ".", 0) == 0) pj += v;
    for (const auto& r : results)
      if (r.engine == e.name) ops += static_cast<double>(r.macs);
    const auto peak = static_cast<double>(e.model->capabilities().peak_ops_per_cycle);
    logic_pj += pj;
    const IEngine::FullUse full = e.model->full_use();
    if (full.cycles > 0) {
      for (const auto& [k, v] : item_energy_pj(arch, e.name, full.actions, {}, {}, 0))
        full_use_pj_per_cycle += v / static_cast<double>(full.cycles);
    } else if (ops > 0 && peak > 0) {
      full_use_pj_per_cycle += pj / (ops / peak);
    }
  }
  const double ns = static_cast<double>(s.total_cycles) / arch.clock_ghz;
  s.clock_tree_mw = tech.clock_tree_pj(full_use_pj_per_cycle) * arch.clock_ghz;  // pJ/cycle * GHz = mW
  s.energy_pj["clock_tree"] = s.clock_tree_mw * ns;
  s.energy_pj["control"] = tech.control_pj(logic_pj);
  // Standing power for the whole run: mW * ns = pJ.
  s.energy_pj["leakage"] += leak_mw * ns;
  s.energy_pj["dram.background"] = dram_background_mw * ns;
  s.energy_pj["dram.refresh"] = dram_refresh_mw * ns;
  s.energy_pj["io_phy"] = phy_mw * ns;
  s.idle_power_mw = s.clock_tree_mw + leak_mw + dram_background_mw + dram_refresh_mw + phy_mw;
  for (const auto& [_, v] : s.energy_pj) s.total_energy_pj += v;
  s.seconds = static_cast<double>(s.total_cycles) / (arch.clock_ghz * 1e9);
  s.power_mw = ns > 0 ? s.total_energy_pj / ns : 0;
  s.array_utilization = s.total_cycles && gemm_peak ? static_cast<double>(s.gemm_macs) / (static_cast<double>(gemm_peak) * static_cast<double>(s.total_cycles)) : 0;
  return s;
}

namespace {
int64_t signed_difference(uint64_t a, uint64_t k) { return static_cast<int64_t>(a) - static_cast<int64_t>(k); }

nlohmann::json evaluator_head(const PlanEval& ev, const std::vector<OpResult>& results) {
  if (ev.items.size() != results.size()) throw std::logic_error("evaluator_json: evaluation and run of different plans");
  const uint64_t kernel = makespan(results);
  const int64_t diff = signed_difference(ev.makespan, kernel);
  return {{"makespan_cycles", ev.makespan},
          {"kernel_makespan_cycles", kernel},
          {"difference_cycles", diff},
          {"difference_percent", kernel ? 100.0 * static_cast<double>(diff) / static_cast<double>(kernel) : 0.0},
          {"operators", nlohmann::json::array()}};
}

nlohmann::json evaluator_item(const PlanEval& ev, const std::vector<OpResult>& results, size_t i) {
  const ItemEval& e = ev.items[i];
  const OpResult& r = results[i];
  return {{"name", r.op},
          {"isolated_cycles", e.total_cycles},
          {"kernel_cycles", r.total_cycles},
          {"difference_cycles", signed_difference(e.total_cycles, r.total_cycles)},
          {"roofline_cycles", e.roofline_cycles},
          {"start_cycle", e.start_cycle},
          {"end_cycle", e.end_cycle}};
}
}  // namespace

nlohmann::json report_json(const Arch& arch, const WorkloadInfo& wl, const RunSummary& s, const PlanEval& ev,
                           const std::vector<OpResult>& results, double wall_time_s) {
  using nlohmann::json;
  json j;
  j["schema_version"] = kReportSchemaVersion;
  j["tessera"] = {{"version", tessera_version()}, {"commit", tessera_commit()}};
  j["wall_time_s"] = wall_time_s;
  j["fidelity"] = s.fidelity;
  j["arch"] = arch.resolved;
  j["arch"]["file"] = arch.file;
  j["workload"] = {{"name", wl.name}, {"source", wl.source}, {"operators", wl.operators}, {"gemm_macs", wl.gemm_macs}};
  j["totals"] = {{"cycles", s.total_cycles},
                 {"engine_busy_cycles", s.engine_busy_cycles},
                 {"operand_reads_on_chip", s.on_chip_reads},
                 {"operand_reads_dram", s.dram_reads},
                 {"spill_bytes", s.spill_bytes},
                 {"seconds", s.seconds},
                 {"energy_pj", s.total_energy_pj},
                 {"energy_by_component_pj", s.energy_pj},
                 {"power_mw", s.power_mw},
                 {"idle_power_mw", s.idle_power_mw},
                 {"clock_tree_mw", s.clock_tree_mw},
                 {"area_um2", s.total_area_um2},
                 {"area_by_component_um2", s.area_um2},
                 {"gemm_macs", s.gemm_macs},
                 {"array_utilization", s.array_utilization},
                 {"dram_read_bytes", s.dram_read_bytes},
                 {"dram_write_bytes", s.dram_write_bytes}};
  j["operators"] = json::array();
  j["evaluator"] = evaluator_head(ev, results);
  return j;
}

nlohmann::json operator_json(const Arch& arch, const Mapping& mapping, const PricedOp& p) {
  using nlohmann::json;
  const OpResult& r = *p.result;
  const OpMapping* m = mapping.find(r.op);
  json o = {{"name", r.op},
            {"kind", r.kind},
            {"engine", r.engine},
            {"start_cycle", r.start_cycle},
            {"end_cycle", r.end_cycle},
            {"compute_cycles", r.compute_cycles},
            {"stall_cycles", r.stall_cycles},
            {"spm_stall_cycles", r.spm_stall_cycles},
            {"total_cycles", r.total_cycles},
            {"engine_cycles_split", {{"fill", r.engine_split.fill}, {"steady", r.engine_split.steady}, {"drain", r.engine_split.drain}}},
            {"bound", r.memory_bound() ? "memory" : "compute"},
            {"utilization", p.utilization},
            {"macs", r.macs},
            {"tiles", r.tiles},
            {"dram_read_bytes", r.dram_read_bits / 8},
            {"dram_write_bytes", r.dram_write_bits / 8},
            {"dram_busy_cycles", r.dram_busy_cycles},
            {"energy_pj", p.energy_pj},
            {"energy_total_pj", p.total_energy_pj()}};
  if (m) {
    if (!m->dataflow.empty()) {
      o["mapping"] = {{"dataflow", m->dataflow}, {"tile", {{"m", m->tile_m}, {"n", m->tile_n}, {"k", m->tile_k}}}, {"loop_order", m->loop_order}};
    } else {
      o["mapping"] = {{"tile_elements", m->tile_elements}};
    }
  }
  json acts = json::array();
  for (const auto& a : r.actions.items())
    acts.push_back({{"component", a.component}, {"primitive", a.primitive}, {"bits", a.bits}, {"count", a.count}});
  o["actions"] = acts;
  json reads = json::array();
  for (const auto& u : r.reads) reads.push_back({{"tensor", u.tensor}, {"from", u.on_chip ? "chip" : "dram"}});
  o["reads"] = reads;
  if (!r.write.tensor.empty()) o["writes"] = {{"tensor", r.write.tensor}, {"to", r.write.on_chip ? "chip" : "dram"}};
  if (!r.fused_into.empty()) o["fused_into"] = r.fused_into;
  if (!r.spills.empty()) o["spills"] = {{"tensors", r.spills}, {"bytes", r.spill_bits / 8}};
  json spm = json::object();
  for (size_t i = 0; i < arch.scratchpads.size(); ++i)
    spm[arch.scratchpads[i].name] = {{"read_bits", r.spm[i].read_bits}, {"write_bits", r.spm[i].write_bits}};
  o["scratchpads"] = spm;
  return o;
}

nlohmann::json evaluator_json(const PlanEval& ev, const std::vector<OpResult>& results) {
  nlohmann::json j = evaluator_head(ev, results);
  for (size_t i = 0; i < results.size(); ++i) j["operators"].push_back(evaluator_item(ev, results, i));
  return j;
}

namespace {
// Writes `v` as v.dump(2) would at nesting `indent`, except that the arrays at the JSON
// pointers in `streamed` (empty in `v`) get their elements from the generators, one at a time.
struct StreamedArray {
  size_t size;
  std::function<nlohmann::json(size_t)> element;
};
using Streams = std::map<std::string, StreamedArray>;

// Appends `text` with every line after the first shifted right by `indent`. Strings in JSON
// text hold no raw line breaks: every '\n' starts a line of the layout.
void append_indented(std::string& to, const std::string& text, size_t indent) {
  size_t from = 0;
  for (size_t nl; (nl = text.find('\n', from)) != std::string::npos; from = nl + 1) {
    to.append(text, from, nl + 1 - from);
    to.append(indent, ' ');
  }
  to.append(text, from, std::string::npos);
}

std::string dump(const nlohmann::json& v) { return v.dump(2, ' ', false, nlohmann::json::error_handler_t::replace); }

void write_streamed(std::ostream& out, const nlohmann::json& v, const std::string& pointer, const Streams& streams,
                    size_t indent) {
  const std::string pad(indent + 2, ' ');
  if (const auto it = streams.find(pointer); it != streams.end() && it->second.size > 0) {
    // Elements are made and dumped in chunks on every core (making them is most of a large
    // report's time), and written in order. Where no thread can be had, a chunk is made when
    // it is written (std::launch::deferred).
    const StreamedArray& arr = it->second;
    constexpr size_t kChunk = 256;
    const size_t chunks = (arr.size + kChunk - 1) / kChunk;
    auto make = [&](size_t c) {
      std::string text;
      for (size_t i = c * kChunk; i < std::min(arr.size, (c + 1) * kChunk); ++i) {
        text += i ? ",\n" : "";
        text += pad;
        append_indented(text, dump(arr.element(i)), indent + 2);
      }
      return text;
    };
    const size_t ahead = std::max(2u, std::thread::hardware_concurrency());
    std::deque<std::future<std::string>> pending;
    size_t next = 0;
    out << "[\n";
    for (size_t c = 0; c < chunks; ++c) {
      while (next < chunks && pending.size() < ahead)
        pending.push_back(std::async(std::launch::async | std::launch::deferred, make, next++));
      out << pending.front().get();
      pending.pop_front();
    }
    out << "\n" << std::string(indent, ' ') << "]";
    return;
  }
  bool below = false;
  for (const auto& [p, _] : streams) below = below || p.rfind(pointer + "/", 0) == 0;
  if (!below || !v.is_object() || v.empty()) {
    std::string text;
    append_indented(text, dump(v), indent);
    out << text;
    return;
  }
  out << "{\n";
  bool first = true;
  for (const auto& [key, value] : v.items()) {
    if (!first) out << ",\n";
    first = false;
    out << pad << dump(nlohmann::json(key)) << ": ";
    write_streamed(out, value, pointer + "/" + key, streams, indent + 2);
  }
  out << "\n" << std::string(indent, ' ') << "}";
}
}  // namespace

void write_report_json(std::ostream& out, const nlohmann::json& head, const Arch& arch, const Mapping& mapping,
                       const RunSummary& s, const PlanEval& ev, const std::vector<OpResult>& results) {
  if (ev.items.size() != results.size()) throw std::logic_error("write_report_json: evaluation and run of different plans");
  // The elements are made on several threads: Mapping::find builds its index on first use,
  // so it is built here, before they start.
  mapping.find("");
  const Streams streams = {
      {"/operators", {s.ops.size(), [&](size_t i) { return operator_json(arch, mapping, s.ops[i]); }}},
      {"/evaluator/operators", {results.size(), [&](size_t i) { return evaluator_item(ev, results, i); }}},
  };
  write_streamed(out, head, "", streams, 0);
  out << "\n";
}

namespace {
// RFC 4180: a field holding a comma, a quote or a line break is quoted, its quotes doubled.
std::string csv_field(const std::string& v) {
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string q = "\"";
  for (const char c : v) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}
}  // namespace

void write_operators_csv(const RunSummary& s, std::ostream& out) {
  out << "name,kind,engine,start_cycle,compute_cycles,stall_cycles,total_cycles,bound,utilization,macs,tiles,"
         "dram_read_bytes,dram_write_bytes,energy_pj\n";
  for (const auto& p : s.ops) {
    const OpResult& r = *p.result;
    fmt::print(out, "{},{},{},{},{},{},{},{},{:.6f},{},{},{},{},{:.3f}\n", csv_field(r.op), csv_field(r.kind),
               csv_field(r.engine), r.start_cycle,
               r.compute_cycles, r.stall_cycles, r.total_cycles, r.memory_bound() ? "memory" : "compute", p.utilization,
               r.macs, r.tiles, r.dram_read_bits / 8, r.dram_write_bits / 8, p.total_energy_pj());
  }
}

namespace {
std::string si(double v, const char* unit) {
  const char* prefixes[] = {"", "k", "M", "G", "T"};
  int i = 0;
  while (std::abs(v) >= 1000 && i < 4) {
    v /= 1000;
    ++i;
  }
  return fmt::format("{:.3g} {}{}", v, prefixes[i], unit);
}
std::string energy_text(double pj) {
  if (pj >= 1e9) return fmt::format("{:.3f} mJ", pj / 1e9);
  if (pj >= 1e6) return fmt::format("{:.3f} uJ", pj / 1e6);
  if (pj >= 1e3) return fmt::format("{:.3f} nJ", pj / 1e3);
  return fmt::format("{:.3f} pJ", pj);
}
}  // namespace

void print_summary_table(const RunSummary& s, std::ostream& out, size_t slowest) {
  fmt::print(out, "tessera: {} on {} ({} fidelity)\n\n", s.workload, s.arch, s.fidelity);
  fmt::print(out, "  total cycles      {:>16}   ({:.4f} ms)\n", s.total_cycles, s.seconds * 1e3);
  for (const auto& [engine, busy] : s.engine_busy_cycles)
    fmt::print(out, "  {:<17} {:>16}   busy cycles ({:.1f}%)\n", engine, busy,
               s.total_cycles ? 100.0 * static_cast<double>(busy) / static_cast<double>(s.total_cycles) : 0.0);
  fmt::print(out, "  GEMM MACs         {:>16}   array utilization {:.1f}%\n", s.gemm_macs, 100 * s.array_utilization);
  fmt::print(out, "  DRAM traffic      {:>16}   read {} / write {}\n", si(static_cast<double>(s.dram_read_bytes + s.dram_write_bytes), "B"),
             si(static_cast<double>(s.dram_read_bytes), "B"), si(static_cast<double>(s.dram_write_bytes), "B"));
  fmt::print(out, "  operand reads     {:>16}   on chip / {} from DRAM, {} spilled\n", s.on_chip_reads, s.dram_reads,
             si(static_cast<double>(s.spill_bytes), "B"));
  fmt::print(out, "  energy            {:>16}   ({:.3f} TOPS/W at this utilization)\n", energy_text(s.total_energy_pj),
             s.total_energy_pj > 0 ? 2.0 * static_cast<double>(s.gemm_macs) / s.total_energy_pj : 0.0);
  fmt::print(out, "  power             {:>14.3f} W   busy; idle {:.3f} W (clock tree, leakage, DRAM background, PHY)\n",
             s.power_mw / 1e3, s.idle_power_mw / 1e3);
  fmt::print(out, "  area              {:>13.3f} mm2\n\n", s.total_area_um2 / 1e6);

  auto by_value = [](const std::map<std::string, double>& m) {
    std::vector<std::pair<std::string, double>> v(m.begin(), m.end());
    std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    return v;
  };
  fmt::print(out, "  {:<28} {:>14} {:>7}\n", "energy by component", "", "share");
  for (const auto& [k, v] : by_value(s.energy_pj))
    fmt::print(out, "  {:<28} {:>14} {:>6.1f}%\n", k, energy_text(v), s.total_energy_pj > 0 ? 100 * v / s.total_energy_pj : 0);
  fmt::print(out, "\n  {:<28} {:>14} {:>7}\n", "area by component", "mm2", "share");
  for (const auto& [k, v] : by_value(s.area_um2))
    fmt::print(out, "  {:<28} {:>14.4f} {:>6.1f}%\n", k, v / 1e6, s.total_area_um2 > 0 ? 100 * v / s.total_area_um2 : 0);

  std::vector<const PricedOp*> ops;
  for (const auto& p : s.ops) ops.push_back(&p);
  std::stable_sort(ops.begin(), ops.end(), [](const PricedOp* a, const PricedOp* b) { return a->result->total_cycles > b->result->total_cycles; });
  if (ops.size() > slowest) ops.resize(slowest);
  fmt::print(out, "\n  slowest operators\n  {:<24} {:<10} {:>12} {:>12} {:>7} {:>8}\n", "name", "kind", "cycles", "stall", "util", "bound");
  for (const auto* p : ops) {
    const OpResult& r = *p->result;
    fmt::print(out, "  {:<24} {:<10} {:>12} {:>12} {:>6.1f}% {:>8}\n", r.op.size() > 24 ? r.op.substr(0, 23) + "~" : r.op, r.kind,
               r.total_cycles, r.stall_cycles, 100 * p->utilization, r.memory_bound() ? "memory" : "compute");
  }
}

}  // namespace tessera
