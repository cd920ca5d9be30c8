// The technology library: published points reproduced, laws usable at every width, node
// scaling equal to the published factors, and bad tech files rejected with their position.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include "sim/config/tech_loader.h"

using namespace tessera;

namespace {

const std::string kDir = std::string(TESSERA_SOURCE_DIR) + "/configs/tech/";

const TechLibrary& lib45() {
  static const TechLibrary lib = load_tech(kDir + "45nm.yaml");
  return lib;
}

// Stated fit errors (docs/tech.md): two-point laws are exact; the 3-point int_add fits are
// within 5%; the SRAM law, through 15 points of two sources, within 20%.
double stated_error(const std::string& law) {
  if (law.rfind("int_add", 0) == 0) return 0.05;
  if (law.rfind("sram", 0) == 0) return 0.20;
  return 1e-9;
}

// The whole 45nm table as text with one line replaced, for error-position tests.
std::string table_with(const std::string& from, const std::string& to) {
  std::string t = R"(node_nm: 45
vdd_v: 0.9
int_add:
  energy_pj: {8: 0.03, 16: 0.05, 32: 0.1}
  area_um2: {8: 36, 16: 67, 32: 137}
int_mul:
  energy_pj: {8: 0.2, 32: 3.1}
  area_um2: {8: 282, 32: 3495}
fp_add:
  energy_pj: {fp16: 0.4, fp32: 0.9}
  area_um2: {fp16: 1360, fp32: 4184}
fp_mul:
  energy_pj: {fp16: 1.1, fp32: 3.7}
  area_um2: {fp16: 1640, fp32: 7700}
logic:
  reg_write_pj_per_bit: 0.0033
  reg_read_pj_per_bit: 0.0004
  mux2_pj_per_bit: 0.0014
  reg_um2_per_bit: 4.522
  mux2_um2_per_bit: 1.862
  leakage_mw_per_mm2: 15
sram:
  read_pj: [{bytes: 8192, bits: 64, pj: 8.4, source: t}, {bytes: 8192, bits: 256, pj: 27.6, source: t}, {bytes: 131072, bits: 64, pj: 20.8, source: t}, {bytes: 131072, bits: 256, pj: 59.2, source: t}]
  area_um2: [{bytes: 8192, bits: 64, um2: 76636, source: t}, {bytes: 8192, bits: 256, um2: 105436, source: t}, {bytes: 131072, bits: 64, um2: 1059676, source: t}, {bytes: 131072, bits: 256, um2: 1088476, source: t}]
  write_read_ratio: 1.0
  port_area_increment: 0.5
  bank_fixed_um2: 1500
  leakage_nw_per_bit: 1.0
dram_pj_per_bit:
  ddr3: 70
  hbm2: 3.9
chip:
  clock_tree_power_share: 0.25
  control_power_share: 0.05
  clock_tree_area_share: 0.1
  control_area_share: 0.1
  placement_utilization: 0.5
dram_devices:
  ddr3: {device_gbit: 2, vdd_v: 1.5, idd3n_ma: 55, idd5b_ma: 195, trfc_ns: 160, trefi_ns: 7800, source: t}
io_phy:
  ddr3: {static_mw_per_gbps: 10, area_mm2_per_gbps: 0.08, source: t}
)";
  if (from.empty()) return t;
  const auto at = t.find(from);
  REQUIRE(at != std::string::npos);
  return t.replace(at, from.size(), to);
}

// Runs `f`, expects a UserError, returns it.
template <class F>
UserError user_error(F f) {
  try {
    f();
  } catch (const UserError& e) {
    return e;
  }
  FAIL("expected a UserError");
  return UserError("");
}

}  // namespace

TEST_CASE("published 45nm points are reproduced within the stated fit error", "[tech]") {
  const auto& lib = lib45();
  const auto checks = lib.fit_checks();
  REQUIRE(checks.size() >= 20);
  for (const auto& c : checks) {
    INFO(c.law << " at " << c.x << ": published " << c.published << ", fitted " << c.fitted);
    CHECK(std::fabs(c.rel_error()) <= stated_error(c.law));
  }
  // The same points through the public API.
  CHECK(lib.action_pj("int_add", 8) == Approx(0.03).epsilon(0.05));
  CHECK(lib.action_pj("int_add", 32) == Approx(0.1).epsilon(0.05));
  CHECK(lib.action_pj("int_mul", 8) == Approx(0.2).epsilon(1e-9));
  CHECK(lib.action_pj("int_mul", 32) == Approx(3.1).epsilon(1e-9));
  CHECK(lib.action_pj("fp16_add", 16) == Approx(0.4).epsilon(1e-9));
  CHECK(lib.action_pj("fp32_mul", 32) == Approx(3.7).epsilon(1e-9));
  CHECK(lib.action_pj("fp_mul", 16) == Approx(1.1).epsilon(1e-9));
  CHECK(lib.area_um2("int_mul", 32) == Approx(3495).epsilon(1e-9));
  CHECK(lib.sram_access_pj(8192, 64, false) == Approx(10).epsilon(0.20));
  CHECK(lib.sram_access_pj(32768, 64, false) == Approx(20).epsilon(0.20));
  CHECK(lib.sram_access_pj(1 << 20, 64, false) == Approx(100).epsilon(0.20));
  // A fixed per-access part makes wide words cheaper per bit: 4x the width, well under 4x the energy.
  CHECK(lib.sram_access_pj(512 * 1024, 256, false) < 3 * lib.sram_access_pj(512 * 1024, 64, false));
  CHECK(lib.dram_pj_per_bit("hbm2") == 3.9);
  CHECK(lib.dram_pj_per_bit("gddr5") == 14);
  CHECK(lib.dram_pj_per_bit("lpddr4") == 8);
  CHECK(lib.dram_pj_per_bit("ddr3") == 70);
}

TEST_CASE("integer laws price every width 1..64 and grow as stated", "[tech]") {
  const auto& lib = lib45();
  double prev_add = 0, prev_mul = 0;
  for (int b = 1; b <= 64; ++b) {
    const double add = lib.action_pj("int_add", b), mul = lib.action_pj("int_mul", b);
    CHECK(add > prev_add);
    CHECK(mul > prev_mul);
    CHECK(lib.area_um2("int_add", b) > 0);
    CHECK(lib.area_um2("int_mul", b) > 0);
    prev_add = add;
    prev_mul = mul;
  }
  // Adders ~linear, multipliers ~quadratic: doubling 32 -> 64 bits.
  CHECK(lib.action_pj("int_add", 64) / lib.action_pj("int_add", 32) == Approx(2).epsilon(0.1));
  CHECK(lib.action_pj("int_mul", 64) / lib.action_pj("int_mul", 32) == Approx(4).epsilon(0.1));
}

TEST_CASE("floating formats, composites and cells", "[tech]") {
  const auto& lib = lib45();
  // bf16 has a shorter significand than fp16: cheaper multiply; tf32 prices like fp16.
  CHECK(lib.action_pj("bf16_mul", 16) < lib.action_pj("fp16_mul", 16));
  CHECK(lib.action_pj("tf32_mul", 19) == Approx(lib.action_pj("fp16_mul", 16)));
  CHECK(lib.action_pj("fp_add", 19) == lib.action_pj("tf32_add", 19));
  CHECK(lib.action_pj("fp8_e4m3_mul", 8) < lib.action_pj("bf16_mul", 16));
  for (const auto& f : float_formats())
    for (const char* op : {"add", "mul", "compare", "max", "div", "exp"}) {
      INFO(f.name << "_" << op);
      CHECK(lib.action_pj(f.name + "_" + op, f.storage_bits) > 0);
      CHECK(lib.area_um2(f.name + "_" + op, f.storage_bits) > 0);
    }
  CHECK(lib.action_pj("int_compare", 16) == lib.action_pj("int_add", 16));
  CHECK(lib.action_pj("int_max", 16) > lib.action_pj("int_compare", 16));
  CHECK(lib.action_pj("int_div", 16) == Approx(16 * (lib.action_pj("int_add", 16) + lib.action_pj("reg_write", 32))));
  CHECK(lib.action_pj("fp32_exp", 32) > lib.action_pj("fp16_exp", 16));
  CHECK(lib.action_pj("reg_write", 32) == Approx(32 * 0.0033));
  CHECK(lib.action_pj("reg_read", 8) == Approx(8 * 0.0004));
  CHECK(lib.area_um2("reg", 16) == Approx(16 * 4.522));
  CHECK(lib.action_pj("mux8", 4) == Approx(7 * lib.action_pj("mux", 4)));
  CHECK(lib.area_um2("mux", 1) == Approx(1.862));
  CHECK(TechLibrary::primitive_for("mul", DType::bf16) == "bf16_mul");
  CHECK(TechLibrary::primitive_for("add", DType::int4) == "int_add");
  CHECK(lib.sram_access_pj(8192, 64, true) == Approx(lib.sram_access_pj(8192, 64, false)));
  CHECK(lib.sram_area_um2(8192, 64, 2, 1) > lib.sram_area_um2(8192, 64, 1, 1));
  CHECK(lib.sram_area_um2(8192, 64, 1, 2) > lib.sram_area_um2(8192, 64, 1, 1));
  // 1 MB single port: the cells dominate, so half the capacity is about half the area.
  CHECK(lib.sram_area_um2(1 << 20, 64, 1, 1) / lib.sram_area_um2(1 << 19, 64, 1, 1) == Approx(2).epsilon(0.05));
  CHECK(lib.sram_leakage_mw(1 << 20) == Approx((1 << 20) * 8 * 1e-6));
  // 1 mm^2 of logic at 45nm.yaml's 17.6 mW/mm^2: the mean of Nangate's FA_X1 (75.762 nW /
  // 4.256 um^2 = 17.80 nW/um^2) and DFF_X1 (79.112 / 4.522 = 17.49), 1 nW/um^2 = 1 mW/mm^2.
  CHECK(lib.logic_leakage_mw(1e6) == Approx(17.6));
}

TEST_CASE("SRAM read law: a fixed and a per-bit part, each a power of capacity", "[tech]") {
  // The test table's four points lie on read = 2 c^0.5 + w 0.1 c^0.25, c = C / 8 KiB:
  //   8 KiB (c = 1):    64 b 2 + 6.4 = 8.4;      256 b 2 + 25.6 = 27.6
  //   128 KiB (c = 16): 64 b 2x4 + 6.4x2 = 20.8; 256 b 8 + 25.6x2 = 59.2
  // so the fit recovers it; off the points, 32 KiB (c = 4) x 128 b = 2x2 + 12.8 x 4^0.25
  // = 4 + 18.1019 = 22.1019 pJ, and 1 MiB (c = 128) x 32 b = 2 x 11.3137 + 3.2 x 3.3636 = 33.3910.
  const TechLibrary t(load_tech_spec_string(table_with("", ""), "t.yaml"));
  CHECK(t.sram_access_pj(8192, 64, false) == Approx(8.4).epsilon(1e-9));
  CHECK(t.sram_access_pj(131072, 256, false) == Approx(59.2).epsilon(1e-9));
  CHECK(t.sram_access_pj(32768, 128, false) == Approx(22.1019).epsilon(1e-5));
  CHECK(t.sram_access_pj(1 << 20, 32, false) == Approx(33.3910).epsilon(1e-5));
  for (const auto& c : t.fit_checks())
    if (c.law.rfind("sram", 0) == 0) CHECK(std::fabs(c.rel_error()) < 1e-9);
  // A point from another node is scaled like the file: 65 nm -> 45 nm by Stillmaker & Baas.
  const double to45 = stillmaker_scaling(65, stillmaker_nominal_vdd(65), 45).energy;
  const TechLibrary s65(load_tech_spec_string(
      table_with("{bytes: 8192, bits: 64, pj: 8.4, source: t}", "{bytes: 8192, bits: 64, pj: 100, node_nm: 65, source: t}"),
      "t.yaml"));
  CHECK(s65.spec().sram_read_pj[0].value == Approx(100 * to45));
  // All points at one capacity cannot separate the parts.
  const std::string one_capacity = "[{bytes: 8192, bits: 64, pj: 8.4, source: t}, {bytes: 8192, bits: 256, pj: 27.6, source: t}, "
                                   "{bytes: 8192, bits: 128, pj: 14.8, source: t}, {bytes: 8192, bits: 512, pj: 53.2, source: t}]";
  auto e = user_error([&] {
    load_tech_spec_string(table_with("[{bytes: 8192, bits: 64, pj: 8.4, source: t}, {bytes: 8192, bits: 256, pj: 27.6, source: t}, "
                                     "{bytes: 131072, bits: 64, pj: 20.8, source: t}, {bytes: 131072, bits: 256, pj: 59.2, source: t}]",
                                     one_capacity),
                          "t.yaml");
  });
  CHECK(e.loc().file == "t.yaml");
  CHECK_THAT(e.message(), Catch::Contains("two or more capacities"));
  // A misspelt point key names its list entry.
  e = user_error([] { load_tech_spec_string(table_with("{bytes: 8192, bits: 64, pj: 8.4", "{bytez: 8192, bits: 64, pj: 8.4"), "t.yaml"); });
  CHECK(e.key() == "sram.read_pj.0.bytez");
  CHECK(e.loc().line == 23);
  CHECK_THAT(e.message(), Catch::Contains("did you mean 'bytes'"));
}

TEST_CASE("SRAM area law: cells per bit, periphery per word bit, fixed per bank", "[tech]") {
  // The test table's four single-port banks lie on area = bits x 1 + 1500 + w x 150 um^2:
  //   8 KiB (65,536 bits):      64 b 65,536 + 1,500 + 9,600 = 76,636;  256 b + 38,400 = 105,436
  //   128 KiB (1,048,576 bits): 64 b 1,059,676;                       256 b 1,088,476
  // so the fit recovers 1 and 150. Two 16 KiB banks of 128-bit words, two ports: cells
  // 262,144 bits x 1 x (1 + 0.5) = 393,216; per bank 1,500 + 150 x 128 x 2 = 39,900: 473,016 um^2.
  const TechLibrary t(load_tech_spec_string(table_with("", ""), "t.yaml"));
  CHECK(t.sram_area_um2(32768, 128, 2, 2) == Approx(473016).epsilon(1e-9));
  for (const auto& c : t.fit_checks())
    if (c.law.find("area") != std::string::npos && c.law.rfind("sram", 0) == 0) CHECK(std::fabs(c.rel_error()) < 1e-9);
  // A point from another node is scaled by the area factor: 65 nm -> 45 nm is 1 / 1.5.
  const TechLibrary s65(load_tech_spec_string(
      table_with("{bytes: 8192, bits: 64, um2: 76636, source: t}", "{bytes: 8192, bits: 64, um2: 114954, node_nm: 65, source: t}"),
      "t.yaml"));
  CHECK(s65.spec().sram_area_um2[0].value == Approx(76636));
  // A fixed part larger than a published bank leaves a negative per-bit area: an error.
  auto e = user_error([] { load_tech_spec_string(table_with("bank_fixed_um2: 1500", "bank_fixed_um2: 2000000"), "t.yaml"); });
  CHECK_THAT(e.message(), Catch::Contains("SRAM area"));
  // Capacity and width that only vary together cannot be told apart.
  e = user_error([] {
    load_tech_spec_string(table_with("{bytes: 8192, bits: 256, um2: 105436, source: t}, {bytes: 131072, bits: 64, um2: 1059676, source: t}, "
                                     "{bytes: 131072, bits: 256, um2: 1088476, source: t}",
                                     "{bytes: 8192, bits: 64, um2: 80000, source: t}, {bytes: 131072, bits: 1024, um2: 1200000, source: t}, "
                                     "{bytes: 131072, bits: 1024, um2: 1300000, source: t}"),
                          "t.yaml");
  });
  CHECK_THAT(e.message(), Catch::Contains("cannot separate"));
  e = user_error([] { load_tech_spec_string(table_with("{bytes: 8192, bits: 64, um2: 76636", "{bytes: 8192, bits: 64, um3: 76636"), "t.yaml"); });
  CHECK(e.key() == "sram.area_um2.0.um3");
  CHECK_THAT(e.message(), Catch::Contains("did you mean 'um2'"));
}

TEST_CASE("chip level: clock tree, control, placement, DRAM background and refresh, I/O PHY", "[tech]") {
  // The test table: clock 0.25 and control 0.05 of chip power, so beside 70 pJ of datapath the
  // chip is 100 pJ: clock 25, control 5. Areas: 100 um^2 of cells at 0.5 utilization are placed
  // on 200 (100 whitespace); with 50 of SRAM the core without clock and control is 250, 0.8 of
  // the core: clock tree 0.1 x 250 / 0.8 = 31.25, control the same.
  const TechLibrary t(load_tech_spec_string(table_with("", ""), "t.yaml"));
  CHECK(t.clock_tree_pj(70) == Approx(25));
  CHECK(t.control_pj(70) == Approx(5));
  CHECK(t.placement_um2(100) == Approx(100));
  CHECK(t.clock_tree_area_um2(100, 50) == Approx(31.25));
  CHECK(t.control_area_um2(100, 50) == Approx(31.25));
  // DDR3, 2 Gb devices: 8 GiB = 32 devices. Background 32 x 1.5 V x 55 mA = 2640 mW. Refresh
  // draws 195 - 55 = 140 mA more for 160 of every 7800 ns: 32 x 1.5 x 140 x 160 / 7800 = 137.846 mW.
  CHECK(t.dram_background_mw("ddr3", 8) == Approx(2640));
  CHECK(t.dram_refresh_mw("ddr3", 8) == Approx(137.846).epsilon(1e-5));
  CHECK(t.dram_background_mw("ddr3", 0) == 0);
  // PHY: 34 GB/s x 10 mW = 340 mW; x 0.08 mm^2 = 2.72 mm^2.
  CHECK(t.io_phy_mw("ddr3", 34) == Approx(340));
  CHECK(t.io_phy_area_um2("ddr3", 34) == Approx(2.72e6));
  // The shipped DDR4 ([MU16], 8 Gb devices): 8 GiB = 8 devices x 1.2 V x 47 mA = 451.2 mW;
  // refresh 8 x 1.2 x (280 - 47) x 350 / 7800 = 100.369 mW.
  CHECK(lib45().dram_background_mw("ddr4", 8) == Approx(451.2));
  CHECK(lib45().dram_refresh_mw("ddr4", 8) == Approx(100.369).epsilon(1e-5));
  // A technology without data is an error naming the ones that have it.
  auto e = user_error([&] { t.dram_background_mw("ddr4", 8); });
  CHECK_THAT(e.message(), Catch::Contains("ddr4") && Catch::Contains("ddr3"));
  e = user_error([&] { t.io_phy_mw("hbm2", 100); });
  CHECK_THAT(e.message(), Catch::Contains("io_phy") && Catch::Contains("ddr3"));
  // Shares that leave nothing for the datapath, and a misspelt chip key.
  e = user_error([] { load_tech_spec_string(table_with("control_power_share: 0.05", "control_power_share: 0.8"), "t.yaml"); });
  CHECK(e.loc().file == "t.yaml");
  CHECK_THAT(e.message(), Catch::Contains("clock_tree_power_share + control_power_share"));
  e = user_error([] { load_tech_spec_string(table_with("  placement_utilization:", "  placement_utilisation:"), "t.yaml"); });
  CHECK(e.key() == "chip.placement_utilisation");
  CHECK_THAT(e.message(), Catch::Contains("did you mean 'placement_utilization'"));
  e = user_error([] { load_tech_spec_string(table_with("idd5b_ma: 195", "idd5b_ma: 195, tref_ns: 1"), "t.yaml"); });
  CHECK(e.key() == "dram_devices.ddr3.tref_ns");
}

TEST_CASE("int_mul_area_law: array prices an array multiplier in Nangate cells", "[tech]") {
  // Hand-computed: b^2 AND2_X1 (1.064 um^2) + b(b-1) FA_X1 (4.256 um^2), Nangate 45nm [N45].
  //   4 b: 16 x 1.064 + 12 x 4.256 =   17.024 +   51.072 =   68.096 um^2 (  85.3 GE)
  //   8 b: 64 x 1.064 + 56 x 4.256 =   68.096 +  238.336 =  306.432 um^2 ( 384.0 GE)
  //  16 b: 256 x 1.064 + 240 x 4.256 = 272.384 + 1021.440 = 1293.824 um^2 (1621.3 GE)
  const auto& fitted = lib45();
  CHECK(fitted.spec().int_mul_area_law == IntMulAreaLaw::Fitted);  // the default library
  CHECK(fitted.area_um2("int_mul", 8) == Approx(282).epsilon(1e-9));

  const TechLibrary array = load_tech(std::string(TESSERA_SOURCE_DIR) + "/tools/area/yosys_45nm.yaml");
  CHECK(array.spec().int_mul_area_law == IntMulAreaLaw::Array);
  CHECK(array.node_nm() == 45);
  CHECK(array.area_um2("int_mul", 4) == Approx(68.096).epsilon(1e-12));
  CHECK(array.area_um2("int_mul", 8) == Approx(306.432).epsilon(1e-12));
  CHECK(array.area_um2("int_mul", 16) == Approx(1293.824).epsilon(1e-12));
  CHECK(array.area_um2("int_mul", 1) == Approx(1.064).epsilon(1e-12));  // one AND, no adder
  // Only the multiplier's area changes: energies, adders, cells and composites built on it.
  for (int b : {1, 4, 8, 16, 32, 64}) {
    CHECK(array.action_pj("int_mul", b) == fitted.action_pj("int_mul", b));
    CHECK(array.area_um2("int_add", b) == fitted.area_um2("int_add", b));
  }
  CHECK(array.area_um2("reg", 8) == fitted.area_um2("reg", 8));
  CHECK(array.area_um2("fp16_mul", 16) == fitted.area_um2("fp16_mul", 16));
  CHECK(array.area_um2("int_exp", 8) - fitted.area_um2("int_exp", 8) == Approx(306.432 - 282));
  // The published multiplier areas price nothing under the array law: not reported as a fit.
  for (const auto& c : array.fit_checks()) CHECK(c.law != "int_mul area");

  // A full table says it at the top level, with the two cells in `logic`; they are required.
  const std::string cells = "  mux2_um2_per_bit: 1.862\n  and2_um2: 1.064\n  full_adder_um2: 4.256\n";
  const std::string t = table_with("  mux2_um2_per_bit: 1.862\n", cells);
  const TechLibrary full(load_tech_spec_string("int_mul_area_law: array\n" + t, "t.yaml"));
  CHECK(full.area_um2("int_mul", 16) == Approx(1293.824).epsilon(1e-12));
  CHECK(TechLibrary(load_tech_spec_string(t, "t.yaml")).area_um2("int_mul", 32) == Approx(3495).epsilon(1e-9));
  auto e = user_error([] { load_tech_spec_string("int_mul_area_law: array\n" + table_with("", ""), "t.yaml"); });
  CHECK_THAT(e.message(), Catch::Contains("and2_um2") && Catch::Contains("full_adder_um2"));
  CHECK(e.loc().file == "t.yaml");
  e = user_error([] { load_tech_spec_string("int_mul_area_law: arry\n" + table_with("", ""), "t.yaml"); });
  CHECK(e.key() == "int_mul_area_law");
  CHECK(e.loc().line == 1);

  // Derived: the cells scale with the node like every other area.
  const TechLibrary a7(load_tech_spec_string("derive_from: 45nm.yaml\nnode_nm: 7\nint_mul_area_law: array\n",
                                             kDir + "x.yaml"));
  CHECK(a7.area_um2("int_mul", 8) == Approx(306.432 * stillmaker_scaling(45, 0.9, 7).area).epsilon(1e-9));
  const TechLibrary i7(load_tech_spec_string("derive_from: 45nm.yaml\nnode_nm: 7\n", kDir + "x.yaml"));
  CHECK(i7.spec().int_mul_area_law == IntMulAreaLaw::Fitted);  // inherit

  // A derived file may give its own fp_add / fp_mul points: used as published, not scaled; the
  // other tables still scale.
  const TechLibrary f45(load_tech_spec_string(
      "derive_from: 45nm.yaml\nnode_nm: 45\nfp_add:\n  energy_pj: {fp16: 0.5, fp32: 1.0}\n"
      "  area_um2: {fp16: 791, fp32: 1726}\n",
      kDir + "x.yaml"));
  CHECK(f45.area_um2("fp16_add", 16) == Approx(791).epsilon(1e-12));
  CHECK(f45.area_um2("fp32_add", 32) == Approx(1726).epsilon(1e-12));
  CHECK(f45.action_pj("fp16_add", 16) == Approx(0.5).epsilon(1e-12));
  CHECK(f45.area_um2("fp16_mul", 16) == Approx(lib45().area_um2("fp16_mul", 16)).epsilon(1e-12));
  const TechLibrary f7(load_tech_spec_string(
      "derive_from: 45nm.yaml\nnode_nm: 7\nfp_add:\n  energy_pj: {fp16: 0.5, fp32: 1.0}\n"
      "  area_um2: {fp16: 791, fp32: 1726}\n",
      kDir + "x.yaml"));
  CHECK(f7.area_um2("fp16_add", 16) == Approx(791).epsilon(1e-12));  // the file's own node
  CHECK(f7.area_um2("fp16_mul", 16) == Approx(1640 * stillmaker_scaling(45, 0.9, 7).area).epsilon(1e-9));
  auto e2 = user_error([] {
    load_tech_spec_string("derive_from: 45nm.yaml\nnode_nm: 7\nfp_add:\n  area_um2: {fp16: 791}\n", kDir + "x.yaml");
  });
  CHECK(e2.key() == "fp_add.energy_pj");
}

TEST_CASE("unknown names and bad widths are user errors with a close match", "[tech]") {
  const auto& lib = lib45();
  auto e = user_error([&] { lib.action_pj("int_mull", 8); });
  CHECK_THAT(e.message(), Catch::Contains("int_mull") && Catch::Contains("did you mean 'int_mul'"));
  e = user_error([&] { lib.area_um2("regg", 8); });
  CHECK_THAT(e.message(), Catch::Contains("did you mean 'reg'"));
  e = user_error([&] { lib.dram_pj_per_bit("hbm3"); });
  CHECK_THAT(e.message(), Catch::Contains("did you mean 'hbm2'") && Catch::Contains("ddr3"));
  e = user_error([&] { lib.action_pj("int_add", 65); });
  CHECK_THAT(e.message(), Catch::Contains("1..64"));
  e = user_error([&] { lib.action_pj("fp_mul", 12); });
  CHECK_THAT(e.message(), Catch::Contains("bf16_mul"));
  e = user_error([&] { lib.action_pj("bf16_add", 32); });
  CHECK_THAT(e.message(), Catch::Contains("bits must be 16"));
  user_error([&] { lib.action_pj("reg", 8); });
  user_error([&] { lib.area_um2("reg_write", 8); });
}

TEST_CASE("node scaling follows Stillmaker & Baas and is monotone", "[tech]") {
  const auto& lib = lib45();
  // Published area factors from 45 nm (their table) and energy factors from their
  // polynomials: 45 nm at 0.9 V (Horowitz) to each node at nominal supply.
  const double e45 = 1.018 * 0.81 - 0.3107 * 0.9 + 0.1539;
  auto e = [](double a, double b, double c, double v) { return a * v * v + b * v + c; };
  const double e7 = e(0.1776, -0.09097, 0.02447, 0.7), e16 = e(0.2958, -0.1241, 0.03024, 0.85);
  auto s7 = stillmaker_scaling(45, 0.9, 7);
  CHECK(s7.area == Approx(0.059));
  CHECK(s7.energy == Approx(e7 / e45));
  auto s16 = stillmaker_scaling(45, 0.9, 16);
  CHECK(s16.area == Approx(0.19));
  CHECK(s16.energy == Approx(e16 / e45));

  const int nodes[] = {45, 28, 16, 7};
  const TechLibrary* prev = &lib;
  std::vector<TechLibrary> libs;
  libs.reserve(4);
  for (int n : nodes) {
    libs.push_back(load_tech(kDir + std::to_string(n) + "nm.yaml"));
    const TechLibrary& l = libs.back();
    CHECK(l.node_nm() == n);
    const auto s = stillmaker_scaling(45, 0.9, n);
    // The files quote the factors; they must equal the published ones.
    CHECK(l.action_pj("int_mul", 8) == Approx(lib.action_pj("int_mul", 8) * s.energy).epsilon(0.005));
    CHECK(l.area_um2("int_mul", 8) == Approx(lib.area_um2("int_mul", 8) * s.area).epsilon(0.005));
    // scaled() and the derived file agree.
    const TechLibrary direct = lib.scaled(n);
    CHECK(direct.action_pj("fp16_mul", 16) == Approx(l.action_pj("fp16_mul", 16)).epsilon(0.005));
    CHECK(direct.sram_area_um2(1 << 15, 64, 1, 1) == Approx(l.sram_area_um2(1 << 15, 64, 1, 1)).epsilon(0.005));
    if (n != 45) {
      for (const char* p : {"int_add", "int_mul", "fp_mul", "reg_write", "mux"}) {
        const int b = std::string(p) == "fp_mul" ? 32 : 16;
        CHECK(l.action_pj(p, b) < prev->action_pj(p, b));
      }
      CHECK(l.area_um2("reg", 8) < prev->area_um2("reg", 8));
      CHECK(l.sram_access_pj(8192, 64, false) < prev->sram_access_pj(8192, 64, false));
      CHECK(l.sram_area_um2(8192, 64, 1, 1) < prev->sram_area_um2(8192, 64, 1, 1));
      CHECK(l.dram_pj_per_bit("hbm2") == lib.dram_pj_per_bit("hbm2"));  // off-chip: not scaled
    }
    prev = &l;
  }
  // 65 nm (Eyeriss' node) lies above the reference: its file quotes the published factors too.
  const TechLibrary l65 = load_tech(kDir + "65nm.yaml");
  const auto s65 = stillmaker_scaling(45, 0.9, 65);
  CHECK(l65.action_pj("int_mul", 8) == Approx(lib.action_pj("int_mul", 8) * s65.energy).epsilon(0.005));
  CHECK(l65.area_um2("int_mul", 8) == Approx(lib.area_um2("int_mul", 8) * s65.area).epsilon(0.005));
  CHECK(lib.scaled(45).action_pj("int_mul", 8) == lib.action_pj("int_mul", 8));
  auto err = user_error([&] { lib.scaled(5); });
  CHECK_THAT(err.message(), Catch::Contains("7..180"));
}

TEST_CASE("bad tech files name file, line, column and key", "[tech]") {
  REQUIRE_NOTHROW(load_tech_spec_string(table_with("", ""), "t.yaml"));

  SECTION("unknown key with did-you-mean") {
    auto e = user_error([] { load_tech_spec_string(table_with("  mux2_pj_per_bit:", "  mux_pj_per_bit:"), "t.yaml"); });
    CHECK(e.loc().file == "t.yaml");
    CHECK(e.loc().line == 18);
    CHECK(e.loc().col == 3);
    CHECK(e.key() == "logic.mux_pj_per_bit");
    CHECK_THAT(e.message(), Catch::Contains("did you mean 'mux2_pj_per_bit'"));
  }
  SECTION("unknown top-level section") {
    auto e = user_error([] { load_tech_spec_string(table_with("int_mul:", "int_mull:"), "t.yaml"); });
    CHECK(e.loc().line == 6);
    CHECK(e.loc().col == 1);
    CHECK_THAT(e.message(), Catch::Contains("did you mean 'int_mul'"));
  }
  SECTION("unknown float format") {
    auto e = user_error([] { load_tech_spec_string(table_with("{fp16: 0.4,", "{fp61: 0.4,"), "t.yaml"); });
    CHECK(e.loc().line == 10);
    CHECK_THAT(e.message(), Catch::Contains("did you mean 'fp16'"));
  }
  SECTION("negative energy") {
    auto e = user_error([] { load_tech_spec_string(table_with("{8: 0.2,", "{8: -0.2,"), "t.yaml"); });
    CHECK(e.loc().line == 7);
    CHECK(e.loc().col == 18);
    CHECK(e.key() == "int_mul.energy_pj.8");
    e = user_error([] { load_tech_spec_string(table_with("reg_read_pj_per_bit: 0.0004", "reg_read_pj_per_bit: -1"), "t.yaml"); });
    CHECK(e.loc().line == 17);
    CHECK(e.loc().col == 24);
    CHECK(e.key() == "logic.reg_read_pj_per_bit");
  }
  SECTION("a value so large that totals overflow") {
    // Issue 13, item 7: 1e308 nW per bit made the report's energy inf (written as null), exit 0.
    auto e = user_error([] { load_tech_spec_string(table_with("leakage_nw_per_bit: 1.0", "leakage_nw_per_bit: 1e308"), "t.yaml"); });
    CHECK(e.loc().line == 28);
    CHECK(e.key() == "sram.leakage_nw_per_bit");
    CHECK_THAT(e.message(), Catch::Contains("out of range; expected 0..1e+09"));
    e = user_error([] { load_tech_spec_string(table_with("hbm2: 3.9", "hbm2: 1e300"), "t.yaml"); });
    CHECK(e.key() == "dram_pj_per_bit.hbm2");
    CHECK_NOTHROW(load_tech_spec_string(table_with("leakage_nw_per_bit: 1.0", "leakage_nw_per_bit: 1e9"), "t.yaml"));
  }
  SECTION("zero published point") {
    auto e = user_error([] { load_tech_spec_string(table_with("hbm2: 3.9", "hbm2: 0"), "t.yaml"); });
    CHECK(e.loc().line == 31);
    CHECK(e.key() == "dram_pj_per_bit.hbm2");
  }
  SECTION("bit width out of range") {
    auto e = user_error([] { load_tech_spec_string(table_with("{8: 0.2,", "{80: 0.2,"), "t.yaml"); });
    CHECK(e.loc().line == 7);
    CHECK(e.key() == "int_mul.energy_pj.80");
  }
  SECTION("missing section") {
    auto e = user_error([] { load_tech_spec_string(table_with("dram_pj_per_bit:\n  ddr3: 70\n  hbm2: 3.9\n", ""), "t.yaml"); });
    CHECK_THAT(e.message(), Catch::Contains("dram_pj_per_bit"));
  }
  SECTION("a single point cannot be fitted") {
    auto e = user_error([] { load_tech_spec_string(table_with("{8: 0.2, 32: 3.1}", "{8: 0.2}"), "t.yaml"); });
    CHECK(e.loc().file == "t.yaml");
    CHECK_THAT(e.message(), Catch::Contains("int_mul energy") && Catch::Contains("2 published points"));
  }
  SECTION("malformed YAML") {
    auto e = user_error([] { load_tech_spec_string(table_with("  area_um2: {8: 282, 32: 3495}", "  area_um2: {8: 282, 32: 3495"), "t.yaml"); });
    CHECK(e.loc().file == "t.yaml");
    CHECK(e.loc().line >= 8);
    CHECK_THAT(e.message(), Catch::Contains("malformed YAML"));
  }
  SECTION("missing file") {
    auto e = user_error([] { load_tech(kDir + "nonexistent.yaml"); });
    CHECK(e.loc().file == kDir + "nonexistent.yaml");
    CHECK_THAT(e.message(), Catch::Contains("cannot open"));
  }
  SECTION("derived file: missing base, bad node, misspelt key") {
    auto e = user_error([] { load_tech_spec_string("derive_from: nope.yaml\nnode_nm: 7\n", kDir + "x.yaml"); });
    CHECK(e.loc().line == 1);
    CHECK(e.loc().col == 14);
    CHECK(e.key() == "derive_from");
    e = user_error([] { load_tech_spec_string("derive_from: 45nm.yaml\nnode_nm: 5\n", kDir + "x.yaml"); });
    CHECK(e.loc().line == 2);
    CHECK(e.key() == "node_nm");
    e = user_error([] { load_tech_spec_string("derive_from: 45nm.yaml\nnode_nm: 7\nenergy_factr: 0.1\n", kDir + "x.yaml"); });
    CHECK(e.loc().line == 3);
    CHECK_THAT(e.message(), Catch::Contains("did you mean 'energy_factor'"));
  }
}
