#include "sim/scheduler/placement.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <unordered_set>

#include "sim/mapper/planner.h"

namespace tessera {

namespace {

std::string mb(uint64_t bits) { return std::to_string(bits / 8) + " bytes"; }

class Placer {
 public:
  Placer(const Arch& arch, const Workload& wl, const Mapping& mapping)
      : arch_(arch), wl_(wl), mapping_(mapping), items_(work_items(wl)), used_(arch.scratchpads.size(), 0) {
    check_entries();
    find_fusions();
    index_storage();
    find_prepared();
    add_olive_encoders();
  }

  Plan run() {
    Plan plan;
    plan.ops.reserve(items_.size());
    for (size_t i = 0; i < items_.size(); ++i) plan.ops.push_back(place(i, plan));
    for (auto& [name, k] : kept_) placements_[k.placement].to = items_.empty() ? 0 : items_.size() - 1;
    plan.tensors = std::move(placements_);
    return plan;
  }

 private:
  struct Read {
    std::string tensor;
    Operand role;
  };
  struct Kept {
    uint64_t bits;
    size_t spm;
    size_t placement;
  };

  // Every entry names an operator of the workload (the loader refuses two entries for one);
  // every operator has an entry. An entry
  // that names no operator is reported first: it is usually the misspelt one a missing
  // operator's entry was meant to be.
  void check_entries() const {
    std::unordered_set<std::string> names;
    for (const auto& it : items_) names.insert(it.name);
    for (const auto& om : mapping_.ops) {
      if (!names.count(om.op)) {
        std::vector<std::string> known;
        for (const auto& it : items_)
          if (!mapping_.find(it.name)) known.push_back(it.name);  // the operators still without an entry
        if (known.empty())
          for (const auto& it : items_) known.push_back(it.name);
        const std::string close = closest_match(om.op, known);
        throw UserError("mapping names operator '" + om.op + "', which workload '" + wl_.name() + "' does not have" +
                            (close.empty() ? "" : " -- did you mean '" + close + "'?"),
                        om.loc, "op");
      }
    }
    for (const auto& it : items_)
      if (!mapping_.find(it.name))
        throw UserError("operator '" + it.name + "' of workload '" + wl_.name() +
                            "' has no mapping entry (every operator needs one; `tessera map` writes a complete mapping)",
                        mapping_.loc, "mapping");
  }

  // Items the mapping fuses into the GEMM before them: checked here, before anything runs.
  void find_fusions() {
    std::map<int, size_t> first_item;
    for (size_t i = 0; i < items_.size(); ++i) first_item.emplace(items_[i].op_index, i);
    for (size_t i = 0; i < items_.size(); ++i) {
      const WorkItem& it = items_[i];
      const OpMapping* om = mapping_.find(it.name);
      if (!om || !om->fused) continue;
      const EngineInstance& e = arch_.engines[engine_index(*om)];
      const int prod = fusion_producer(wl_, *it.op);
      std::string why = fusion_obstacle(wl_, *it.op, e);
      if (why.empty() && !first_item.count(prod)) why = "its producer has no engine work";
      if (why.empty() && mapping_.find(items_[first_item.at(prod)].name) &&
          mapping_.find(items_[first_item.at(prod)].name)->engine != e.name)
        why = "its producer runs on engine '" + mapping_.find(items_[first_item.at(prod)].name)->engine + "'";
      if (!why.empty()) throw UserError("'" + it.name + "' cannot be fused: " + why, om->loc, "fused");
      const size_t g = first_item.at(prod);
      fused_into_[i] = g;
      if (it.index + 1 == it.count) out_override_[g] = it.work.out_tensor;
      // The output path applies the op to every result, in the accumulator's format.
      TileRequest gemm_req;
      gemm_req.a_type = wl_.tensor(items_[g].work.a_tensor).dtype;
      gemm_req.b_type = wl_.tensor(items_[g].work.b_tensor).dtype;
      const NumFormat acc = e.model->acc_format(gemm_req);
      const int bits = acc.bits();
      const std::string prim = (acc.is_int() ? "int_" : acc.name() + "_") + it.work.vec.op;
      try {
        (void)arch_.tech->action_pj(prim, bits);
      } catch (const std::exception& err) {
        throw UserError("'" + it.name + "' cannot be fused: the tech library cannot price " + prim + " at " +
                            std::to_string(bits) + " bits for the output path of engine '" + e.name + "' (" +
                            err.what() + ")",
                        om->loc, "fused");
      }
      fused_actions_[g].add("output_path", prim, bits, it.work.macs);
    }
  }

  // Views share storage: each tensor's base tensors (itself unless a no-work operator made it),
  // which items read each base, and which item writes it.
  void index_storage() {
    for (int oi : wl_.topological_order()) {
      const Operator& op = wl_.ops()[static_cast<size_t>(oi)];
      const bool view = wl_.lower(oi).empty();
      for (const auto& o : op.outputs) {
        std::vector<std::string> b;
        if (view) {
          for (const auto& in : op.inputs)
            for (const auto& x : bases(in)) b.push_back(x);
        } else {
          b.push_back(o);
        }
        bases_[o] = b;
      }
    }
    for (size_t i = 0; i < items_.size(); ++i) {
      for (const auto& r : reads(i))
        for (const auto& b : bases(r.tensor)) uses_[b].push_back(i);
      if (const std::string w = written(i); !w.empty()) writer_[w] = i;
    }
  }

  // Tensors an engine reads in a prepared form (the LUT engine with fused precompute reads
  // tables): every reader must read that form, as A of a plain GEMM; the item that writes the
  // tensor does the preparation (a workload input's, its first reader).
  void find_prepared() {
    struct Reader {
      size_t item;
      std::optional<PreparedOperand> form;
    };
    std::map<std::string, std::vector<Reader>> readers;
    for (size_t i = 0; i < items_.size(); ++i) {
      for (const auto& r : reads(i)) {
        std::optional<PreparedOperand> form;
        if (r.role == Operand::A && items_[i].work.kind == WorkKind::Gemm) {
          const OpMapping* om = mapping_.find(items_[i].name);
          form = arch_.engines[engine_index(*om)].model->prepared_a(request_for(wl_, items_[i].work, om->dataflow));
        }
        for (const auto& b : bases(r.tensor)) readers[b].push_back({i, form});
      }
    }
    for (const auto& [base, rs] : readers) {
      auto prepared = std::find_if(rs.begin(), rs.end(), [](const Reader& r) { return r.form.has_value(); });
      if (prepared == rs.end()) continue;
      const WorkItem& it = items_[prepared->item];
      const OpMapping& om = *mapping_.find(it.name);
      auto engine_of = [&](size_t i) { return "engine '" + mapping_.find(items_[i].name)->engine + "'"; };
      const uint64_t elements = wl_.tensor(base).elements();
      for (const Reader& r : rs) {
        if (!r.form || r.form->form != prepared->form->form)
          throw UserError("'" + it.name + "' reads '" + base + "' as " + prepared->form->form + " (" +
                              engine_of(prepared->item) + "), but '" + items_[r.item].name + "' reads it as " +
                              (r.form ? r.form->form : std::string("plain elements")) + " (" + engine_of(r.item) +
                              "); its writer prepares one form: map both to engines that read the same",
                          om.loc, "engine");
        // A prepared unit covers `group` consecutive elements of a row: the reader must see the
        // whole tensor row by row in its stored order.
        const WorkItem& ri = items_[r.item];
        std::string why;
        if (ri.work.conv) why = "a convolution reads it window by window";
        if (why.empty() && elements != static_cast<uint64_t>(ri.work.groups * ri.work.gemm.m * ri.work.gemm.k))
          why = "its A operand is not the whole of '" + base + "'";
        // Views keep each row's groups when every tensor on the way has rows of whole groups and
        // each view is a reshape or a transpose that keeps the last axis.
        for (std::string t = ri.work.a_tensor; why.empty();) {
          const auto& shape = wl_.tensor(t).shape;
          if (shape.empty() || shape.back() % r.form->group != 0)
            why = "'" + t + "' has rows of " + (shape.empty() ? std::string("1") : std::to_string(shape.back())) +
                  " elements, not whole groups of " + std::to_string(r.form->group);
          if (!why.empty() || t == base) break;
          const Operator& view = wl_.ops()[static_cast<size_t>(wl_.producer(t))];
          if (view.kind != "reshape" && !(view.kind == "transpose" && keeps_last_axis(view)))
            why = "it reads '" + base + "' through " + view.kind + " '" + view.name + "'";
          t = view.inputs[0];
        }
        if (!why.empty())
          throw UserError("'" + ri.name + "' reads '" + base + "' as " + r.form->form +
                              ", which are built from consecutive elements of its rows; " + why +
                              " (reshapes and transposes that keep the last axis keep the order)",
                          mapping_.find(ri.name)->loc, "engine");
      }
      prepared_bits_[base] = prepared->form->bits;
      const LoweredOp& w = it.work;
      const TileRequest req = request_for(wl_, w, om.dataflow);
      const uint64_t k = static_cast<uint64_t>(w.gemm.k);
      const ActionCounts prep =
          arch_.engines[engine_index(om)].model->a_preparation(req, elements / k, k);
      auto wr = writer_.find(base);
      fused_actions_[wr == writer_.end() ? rs.front().item : wr->second].merge(prep);
    }
  }

  // Tensors written as OliVe pairs (olive4, docs/numerics.md "OliVe"): the writer's output path
  // encodes every element once: its value against the grid's 8 thresholds (the normal/outlier
  // boundary and the 7 midpoints between outliers) and the selection of its 4-bit code, and per
  // pair the victim's identifier.
  void add_olive_encoders() {
    for (const auto& [tensor, item] : writer_) {
      const Tensor& t = wl_.tensor(tensor);
      if (t.dtype != DType::olive4) continue;
      const auto n = static_cast<uint64_t>(t.elements());
      fused_actions_[item].add("olive_encoder", "int_compare", 8, 8 * n);
      fused_actions_[item].add("olive_encoder", "mux", 4, n + (n + 1) / 2);
    }
  }

  // A transpose whose permutation ends with the input's last axis ("0,2,1,3").
  bool keeps_last_axis(const Operator& transpose) const {
    const std::string& perm = transpose.attrs.s("perm");
    const std::string last = perm.substr(perm.find_last_of(',') == std::string::npos ? 0 : perm.find_last_of(',') + 1);
    const size_t rank = wl_.tensor(transpose.inputs[0]).shape.size();
    return rank > 0 && last.find_first_not_of(' ') != std::string::npos &&
           std::stoul(last.substr(last.find_first_not_of(' '))) == rank - 1;
  }

  // Bits a tensor occupies in memory: its elements' bits, or its prepared form's.
  uint64_t stored_bits(const std::string& t) const {
    auto p = prepared_bits_.find(t);
    return p == prepared_bits_.end() ? wl_.tensor(t).bits() : wl_.tensor(t).elements() * static_cast<uint64_t>(p->second);
  }

  std::vector<std::string> bases(const std::string& t) const {
    auto it = bases_.find(t);
    return it == bases_.end() ? std::vector<std::string>{t} : it->second;
  }

  std::vector<Read> reads(size_t i) const {
    if (fused_into_.count(i)) return {};
    const WorkItem& it = items_[i];
    if (it.work.kind == WorkKind::Gemm) return {{it.work.a_tensor, Operand::A}, {it.work.b_tensor, Operand::B}};
    if (it.index > 0) return {};  // later passes of a multi-pass operator work on chip
    std::vector<Read> r;
    for (const auto& t : it.op->inputs)
      if (std::none_of(r.begin(), r.end(), [&](const Read& x) { return x.tensor == t; })) r.push_back({t, Operand::A});
    return r;
  }
  std::string written(size_t i) const {
    if (fused_into_.count(i)) return "";
    if (auto o = out_override_.find(i); o != out_override_.end()) return o->second;
    const WorkItem& it = items_[i];
    return it.index + 1 == it.count ? it.work.out_tensor : "";
  }

  // The first use after item i, or "never" (furthest).
  size_t next_use(const std::string& base, size_t i) const {
    auto it = uses_.find(base);
    if (it == uses_.end()) return SIZE_MAX;
    auto u = std::upper_bound(it->second.begin(), it->second.end(), i);
    return u == it->second.end() ? SIZE_MAX : *u;
  }
  size_t last_use(const std::string& base) const {
    auto it = uses_.find(base);
    return it == uses_.end() || it->second.empty() ? 0 : it->second.back();
  }

  // Writes a kept tensor to DRAM before item i starts and frees its space.
  void spill(const std::string& base, size_t i, OpPlan& p) {
    const Kept k = kept_.at(base);
    used_[k.spm] -= k.bits;
    placements_[k.placement].to = i;
    placements_[k.placement].spilled = true;
    p.spills.push_back(base);
    p.spill_bits += k.bits;
    if (auto w = writer_.find(base); w != writer_.end()) add_dep(p, w->second);
    kept_.erase(base);
  }

  static void add_dep(OpPlan& p, size_t d) {
    if (std::find(p.deps.begin(), p.deps.end(), d) == p.deps.end()) p.deps.push_back(d);
  }

  size_t engine_index(const OpMapping& om) const {
    for (size_t e = 0; e < arch_.engines.size(); ++e)
      if (arch_.engines[e].name == om.engine) return e;
    std::vector<std::string> names;
    for (const auto& e : arch_.engines) names.push_back(e.name);
    const std::string close = closest_match(om.engine, names);
    throw UserError("no engine named '" + om.engine + "' in machine '" + arch_.name + "'" +
                        (close.empty() ? "" : " -- did you mean '" + close + "'?"),
                    om.loc, "engine");
  }

  OpPlan place(size_t i, const Plan& plan) {
    const WorkItem& it = items_[i];
    const OpMapping* om = mapping_.find(it.name);  // present: check_entries
    if (auto f = fused_into_.find(i); f != fused_into_.end()) return fused(i, f->second, plan);
    OpPlan p;
    p.op = it.name;
    p.kind = it.op->kind;
    p.engine = engine_index(*om);
    p.groups = it.work.groups;
    p.macs = it.work.macs;
    p.request = request_for(wl_, it.work, om->dataflow);
    const IEngine& engine = *arch_.engines[p.engine].model;
    try {
      engine.check(p.request);
    } catch (const UserError& e) {
      throw UserError("'" + it.name + "': " + e.message(), om->loc, e.key());
    }
    // Keys that do not apply to the entry's kind of work are mistakes, not no-ops.
    if (it.work.kind == WorkKind::Gemm && om->tile_elements)
      throw UserError("'" + it.name + "' is GEMM work (" + it.op->kind +
                          "): 'tile_elements' is for vector work; give 'tile' or 'conv_tile'",
                      om->loc, "tile_elements");
    if (it.work.kind != WorkKind::Gemm) {
      const char* key = om->tile_m || om->tile_n || om->tile_k ? "tile"
                        : om->has_conv_tile()                  ? "conv_tile"
                        : om->has_acc_tile()                   ? "acc_tile"
                                                               : nullptr;
      if (key)
        throw UserError("'" + it.name + "' is vector work (" + it.op->kind + "): '" + key +
                            "' is for GEMM work; give 'tile_elements'",
                        om->loc, key);
    }
    if (it.index > 0) add_dep(p, i - 1);

    // Inputs: in place when every base is kept where the operand role can be read.
    const std::vector<Read> rd = reads(i);
    std::vector<bool> on_chip(rd.size(), false);
    for (size_t r = 0; r < rd.size(); ++r) {
      const auto bs = bases(rd[r].tensor);
      bool all = true;
      for (const auto& b : bs) {
        auto k = kept_.find(b);
        all = all && k != kept_.end() && arch_.scratchpads[k->second.spm].holds_operand(rd[r].role);
        if (auto w = writer_.find(b); w != writer_.end()) add_dep(p, w->second);
      }
      if (!all)
        for (const auto& b : bs)
          if (kept_.count(b)) spill(b, i, p);
      on_chip[r] = all;
    }

    // Output: kept for its consumers when it has any and a scratchpad holds outputs.
    const std::string out = written(i);
    const Tensor* out_t = out.empty() ? nullptr : &wl_.tensor(out);
    size_t out_spm = 0;
    bool keep_out = out_t && out_t->role == TensorRole::activation && uses_.count(out);
    if (keep_out) {
      keep_out = false;
      for (size_t s = 0; s < arch_.scratchpads.size(); ++s)
        if (arch_.scratchpads[s].holds_operand(Operand::Out)) {
          out_spm = s;
          keep_out = true;
          break;
        }
    }

    ItemTile tile;
    OperandBits bits;
    if (it.work.kind == WorkKind::Gemm) {
      bits = operand_bits(wl_, it.work, engine);
      if (!out.empty()) bits.out = dtype_bits(wl_.tensor(out).dtype);  // a fused op's output
      if (auto pb = prepared_bits_.find(out); pb != prepared_bits_.end()) bits.out = pb->second;
      tile = tile_of(*om, it.work);
      if (om->has_acc_tile() && arch_.accumulator() < 0)
        throw UserError("'" + it.name + "': acc_tile needs an accumulator (a scratchpad that holds psum); machine '" +
                            arch_.name + "' has none",
                        om->loc, "acc_tile");
    }
    auto homes = [&] {
      OperandHomes h;
      if (it.work.kind == WorkKind::Gemm) {
        h.a_dram = !on_chip[0];
        h.b_dram = !on_chip[1];
      }
      h.out_dram = !keep_out;
      return h;
    };
    auto any_input_in_dram = [&] { return std::find(on_chip.begin(), on_chip.end(), false) != on_chip.end(); };
    auto staging = [&] {
      return it.work.kind == WorkKind::Gemm ? gemm_staging(arch_, it.work, tile, bits, homes())
                                            : vector_staging(arch_, wl_, it.work, om->tile_elements > 0 ? std::min(om->tile_elements, it.work.vec.elements) : it.work.vec.elements,
                                                             it.index == 0 && any_input_in_dram(),
                                                             out_t ? stored_bits(out) : 0);
    };
    const uint64_t out_bits = out_t ? stored_bits(out) : 0;
    for (;;) {
      const auto stage = staging();
      int over = -1;
      for (size_t s = 0; s < stage.size() && over < 0; ++s) {
        const uint64_t need = used_[s] + stage[s] + (keep_out && s == out_spm ? out_bits : 0);
        if (need > arch_.scratchpads[s].model->capacity_bits()) over = static_cast<int>(s);
      }
      if (over < 0) break;
      const auto s = static_cast<size_t>(over);
      // Evict the kept tensor this item does not read whose next use is furthest away.
      std::string victim;
      size_t furthest = 0;
      for (const auto& [name, k] : kept_) {
        if (k.spm != s) continue;
        bool read_here = false;
        for (const auto& r : rd)
          for (const auto& b : bases(r.tensor)) read_here = read_here || b == name;
        if (read_here) continue;
        const size_t nu = next_use(name, i);
        if (victim.empty() || nu > furthest) {
          victim = name;
          furthest = nu;
        }
      }
      if (!victim.empty()) {
        spill(victim, i, p);
        continue;
      }
      if (keep_out && s == out_spm) {
        keep_out = false;
        continue;
      }
      // Last resort: read this item's own inputs from DRAM instead.
      bool freed = false;
      for (size_t r = 0; r < rd.size() && !freed; ++r) {
        if (!on_chip[r]) continue;
        for (const auto& b : bases(rd[r].tensor))
          if (kept_.count(b) && kept_.at(b).spm == s) {
            spill(b, i, p);
            freed = true;
          }
        if (freed) on_chip[r] = false;
      }
      if (freed) continue;
      const auto& spm = arch_.scratchpads[s];
      if (static_cast<int>(s) == arch_.accumulator()) {
        const AccLevel acc = acc_level(arch_, tile, bits.psum);
        throw UserError("'" + it.name + "': accumulator tile m=" + std::to_string(acc.m ? acc.m : tile.largest().m) +
                            " n=" + std::to_string(acc.n ? acc.n : tile.largest().n) + " of tile " + tile.text() + " needs " +
                            mb(stage[s]) + " of partial sums double-buffered in accumulator '" + spm.name + "', which holds " +
                            mb(spm.model->capacity_bits()),
                        om->loc, om->has_acc_tile() ? "acc_tile" : tile.is_conv() ? "conv_tile" : "tile");
      }
      if (it.work.kind == WorkKind::Gemm)
        throw UserError("'" + it.name + "': tile " + tile.text() + " needs " + mb(stage[s]) +
                            " double-buffered in scratchpad '" + spm.name + "', which holds " +
                            mb(spm.model->capacity_bits()),
                        om->loc, tile.is_conv() ? "conv_tile" : "tile");
      throw UserError("'" + it.name + "': " + std::to_string(om->tile_elements) + " elements per tile need " +
                          mb(stage[s]) + " double-buffered in scratchpad '" + spm.name + "', which holds " +
                          mb(spm.model->capacity_bits()),
                      om->loc, "tile_elements");
    }

    for (size_t r = 0; r < rd.size(); ++r) {
      p.reads.push_back({rd[r].tensor, on_chip[r]});
      if (!on_chip[r])
        for (const auto& b : bases(rd[r].tensor)) p.loads_wait = p.loads_wait || writer_.count(b);
    }
    p.loads_wait = p.loads_wait || !p.spills.empty();
    p.write = {out, keep_out};

    if (it.work.kind == WorkKind::Gemm) {
      p.tiles = tile_sequence(it.work, tile, om->loop_order, bits, homes(), acc_level(arch_, tile, bits.psum));
      if (p.tiles.max_calls_per_tile() > kMaxCallsPerTile)
        throw UserError("'" + it.name + "': the accumulator tile splits tile " + tile.text() + " into " +
                            std::to_string(p.tiles.max_calls_per_tile()) + " engine calls; at most " +
                            std::to_string(kMaxCallsPerTile) + " (make acc_tile larger)",
                        om->loc, "acc_tile");
    } else {
      uint64_t in = 0;
      for (size_t r = 0; r < rd.size(); ++r)
        if (!on_chip[r]) in += wl_.tensor(rd[r].tensor).bits();
      const uint64_t store = out_t && !keep_out ? out_bits : 0;
      p.tiles = TileSequence::vector(it.work.vec.elements, om->tile_elements, in, store);
    }

    // Free what this item was the last to read; keep its output.
    for (const auto& r : rd)
      for (const auto& b : bases(r.tensor)) {
        auto k = kept_.find(b);
        if (k == kept_.end() || last_use(b) > i) continue;
        used_[k->second.spm] -= k->second.bits;
        placements_[k->second.placement].to = i;
        kept_.erase(k);
      }
    if (out_t) {
      TensorPlacement tp;
      tp.tensor = out;
      tp.bits = out_bits;
      tp.on_chip = keep_out;
      tp.scratchpad = out_spm;
      tp.from = tp.to = i;
      placements_.push_back(tp);
      if (keep_out) {
        kept_[out] = {out_bits, out_spm, placements_.size() - 1};
        used_[out_spm] += out_bits;
      }
    }
    (void)plan;
    if (auto f = fused_actions_.find(i); f != fused_actions_.end()) p.fused_actions = f->second;
    return p;
  }

  // A fused item: no tiles; its work is counted in the output path of item g.
  OpPlan fused(size_t i, size_t g, const Plan& plan) {
    const WorkItem& it = items_[i];
    OpPlan p;
    p.op = it.name;
    p.kind = it.op->kind;
    p.engine = plan.ops[g].engine;
    p.request = request_for(wl_, it.work, "");
    p.tiles = TileSequence::vector(0, 0, 0, 0);
    p.deps = {g};
    p.fused_into = plan.ops[g].op;
    p.reads.push_back({it.op->inputs[0], true});
    if (it.index + 1 == it.count) p.write = plan.ops[g].write;
    return p;
  }

  const Arch& arch_;
  const Workload& wl_;
  const Mapping& mapping_;
  std::vector<WorkItem> items_;
  std::map<std::string, std::vector<std::string>> bases_;
  std::map<std::string, std::vector<size_t>> uses_;
  std::map<std::string, size_t> writer_;
  std::map<std::string, Kept> kept_;
  std::vector<uint64_t> used_;
  std::vector<TensorPlacement> placements_;
  std::map<size_t, size_t> fused_into_;           // fused item -> the GEMM item it went into
  std::map<size_t, std::string> out_override_;    // GEMM item -> the fused op's output it writes
  std::map<size_t, ActionCounts> fused_actions_;  // item -> its output path's work (fused ops, preparation)
  std::map<std::string, int> prepared_bits_;      // base tensor -> bits per element of its prepared form
};

}  // namespace

Plan build_plan(const Arch& arch, const Workload& wl, const Mapping& mapping) {
  return Placer(arch, wl, mapping).run();
}

}  // namespace tessera
