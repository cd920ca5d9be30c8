#include "sim/mapper/planner.h"

#include <algorithm>
#include <array>
#include <limits>

namespace tessera {

std::string work_item_name(const std::string& op, size_t item) {
  return item == 0 ? op : op + "#" + std::to_string(item);
}

namespace {

struct Item {
  const Operator* op;
  LoweredOp work;
  std::string name;
  size_t index, count;  // position among the operator's engine jobs
};

std::vector<Item> work_items(const Workload& wl) {
  std::vector<Item> items;
  for (int i : wl.topological_order()) {
    const auto lowered = wl.lower(i);
    const Operator& op = wl.ops()[static_cast<size_t>(i)];
    for (size_t j = 0; j < lowered.size(); ++j)
      items.push_back({&op, lowered[j], work_item_name(op.name, j), j, lowered.size()});
  }
  return items;
}

OperandBits operand_bits(const Workload& wl, const LoweredOp& w, const IEngine& e) {
  OperandBits b;
  b.a = dtype_bits(wl.tensor(w.a_tensor).dtype);
  b.b = w.b_tensor.empty() ? 0 : dtype_bits(wl.tensor(w.b_tensor).dtype);
  b.out = dtype_bits(wl.tensor(w.out_tensor).dtype);
  b.psum = e.capabilities().psum_bits;
  return b;
}

TileRequest request_for(const Workload& wl, const LoweredOp& w, const std::string& dataflow) {
  TileRequest r;
  r.kind = w.kind;
  r.gemm = w.gemm;
  r.vec = w.vec;
  r.dataflow = dataflow;
  r.a_type = wl.tensor(w.a_tensor).dtype;
  r.b_type = w.b_tensor.empty() ? r.a_type : wl.tensor(w.b_tensor).dtype;
  return r;
}

// Bits each scratchpad must hold for a GEMM tile, double-buffered.
std::vector<uint64_t> gemm_footprint(const Arch& arch, const GemmShape& t, const OperandBits& b) {
  std::vector<uint64_t> use(arch.scratchpads.size(), 0);
  const auto m = static_cast<uint64_t>(t.m), n = static_cast<uint64_t>(t.n), k = static_cast<uint64_t>(t.k);
  for (size_t s = 0; s < arch.scratchpads.size(); ++s) {
    const auto& spm = arch.scratchpads[s];
    if (spm.holds_operand(Operand::A)) use[s] += 2 * m * k * static_cast<uint64_t>(b.a);
    if (spm.holds_operand(Operand::B)) use[s] += 2 * k * n * static_cast<uint64_t>(b.b);
    if (spm.holds_operand(Operand::Out)) use[s] += 2 * m * n * static_cast<uint64_t>(b.psum);
  }
  return use;
}

// Index of a scratchpad the footprint overflows, or -1.
int overflowing(const Arch& arch, const std::vector<uint64_t>& use) {
  for (size_t s = 0; s < use.size(); ++s)
    if (use[s] > arch.scratchpads[s].model->capacity_bits()) return static_cast<int>(s);
  return -1;
}

// Halve `x`, keeping it a multiple of `align` while it is at least `align`.
int64_t shrink(int64_t x, int64_t align) {
  int64_t h = (x + 1) / 2;
  if (h >= align) h = (h + align - 1) / align * align;
  if (h >= x) h = x - 1;
  return std::max<int64_t>(1, h);
}

GemmShape fit_gemm_tile(const Arch& arch, const GemmShape& full, const OperandBits& bits, const EngineCapabilities& caps,
                        const std::string& dataflow, const std::string& item) {
  // Dimensions mapped onto the PE grid shrink in whole multiples of it (the engine says which).
  std::array<int64_t, 3> align{1, 1, 1};  // m, n, k
  if (auto it = caps.tile_multiple.find(dataflow); it != caps.tile_multiple.end()) align = it->second;
  GemmShape t = full;
  for (;;) {
    const auto use = gemm_footprint(arch, t, bits);
    const int s = overflowing(arch, use);
    if (s < 0) return t;
    // Shrink the largest dimension of the biggest operand in the overflowing scratchpad,
    // measured in its alignment units; the temporal dimension last (it only costs refills).
    const auto& spm = arch.scratchpads[static_cast<size_t>(s)];
    const auto m = static_cast<uint64_t>(t.m), n = static_cast<uint64_t>(t.n), k = static_cast<uint64_t>(t.k);
    std::array<uint64_t, 3> size_of{spm.holds_operand(Operand::A) ? m * k * static_cast<uint64_t>(bits.a) : 0,
                                    spm.holds_operand(Operand::B) ? k * n * static_cast<uint64_t>(bits.b) : 0,
                                    spm.holds_operand(Operand::Out) ? m * n * static_cast<uint64_t>(bits.psum) : 0};
    const int biggest = static_cast<int>(std::max_element(size_of.begin(), size_of.end()) - size_of.begin());
    const std::array<std::array<int, 2>, 3> dims{{{0, 2}, {2, 1}, {0, 1}}};  // a: m,k  b: k,n  out: m,n
    std::array<int64_t*, 3> dim_ptr{&t.m, &t.n, &t.k};
    int pick = -1;
    double best = 0;
    for (int d : dims[static_cast<size_t>(biggest)]) {
      const double units = static_cast<double>(*dim_ptr[static_cast<size_t>(d)]) / static_cast<double>(align[static_cast<size_t>(d)]);
      if (*dim_ptr[static_cast<size_t>(d)] > 1 && units > best) {
        best = units;
        pick = d;
      }
    }
    if (pick < 0) {
      throw UserError("'" + item + "': even a 1x1x1 tile does not fit scratchpad '" + spm.name + "' (" +
                      std::to_string(spm.model->capacity_bits() / 8) + " bytes)");
    }
    *dim_ptr[static_cast<size_t>(pick)] = shrink(*dim_ptr[static_cast<size_t>(pick)], align[static_cast<size_t>(pick)]);
  }
}

const EngineInstance* first_engine_for(const Arch& arch, const TileRequest& req) {
  for (const auto& e : arch.engines) {
    try {
      TileRequest r = req;
      r.dataflow = e.model->capabilities().dataflows.empty() ? "" : e.model->capabilities().dataflows.front();
      e.model->check(r);
      return &e;
    } catch (const UserError&) {
    }
  }
  return nullptr;
}

int64_t vector_tile_fit(const Arch& arch, const Workload& wl, const LoweredOp& w) {
  // Inputs and outputs of a vector job live where activations and outputs do; keep both
  // double-buffered within those scratchpads.
  const uint64_t in_bits_per = wl.tensor(w.a_tensor).bits() / static_cast<uint64_t>(std::max<int64_t>(1, w.vec.elements)) + 1;
  const uint64_t out_bits_per = wl.tensor(w.out_tensor).bits() / static_cast<uint64_t>(std::max<int64_t>(1, w.vec.elements)) + 1;
  std::vector<uint64_t> per(arch.scratchpads.size(), 0);
  for (size_t s = 0; s < per.size(); ++s) {
    if (arch.scratchpads[s].holds_operand(Operand::A)) per[s] += 2 * in_bits_per;
    if (arch.scratchpads[s].holds_operand(Operand::Out)) per[s] += 2 * out_bits_per;
  }
  int64_t tile = w.vec.elements;
  for (size_t s = 0; s < per.size(); ++s)
    if (per[s]) tile = std::min<int64_t>(tile, static_cast<int64_t>(arch.scratchpads[s].model->capacity_bits() / per[s]));
  return std::max<int64_t>(1, tile);
}

uint64_t vector_in_bits(const Workload& wl, const Operator& op) {
  uint64_t b = 0;
  for (const auto& t : op.inputs) b += wl.tensor(t).bits();
  return b;
}

}  // namespace

Mapping default_mapping(const Arch& arch, const Workload& wl) {
  Mapping m;
  m.arch = arch.name;
  m.workload = wl.name();
  for (const auto& it : work_items(wl)) {
    OpMapping om;
    om.op = it.name;
    const TileRequest req = request_for(wl, it.work, "");
    const EngineInstance* e = first_engine_for(arch, req);
    if (!e) throw UserError("no engine of machine '" + arch.name + "' can run '" + it.name + "' (" + it.op->kind + ")", it.op->loc);
    om.engine = e->name;
    if (it.work.kind == WorkKind::Gemm) {
      const auto caps = e->model->capabilities();
      om.dataflow = caps.dataflows.front();
      const OperandBits bits = operand_bits(wl, it.work, *e->model);
      const GemmShape t = fit_gemm_tile(arch, it.work.gemm, bits, caps, om.dataflow, it.name);
      om.tile_m = t.m;
      om.tile_n = t.n;
      om.tile_k = t.k;
      uint64_t best = std::numeric_limits<uint64_t>::max();
      for (const char* order : {"mnk", "mkn", "nmk", "nkm", "kmn", "knm"}) {
        const uint64_t b = dram_bits(gemm_tile_steps(it.work.gemm, t, order, bits));
        if (b < best) {
          best = b;
          om.loop_order = order;
        }
      }
    } else {
      om.tile_elements = vector_tile_fit(arch, wl, it.work);
    }
    m.ops.push_back(om);
  }
  return m;
}

std::vector<OpPlan> build_plans(const Arch& arch, const Workload& wl, const Mapping& mapping) {
  std::vector<OpPlan> plans;
  std::vector<std::string> known;
  for (const auto& it : work_items(wl)) {
    known.push_back(it.name);
    const OpMapping* om = mapping.find(it.name);
    if (!om) throw UserError("operator '" + it.name + "' has no mapping entry", SourceLoc{}, "mapping");
    const SourceLoc& loc = om->loc;
    size_t ei = arch.engines.size();
    for (size_t i = 0; i < arch.engines.size(); ++i)
      if (arch.engines[i].name == om->engine) ei = i;
    if (ei == arch.engines.size()) {
      std::vector<std::string> names;
      for (const auto& e : arch.engines) names.push_back(e.name);
      const std::string close = closest_match(om->engine, names);
      throw UserError("no engine named '" + om->engine + "' in machine '" + arch.name + "'" +
                          (close.empty() ? "" : " -- did you mean '" + close + "'?"),
                      loc, "engine");
    }
    const IEngine& engine = *arch.engines[ei].model;
    OpPlan p;
    p.op = it.name;
    p.kind = it.op->kind;
    p.engine = ei;
    p.groups = it.work.groups;
    p.macs = it.work.macs;
    p.request = request_for(wl, it.work, om->dataflow);
    try {
      engine.check(p.request);
    } catch (const UserError& e) {
      throw UserError("'" + it.name + "': " + e.message(), loc, e.key());
    }
    if (it.work.kind == WorkKind::Gemm) {
      const OperandBits bits = operand_bits(wl, it.work, engine);
      const GemmShape full = it.work.gemm;
      GemmShape t{om->tile_m ? std::min(om->tile_m, full.m) : full.m, om->tile_n ? std::min(om->tile_n, full.n) : full.n,
                  om->tile_k ? std::min(om->tile_k, full.k) : full.k};
      const auto use = gemm_footprint(arch, t, bits);
      const int s = overflowing(arch, use);
      if (s >= 0) {
        const auto& spm = arch.scratchpads[static_cast<size_t>(s)];
        throw UserError("'" + it.name + "': tile m=" + std::to_string(t.m) + " n=" + std::to_string(t.n) +
                            " k=" + std::to_string(t.k) + " needs " + std::to_string(use[static_cast<size_t>(s)] / 8) +
                            " bytes double-buffered in scratchpad '" + spm.name + "', which holds " +
                            std::to_string(spm.model->capacity_bits() / 8),
                        loc, "tile");
      }
      p.steps = gemm_tile_steps(full, t, om->loop_order, bits);
    } else {
      // A multi-pass operator (softmax, norms) reads its inputs in its first pass and writes its
      // output in its last; the passes in between work on chip.
      const uint64_t in = it.index == 0 ? vector_in_bits(wl, *it.op) : 0;
      const uint64_t out = it.index + 1 == it.count ? wl.tensor(it.work.out_tensor).bits() : 0;
      p.steps = vector_tile_steps(it.work.vec.elements, om->tile_elements, in, out);
    }
    plans.push_back(std::move(p));
  }
  for (const auto& om : mapping.ops) {
    if (std::find(known.begin(), known.end(), om.op) == known.end()) {
      const std::string close = closest_match(om.op, known);
      throw UserError("mapping names operator '" + om.op + "', which the workload does not have" +
                          (close.empty() ? "" : " -- did you mean '" + close + "'?"),
                      om.loc, "op");
    }
  }
  return plans;
}

}  // namespace tessera
