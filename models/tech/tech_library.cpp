#include "models/tech/tech_library.h"

#include <cmath>
#include <set>
#include <sstream>

#include "models/common/error.h"
#include "models/common/params.h"

namespace tessera {

namespace {

const std::vector<std::string> kOps = {"add", "mul", "compare", "max", "div", "exp", "rsqrt"};

bool is_op(const std::string& s) {
  for (const auto& o : kOps)
    if (o == s) return true;
  return false;
}

std::string num(double v) {
  std::ostringstream ss;
  ss << v;
  return ss.str();
}

// Taylor degree d such that |r|^(d+1)/(d+1)! <= 2^-precision on the reduced range
// |r| <= ln2/2 (exp(x) = 2^k * exp(r)).
int exp_poly_degree(int precision_bits) {
  const double r = std::log(2.0) / 2;
  const double target = std::ldexp(1.0, -precision_bits);
  double term = r;  // r^(d+1)/(d+1)! for d = 0
  for (int d = 1; d < 64; ++d) {
    term *= r / (d + 1);
    if (term <= target) return d;
  }
  return 64;
}

[[noreturn]] void unknown(const std::string& what, const std::string& name, const std::vector<std::string>& known) {
  std::string msg = "unknown " + what + " '" + name + "'";
  const std::string close = closest_match(name, known);
  if (!close.empty()) msg += " -- did you mean '" + close + "'?";
  msg += " (known:";
  for (const auto& k : known) msg += " " + k;
  throw UserError(msg + ")");
}

}  // namespace

const std::vector<FloatFormat>& float_formats() {
  static const std::vector<FloatFormat> f = {
      {"fp8_e4m3", 8, 4, 4}, {"fp8_e5m2", 8, 5, 3}, {"fp16", 16, 5, 11},
      {"bf16", 16, 8, 8},    {"tf32", 19, 8, 11},   {"fp32", 32, 8, 24},
  };
  return f;
}

static const FloatFormat* find_format(const std::string& name) {
  for (const auto& f : float_formats())
    if (f.name == name) return &f;
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// Node scaling: Stillmaker & Baas, "Scaling equations for the accurate prediction of CMOS device
// performance from 180 nm to 7 nm", Integration 58 (2017) 74-81. Area: their area table, row
// "from 45 nm" (relative area of the same design). Energy: their quadratic fits
// E(V) = a V^2 + b V + c (HP models below 65 nm), each node at its nominal PTM supply.
namespace {
struct NodeRow {
  int nm;
  double area_rel45;  // area at this node / area at 45 nm
  double a, b, c;     // energy factor polynomial in Vdd
  double vdd;         // nominal supply (PTM)
};
const NodeRow kNodes[] = {
    {180, 19, 0, 24.64, -17.98, 1.8},          {130, 6.4, 7.171, -6.709, 2.904, 1.3},
    {90, 2.8, 4.762, -4.781, 2.092, 1.2},      {65, 1.5, 3.755, -4.398, 1.975, 1.1},
    {45, 1, 1.018, -0.3107, 0.1539, 1.0},      {32, 0.46, 0.8367, -0.4341, 0.1701, 0.9},
    {20, 0.21, 0.373, -0.1582, 0.04104, 0.9},  {16, 0.19, 0.2958, -0.1241, 0.03024, 0.85},
    {14, 0.17, 0.2363, -0.09675, 0.02239, 0.8}, {10, 0.1, 0.2068, -0.09311, 0.02375, 0.75},
    {7, 0.059, 0.1776, -0.09097, 0.02447, 0.7},
};
constexpr int kNodeCount = sizeof(kNodes) / sizeof(kNodes[0]);

// Index of the row at or above `nm` and the weight of that row (1 = exactly on it).
void bracket(int nm, int& hi, double& w) {
  if (nm > kNodes[0].nm || nm < kNodes[kNodeCount - 1].nm)
    throw UserError("technology node " + std::to_string(nm) + " nm is outside the scaling table (7..180 nm)");
  for (int i = 0; i < kNodeCount; ++i) {
    if (kNodes[i].nm == nm) {
      hi = i;
      w = 1;
      return;
    }
    if (kNodes[i].nm > nm && kNodes[i + 1].nm < nm) {
      hi = i;
      w = double(nm - kNodes[i + 1].nm) / double(kNodes[i].nm - kNodes[i + 1].nm);
      return;
    }
  }
}

double energy_poly(const NodeRow& r, double vdd) { return r.a * vdd * vdd + r.b * vdd + r.c; }

// Energy factor at `nm`; vdd < 0 means each table node at its own nominal supply.
double energy_at(int nm, double vdd) {
  int hi;
  double w;
  bracket(nm, hi, w);
  const NodeRow& a = kNodes[hi];
  const double ea = energy_poly(a, vdd < 0 ? a.vdd : vdd);
  if (w == 1) return ea;
  const NodeRow& b = kNodes[hi + 1];
  return w * ea + (1 - w) * energy_poly(b, vdd < 0 ? b.vdd : vdd);
}

double area_at(int nm) {
  int hi;
  double w;
  bracket(nm, hi, w);
  if (w == 1) return kNodes[hi].area_rel45;
  return w * kNodes[hi].area_rel45 + (1 - w) * kNodes[hi + 1].area_rel45;
}
}  // namespace

double stillmaker_nominal_vdd(int node_nm) {
  int hi;
  double w;
  bracket(node_nm, hi, w);
  if (w == 1) return kNodes[hi].vdd;
  return w * kNodes[hi].vdd + (1 - w) * kNodes[hi + 1].vdd;
}

NodeScaling stillmaker_scaling(int from_nm, double from_vdd_v, int to_nm) {
  NodeScaling s;
  if (from_nm == to_nm) return s;  // same node: keep the measured supply, no change
  s.area = area_at(to_nm) / area_at(from_nm);
  s.energy = energy_at(to_nm, -1) / energy_at(from_nm, from_vdd_v);
  // Per-device leakage is taken to follow switched energy (both track device width x Vdd);
  // no separate published leakage table is used.
  s.leakage = s.energy;
  return s;
}

TechSpec scale_spec(const TechSpec& in, int node_nm, const NodeScaling& s) {
  TechSpec o = in;
  o.node_nm = node_nm;
  if (node_nm != in.node_nm) o.vdd_v = stillmaker_nominal_vdd(node_nm);
  auto pts = [](std::vector<FitPoint>& v, double f) {
    for (auto& p : v) p.y *= f;
  };
  auto map = [](std::map<std::string, double>& m, double f) {
    for (auto& kv : m) kv.second *= f;
  };
  pts(o.int_add_pj, s.energy);
  pts(o.int_mul_pj, s.energy);
  pts(o.int_add_um2, s.area);
  pts(o.int_mul_um2, s.area);
  map(o.fp_add_pj, s.energy);
  map(o.fp_mul_pj, s.energy);
  map(o.fp_add_um2, s.area);
  map(o.fp_mul_um2, s.area);
  o.reg_write_pj_per_bit *= s.energy;
  o.reg_read_pj_per_bit *= s.energy;
  o.mux2_pj_per_bit *= s.energy;
  o.reg_um2_per_bit *= s.area;
  o.mux2_um2_per_bit *= s.area;
  o.and2_um2 *= s.area;
  o.full_adder_um2 *= s.area;
  o.logic_leakage_mw_per_mm2 *= s.leakage / s.area;
  for (auto& p : o.sram_read_pj) p.value *= s.energy;
  for (auto& p : o.sram_area_um2) p.value *= s.area;
  o.sram_bank_fixed_um2 *= s.area;
  o.sram_leakage_nw_per_bit *= s.leakage;
  return o;
}

// ---------------------------------------------------------------------------------------------
// Fits.

double TechLibrary::Law::at(double x) const { return k0 * std::pow(x, p0) + k1 * std::pow(x, p1); }

namespace {
// One observation of y ~ k0 * u + k1 * v, its error taken relative to `rel`.
struct Basis {
  double u, v, y, rel;
};

// k0, k1 minimising sum ((k0 u + k1 v - y) / rel)^2 (relative error, so small values weigh as
// much as large ones); false when the normal equations are singular.
bool fit_two(const std::vector<Basis>& rows, double& k0, double& k1) {
  double s00 = 0, s01 = 0, s11 = 0, r0 = 0, r1 = 0;
  for (const auto& r : rows) {
    const double w = 1 / (r.rel * r.rel);
    s00 += w * r.u * r.u;
    s01 += w * r.u * r.v;
    s11 += w * r.v * r.v;
    r0 += w * r.u * r.y;
    r1 += w * r.v * r.y;
  }
  const double det = s00 * s11 - s01 * s01;
  if (std::fabs(det) <= 1e-12 * s00 * s11) return false;
  k0 = (r0 * s11 - r1 * s01) / det;
  k1 = (s00 * r1 - s01 * r0) / det;
  return true;
}

// y = k0 x^p0 + k1 x^p1 by fit_two.
void fit_law(const std::vector<FitPoint>& pts, double p0, double p1, const std::string& what, double& k0,
             double& k1) {
  if (pts.size() < 2)
    throw UserError(what + ": needs at least 2 published points to fit, got " + std::to_string(pts.size()));
  std::vector<Basis> rows;
  for (const auto& p : pts) {
    if (!(p.y > 0) || !(p.x > 0)) throw UserError(what + ": published points must be positive");
    rows.push_back({std::pow(p.x, p0), std::pow(p.x, p1), p.y, p.y});
  }
  if (!fit_two(rows, k0, k1)) throw UserError(what + ": published points must be at two or more different widths");
}

std::vector<FitPoint> fp_points(const std::map<std::string, double>& m, const std::string& what) {
  std::vector<FitPoint> v;
  for (const auto& kv : m) {
    const FloatFormat* f = find_format(kv.first);
    if (!f) {
      std::vector<std::string> names;
      for (const auto& ff : float_formats()) names.push_back(ff.name);
      unknown(what + " format", kv.first, names);
    }
    v.push_back({double(f->significand_bits), kv.second});
  }
  return v;
}

void require_positive(double v, const std::string& what) {
  if (!(v > 0)) throw UserError(what + " must be positive, got " + num(v));
}
}  // namespace

TechLibrary::TechLibrary(const TechSpec& spec) : spec_(spec) {
  auto law = [](Law& l, const std::vector<FitPoint>& pts, double p0, double p1, const std::string& what) {
    l.p0 = p0;
    l.p1 = p1;
    fit_law(pts, p0, p1, what, l.k0, l.k1);
  };
  law(int_add_pj_, spec.int_add_pj, 0, 1, "int_add energy");
  law(int_add_um2_, spec.int_add_um2, 0, 1, "int_add area");
  law(int_mul_pj_, spec.int_mul_pj, 1, 2, "int_mul energy");
  law(int_mul_um2_, spec.int_mul_um2, 1, 2, "int_mul area");
  law(fp_add_pj_, fp_points(spec.fp_add_pj, "fp_add energy"), 1, 2, "fp_add energy");
  law(fp_add_um2_, fp_points(spec.fp_add_um2, "fp_add area"), 1, 2, "fp_add area");
  law(fp_mul_pj_, fp_points(spec.fp_mul_pj, "fp_mul energy"), 1, 2, "fp_mul energy");
  law(fp_mul_um2_, fp_points(spec.fp_mul_um2, "fp_mul area"), 1, 2, "fp_mul area");

  // A law fitted through a few points must still price every width it serves.
  const std::pair<const Law*, const char*> int_laws[] = {{&int_add_pj_, "int_add energy"},
                                                         {&int_add_um2_, "int_add area"},
                                                         {&int_mul_pj_, "int_mul energy"},
                                                         {&int_mul_um2_, "int_mul area"}};
  if (spec.int_mul_area_law == IntMulAreaLaw::Array && !(spec.and2_um2 > 0 && spec.full_adder_um2 > 0))
    throw UserError("int_mul_area_law: array prices multipliers in cells and needs logic.and2_um2 and "
                    "logic.full_adder_um2 (both > 0)");
  for (const auto& [l, what] : int_laws)
    for (int b = 1; b <= 64; ++b)
      if (!(l->at(b) > 0))
        throw UserError(std::string(what) + ": the fitted law is not positive at " + std::to_string(b) +
                        " bits; check the published points");
  const std::pair<const Law*, const char*> fp_laws[] = {{&fp_add_pj_, "fp_add energy"},
                                                        {&fp_add_um2_, "fp_add area"},
                                                        {&fp_mul_pj_, "fp_mul energy"},
                                                        {&fp_mul_um2_, "fp_mul area"}};
  for (const auto& [l, what] : fp_laws)
    for (const auto& f : float_formats())
      if (!(l->at(f.significand_bits) > 0))
        throw UserError(std::string(what) + ": the fitted law is not positive for " + f.name +
                        "; check the published points");

  require_positive(spec.reg_write_pj_per_bit, "reg_write energy");
  require_positive(spec.reg_read_pj_per_bit, "reg_read energy");
  require_positive(spec.mux2_pj_per_bit, "mux energy");
  require_positive(spec.reg_um2_per_bit, "reg area");
  require_positive(spec.mux2_um2_per_bit, "mux area");
  require_positive(spec.sram_write_read_ratio, "SRAM write/read ratio");

  fit_sram(spec.sram_read_pj);
  fit_sram_area(spec.sram_area_um2);

  const double clk = spec.clock_tree_power_share, ctl = spec.control_power_share;
  if (clk < 0 || ctl < 0 || clk + ctl >= 1)
    throw UserError("chip: clock_tree_power_share + control_power_share must be in [0, 1), got " + num(clk + ctl));
  if (spec.clock_tree_area_share < 0 || spec.control_area_share < 0 ||
      spec.clock_tree_area_share + spec.control_area_share >= 1)
    throw UserError("chip: clock_tree_area_share + control_area_share must be in [0, 1)");
  if (!(spec.placement_utilization > 0 && spec.placement_utilization <= 1))
    throw UserError("chip: placement_utilization must be in (0, 1], got " + num(spec.placement_utilization));
  for (const auto& [name, d] : spec.dram_devices)
    if (!(d.device_gbit > 0 && d.vdd_v > 0 && d.idd3n_ma > 0 && d.idd5b_ma >= d.idd3n_ma && d.trfc_ns > 0 &&
          d.trefi_ns > d.trfc_ns))
      throw UserError("dram_devices." + name +
                      ": needs positive device_gbit, vdd_v, idd3n_ma, trfc_ns; idd5b_ma >= idd3n_ma; trefi_ns > trfc_ns");
}

// read(C, w) = a c^p + w b c^q with c = C / 8 KiB. For fixed exponents the law is linear in a and
// b, so those come from a weighted least squares (relative error); the exponents are searched on
// a 0.01 grid over [0, 1] (a bank's energy grows no faster than its capacity) and the pair with
// the least squared relative error and positive a and b wins.
namespace {
// A law in capacity and width needs points at two or more of each.
void check_sram_points(const std::vector<SramPoint>& pts, const std::string& what) {
  if (pts.size() < 4) throw UserError(what + ": needs at least 4 published points to fit, got " + std::to_string(pts.size()));
  std::set<double> capacities, widths;
  for (const auto& p : pts) {
    if (!(p.capacity_bytes > 0 && p.width_bits > 0 && p.value > 0))
      throw UserError(what + ": published points must be positive");
    capacities.insert(p.capacity_bytes);
    widths.insert(p.width_bits);
  }
  if (capacities.size() < 2 || widths.size() < 2)
    throw UserError(what + ": published points must span two or more capacities and two or more widths");
}
}  // namespace

void TechLibrary::fit_sram(const std::vector<SramPoint>& pts) {
  check_sram_points(pts, "SRAM read energy");
  double best = -1;
  for (int ip = 0; ip <= 100; ++ip)
    for (int iq = 0; iq <= 100; ++iq) {
      const double p = ip / 100.0, q = iq / 100.0;
      std::vector<Basis> rows;
      for (const auto& pt : pts) {
        const double c = pt.capacity_bytes / 8192;
        rows.push_back({std::pow(c, p), pt.width_bits * std::pow(c, q), pt.value, pt.value});
      }
      double a = 0, b = 0;
      if (!fit_two(rows, a, b)) continue;
      if (!(a > 0 && b > 0)) continue;
      double err = 0;
      for (const auto& pt : pts) {
        const double c = pt.capacity_bytes / 8192;
        const double e = (a * std::pow(c, p) + pt.width_bits * b * std::pow(c, q) - pt.value) / pt.value;
        err += e * e;
      }
      if (best < 0 || err < best) {
        best = err;
        sram_a_ = a;
        sram_b_ = b;
        sram_p_ = p;
        sram_q_ = q;
      }
    }
  if (best < 0)
    throw UserError("SRAM read energy: no fixed + per-bit law with positive parts fits the published points");
}

// area = bits k_cell + fixed + w k_io for a single-port bank: linear in k_cell and k_io once the
// declared fixed part is taken off, so a least squares of the relative error gives both.
void TechLibrary::fit_sram_area(const std::vector<SramPoint>& pts) {
  check_sram_points(pts, "SRAM area");
  std::vector<Basis> rows;
  for (const auto& pt : pts)
    rows.push_back({pt.capacity_bytes * 8, pt.width_bits, pt.value - spec_.sram_bank_fixed_um2, pt.value});
  if (!fit_two(rows, sram_cell_um2_, sram_io_um2_))
    throw UserError("SRAM area: the published points cannot separate per-bit from per-word-bit area (capacity and "
                    "width vary together); add points that vary one without the other");
  if (!(sram_cell_um2_ > 0 && sram_io_um2_ > 0))
    throw UserError("SRAM area: the fit of cell and per-word-bit area to the published points is not positive (" +
                    num(sram_cell_um2_) + ", " + num(sram_io_um2_) + " um^2); check the points and bank_fixed_um2");
}

// ---------------------------------------------------------------------------------------------
// Primitive names.

struct TechLibrary::Prim {
  enum Kind { Int, Fp, RegWrite, RegRead, Reg, Mux, IntMulBy, And2, Fa } kind = Int;
  std::string op;
  const FloatFormat* fmt = nullptr;
  int fanin = 2;       // Mux
  int other_bits = 0;  // IntMulBy: the second operand's width
};

std::vector<std::string> TechLibrary::primitives() {
  std::vector<std::string> v;
  for (const auto& o : kOps) v.push_back("int_" + o);
  for (const auto& o : kOps) v.push_back("fp_" + o);
  for (const auto& f : float_formats())
    for (const auto& o : kOps) v.push_back(f.name + "_" + o);
  for (const char* s : {"reg", "reg_write", "reg_read", "mux", "mux4", "mux8", "mux16", "int_mulx8", "and2", "fa"}) v.push_back(s);
  return v;
}

std::string TechLibrary::primitive_for(const std::string& op, DType t) {
  return (dtype_is_int(t) ? std::string("int") : dtype_name(t)) + "_" + op;
}

TechLibrary::Prim TechLibrary::parse(const std::string& name, int bits) const {
  Prim p;
  auto need_bits = [&](int lo, int hi) {
    if (bits < lo || bits > hi)
      throw UserError("primitive '" + name + "': bits must be " + std::to_string(lo) + ".." + std::to_string(hi) +
                      ", got " + std::to_string(bits));
  };
  if (name == "reg" || name == "reg_write" || name == "reg_read") {
    need_bits(1, 1 << 24);
    p.kind = name == "reg" ? Prim::Reg : name == "reg_write" ? Prim::RegWrite : Prim::RegRead;
    return p;
  }
  if (name == "and2") {
    need_bits(1, 1 << 24);
    if (!(spec_.and2_um2 > 0))
      throw UserError("primitive 'and2' needs logic.and2_um2 (the area of one two-input AND cell) in the tech file");
    p.kind = Prim::And2;
    return p;
  }
  if (name == "fa") {
    need_bits(1, 1 << 24);
    if (!(spec_.full_adder_um2 > 0))
      throw UserError("primitive 'fa' needs logic.full_adder_um2 (the area of one full-adder cell) in the tech file");
    p.kind = Prim::Fa;
    return p;
  }
  if (name.rfind("mux", 0) == 0) {
    const std::string n = name.substr(3);
    bool digits = !n.empty() && n.size() <= 6;
    for (char c : n) digits = digits && c >= '0' && c <= '9';
    if (n.empty() || (digits && std::stoi(n) >= 2)) {
      need_bits(1, 1 << 24);
      p.kind = Prim::Mux;
      p.fanin = n.empty() ? 2 : std::stoi(n);
      return p;
    }
  }
  if (name.rfind("int_mulx", 0) == 0) {
    const std::string n = name.substr(8);
    bool digits = !n.empty() && n.size() <= 2;
    for (char c : n) digits = digits && c >= '0' && c <= '9';
    if (digits && std::stoi(n) >= 1 && std::stoi(n) <= 64) {
      need_bits(1, 64);
      p.kind = Prim::IntMulBy;
      p.other_bits = std::stoi(n);
      return p;
    }
  }
  const auto us = name.rfind('_');
  if (us != std::string::npos && is_op(name.substr(us + 1))) {
    const std::string fam = name.substr(0, us);
    p.op = name.substr(us + 1);
    if (fam == "int") {
      need_bits(1, 64);
      p.kind = Prim::Int;
      return p;
    }
    if (fam == "fp") {
      p.kind = Prim::Fp;
      p.fmt = bits == 8    ? find_format("fp8_e4m3")
              : bits == 16 ? find_format("fp16")
              : bits == 19 ? find_format("tf32")
              : bits == 32 ? find_format("fp32")
                           : nullptr;
      if (!p.fmt)
        throw UserError("primitive '" + name + "': bits must be 8 (fp8_e4m3), 16 (fp16), 19 (tf32) or 32 (fp32), got " +
                        std::to_string(bits) + "; name other formats explicitly (e.g. bf16_" + p.op + ")");
      return p;
    }
    if (const FloatFormat* f = find_format(fam)) {
      if (bits != f->storage_bits)
        throw UserError("primitive '" + name + "': bits must be " + std::to_string(f->storage_bits) + " (the " +
                        f->name + " width), got " + std::to_string(bits));
      p.kind = Prim::Fp;
      p.fmt = f;
      return p;
    }
  }
  unknown("primitive", name, primitives());
}

// ---------------------------------------------------------------------------------------------
// Pricing.

double TechLibrary::int_pj(const std::string& op, int b) const {
  const double add = int_add_pj_.at(b);
  if (op == "add" || op == "compare") return add;
  if (op == "mul") return int_mul_pj_.at(b);
  if (op == "max") return add + spec_.mux2_pj_per_bit * b;
  // Iterative units clock their state every step: div rewrites remainder and quotient (2b bits),
  // exp its b-bit Horner accumulator.
  const double wr = spec_.reg_write_pj_per_bit;
  if (op == "div") return b * (add + 2.0 * b * wr);  // restoring: one b-bit subtract per quotient bit
  // rsqrt: a digit-recurrence square root costs what a division does (one subtract per result
  // bit, Ercegovac & Lang, "Digital Arithmetic", ch. 6), then one division for the reciprocal.
  if (op == "rsqrt") return 2.0 * int_pj("div", b);
  // exp: fixed point with b fraction bits, range reduction (1 mul + 1 add) + Horner.
  return (exp_poly_degree(b) + 1) * (int_mul_pj_.at(b) + add + b * wr);
}

double TechLibrary::fp_pj(const std::string& op, const FloatFormat& f) const {
  const int m = f.significand_bits;
  if (op == "add") return fp_add_pj_.at(m);
  if (op == "mul") return fp_mul_pj_.at(m);
  // Sign-magnitude patterns order like integers: a float compare is an integer compare.
  if (op == "compare") return int_add_pj_.at(f.storage_bits);
  if (op == "max") return int_add_pj_.at(f.storage_bits) + spec_.mux2_pj_per_bit * f.storage_bits;
  const double wr = spec_.reg_write_pj_per_bit;
  if (op == "div") return m * (int_add_pj_.at(m) + 2.0 * m * wr) + int_add_pj_.at(f.exponent_bits);
  if (op == "rsqrt") return 2.0 * fp_pj("div", f);  // sqrt by digit recurrence, then a division
  return (exp_poly_degree(m) + 1) * (fp_mul_pj_.at(m) + fp_add_pj_.at(m) + f.storage_bits * wr);
}

// Array law: a b x b array multiplier has b^2 partial-product AND cells and b-1 rows of b adders
// that reduce them, the last row rippling the carries out. Two's complement (Baugh-Wooley) turns
// 2(b-1) of the ANDs into NANDs (smaller) and adds two constant ones the adders absorb, so the
// count is kept. All b*(b-1) adders are priced as full adders; the few that could be half
// adders are not told apart (an upper bound by a few percent).
double TechLibrary::int_mul_um2(int b) const {
  if (spec_.int_mul_area_law == IntMulAreaLaw::Fitted) return int_mul_um2_.at(b);
  const double bb = b;
  return bb * bb * spec_.and2_um2 + bb * (bb - 1) * spec_.full_adder_um2;
}

// A p x q multiplier (int_mulx<q> at p bits). Array law: min(p,q) rows of max(p,q) partial-
// product ANDs, min-1 rows of max-wide adders; the b x b case above is p = q. Fitted laws
// k0*b + k1*b^2 are read the same way: the quadratic term counts partial-product cells (p*q),
// the linear one the adder rows' width (max(p,q)). Equal to int_mul at p = q.
double TechLibrary::int_mul_by_pj(int p, int q) const {
  const double lo = std::min(p, q), hi = std::max(p, q);
  return int_mul_pj_.k0 * std::pow(hi, int_mul_pj_.p0) + int_mul_pj_.k1 * std::pow(hi, int_mul_pj_.p1) * (lo / hi);
}

double TechLibrary::int_mul_by_um2(int p, int q) const {
  const double lo = std::min(p, q), hi = std::max(p, q);
  if (spec_.int_mul_area_law == IntMulAreaLaw::Array)
    return lo * hi * spec_.and2_um2 + (lo - 1) * hi * spec_.full_adder_um2;
  return int_mul_um2_.k0 * std::pow(hi, int_mul_um2_.p0) + int_mul_um2_.k1 * std::pow(hi, int_mul_um2_.p1) * (lo / hi);
}

double TechLibrary::int_um2(const std::string& op, int b) const {
  const double add = int_add_um2_.at(b);
  if (op == "add" || op == "compare") return add;
  if (op == "mul") return int_mul_um2(b);
  if (op == "max") return add + spec_.mux2_um2_per_bit * b;
  // Iterative units: one datapath plus its state registers (rsqrt reuses the divider's).
  if (op == "div" || op == "rsqrt") return add + 2.0 * b * spec_.reg_um2_per_bit;
  return int_mul_um2(b) + add + b * spec_.reg_um2_per_bit;
}

double TechLibrary::fp_um2(const std::string& op, const FloatFormat& f) const {
  const int m = f.significand_bits;
  if (op == "add") return fp_add_um2_.at(m);
  if (op == "mul") return fp_mul_um2_.at(m);
  if (op == "compare") return int_add_um2_.at(f.storage_bits);
  if (op == "max") return int_add_um2_.at(f.storage_bits) + spec_.mux2_um2_per_bit * f.storage_bits;
  if (op == "div" || op == "rsqrt")
    return int_add_um2_.at(m) + int_add_um2_.at(f.exponent_bits) + 2.0 * m * spec_.reg_um2_per_bit;
  return fp_mul_um2_.at(m) + fp_add_um2_.at(m) + f.storage_bits * spec_.reg_um2_per_bit;
}

double TechLibrary::action_pj(const std::string& primitive, int bits) const {
  if (primitive == "reg") throw UserError("primitive 'reg' is an area item; actions are reg_write / reg_read");
  const Prim p = parse(primitive, bits);
  switch (p.kind) {
    case Prim::Int: return int_pj(p.op, bits);
    case Prim::Fp: return fp_pj(p.op, *p.fmt);
    case Prim::RegWrite: return spec_.reg_write_pj_per_bit * bits;
    case Prim::RegRead: return spec_.reg_read_pj_per_bit * bits;
    case Prim::Mux: return spec_.mux2_pj_per_bit * bits * (p.fanin - 1);  // tree of 2:1 cells
    case Prim::IntMulBy: return int_mul_by_pj(bits, p.other_bits);
    // No published energy per gate: switched capacitance taken proportional to cell area, as
    // for the other per-bit cells (configs/tech/45nm.yaml, logic), scaled from the 2:1 mux.
    case Prim::And2: return spec_.mux2_pj_per_bit * bits * spec_.and2_um2 / spec_.mux2_um2_per_bit;
    case Prim::Fa: return spec_.mux2_pj_per_bit * bits * spec_.full_adder_um2 / spec_.mux2_um2_per_bit;
    case Prim::Reg: break;
  }
  return 0;
}

double TechLibrary::area_um2(const std::string& primitive, int bits) const {
  if (primitive == "reg_write" || primitive == "reg_read")
    throw UserError("primitive '" + primitive + "' is an action; the area item is 'reg'");
  const Prim p = parse(primitive, bits);
  switch (p.kind) {
    case Prim::Int: return int_um2(p.op, bits);
    case Prim::Fp: return fp_um2(p.op, *p.fmt);
    case Prim::Reg: return spec_.reg_um2_per_bit * bits;
    case Prim::Mux: return spec_.mux2_um2_per_bit * bits * (p.fanin - 1);
    case Prim::IntMulBy: return int_mul_by_um2(bits, p.other_bits);
    case Prim::And2: return spec_.and2_um2 * bits;
    case Prim::Fa: return spec_.full_adder_um2 * bits;
    case Prim::RegWrite:
    case Prim::RegRead: break;
  }
  return 0;
}

double TechLibrary::sram_access_pj(double capacity_bytes, int width_bits, bool write) const {
  if (!(capacity_bytes > 0)) throw UserError("SRAM capacity must be positive, got " + num(capacity_bytes));
  if (width_bits < 1) throw UserError("SRAM access width must be >= 1 bit, got " + std::to_string(width_bits));
  const double c = capacity_bytes / 8192;
  const double read = sram_a_ * std::pow(c, sram_p_) + width_bits * sram_b_ * std::pow(c, sram_q_);
  return read * (write ? spec_.sram_write_read_ratio : 1.0);
}

double TechLibrary::sram_area_um2(double capacity_bytes, int width_bits, int banks, int ports) const {
  if (!(capacity_bytes > 0)) throw UserError("SRAM capacity must be positive, got " + num(capacity_bytes));
  if (width_bits < 1 || banks < 1 || ports < 1)
    throw UserError("SRAM width, banks and ports must be >= 1, got width " + std::to_string(width_bits) +
                    ", banks " + std::to_string(banks) + ", ports " + std::to_string(ports));
  const double cell = sram_cell_um2_ * (1 + spec_.sram_port_area_increment * (ports - 1));
  const double array = capacity_bytes * 8 * cell;
  const double bank = spec_.sram_bank_fixed_um2 + sram_io_um2_ * width_bits * ports;
  return array + banks * bank;
}

double TechLibrary::sram_leakage_mw(double capacity_bytes) const {
  return capacity_bytes * 8 * spec_.sram_leakage_nw_per_bit * 1e-6;
}

double TechLibrary::logic_leakage_mw(double area_um2) const {
  return area_um2 * 1e-6 * spec_.logic_leakage_mw_per_mm2;
}

double TechLibrary::chip_rest() const { return 1 - spec_.clock_tree_power_share - spec_.control_power_share; }
double TechLibrary::core_rest() const { return 1 - spec_.clock_tree_area_share - spec_.control_area_share; }

// A share s of the chip's power is s / (1 - s_clock - s_control) of the datapath's beside it.
double TechLibrary::clock_tree_pj(double datapath_pj) const {
  return datapath_pj * spec_.clock_tree_power_share / chip_rest();
}
double TechLibrary::control_pj(double datapath_pj) const {
  return datapath_pj * spec_.control_power_share / chip_rest();
}

double TechLibrary::placement_um2(double logic_cells_um2) const {
  return logic_cells_um2 * (1 / spec_.placement_utilization - 1);
}
double TechLibrary::clock_tree_area_um2(double logic_cells_um2, double sram_um2) const {
  return (logic_cells_um2 / spec_.placement_utilization + sram_um2) * spec_.clock_tree_area_share / core_rest();
}
double TechLibrary::control_area_um2(double logic_cells_um2, double sram_um2) const {
  return (logic_cells_um2 / spec_.placement_utilization + sram_um2) * spec_.control_area_share / core_rest();
}

namespace {
// The entry of a per-technology table; a technology left out is an error naming those present.
template <class T>
const T& by_technology(const std::map<std::string, T>& table, const std::string& technology, const std::string& what) {
  auto it = table.find(technology);
  if (it == table.end()) {
    std::vector<std::string> known;
    for (const auto& kv : table) known.push_back(kv.first);
    unknown(what, technology, known);
  }
  return it->second;
}
}  // namespace

const DramDevice& TechLibrary::dram_device(const std::string& technology) const {
  return by_technology(spec_.dram_devices, technology, "DRAM technology for background power (dram_devices)");
}

// Devices x VDD x IDD3N: every device of an open channel sits in active standby.
double TechLibrary::dram_background_mw(const std::string& technology, double capacity_gib) const {
  if (capacity_gib <= 0) return 0;
  const DramDevice& d = dram_device(technology);
  return capacity_gib * 8 / d.device_gbit * d.vdd_v * d.idd3n_ma;
}

// Refresh draws IDD5B instead of IDD3N for tRFC out of every tREFI (the datasheet's own method).
double TechLibrary::dram_refresh_mw(const std::string& technology, double capacity_gib) const {
  if (capacity_gib <= 0) return 0;
  const DramDevice& d = dram_device(technology);
  return capacity_gib * 8 / d.device_gbit * d.vdd_v * (d.idd5b_ma - d.idd3n_ma) * d.trfc_ns / d.trefi_ns;
}

const IoPhy& TechLibrary::phy(const std::string& technology) const {
  return by_technology(spec_.io_phy, technology, "DRAM technology for the I/O PHY (io_phy)");
}

double TechLibrary::io_phy_mw(const std::string& technology, double bandwidth_gbps) const {
  return phy(technology).static_mw_per_gbps * bandwidth_gbps;
}
double TechLibrary::io_phy_area_um2(const std::string& technology, double bandwidth_gbps) const {
  return phy(technology).area_mm2_per_gbps * bandwidth_gbps * 1e6;
}

std::vector<std::string> TechLibrary::dram_technologies() const {
  std::vector<std::string> v;
  for (const auto& kv : spec_.dram_pj_per_bit) v.push_back(kv.first);
  return v;
}

double TechLibrary::dram_pj_per_bit(const std::string& technology) const {
  auto it = spec_.dram_pj_per_bit.find(technology);
  if (it == spec_.dram_pj_per_bit.end()) unknown("DRAM technology", technology, dram_technologies());
  return it->second;
}

TechLibrary TechLibrary::scaled(int node_nm) const {
  return TechLibrary(scale_spec(spec_, node_nm, stillmaker_scaling(spec_.node_nm, spec_.vdd_v, node_nm)));
}

std::vector<FitCheck> TechLibrary::fit_checks() const {
  std::vector<FitCheck> v;
  auto pts = [&](const char* law, const std::vector<FitPoint>& p, const Law& l) {
    for (const auto& x : p) v.push_back({law, x.x, x.y, l.at(x.x)});
  };
  auto fps = [&](const char* law, const std::map<std::string, double>& m, const Law& l) {
    for (const auto& kv : m) {
      const double x = find_format(kv.first)->significand_bits;
      v.push_back({std::string(law) + " " + kv.first, x, kv.second, l.at(x)});
    }
  };
  pts("int_add energy", spec_.int_add_pj, int_add_pj_);
  pts("int_add area", spec_.int_add_um2, int_add_um2_);
  pts("int_mul energy", spec_.int_mul_pj, int_mul_pj_);
  // Under the array law the published multiplier areas price nothing: no check to report.
  if (spec_.int_mul_area_law == IntMulAreaLaw::Fitted) pts("int_mul area", spec_.int_mul_um2, int_mul_um2_);
  fps("fp_add energy", spec_.fp_add_pj, fp_add_pj_);
  fps("fp_add area", spec_.fp_add_um2, fp_add_um2_);
  fps("fp_mul energy", spec_.fp_mul_pj, fp_mul_pj_);
  fps("fp_mul area", spec_.fp_mul_um2, fp_mul_um2_);
  for (const auto& p : spec_.sram_read_pj)
    v.push_back({"sram read " + num(p.width_bits) + "b energy [" + p.source + "]", p.capacity_bytes, p.value,
                 sram_access_pj(p.capacity_bytes, static_cast<int>(p.width_bits), false)});
  for (const auto& p : spec_.sram_area_um2)
    v.push_back({"sram " + num(p.width_bits) + "b bank area [" + p.source + "]", p.capacity_bytes, p.value,
                 sram_area_um2(p.capacity_bytes, static_cast<int>(p.width_bits), 1, 1)});
  return v;
}

}  // namespace tessera
