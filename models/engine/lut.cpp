// LUT engine: an M x N array of lookup units fed by M per-row tables (docs/engines/lut.md).
// Unit (i, j) accumulates out[m0+i][n0+j]. A fold's k runs in groups of K activations; a group
// takes W cycles, one per weight plane (W = the weight format's bits), least significant first.
// Each cycle every unit selects the entry its column's plane digits index, flips its sign
// (symmetric tables), scales it by the plane's significance and adds it to its accumulator.
// Tables are built combinationally from the K activations on the operand bus, per row, into the
// table register at the edge that accepts a fold or ends a group (as the bit-serial engine
// latches its operands). After a fold's last cycle the accumulators and row offsets go to
// result registers, read out one row per cycle while the next fold computes. Three views, as
// for the other engines:
//   cost()        the closed form;
//   simulate_pe() per cycle: tables, weight registers, lookups, accumulators, read-out;
//   compute()     the functional result (lut_gemm).
#include "models/engine/lut.h"

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <utility>

#include "models/common/error.h"
#include "models/common/int_math.h"
#include "models/numerics/accumulate.h"

namespace tessera {

namespace {

using u64 = uint64_t;
constexpr const char* kPrecompute = "precompute";
constexpr const char* kColumns = "weight_columns";
constexpr const char* kArray = "lut_array";
constexpr const char* kReadout = "readout";
constexpr const char* kStore = "table_store";
constexpr const char* kController = "controller";
constexpr const char* kFusedPrecompute = "table_precompute";  // in the operator that writes the tables
constexpr int kGroupBits = 16;  // the controller's group counter: G < 65536

NumFormat acc_choice(const std::string& name, bool fp) {
  if (name == "auto") return fp ? NumFormat::of(DType::fp16) : NumFormat::int_bits(32);
  if (name == "fp16") return NumFormat::of(DType::fp16);
  if (name == "fp32") return NumFormat::of(DType::fp32);
  return NumFormat::int_bits(std::stoi(name.substr(3)));  // int16 / int24 / int32
}

}  // namespace

LutSpec LutSpec::from_params(const ParamValues& p) {
  LutSpec s;
  s.rows = p.i("rows");
  s.cols = p.i("cols");
  s.group = static_cast<int>(p.i("group"));
  s.symmetric = p.b("symmetric");
  s.weight_bits = static_cast<int>(p.i("weight_bits"));
  s.fp = p.s("act") == "fp16";
  s.out_fmt = acc_choice(p.s("acc"), s.fp);
  s.table_store = p.i("table_store");
  s.fused = p.s("precompute") == "fused";
  if (s.out_fmt.is_float() != s.fp)
    throw UserError(std::string("lut: acc ") + p.s("acc") + " does not suit act " + p.s("act") + "; expected " +
                        (s.fp ? "fp16 or fp32" : "int16, int24 or int32") + " (or auto)",
                    {}, "acc");
  const std::string& table = p.s("table");
  if (s.fp) {
    s.table_fmt = NumFormat::of(table == "fp32" ? DType::fp32 : DType::fp16);
  } else {
    if (table != "auto")
      throw UserError("lut: table " + table + " needs act fp16; int tables are exact (table: auto)", {}, "table");
    // K terms of up to kIntActBits bits: |sum| <= K 2^(a-1), exact in a + clog2(K + 1) bits.
    s.table_fmt = NumFormat::int_bits(kIntActBits + clog2(static_cast<u64>(s.group) + 1));
  }
  return s;
}

std::vector<std::pair<int, int64_t>> LutSpec::precompute_adders() const {
  std::vector<std::pair<int, int64_t>> v;
  for (int l = 1; l < group; ++l) {
    const int bits = fp ? table_fmt.bits() : kIntActBits + clog2(static_cast<u64>(l) + 2);  // l + 1 terms
    v.emplace_back(bits, int64_t{1} << l);
  }
  return v;
}

int LutSpec::shifter_mux_bits() const {
  if (fp) return 0;
  int w = entry_bits(), muxes = 0;
  for (int shift = 1; shift < weight_bits; shift <<= 1) {
    muxes += w;
    w += shift;
  }
  return muxes;
}

// ---- arithmetic ---------------------------------------------------------------------------

LutArith::LutArith(const LutSpec& s, DType a_type)
    : s_(s),
      act_(NumFormat::of(a_type)),
      table_(s.table_fmt),
      acc_(s.acc_fmt()),
      out_(s.out_fmt),
      wide_(table_.bits() >= acc_.bits() ? table_ : acc_) {}

uint64_t LutArith::widen(const NumFormat& from, uint64_t v) const { return encode(wide_, decode(from, v)); }

uint64_t LutArith::neg_entry(uint64_t v) const {
  if (table_.is_float()) return v ^ (uint64_t{1} << (table_.bits() - 1));
  return encode_int(table_, -decode_int(table_, v));  // in range: entries are symmetric
}

void LutArith::build_table(const uint64_t* x, std::vector<uint64_t>& t) const {
  t.assign(1, 0);
  if (table_.is_float())
    t[0] = neg_entry(encode(table_, decode(act_, x[0])));  // exact: fp16 into fp16 or fp32
  else
    t[0] = encode_int(table_, -decode_int(act_, x[0]));
  for (int k = 1; k < s_.group; ++k) {
    const size_t half = t.size();
    t.resize(2 * half);
    if (table_.is_float()) {
      const uint64_t xk = encode(table_, decode(act_, x[k]));
      for (size_t i = 0; i < half; ++i) {
        t[half + i] = add_scaled(table_, table_, t[i], xk, false, 0, 0);
        t[i] = add_scaled(table_, table_, t[i], xk, true, 0, 0);
      }
    } else {
      const int64_t a = decode_int(act_, x[k]);
      for (size_t i = 0; i < half; ++i) {
        const int64_t v = decode_int(table_, t[i]);
        t[half + i] = encode_int(table_, v + a);
        t[i] = encode_int(table_, v - a);
      }
    }
  }
  if (!s_.symmetric) {
    // Full index p: bit 0 is weight 0's digit. p = 2 q + d0; d0 = 1 is -t[~q].
    std::vector<uint64_t> full(2 * t.size());
    const size_t mask = t.size() - 1;
    for (size_t q = 0; q < t.size(); ++q) {
      full[2 * q] = t[q];
      full[2 * q + 1] = neg_entry(t[~q & mask]);
    }
    t.swap(full);
  }
}

std::vector<uint64_t> LutArith::table_word(const std::vector<uint64_t>& t) const {
  const int bits = s_.table_word_bits(), tb = s_.entry_bits();
  std::vector<uint64_t> w(static_cast<size_t>((bits + 63) / 64), 0);
  auto put = [&](int pos, int width, uint64_t v) {
    for (int b = 0; b < width; ++b)
      if ((v >> b) & 1) w[static_cast<size_t>((pos + b) / 64)] |= uint64_t{1} << ((pos + b) % 64);
  };
  if (!s_.fp) {
    put(0, 1, t[0]);
    for (size_t e = 0; e < t.size(); ++e) put(1 + static_cast<int>(e) * (tb - 1), tb - 1, t[e] >> 1);
  } else if (s_.symmetric) {
    for (size_t e = 0; e < t.size(); ++e) put(static_cast<int>(e) * tb, tb, t[e]);
  } else {
    const int half = static_cast<int>(t.size() / 2);
    for (int q = 0; q < half; ++q) {
      put(q * tb, tb, t[static_cast<size_t>(2 * q)]);
      put(half * tb + q, 1, t[static_cast<size_t>(2 * q + 1)] >> (tb - 1));
    }
  }
  return w;
}

uint64_t LutArith::lookup(const std::vector<uint64_t>& t, unsigned digits) const {
  if (!s_.symmetric) return t[digits];
  const unsigned mask = (1u << (s_.group - 1)) - 1, d0 = digits & 1u;
  const unsigned sel = (digits >> 1) ^ (d0 ? mask : 0u);
  return d0 ? neg_entry(t[sel]) : t[sel];
}

uint64_t LutArith::accumulate(uint64_t acc, uint64_t v, int plane) const {
  if (acc_.is_float()) return add_scaled(wide_, acc_, widen(acc_, acc), widen(table_, v), false, plane, 0);
  const uint64_t shifted = static_cast<uint64_t>(decode_int(table_, v)) << plane;
  return encode_int(acc_, wrap_to_bits(static_cast<uint64_t>(decode_int(acc_, acc)) + shifted, acc_.bits()));
}

uint64_t LutArith::add_group_sum(uint64_t offset, const std::vector<uint64_t>& t) const {
  if (acc_.is_float()) return add_scaled(wide_, acc_, widen(acc_, offset), widen(table_, t[0]), true, 0, 0);
  return encode_int(acc_, wrap_to_bits(static_cast<uint64_t>(decode_int(acc_, offset)) -
                                           static_cast<uint64_t>(decode_int(table_, t[0])),
                                       acc_.bits()));
}

uint64_t LutArith::result(uint64_t acc, uint64_t offset) const {
  if (acc_.is_float()) return add_scaled(acc_, out_, acc, offset, true, 0, -1);
  const int64_t d = wrap_to_bits(
      static_cast<uint64_t>(decode_int(acc_, acc)) - static_cast<uint64_t>(decode_int(acc_, offset)), acc_.bits());
  return encode_int(out_, d >> 1);  // d is even: twice the sum modulo 2^acc
}

// ---- pricing --------------------------------------------------------------------------------

ActionCounts lut_precompute_actions(const LutSpec& s, uint64_t tables, const char* component) {
  // The first entry's negation (ints: an adder; floats: the sign), the doubling adders, the full
  // table's negated half.
  ActionCounts a;
  if (!s.fp) a.add(component, "int_add", LutSpec::kIntActBits + 1, tables);
  for (const auto& [bits, adders] : s.precompute_adders())
    a.add(component, add_primitive(s.table_fmt), bits, tables * static_cast<u64>(adders));
  if (!s.symmetric && !s.fp) a.add(component, "int_add", s.entry_bits(), tables * static_cast<u64>(s.entries() / 2));
  return a;
}

ActionCounts lut_actions(const LutSpec& s, const LutCounts& c) {
  const int E = static_cast<int>(s.entries());
  const NumFormat acc = s.acc_fmt();
  // Precompute (combinational from the operand bus) unless the producer built the tables.
  ActionCounts a = s.fused ? ActionCounts{} : lut_precompute_actions(s, c.tables, kPrecompute);
  // The table register loads a built table or one from the store.
  const u64 table_writes = c.tables + c.table_loads;
  a.add(kPrecompute, "reg_write", s.stored_entry_bits(), table_writes * static_cast<u64>(s.whole_entries()));
  a.add(kPrecompute, "reg_write", 1, table_writes * static_cast<u64>(s.sign_only_entries()));
  if (!s.fp) a.add(kPrecompute, "reg_write", 1, table_writes);  // the entries' shared LSB
  // The table store: a built table written into its group's slot; a slot read through the
  // store's slot mux.
  a.add(kStore, "reg_write", s.table_word_bits(), c.table_stores);
  a.add(kStore, "reg_read", s.table_word_bits(), c.table_loads);
  if (s.table_store > 1) a.add(kStore, "mux" + std::to_string(s.table_store), s.table_word_bits(), c.table_loads);
  // Row offsets: the group's activation sum into the row's offset accumulator.
  a.add(kPrecompute, add_primitive(s.adder_fmt()), s.adder_fmt().bits(), c.offset_adds);
  a.add(kPrecompute, "reg_write", acc.bits(), c.offset_adds);
  // Columns: weight registers; per cycle the plane's digits (a W:1 mux per weight) and, for
  // symmetric tables, the select's conditional inversion (K - 1 XORs, priced as 2:1 muxes).
  a.add(kColumns, "reg_write", s.weight_bits, c.weight_writes);
  if (s.weight_bits > 1) a.add(kColumns, "mux" + std::to_string(s.weight_bits), s.group, c.column_cycles);
  if (s.symmetric) a.add(kColumns, "mux", s.group - 1, c.column_cycles);
  // Units: the E:1 entry mux, the sign flip, the shift to the plane's weight, the accumulator.
  if (E > 1) a.add(kArray, "mux" + std::to_string(E), s.entry_bits(), c.unit_cycles);
  if (s.symmetric) a.add(kArray, "mux", s.fp ? 1 : s.entry_bits() + s.weight_bits - 1, c.unit_cycles);
  if (s.fp && s.weight_bits > 1) a.add(kArray, "int_add", s.exp_bits(), c.unit_cycles);
  if (s.shifter_mux_bits() > 0) a.add(kArray, "mux", s.shifter_mux_bits(), c.unit_cycles);
  a.add(kArray, add_primitive(s.adder_fmt()), s.adder_fmt().bits(), c.unit_cycles);
  a.add(kArray, "reg_write", acc.bits(), c.unit_cycles);
  // Read-out: result registers (units and row offsets), the row mux, subtract and halve.
  a.add(kReadout, "reg_write", acc.bits(), c.results + c.offset_copies);
  if (s.rows > 1) a.add(kReadout, "mux" + std::to_string(s.rows), acc.bits(), c.results);
  a.add(kReadout, add_primitive(acc), acc.bits(), c.results);
  if (s.fp) a.add(kReadout, "int_add", s.out_fmt.exp_bits(), c.results);
  return a;
}

// ---- functional model -----------------------------------------------------------------------

void lut_gemm(const LutSpec& s, const TypedMatrix& a, const TypedMatrix& b, DType a_type, TypedMatrix& out) {
  const LutArith ar(s, a_type);
  const int64_t m = a.rows(), k = a.cols(), n = b.cols(), K = s.group;
  const int W = b.format().bits();
  out = TypedMatrix(m, n, s.out_fmt);
  std::vector<uint64_t> table, acc(static_cast<size_t>(n));
  std::vector<uint64_t> x(static_cast<size_t>(K));
  for (int64_t i = 0; i < m; ++i) {
    std::fill(acc.begin(), acc.end(), ar.zero_acc());
    uint64_t offset = ar.zero_acc();
    for (int64_t k0 = 0; k0 < k; k0 += K) {
      for (int64_t l = 0; l < K; ++l) x[static_cast<size_t>(l)] = a.raw(i, k0 + l);
      ar.build_table(x.data(), table);
      offset = ar.add_group_sum(offset, table);
      for (int64_t j = 0; j < n; ++j)
        for (int p = 0; p < W; ++p) {
          unsigned digits = 0;
          for (int64_t l = 0; l < K; ++l) digits |= LutArith::plane_bit(b.int_value(k0 + l, j), W, p) << l;
          acc[static_cast<size_t>(j)] = ar.accumulate(acc[static_cast<size_t>(j)], ar.lookup(table, digits), p);
        }
    }
    for (int64_t j = 0; j < n; ++j) out.set_raw(i, j, ar.result(acc[static_cast<size_t>(j)], offset));
  }
}

namespace {

// Everything one tile shape and format pair fixes.
struct TileGeom {
  u64 m, n, k, R, C, K, G, W, X, Fr, Fc, rr;
  u64 S;  // groups whose tables the store keeps for later column folds (0: none reused)
};

TileGeom geom(const LutSpec& s, const TileRequest& req) {
  TileGeom t{};
  t.m = static_cast<u64>(req.gemm.m);
  t.n = static_cast<u64>(req.gemm.n);
  t.k = static_cast<u64>(req.gemm.k);
  t.R = static_cast<u64>(s.rows);
  t.C = static_cast<u64>(s.cols);
  t.K = static_cast<u64>(s.group);
  t.G = t.k / t.K;
  t.W = static_cast<u64>(LutSpec::planes(req.b_type));
  t.X = t.G * t.W;
  t.Fr = ceil_div(t.m, t.R);
  t.Fc = ceil_div(t.n, t.C);
  t.rr = t.m - (t.Fr - 1) * t.R;
  t.S = static_cast<u64>(s.kept_groups(static_cast<int64_t>(t.G), static_cast<int64_t>(t.Fc)));
  return t;
}

// Operand bits the array reads: activations, or (fused) the table words.
u64 a_read_bits(const LutSpec& s, const LutCounts& c, int a_bits) {
  return s.fused ? c.tables * static_cast<u64>(s.stored_table_bits()) : c.act_reads * static_cast<u64>(a_bits);
}

// Run-time state of one per-cycle simulation.
class PeModel {
 public:
  PeModel(const LutSpec& s, const TileRequest& req, const TypedMatrix* a, const TypedMatrix* b, TypedMatrix* out)
      : s_(s),
        g_(geom(s, req)),
        ar_(s, req.a_type),
        a_(a),
        b_(b),
        out_(out),
        data_(a && b && out),
        a_bits_(dtype_bits(req.a_type)),
        w_bits_(dtype_bits(req.b_type)) {
    const u64 r = std::min(g_.m, g_.R), c = std::min(g_.n, g_.C);
    acc_.assign(r * c, 0);
    result_.assign(r * c, 0);
    offset_.assign(r, 0);
    offset_result_.assign(r, 0);
    tables_.assign(r, {});
    store_.assign(r * g_.S, {});
    weights_.assign(c * g_.K, 0);
    x_.assign(g_.K, 0);
  }

  TileCost run() {
    struct Fold {
      u64 m0, n0, r, c;
    };
    std::vector<Fold> folds;
    for (u64 m0 = 0; m0 < g_.m; m0 += g_.R)  // row folds outer, column folds inner
      for (u64 n0 = 0; n0 < g_.n; n0 += g_.C)
        folds.push_back({m0, n0, std::min(g_.R, g_.m - m0), std::min(g_.C, g_.n - n0)});
    u64 stall = 0, compute = 0, drain = 0;
    load(folds[0].m0, folds[0].n0, folds[0].r, folds[0].c, 0);  // the edge accepting the tile
    for (size_t f = 0; f < folds.size(); ++f) {
      const Fold& fd = folds[f];
      for (u64 t = 0; t < g_.X; ++t) {
        while (t == g_.X - 1 && readout_left_ > 1) {  // the last cycle waits for the read-out
          readout_cycle();
          ++stall;
        }
        const u64 grp = t / g_.W, plane = t % g_.W;
        compute_cycle(fd.r, fd.c, grp, static_cast<int>(plane));
        if (plane == g_.W - 1) {  // the edge ending a group loads the next one
          if (grp + 1 < g_.G)
            load(fd.m0, fd.n0, fd.r, fd.c, grp + 1);
          else if (f + 1 < folds.size())
            load(folds[f + 1].m0, folds[f + 1].n0, folds[f + 1].r, folds[f + 1].c, 0);
        }
        readout_cycle();
        ++compute;
      }
      if (readout_left_ != 0) throw std::logic_error("lut: result registers overwritten during read-out");
      std::copy(acc_.begin(), acc_.end(), result_.begin());
      std::copy(offset_.begin(), offset_.end(), offset_result_.begin());
      counts_.offset_copies += fd.r;
      ro_ = {fd.m0, fd.n0, fd.r, fd.c};
      readout_left_ = fd.r;
    }
    while (readout_left_ > 0) {
      readout_cycle();
      ++drain;
    }
    TileCost cost;
    cost.cycles = {stall, compute, drain};
    cost.macs = counts_.macs;
    cost.actions = lut_actions(s_, counts_);
    cost.traffic.a_read_bits = a_read_bits(s_, counts_, a_bits_);
    cost.traffic.b_read_bits = counts_.weight_writes * static_cast<u64>(w_bits_);
    cost.traffic.out_write_bits = counts_.results * static_cast<u64>(s_.out_fmt.bits());
    return cost;
  }

 private:
  // Group `grp` of a fold into the registers: its tables and its columns' weights. A row's table
  // is built combinationally from its K activations, or, in a row fold's later column folds, taken
  // from the store, which keeps the first S groups' tables of the row fold's first column fold.
  void load(u64 m0, u64 n0, u64 r, u64 c, u64 grp) {
    const u64 k0 = grp * g_.K;
    const bool stored = grp < g_.S, reuse = stored && n0 > 0;
    for (u64 i = 0; i < r; ++i) {
      if (reuse) {
        tables_[i] = store_[i * g_.S + grp];
        continue;
      }
      for (u64 l = 0; l < g_.K; ++l)
        x_[l] = data_ ? a_->raw(static_cast<int64_t>(m0 + i), static_cast<int64_t>(k0 + l)) : 0;
      ar_.build_table(x_.data(), tables_[i]);
      if (stored) store_[i * g_.S + grp] = tables_[i];
    }
    for (u64 j = 0; j < c; ++j)
      for (u64 l = 0; l < g_.K; ++l)
        weights_[j * g_.K + l] = data_ ? b_->int_value(static_cast<int64_t>(k0 + l), static_cast<int64_t>(n0 + j)) : 0;
    if (reuse) {
      counts_.table_loads += r;
    } else {
      counts_.tables += r;
      if (!s_.fused) counts_.act_reads += r * g_.K;
      if (stored) counts_.table_stores += r;
    }
    counts_.weight_writes += c * g_.K;
  }

  void compute_cycle(u64 r, u64 c, u64 grp, int plane) {
    const u64 cols = std::min(g_.n, g_.C);
    for (u64 j = 0; j < c; ++j) {
      unsigned digits = 0;  // the column's plane digits, shared by its r units
      for (u64 l = 0; l < g_.K; ++l) digits |= LutArith::plane_bit(weights_[j * g_.K + l], w_bits_, plane) << l;
      for (u64 i = 0; i < r; ++i) {
        uint64_t& acc = acc_[i * cols + j];
        if (grp == 0 && plane == 0) acc = ar_.zero_acc();
        acc = ar_.accumulate(acc, ar_.lookup(tables_[i], digits), plane);
      }
    }
    if (plane == 0)
      for (u64 i = 0; i < r; ++i) {
        if (grp == 0) offset_[i] = ar_.zero_acc();
        offset_[i] = ar_.add_group_sum(offset_[i], tables_[i]);
      }
    if (plane == 0) {
      counts_.offset_adds += r;
      counts_.macs += r * c * g_.K;
    }
    counts_.unit_cycles += r * c;
    counts_.column_cycles += c;
  }

  void readout_cycle() {
    if (readout_left_ == 0) return;
    const u64 row = ro_.r - readout_left_, cols = std::min(g_.n, g_.C);
    for (u64 j = 0; j < ro_.c; ++j)
      if (data_)
        out_->set_raw(static_cast<int64_t>(ro_.m0 + row), static_cast<int64_t>(ro_.n0 + j),
                      ar_.result(result_[row * cols + j], offset_result_[row]));
    counts_.results += ro_.c;
    --readout_left_;
  }

  const LutSpec& s_;
  const TileGeom g_;
  LutArith ar_;
  const TypedMatrix *a_, *b_;
  TypedMatrix* out_;
  bool data_;
  int a_bits_, w_bits_;
  std::vector<uint64_t> acc_, result_, offset_, offset_result_, x_;
  std::vector<int64_t> weights_;
  std::vector<std::vector<uint64_t>> tables_, store_;  // store_: row i's group g at i * S + g
  struct {
    u64 m0 = 0, n0 = 0, r = 0, c = 0;
  } ro_;
  u64 readout_left_ = 0;
  LutCounts counts_;
};

}  // namespace

TileCost lut_simulate_pe(const LutSpec& s, const TileRequest& req, const TypedMatrix* a, const TypedMatrix* b,
                         TypedMatrix* out) {
  if (a && b && out) *out = TypedMatrix(req.gemm.m, req.gemm.n, s.out_fmt);
  return PeModel(s, req, a, b, out).run();
}

namespace {

class LutEngine final : public IEngine {
 public:
  explicit LutEngine(const ParamValues& p) : s_(LutSpec::from_params(p)) {}

  std::string type() const override { return "lut"; }

  EngineCapabilities declare_capabilities() const override {
    EngineCapabilities c;
    c.work = {WorkKind::Gemm};
    c.dataflows = {"os"};
    c.a_types = s_.fp ? std::vector<DType>{DType::fp16} : signed_int_dtypes(LutSpec::kIntActBits);
    c.b_types = signed_int_dtypes(s_.weight_bits);
    c.rows = s_.rows;
    c.cols = s_.cols;
    c.peak_ops_per_cycle = static_cast<u64>(s_.rows * s_.cols * s_.group);  // 1-bit weights: a group per cycle
    c.psum_bits = s_.out_fmt.bits();
    c.tile_multiple = {{"os", {s_.rows, s_.cols, s_.group}}};
    c.acc_types = {s_.out_fmt};
    c.timing = TimingDependence::Shape;
    return c;
  }

  void check(const TileRequest& req) const override {
    if (req.kind == WorkKind::Gemm) {
      const auto& b = capabilities().b_types;
      if (std::find(b.begin(), b.end(), req.b_type) == b.end())
        throw UserError("engine 'lut' takes weights of at most " + std::to_string(s_.weight_bits) + " bits (int1..int" +
                        std::to_string(s_.weight_bits) + (s_.weight_bits >= 2 ? ", ternary" : "") + "), not " +
                        dtype_name(req.b_type) + " (weight_bits)");
      if (req.gemm.k > 0 && req.gemm.k % s_.group != 0)
        throw UserError("engine 'lut' reads activations in groups of " + std::to_string(s_.group) +
                        " (group): k = " + std::to_string(req.gemm.k) + " is not a multiple of it");
      if (req.gemm.k / s_.group >= (int64_t{1} << kGroupBits))
        throw UserError("engine 'lut' counts at most " + std::to_string((int64_t{1} << kGroupBits) - 1) +
                        " groups per tile: k = " + std::to_string(req.gemm.k) + " is too long");
    }
    IEngine::check(req);
  }

  // Closed form. Folds tile m x n (row folds outer): sum over folds of r = Fc m, of c = Fr n, of
  // r c = m n. Every fold computes X = G W cycles; fold f+1 holds its last cycle max(0, r_f - X)
  // cycles for fold f's read-out (the fill); the last fold's rows are the drain.
  TileCost cost(const TileRequest& req) const override {
    const TileGeom g = geom(s_, req);
    auto over = [](u64 r, u64 x) { return r > x ? r - x : 0; };
    LutCounts c;
    c.tables = g.m * g.G + (g.Fc - 1) * g.m * (g.G - g.S);
    c.table_stores = g.m * g.S;
    c.table_loads = (g.Fc - 1) * g.m * g.S;
    c.act_reads = s_.fused ? 0 : c.tables * g.K;
    c.weight_writes = g.Fr * g.n * g.k;
    c.unit_cycles = g.m * g.n * g.X;
    c.column_cycles = g.Fr * g.n * g.X;
    c.offset_adds = g.Fc * g.m * g.G;
    c.results = g.m * g.n;
    c.offset_copies = g.Fc * g.m;
    c.macs = g.m * g.n * g.k;
    TileCost t;
    t.cycles = {(g.Fr - 1) * g.Fc * over(g.R, g.X) + (g.Fc - 1) * over(g.rr, g.X), g.Fr * g.Fc * g.X, g.rr};
    t.macs = c.macs;
    t.actions = lut_actions(s_, c);
    t.traffic.a_read_bits = a_read_bits(s_, c, dtype_bits(req.a_type));
    t.traffic.b_read_bits = c.weight_writes * static_cast<u64>(dtype_bits(req.b_type));
    t.traffic.out_write_bits = c.results * static_cast<u64>(s_.out_fmt.bits());
    return t;
  }

  TileCost simulate_pe(const TileRequest& req, const IntMatrix* a, const IntMatrix* b, IntMatrix* out) const override {
    if (!(a && b && out)) return lut_simulate_pe(s_, req, nullptr, nullptr, nullptr);
    const TypedMatrix ta = to_typed(*a, NumFormat::of(req.a_type)), tb = to_typed(*b, NumFormat::of(req.b_type));
    TypedMatrix tout;
    const TileCost c = lut_simulate_pe(s_, req, &ta, &tb, &tout);
    *out = to_int_matrix(tout);
    return c;
  }

  void compute(const TileRequest&, const IntMatrix& a, const IntMatrix& b, IntMatrix& out) const override {
    out = int_gemm_wrapping(a, b, s_.out_fmt.bits());
  }

  // Hardware of docs/engines/lut.md, "Area".
  std::vector<AreaItem> area_items() const override {
    const auto M = static_cast<u64>(s_.rows), N = static_cast<u64>(s_.cols), K = static_cast<u64>(s_.group);
    const u64 E = static_cast<u64>(s_.entries());
    const NumFormat acc = s_.acc_fmt();
    std::vector<AreaItem> v;
    if (!s_.fused) {  // fused: the producer's output path builds the tables
      if (!s_.fp) v.push_back({kPrecompute, "int_add", LutSpec::kIntActBits + 1, M});
      for (const auto& [bits, adders] : s_.precompute_adders())
        v.push_back({kPrecompute, add_primitive(s_.table_fmt), bits, M * static_cast<u64>(adders)});
      if (!s_.symmetric && !s_.fp) v.push_back({kPrecompute, "int_add", s_.entry_bits(), M * E / 2});
    }
    v.push_back({kPrecompute, "reg", s_.stored_entry_bits(), M * static_cast<u64>(s_.whole_entries())});
    v.push_back({kPrecompute, "reg", 1, M * static_cast<u64>(s_.sign_only_entries())});
    if (!s_.fp) v.push_back({kPrecompute, "reg", 1, M});
    v.push_back({kPrecompute, add_primitive(s_.adder_fmt()), s_.adder_fmt().bits(), M});
    v.push_back({kPrecompute, "reg", acc.bits(), M});
    const u64 TS = static_cast<u64>(s_.table_store);
    v.push_back({kStore, "reg", s_.table_word_bits(), M * TS});
    if (TS > 1) v.push_back({kStore, "mux" + std::to_string(TS), s_.table_word_bits(), M});
    v.push_back({kColumns, "reg", s_.weight_bits, N * K});
    if (s_.weight_bits > 1) v.push_back({kColumns, "mux" + std::to_string(s_.weight_bits), s_.group, N});
    if (s_.symmetric) v.push_back({kColumns, "mux", s_.group - 1, N});
    const u64 units = M * N;
    if (E > 1) v.push_back({kArray, "mux" + std::to_string(E), s_.entry_bits(), units});
    if (s_.symmetric) v.push_back({kArray, "mux", s_.fp ? 1 : s_.entry_bits() + s_.weight_bits - 1, units});
    if (s_.fp && s_.weight_bits > 1) v.push_back({kArray, "int_add", s_.exp_bits(), units});
    if (s_.shifter_mux_bits() > 0) v.push_back({kArray, "mux", s_.shifter_mux_bits(), units});
    v.push_back({kArray, add_primitive(s_.adder_fmt()), s_.adder_fmt().bits(), units});
    v.push_back({kArray, "reg", acc.bits(), units});
    v.push_back({kReadout, "reg", acc.bits(), units + M});
    if (M > 1) v.push_back({kReadout, "mux" + std::to_string(M), acc.bits(), N});
    v.push_back({kReadout, add_primitive(acc), acc.bits(), N});
    if (s_.fp) v.push_back({kReadout, "int_add", s_.out_fmt.exp_bits(), N});
    // Controller (rtl/src/lut/lut_array.v): busy and read-out flags; the group count and counter,
    // the plane count and counter; the fold's rows and columns and the read-out's; the read-out
    // row. Logic: the counters' increments and last-value compares.
    const int rb = clog2(M + 1), cb = clog2(N + 1), pb = clog2(static_cast<u64>(s_.weight_bits) + 1);
    v.push_back({kController, "reg", 1, 2});
    v.push_back({kController, "reg", kGroupBits, 2});
    v.push_back({kController, "reg", pb, 2});
    v.push_back({kController, "reg", rb, 3});
    v.push_back({kController, "reg", cb, 2});
    v.push_back({kController, "int_add", kGroupBits, 1});
    v.push_back({kController, "int_compare", kGroupBits, 1});
    v.push_back({kController, "int_add", pb, 1});
    v.push_back({kController, "int_compare", pb, 1});
    v.push_back({kController, "int_add", rb, 1});
    v.push_back({kController, "int_compare", rb, 2});
    if (TS > 0) {  // the fold's store and reuse flags; "the loading group < TS"; the slot decode
      v.push_back({kController, "reg", 1, 2});
      v.push_back({kController, "int_compare", kGroupBits, 1});
      if (TS > 1) v.push_back({kController, "int_compare", clog2(TS), TS});
    }
    return without_empty(std::move(v));
  }

  std::vector<ActionPrimitive> action_primitives() const override {
    // lut_actions of one event of each kind lists everything it can count.
    const LutCounts one{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    ActionCounts a = lut_actions(s_, one);
    if (s_.fused) a.merge(lut_precompute_actions(s_, 1, kFusedPrecompute));
    return with_default_combine(a);
  }

  std::optional<PreparedOperand> prepared_a(const TileRequest& req) const override {
    if (!s_.fused || req.kind != WorkKind::Gemm) return std::nullopt;
    return PreparedOperand{"lut tables (group " + std::to_string(s_.group) + ", " +
                               (s_.symmetric ? "symmetric" : "full") + ", " + s_.table_fmt.name() + " entries)",
                           s_.table_field_bits(), s_.group};
  }

  ActionCounts a_preparation(const TileRequest& req, uint64_t rows, uint64_t k) const override {
    if (!s_.fused || req.kind != WorkKind::Gemm) return {};
    return lut_precompute_actions(s_, rows * ceil_div(k, static_cast<u64>(s_.group)), kFusedPrecompute);
  }

 protected:
  void compute_typed(const TileRequest& req, const TypedMatrix& a, const TypedMatrix& b,
                     TypedMatrix& out) const override {
    const GemmShape& g = req.gemm;
    if (a.format() != NumFormat::of(req.a_type) || b.format() != NumFormat::of(req.b_type) || a.rows() != g.m ||
        a.cols() != g.k || b.rows() != g.k || b.cols() != g.n)
      throw std::invalid_argument("lut compute: operands do not match the request");
    lut_gemm(s_, a, b, req.a_type, out);
  }

 private:
  LutSpec s_;
};

std::vector<ParamDecl> lut_params() {
  return {
      ParamDecl::integer("rows", "rows", "2", 1, 256, "M: activation rows computed at once, one table each"),
      ParamDecl::integer("cols", "columns", "64", 1, 4096, "N: weight columns computed at once; a table serves all"),
      ParamDecl::integer("group", "elements", "4", 1, 8, "K: activations per table (2^(K-1) entries, symmetric)"),
      ParamDecl::boolean("symmetric", "true",
                         "store the half of each table whose weight-0 digit is "
                         "-1 and flip the sign for the other"),
      ParamDecl::integer("weight_bits", "bits", "4", 1, 4,
                         "widest weight; int1..int<weight_bits> and ternary "
                         "run, one cycle per weight bit"),
      ParamDecl::choice("act", {"fp16", "int8"}, "fp16", "activation format: fp16, or signed ints up to int8"),
      ParamDecl::choice("acc", {"auto", "int16", "int24", "int32", "fp16", "fp32"}, "auto",
                        "result/accumulator format; auto: int32 for int8, fp16 for fp16 "
                        "activations"),
      ParamDecl::choice("table", {"auto", "fp16", "fp32"}, "auto",
                        "fp16 activations: table entry format (auto: fp16); "
                        "ints: exact, auto only"),
      ParamDecl::integer("table_store", "tables", "0", 0, 1024,
                         "tables each row keeps (registers) for a tile's later column folds; "
                         "0: every column fold rebuilds them"),
      ParamDecl::choice("precompute", {"array", "fused"}, "array",
                        "where tables are built: array (adders per row, from activations), or fused "
                        "(the operator writing the activations writes their tables; counted there)"),
  };
}

}  // namespace

TESSERA_REGISTER_ENGINE("lut",
                        "M x N table-lookup array for low-bit weights (LUT "
                        "Tensor Core), one cycle per weight bit",
                        lut_params, [](const ParamValues& p) { return std::make_unique<LutEngine>(p); });

}  // namespace tessera
