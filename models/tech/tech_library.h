#pragma once
// The technology library: prices the actions an engine counts and the hardware it lists.
//
// Contract. A TechLibrary is built once from a const TechSpec (plain data, copyable; the YAML
// loader in sim/config/tech_loader.h fills it) and is immutable afterwards: every query is const
// and thread-safe. Construction fits the laws below to the published points in the spec and
// throws UserError if a fit is impossible or yields a non-positive price in its domain.
//
// Units: energies in pJ per event, areas in um^2, leakage in mW, capacities in bytes, widths in
// bits. Nothing here scales with clock frequency.
//
// Primitive vocabulary (Action::primitive / AreaItem::primitive; `bits` as stated):
//   int_add, int_mul, int_compare, int_max, int_div, int_exp, int_rsqrt   integer, bits 1..64
//   <fmt>_add, _mul, _compare, _max, _div, _exp, _rsqrt       fmt in fp8_e4m3 fp8_e5m2 fp16 bf16
//                                                             tf32 fp32; bits = storage bits of fmt
//   fp_add, fp_mul, fp_compare, fp_max, fp_div, fp_exp        IEEE-style by storage width:
//                                                             8 = fp8_e4m3, 16 = fp16, 19 = tf32,
//                                                             32 = fp32 (bf16 only as bf16_*)
//   reg_write, reg_read (energy) / reg (area)                 `bits` flip-flops accessed / present
//   mux (2:1), mux<N> (N:1, N >= 2)                           `bits` selected output bits
//   int_mulx<Q> (Q 1..64)                                     a `bits` x Q multiplier (e.g. a
//                                                             bit-serial slice by a weight)
//   and2                                                      `bits` two-input AND (or OR) cells
//                                                             (logic.and2_um2; energy in proportion
//                                                             to area, from the 2:1 mux)
//   fa                                                        `bits` full-adder cells (3:2 compressors;
//                                                             logic.full_adder_um2; energy as and2)
// primitive_for(op, dtype) builds the right name from a tensor format.
//
// Laws (fitted at construction; docs/tech.md lists the points, sources and fit errors):
//   int_add  energy, area:  k0 + k1*b           (carry chain: linear in bits plus fixed cost)
//   int_mul  energy, area:  k1*b + k2*b^2       (b^2 partial-product cells + final adder)
//   int_mul  area, if spec.int_mul_area_law == Array:  b^2 * and2_um2 + b*(b-1) * full_adder_um2
//   int_mulx<q> at p bits: the int_mul law with b^2 -> p*q and b -> max(p,q) (equal at p = q)
//                           (an array multiplier built from cells, not fitted; energy stays fitted)
//   fp_add, fp_mul:         k1*m + k2*m^2, m = significand bits incl. hidden bit; the
//                           exponent path is small next to the significand and is not modelled
//   fits minimise the squared *relative* error, so 2 points are matched exactly.
//   compare = int_add(bits); max = compare + mux; div = bits iterations of a bits-wide add plus
//   a 2*bits state-register write (fp: m iterations on the significand + exponent subtract);
//   exp = range reduction + Horner polynomial of the degree the precision needs, each step one
//   mul, one add and one accumulator write.
//   SRAM read of a w-bit word from a C-byte bank = a*(C/8 KiB)^p + w*b*(C/8 KiB)^q: a fixed
//   per-access part (decoder, wordline, H-tree) and a per-bit part (bitlines, sense amps), each
//   growing with capacity; a, b, p, q fitted to published (C, w, pJ) points (relative error,
//   exponents on a 0.01 grid); write = read * write_read_ratio.
//   SRAM bank area = bits * k_cell * (1 + port_increment (ports-1)) + fixed + k_io * w * ports:
//   k_cell (cells and array periphery per bit) and k_io (sense amps, drivers, the mats a wide
//   word spreads over, per word bit) fitted to published single-port bank areas.
//   Chip level: clock tree and control power as shares of the chip's power at full use, their
//   area as shares of the core; logic placed at `placement_utilization`; DRAM background and
//   refresh from datasheet currents; I/O PHY static power and area per GB/s of interface.
#include <map>
#include <string>
#include <vector>

#include "models/common/dtype.h"

namespace tessera {

// How int_mul is priced in area. Fitted: the k1*b + k2*b^2 law through the published points
// (Horowitz's 45 nm multipliers: Booth-recoded, tree-reduced silicon). Array: a textbook array
// multiplier counted in cells (b^2 two-input ANDs for the partial products, b*(b-1) full adders
// to sum them), which is what a synthesis tool without Booth recoding builds (yosys 0.23).
enum class IntMulAreaLaw { Fitted, Array };

struct FitPoint {
  double x = 0;  // bits (int) or significand bits (fp)
  double y = 0;  // pJ or um^2
};

// One published SRAM figure for a single-port bank of `capacity_bytes` with `width_bits` words,
// at the spec's node: the energy of one read (pJ) or the bank's area (um^2).
struct SramPoint {
  double capacity_bytes = 0, width_bits = 0, value = 0;
  std::string source;  // citation tag, for fit reports
};

// Datasheet currents of one DRAM device (per device, at its supply).
struct DramDevice {
  double device_gbit = 0;   // capacity of one device
  double vdd_v = 0;
  double idd3n_ma = 0;      // active standby: the background while the channel is open
  double idd5b_ma = 0;      // burst refresh
  double trfc_ns = 0;       // refresh cycle time
  double trefi_ns = 0;      // average refresh interval
};

// A DRAM interface (PHY + controller I/O) on the accelerator die, per GB/s of bandwidth.
struct IoPhy {
  double static_mw_per_gbps = 0;  // DLLs, termination, bias: drawn whenever the link is up (45nm.yaml: the PHY at full rate)
  double area_mm2_per_gbps = 0;
};

// Everything a TechLibrary is built from, at the spec's own node. Published points, not fitted
// coefficients, so that scaling and refitting stay honest.
struct TechSpec {
  int node_nm = 45;
  double vdd_v = 0.9;     // supply the energies were measured at (node scaling needs it)
  std::string origin;     // where it came from (file path), for messages and reports

  std::vector<FitPoint> int_add_pj, int_add_um2;  // x = bits
  std::vector<FitPoint> int_mul_pj, int_mul_um2;
  IntMulAreaLaw int_mul_area_law = IntMulAreaLaw::Fitted;
  std::map<std::string, double> fp_add_pj, fp_add_um2;  // keyed by format name
  std::map<std::string, double> fp_mul_pj, fp_mul_um2;

  double reg_write_pj_per_bit = 0;
  double reg_read_pj_per_bit = 0;
  double mux2_pj_per_bit = 0;
  double reg_um2_per_bit = 0;
  double mux2_um2_per_bit = 0;
  double and2_um2 = 0;        // one two-input AND cell (array multiplier); 0 = not given
  double full_adder_um2 = 0;  // one full-adder cell (array multiplier); 0 = not given
  double logic_leakage_mw_per_mm2 = 0;

  std::vector<SramPoint> sram_read_pj;   // published reads across capacities and widths
  std::vector<SramPoint> sram_area_um2;  // published single-port bank areas, likewise
  double sram_write_read_ratio = 1;
  double sram_port_area_increment = 0;   // extra cell area per additional port, fraction
  double sram_bank_fixed_um2 = 0;        // decoder/control per bank
  double sram_leakage_nw_per_bit = 0;

  std::map<std::string, double> dram_pj_per_bit;  // by technology name

  // Chip level (fractions are of the chip's full-use power, or of its core area).
  double clock_tree_power_share = 0;  // clock network; toggles every cycle, busy or idle
  double control_power_share = 0;     // instruction/sequencing logic; scales with activity
  double clock_tree_area_share = 0;   // clock buffers and their wiring
  double control_area_share = 0;
  double placement_utilization = 1;   // standard-cell area / placed logic area
  std::map<std::string, DramDevice> dram_devices;  // by technology name; absent = not modelled
  std::map<std::string, IoPhy> io_phy;             // by technology name
};

// Factors that take a spec from one node to another (multiply energies, areas, leakage).
struct NodeScaling {
  double energy = 1;   // dynamic energy per event
  double area = 1;     // area per instance
  double leakage = 1;  // leakage per device (per-mm^2 leakage scales by leakage / area)
};

// Stillmaker & Baas (Integration 2017) factors between two nodes of 180..7 nm, each at its
// nominal PTM supply except `from_vdd_v` for the source; nodes between table entries are
// interpolated linearly in nm. Throws UserError outside 7..180 nm.
NodeScaling stillmaker_scaling(int from_nm, double from_vdd_v, int to_nm);
double stillmaker_nominal_vdd(int node_nm);

// The spec at `node_nm` (energies, areas and leakage multiplied by `s`; DRAM pJ/bit, DRAM device
// currents and the I/O PHY unchanged: off-chip and analog costs do not follow logic scaling;
// chip-level shares unchanged).
TechSpec scale_spec(const TechSpec& spec, int node_nm, const NodeScaling& s);

struct FloatFormat {
  std::string name;
  int storage_bits, exponent_bits, significand_bits;  // significand includes the hidden bit
};
const std::vector<FloatFormat>& float_formats();

// One published point against the fitted law, for docs and tests.
struct FitCheck {
  std::string law;  // "int_add energy", "sram read 64b", ...
  double x, published, fitted;  // x: bits, significand bits or SRAM capacity bytes
  double rel_error() const { return (fitted - published) / published; }
};

class TechLibrary {
 public:
  explicit TechLibrary(const TechSpec& spec);

  const TechSpec& spec() const { return spec_; }
  int node_nm() const { return spec_.node_nm; }

  // Energy of one event of `primitive` at `bits` (see the vocabulary above), pJ.
  double action_pj(const std::string& primitive, int bits) const;
  // Area of one instance of `primitive` at `bits`, um^2.
  double area_um2(const std::string& primitive, int bits) const;

  // One access of `width_bits` to an SRAM array (bank) of `capacity_bytes`, pJ.
  double sram_access_pj(double capacity_bytes, int width_bits, bool write) const;
  // Area of an SRAM of `capacity_bytes` in `banks` banks of `width_bits` words, `ports` ports.
  double sram_area_um2(double capacity_bytes, int width_bits, int banks, int ports) const;
  double sram_leakage_mw(double capacity_bytes) const;
  // Leakage of `area_um2` of logic, mW.
  double logic_leakage_mw(double area_um2) const;

  // Chip level. `datapath_pj` is logic (engine) dynamic energy; the clock tree and control take
  // their published shares of the power beside it: share / (1 - clock share - control share).
  double clock_tree_pj(double datapath_pj) const;
  double control_pj(double datapath_pj) const;
  // Area around `logic_cells_um2` of standard cells and `sram_um2` of macros.
  double placement_um2(double logic_cells_um2) const;  // whitespace at placement_utilization
  double clock_tree_area_um2(double logic_cells_um2, double sram_um2) const;
  double control_area_um2(double logic_cells_um2, double sram_um2) const;
  // Background (active standby) and refresh power of `capacity_gib` of DRAM, mW; a technology
  // without device data -> UserError naming the ones that have it.
  double dram_background_mw(const std::string& technology, double capacity_gib) const;
  double dram_refresh_mw(const std::string& technology, double capacity_gib) const;
  // The DRAM interface on the die for `bandwidth_gbps` GB/s: static mW and area.
  double io_phy_mw(const std::string& technology, double bandwidth_gbps) const;
  double io_phy_area_um2(const std::string& technology, double bandwidth_gbps) const;

  // Off-chip access energy, pJ per bit moved; unknown technology -> UserError with the list.
  double dram_pj_per_bit(const std::string& technology) const;
  std::vector<std::string> dram_technologies() const;

  // This library moved to `node_nm` with stillmaker_scaling().
  TechLibrary scaled(int node_nm) const;

  // Every published point against its fitted value.
  std::vector<FitCheck> fit_checks() const;

  // Every primitive name accepted (mux<N> listed as mux4, mux8, mux16).
  static std::vector<std::string> primitives();
  // "int_<op>" for integer formats and ternary, "<format>_<op>" for floating ones.
  static std::string primitive_for(const std::string& op, DType t);

 private:
  struct Law {
    double p0 = 0, p1 = 1, k0 = 0, k1 = 0;
    double at(double x) const;
  };
  struct Prim;  // a parsed primitive name
  Prim parse(const std::string& primitive, int bits) const;
  double int_pj(const std::string& op, int bits) const;
  double fp_pj(const std::string& op, const FloatFormat& f) const;
  double int_um2(const std::string& op, int bits) const;
  double fp_um2(const std::string& op, const FloatFormat& f) const;
  double int_mul_um2(int bits) const;  // by spec_.int_mul_area_law
  double int_mul_by_pj(int p, int q) const;   // a p x q multiplier
  double int_mul_by_um2(int p, int q) const;
  void fit_sram(const std::vector<SramPoint>& pts);
  void fit_sram_area(const std::vector<SramPoint>& pts);

  TechSpec spec_;
  Law int_add_pj_, int_add_um2_, int_mul_pj_, int_mul_um2_;
  Law fp_add_pj_, fp_add_um2_, fp_mul_pj_, fp_mul_um2_;
  const DramDevice& dram_device(const std::string& technology) const;
  const IoPhy& phy(const std::string& technology) const;
  double chip_rest() const;  // 1 - clock and control power shares
  double core_rest() const;  // 1 - clock and control area shares

  double sram_a_ = 0, sram_p_ = 0, sram_b_ = 0, sram_q_ = 0;  // read = a*c^p + w*b*c^q, c = C/8 KiB
  double sram_cell_um2_ = 0, sram_io_um2_ = 0;                 // area per stored bit, per word bit
};

}  // namespace tessera
