#include "sim/mapper/planner.h"

#include <algorithm>
#include <array>
#include <functional>
#include <limits>
#include <map>

#include "models/common/error.h"

namespace tessera {

std::string work_item_name(const std::string& op, size_t item) {
  return item == 0 ? op : op + "#" + std::to_string(item);
}

std::vector<WorkItem> work_items(const Workload& wl) {
  std::vector<WorkItem> items;
  items.reserve(wl.ops().size());  // most operators are one item
  for (int i : wl.topological_order()) {
    auto lowered = wl.lower(i);
    const Operator& op = wl.ops()[static_cast<size_t>(i)];
    for (size_t j = 0; j < lowered.size(); ++j)
      items.push_back({&op, i, std::move(lowered[j]), work_item_name(op.name, j), j, lowered.size()});
  }
  return items;
}

OperandBits operand_bits(const Workload& wl, const LoweredOp& w, const IEngine& e) {
  OperandBits b;
  b.a = dtype_bits(wl.tensor(w.a_tensor).dtype);
  if (w.kind == WorkKind::Gemm)
    if (const auto p = e.prepared_a(request_for(wl, w, ""))) b.a = p->bits;  // e.g. LUT tables
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
  r.a_values = wl.tensor(w.a_tensor).values;
  if (!w.b_tensor.empty()) r.b_values = wl.tensor(w.b_tensor).values;
  return r;
}

GemmShape ItemTile::largest() const {
  if (!is_conv()) return gemm;
  return {conv[0] * conv[3] * conv[4], conv[1], conv[2] * conv[5] * conv[6]};
}

std::string ItemTile::text() const {
  if (!is_conv()) return "m=" + std::to_string(gemm.m) + " n=" + std::to_string(gemm.n) + " k=" + std::to_string(gemm.k);
  std::string t;
  for (size_t d = 0; d < 7; ++d) t += (d ? " " : "") + std::string(conv_tile_dims()[d]) + "=" + std::to_string(conv[d]);
  return t;
}

ItemTile tile_of(const OpMapping& om, const LoweredOp& w) {
  ItemTile t;
  const GemmShape& full = w.gemm;
  auto clip = [](int64_t v, int64_t d) { return v ? std::min(v, d) : d; };
  if (om.has_conv_tile()) {
    if (!w.conv)
      throw UserError("'" + om.op + "' is not a convolution: give its tile as 'tile: {m, n, k}', not 'conv_tile'", om.loc,
                      "conv_tile");
    const std::array<int64_t, 7> dims{w.conv->m[0], full.n, w.conv->k[0], w.conv->m[1], w.conv->m[2], w.conv->k[1], w.conv->k[2]};
    for (size_t d = 0; d < 7; ++d) t.conv[d] = clip(om.conv_tile[d], dims[d]);
  }
  t.gemm = {clip(om.tile_m, full.m), clip(om.tile_n, full.n), clip(om.tile_k, full.k)};
  if (t.is_conv()) t.gemm = t.largest();
  if (om.has_acc_tile()) {
    if (t.is_conv() && om.acc_m)
      throw UserError("'" + om.op + "': a convolution block's accumulator tile holds all its pixels: give acc_tile's n only (m: 0)",
                      om.loc, "acc_tile");
    t.acc_m = om.acc_m;
    t.acc_n = om.acc_n;
  }
  t.acc_n_outer = om.acc_loop_order != "mn";
  return t;
}

uint64_t acc_fit_outputs(const Arch& arch, int psum_bits) {
  const int s = arch.accumulator();
  if (s < 0) return 0;
  return arch.scratchpads[static_cast<size_t>(s)].model->capacity_bits() / (2 * static_cast<uint64_t>(std::max(1, psum_bits)));
}

AccLevel acc_level(const Arch& arch, const ItemTile& tile, int psum_bits) {
  AccLevel a;
  const int s = arch.accumulator();
  if (s < 0) return a;
  a.on = true;
  a.n_outer = tile.acc_n_outer;
  if (tile.acc_m >= 0) {
    a.m = tile.is_conv() ? 0 : tile.acc_m;
    a.n = std::max<int64_t>(0, tile.acc_n);
    return a;
  }
  const GemmShape g = tile.largest();
  const uint64_t fit = acc_fit_outputs(arch, psum_bits);
  const auto m = static_cast<uint64_t>(g.m), n = static_cast<uint64_t>(g.n);
  if (m * n <= fit) return a;
  if (tile.is_conv()) {
    a.n = static_cast<int64_t>(std::max<uint64_t>(1, fit / m));
  } else {
    const uint64_t cols = std::max<uint64_t>(1, std::min(n, fit));
    a.m = static_cast<int64_t>(std::max<uint64_t>(1, fit / cols));
    a.n = cols == n ? 0 : static_cast<int64_t>(cols);
  }
  return a;
}

TileSequence tile_sequence(const LoweredOp& w, const ItemTile& tile, const std::string& loop_order,
                           const OperandBits& bits, const OperandHomes& homes, const AccLevel& acc) {
  if (tile.is_conv())
    return TileSequence::conv(*w.conv, w.gemm.n, tile.conv_m(), tile.conv[1], tile.conv_k(), loop_order, bits, homes, acc);
  return TileSequence::gemm(w.gemm, tile.gemm, loop_order, bits, homes, w.a_tile_elements, acc);
}

std::vector<uint64_t> gemm_staging(const Arch& arch, const LoweredOp& w, const GemmShape& t, const OperandBits& b,
                                   const OperandHomes& homes) {
  ItemTile it;
  it.gemm = t;
  return gemm_staging(arch, w, it, b, homes);
}

std::vector<uint64_t> gemm_staging(const Arch& arch, const LoweredOp& w, const ItemTile& tile, const OperandBits& b,
                                   const OperandHomes& homes) {
  std::vector<uint64_t> use(arch.scratchpads.size(), 0);
  const GemmShape t = tile.largest();
  const auto m = static_cast<uint64_t>(t.m), n = static_cast<uint64_t>(t.n), k = static_cast<uint64_t>(t.k);
  uint64_t a_elems = w.a_tile_elements ? w.a_tile_elements(-1, t.m, 0, t.k) : m * k;
  if (tile.is_conv()) {  // the most any block of these extents reads (m0 < 0: unclipped)
    ConvBlock b0;
    b0.m0 = {-1, 0, 0};
    b0.m_ext = tile.conv_m();
    b0.k_ext = tile.conv_k();
    a_elems = w.conv->a_elements(b0);
  }
  const AccLevel acc = acc_level(arch, tile, b.psum);
  uint64_t out_bits = static_cast<uint64_t>(b.psum);
  if (acc.on) {
    const auto am = acc.m ? std::min(m, static_cast<uint64_t>(acc.m)) : m, an = acc.n ? std::min(n, static_cast<uint64_t>(acc.n)) : n;
    use[static_cast<size_t>(arch.accumulator())] += 2 * am * an * static_cast<uint64_t>(b.psum);
    if (am == m && an == n) out_bits = static_cast<uint64_t>(b.out);
  }
  for (size_t s = 0; s < arch.scratchpads.size(); ++s) {
    const auto& spm = arch.scratchpads[s];
    if (homes.a_dram && spm.holds_operand(Operand::A)) use[s] += 2 * a_elems * static_cast<uint64_t>(b.a);
    if (homes.b_dram && spm.holds_operand(Operand::B)) use[s] += 2 * k * n * static_cast<uint64_t>(b.b);
    if (spm.holds_operand(Operand::Out)) use[s] += 2 * m * n * out_bits;
  }
  return use;
}

std::vector<uint64_t> vector_staging(const Arch& arch, const Workload& wl, const LoweredOp& w, int64_t tile,
                                     bool in_dram, uint64_t out_stored_bits) {
  // Inputs and outputs of a vector job live where activations and outputs do.
  const auto elements = static_cast<uint64_t>(std::max<int64_t>(1, w.vec.elements));
  const uint64_t in_per = wl.tensor(w.a_tensor).bits() / elements + 1;
  const uint64_t out_per = (out_stored_bits ? out_stored_bits : wl.tensor(w.out_tensor).bits()) / elements + 1;
  std::vector<uint64_t> use(arch.scratchpads.size(), 0);
  const auto t = static_cast<uint64_t>(tile);
  for (size_t s = 0; s < use.size(); ++s) {
    if (in_dram && arch.scratchpads[s].holds_operand(Operand::A)) use[s] += 2 * t * in_per;
    if (arch.scratchpads[s].holds_operand(Operand::Out)) use[s] += 2 * t * out_per;
  }
  return use;
}

namespace {

// The default mapper stages tiles in at most half of each scratchpad.
// Half of a scratchpad; all of an accumulator (no tensor is kept there).
uint64_t staging_budget(const ScratchpadInstance& s) {
  const bool keeps = s.holds_operand(Operand::A) || s.holds_operand(Operand::B) || s.holds_operand(Operand::Out);
  return keeps ? s.model->capacity_bits() / 2 : s.model->capacity_bits();
}

// Index of a scratchpad whose staging budget `use` overflows, or -1.
int overflowing(const Arch& arch, const std::vector<uint64_t>& use) {
  for (size_t s = 0; s < use.size(); ++s)
    if (use[s] > staging_budget(arch.scratchpads[s])) return static_cast<int>(s);
  return -1;
}

// Halve `x`, keeping it a multiple of `align` while it is at least `align`.
int64_t shrink(int64_t x, int64_t align) {
  int64_t h = (x + 1) / 2;
  if (h >= align) h = (h + align - 1) / align * align;
  if (h >= x) h = x - 1;
  return std::max<int64_t>(1, h);
}

GemmShape fit_gemm_tile(const Arch& arch, const LoweredOp& w, const OperandBits& bits, const EngineCapabilities& caps,
                        const std::string& dataflow, const std::string& item) {
  // Dimensions mapped onto the PE grid shrink in whole multiples of it (the engine says which).
  std::array<int64_t, 3> align{1, 1, 1};  // m, n, k
  if (auto it = caps.tile_multiple.find(dataflow); it != caps.tile_multiple.end()) align = it->second;
  GemmShape t = w.gemm;
  for (;;) {
    const auto use = gemm_staging(arch, w, t, bits, OperandHomes{});
    const int s = overflowing(arch, use);
    if (s < 0) return t;
    // Shrink the largest dimension of the biggest operand in the overflowing scratchpad,
    // measured in its alignment units; the temporal dimension last (it only costs refills).
    const auto& spm = arch.scratchpads[static_cast<size_t>(s)];
    const auto m = static_cast<uint64_t>(t.m), n = static_cast<uint64_t>(t.n), k = static_cast<uint64_t>(t.k);
    const uint64_t a_elems = w.a_tile_elements ? w.a_tile_elements(-1, t.m, 0, t.k) : m * k;
    std::array<uint64_t, 3> size_of{spm.holds_operand(Operand::A) ? a_elems * static_cast<uint64_t>(bits.a) : 0,
                                    spm.holds_operand(Operand::B) ? k * n * static_cast<uint64_t>(bits.b) : 0,
                                    spm.holds_operand(Operand::Out) ? m * n * static_cast<uint64_t>(bits.psum) : 0};
    const int biggest = static_cast<int>(std::max_element(size_of.begin(), size_of.end()) - size_of.begin());
    const std::array<std::array<int, 2>, 3> dims{{{0, 2}, {2, 1}, {0, 1}}};  // a: m,k  b: k,n  out: m,n
    std::array<int64_t*, 3> dim_ptr{&t.m, &t.n, &t.k};
    int pick = -1;
    double best = 0;
    for (int d : dims[static_cast<size_t>(biggest)]) {
      const auto du = static_cast<size_t>(d);
      const double units = static_cast<double>(*dim_ptr[du]) / static_cast<double>(align[du]);
      if (*dim_ptr[du] > 1 && units > best) {
        best = units;
        pick = d;
      }
    }
    if (pick < 0) {
      throw UserError("'" + item + "': even a 1x1x1 tile does not fit half of scratchpad '" + spm.name + "' (" +
                      std::to_string(spm.model->capacity_bits() / 8) + " bytes)");
    }
    const auto pu = static_cast<size_t>(pick);
    *dim_ptr[pu] = shrink(*dim_ptr[pu], align[pu]);
  }
}

int64_t vector_tile_fit(const Arch& arch, const Workload& wl, const LoweredOp& w) {
  const auto per = vector_staging(arch, wl, w, 1, true);
  int64_t tile = w.vec.elements;
  for (size_t s = 0; s < per.size(); ++s)
    if (per[s]) tile = std::min<int64_t>(tile, static_cast<int64_t>(staging_budget(arch.scratchpads[s]) / per[s]));
  return std::max<int64_t>(1, tile);
}

// Where the default mapper expects a GEMM's operands: activations on chip, weights, graph
// inputs and graph outputs in DRAM (the default placement keeps what fits).
OperandHomes expected_homes(const Workload& wl, const LoweredOp& w) {
  auto produced_inside = [&](const std::string& t) { return wl.tensor(t).role == TensorRole::activation; };
  OperandHomes h;
  h.a_dram = !produced_inside(w.a_tensor);
  h.b_dram = !produced_inside(w.b_tensor);
  h.out_dram = !produced_inside(w.out_tensor);
  return h;
}

}  // namespace

std::string engine_refusal(const EngineInstance& e, const TileRequest& req) {
  const EngineCapabilities& caps = e.model->capabilities();
  // Ask the capabilities first: most engines are ruled out without an exception (which, once
  // SystemC has switched stacks in this process, AddressSanitizer misreports).
  if (!caps.accepts(req.kind)) return req.kind == WorkKind::Gemm ? "runs no GEMM work" : "runs no vector work";
  auto has = [](const std::vector<DType>& v, DType t) { return v.empty() || std::find(v.begin(), v.end(), t) != v.end(); };
  auto names = [](const std::vector<DType>& v) {
    std::string s;
    for (DType t : v) s += (s.empty() ? "" : " ") + dtype_name(t);
    return s;
  };
  if (req.kind == WorkKind::Gemm && !has(caps.a_types, req.a_type))
    return "reads no " + dtype_name(req.a_type) + " activations (it reads " + names(caps.a_types) + ")";
  if (req.kind == WorkKind::Gemm && !has(caps.b_types, req.b_type))
    return "reads no " + dtype_name(req.b_type) + " weights (it reads " + names(caps.b_types) + ")";
  try {
    TileRequest r = req;
    r.dataflow = caps.dataflows.empty() ? "" : caps.dataflows.front();
    e.model->check(r);
    return "";
  } catch (const UserError& err) {
    return err.message();
  }
}

bool engine_accepts(const EngineInstance& e, const TileRequest& req) { return engine_refusal(e, req).empty(); }

std::string no_engine_message(const Arch& arch, const std::string& item, const std::string& kind, const TileRequest& req) {
  std::string why;
  for (const auto& e : arch.engines) why += "; '" + e.name + "' " + engine_refusal(e, req);
  return "no engine of machine '" + arch.name + "' can run '" + item + "' (" + kind + ")" + why;
}

int fusion_producer(const Workload& wl, const Operator& op) {
  return op.inputs.empty() ? -1 : wl.producer(op.inputs[0]);
}

std::string fusion_obstacle(const Workload& wl, const Operator& op, const EngineInstance& engine) {
  if (op.kind != "elementwise") return "only element-wise operators fuse, '" + op.name + "' is " + op.kind;
  const std::string what = op.attrs.s("op");
  if (op.inputs.size() != 1) return what + " takes " + std::to_string(op.inputs.size()) + " inputs; only one-input ops fuse";
  const int prod = fusion_producer(wl, op);
  if (prod < 0) return "its input '" + op.inputs[0] + "' is not produced by an operator";
  const auto work = wl.lower(prod);
  if (work.size() != 1 || work[0].kind != WorkKind::Gemm)
    return "its input '" + op.inputs[0] + "' is not produced by a GEMM operator";
  if (wl.consumers(op.inputs[0]).size() != 1) return "'" + op.inputs[0] + "' is read by other operators too";
  if (std::find(engine.fuse.begin(), engine.fuse.end(), what) == engine.fuse.end()) {
    std::string list;
    for (const auto& f : engine.fuse) list += (list.empty() ? "" : ", ") + f;
    return "engine '" + engine.name + "' does not apply " + what + " in its output path (its fuse key: " +
           (list.empty() ? "none" : list) + ")";
  }
  return "";
}

Mapping default_mapping(const Arch& arch, const Workload& wl) {
  Mapping m;
  m.arch = arch.name;
  m.workload = wl.name();
  // Engines are chosen by list scheduling on closed-form compute estimates: each item goes to
  // the accepting engine on which it would finish first, given when its producers finish and
  // when the engine frees up, so independent branches spread over engines of the same kind.
  std::vector<uint64_t> engine_free(arch.engines.size(), 0);
  std::vector<uint64_t> op_finish(wl.ops().size(), 0);
  std::vector<bool> is_view(wl.ops().size());
  for (size_t oi = 0; oi < is_view.size(); ++oi) is_view[oi] = wl.lower(static_cast<int>(oi)).empty();
  // Views (operators with no engine work) finish with their inputs.
  std::function<uint64_t(int)> finish_of = [&](int op) {
    if (!is_view[static_cast<size_t>(op)]) return op_finish[static_cast<size_t>(op)];
    uint64_t f = 0;
    for (int pred : wl.predecessors(op)) f = std::max(f, finish_of(pred));
    return f;
  };
  std::map<int, const EngineInstance*> gemm_engine;  // op index -> engine of its GEMM
  const std::vector<WorkItem> items = work_items(wl);
  m.ops.reserve(items.size());
  for (const auto& it : items) {
    OpMapping om;
    om.op = it.name;
    // Element-wise work right after a GEMM goes into that engine's output path where it can.
    if (const int prod = fusion_producer(wl, *it.op); prod >= 0 && gemm_engine.count(prod)) {
      const EngineInstance& g = *gemm_engine.at(prod);
      if (fusion_obstacle(wl, *it.op, g).empty()) {
        om.engine = g.name;
        om.fused = true;
        op_finish[static_cast<size_t>(it.op_index)] = op_finish[static_cast<size_t>(prod)];
        m.ops.push_back(om);
        continue;
      }
    }
    const TileRequest req = request_for(wl, it.work, "");
    uint64_t ready = 0;
    for (int pred : wl.predecessors(it.op_index)) ready = std::max(ready, finish_of(pred));
    if (it.index > 0) ready = std::max(ready, op_finish[static_cast<size_t>(it.op_index)]);
    const EngineInstance* e = nullptr;
    uint64_t best_finish = 0;
    for (size_t ei = 0; ei < arch.engines.size(); ++ei) {
      const EngineInstance& cand = arch.engines[ei];
      if (!engine_accepts(cand, req)) continue;
      TileRequest r = req;
      const auto dataflows = cand.model->capabilities().dataflows;
      r.dataflow = dataflows.empty() ? "" : dataflows.front();
      const uint64_t finish = std::max(ready, engine_free[ei]) + cand.model->cost(r).cycles.total() *
                                                                     static_cast<uint64_t>(it.work.groups);
      if (!e || finish < best_finish) {
        e = &cand;
        best_finish = finish;
      }
    }
    if (!e) throw UserError(no_engine_message(arch, it.name, it.op->kind, request_for(wl, it.work, "")), it.op->loc);
    engine_free[static_cast<size_t>(e - arch.engines.data())] = best_finish;
    op_finish[static_cast<size_t>(it.op_index)] = best_finish;
    om.engine = e->name;
    if (it.work.kind == WorkKind::Gemm) {
      gemm_engine[it.op_index] = e;
      const auto& caps = e->model->capabilities();
      om.dataflow = caps.dataflows.empty() ? "" : caps.dataflows.front();
      const OperandBits bits = operand_bits(wl, it.work, *e->model);
      const GemmShape t = fit_gemm_tile(arch, it.work, bits, caps, om.dataflow, it.name);
      om.tile_m = t.m;
      om.tile_n = t.n;
      om.tile_k = t.k;
      ItemTile it_tile;
      it_tile.gemm = t;
      if (const AccLevel a = acc_level(arch, it_tile, bits.psum); a.on) {  // written out, so the file says it
        om.acc_m = a.m;
        om.acc_n = a.n;
      }
      uint64_t best = std::numeric_limits<uint64_t>::max();
      for (const char* order : {"mnk", "mkn", "nmk", "nkm", "kmn", "knm"}) {
        const uint64_t b =
            TileSequence::gemm(it.work.gemm, t, order, bits, expected_homes(wl, it.work), it.work.a_tile_elements)
                .dram_bits();
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

}  // namespace tessera
