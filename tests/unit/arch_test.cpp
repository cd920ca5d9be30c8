// The arch loader: registry lookups, declared parameters, --set overrides, and every kind of
// bad input reported at its file:line:col with the key and a close match.
#include <catch2/catch.hpp>

#include "sim/config/arch.h"
#include "sim/config/scalesim_cfg.h"
#include "sim/config/yaml_util.h"

using namespace tessera;

namespace {

const char* kSmall = R"(name: small
clock_ghz: 1.0
tech: configs/tech/45nm.yaml
engines:
  - name: array
    type: systolic
    rows: 4
    cols: 4
memory:
  scratchpads:
    - name: spm
      size_kb: 64
      banks: 4
      width_bits: 64
  dram:
    bandwidth_gbps: 8
)";

// Loads `text` and returns the error it raises.
UserError error_of(const std::string& text, const std::vector<std::string>& sets = {}) {
  try {
    load_arch_string(text, "m.yaml", sets);
  } catch (const UserError& e) {
    return e;
  }
  FAIL("expected a UserError");
  return UserError("");
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
  const auto p = s.find(from);
  REQUIRE(p != std::string::npos);
  return s.replace(p, from.size(), to);
}

}  // namespace

TEST_CASE("a small machine loads with defaults filled in", "[arch]") {
  const Arch a = load_arch_string(kSmall, "m.yaml");
  CHECK(a.name == "small");
  REQUIRE(a.engines.size() == 1);
  CHECK(a.engines[0].type == "systolic");
  CHECK(a.engines[0].params.i("rows") == 4);
  CHECK(a.engines[0].params.s("dataflow") == "ws");  // declared default
  CHECK(a.scratchpads[0].model->capacity_bits() == 64u * 1024 * 8);
  CHECK(a.scratchpads[0].model->ports() == 1);
  CHECK(&a.scratchpad_for(Operand::B) == &a.scratchpads[0]);  // holds defaults to a, b, out
  CHECK(a.dram->bandwidth_gbps() == 8.0);
  CHECK(a.dram->latency_ns() == 100.0);
  CHECK(a.dma->channels() == 2);
  CHECK(a.resolved["engines"][0]["cols"] == 4);
  CHECK(a.cycles_from_ns(10.0) == 10);
}

TEST_CASE("the bundled machines load", "[arch]") {
  for (const char* f : {"configs/arch/tpu_like.yaml", "configs/arch/edge_small.yaml", "configs/arch/tpu_v1.yaml",
                        "configs/arch/eyeriss.yaml"}) {
    INFO(f);
    const Arch a = load_arch(std::string(TESSERA_SOURCE_DIR) + "/" + f);
    CHECK(!a.engines.empty());
  }
}

TEST_CASE("the default integer format is the widest every GEMM engine reads", "[arch]") {
  CHECK(load_arch_string(kSmall, "m.yaml").default_int_format() == DType::int8);
  CHECK(load_arch_string(kSmall, "m.yaml", {"engines.0.in_bits=16"}).default_int_format() == DType::int16);
  CHECK(load_arch_string(kSmall, "m.yaml", {"engines.0.in_bits=4"}).default_int_format() == DType::int4);
  // tpu_like: a 128x128 int8 array and a 32-bit vector unit, both of which run GEMM work.
  CHECK(load_arch(std::string(TESSERA_SOURCE_DIR) + "/configs/arch/tpu_like.yaml").default_int_format() == DType::int8);
}

TEST_CASE("overrides (--set) hit a declared key and nothing else", "[arch]") {
  const Arch a = load_arch_string(kSmall, "m.yaml", {"engines.0.rows=8", "memory.dram.latency_ns=5"});
  CHECK(a.engines[0].params.i("rows") == 8);
  CHECK(a.dram->latency_ns() == 5.0);

  UserError e = error_of(kSmall, {"engines.0.rowz=8"});
  CHECK(e.loc().file == "--set");
  CHECK(e.key() == "engines.0.rowz");
  CHECK_THAT(e.message(), Catch::Contains("did you mean 'rows'"));

  e = error_of(kSmall, {"engines.0.rows=0"});
  CHECK(e.loc().file == "--set");
  CHECK_THAT(e.message(), Catch::Contains("1..4096"));

  e = error_of(kSmall, {"engines.3.rows=8"});
  CHECK_THAT(e.message(), Catch::Contains("index 0..0"));

  e = error_of(kSmall, {"memroy.dram.latency_ns=5"});
  CHECK_THAT(e.message(), Catch::Contains("did you mean 'memory'"));

  e = error_of(kSmall, {"rows"});
  CHECK_THAT(e.message(), Catch::Contains("key.path=value"));
}

TEST_CASE("bad arch files name file, line, column, key and a close match", "[arch]") {
  SECTION("misspelt parameter") {
    const UserError e = error_of(replace(kSmall, "    cols: 4", "    colums: 4"));
    CHECK(e.loc().file == "m.yaml");
    CHECK(e.loc().line == 8);
    CHECK(e.loc().col == 5);
    CHECK(e.key() == "engines.0.colums");
    CHECK_THAT(e.message(), Catch::Contains("did you mean 'cols'"));
  }
  SECTION("unknown engine type") {
    const UserError e = error_of(replace(kSmall, "type: systolic", "type: systolc"));
    CHECK(e.loc().line == 6);
    CHECK(e.loc().col == 11);
    CHECK_THAT(e.message(), Catch::Contains("did you mean 'systolic'"));
  }
  SECTION("zero and negative sizes") {
    UserError e = error_of(replace(kSmall, "rows: 4", "rows: 0"));
    CHECK(e.loc().line == 7);
    CHECK(e.key() == "engines.0.rows");
    e = error_of(replace(kSmall, "size_kb: 64", "size_kb: -64"));
    CHECK(e.loc().line == 12);
    CHECK(e.key() == "memory.scratchpads.0.size_kb");
    e = error_of(replace(kSmall, "bandwidth_gbps: 8", "bandwidth_gbps: 0"));
    CHECK(e.key() == "memory.dram.bandwidth_gbps");
  }
  SECTION("a value the engine itself refuses: placed at its key") {
    // tensor_core checks its `shape` when it is built; the loader places the error at the key.
    const std::string tc = replace(replace(kSmall, "type: systolic", "type: tensor_core"), "    rows: 4\n    cols: 4",
                                   "    shape: m16n8\n    sms: 2");
    UserError e = error_of(tc);
    CHECK(e.loc().file == "m.yaml");
    CHECK(e.loc().line == 7);
    CHECK(e.loc().col == 12);
    CHECK(e.key() == "engines.0.shape");
    CHECK_THAT(e.message(), Catch::Contains("not of the form m<M>n<N>k<K>"));
    // Set from the command line: reported against --set, with the full key.
    e = error_of(replace(tc, "    shape: m16n8\n", ""), {"engines.0.shape=m16n8k64"});
    CHECK(e.loc().file == "--set");
    CHECK(e.key() == "engines.0.shape");
    CHECK_THAT(e.message(), Catch::Contains("shape m16n8k64 is no ampere MMA of class fp16"));
  }
  SECTION("wrong type") {
    const UserError e = error_of(replace(kSmall, "rows: 4", "rows: four"));
    CHECK_THAT(e.message(), Catch::Contains("expected an integer"));
    const UserError l = error_of(replace(kSmall, "rows: 4", "rows: [4]"));
    CHECK_THAT(l.message(), Catch::Contains("expected an integer"));
  }
  SECTION("malformed YAML") {
    const UserError e = error_of(replace(kSmall, "rows: 4", "rows: [4"));
    CHECK(e.loc().line > 0);
    CHECK_THAT(e.message(), Catch::Contains("malformed YAML"));
  }
  SECTION("an operand nobody holds") {
    const UserError e = error_of(replace(kSmall, "      width_bits: 64", "      width_bits: 64\n      holds: [a, out]"));
    CHECK_THAT(e.message(), Catch::Contains("operand 'b' must be held by exactly one scratchpad"));
  }
  SECTION("missing tech file") {
    const UserError e = error_of(replace(kSmall, "configs/tech/45nm.yaml", "configs/tech/nope.yaml"));
    CHECK(e.loc().line == 3);
    CHECK(e.key() == "tech");
  }
  SECTION("missing required key") {
    const UserError e = error_of(replace(kSmall, "name: small\n", ""));
    CHECK_THAT(e.message(), Catch::Contains("missing required key 'name'"));
  }
  SECTION("duplicate names") {
    const UserError e = error_of(replace(kSmall, "    - name: spm", "    - name: array"));
    CHECK_THAT(e.message(), Catch::Contains("duplicate"));
  }
  SECTION("DRAM capacity for a technology without device currents") {
    // kSmall's DRAM is lpddr4 (the default): configs/tech/45nm.yaml has no lpddr4 devices.
    const UserError e = error_of(replace(kSmall, "    bandwidth_gbps: 8", "    bandwidth_gbps: 8\n    capacity_gib: 4"));
    CHECK(e.loc().file == "m.yaml");
    CHECK(e.loc().line == 17);
    CHECK(e.loc().col == 19);
    CHECK(e.key() == "memory.dram.capacity_gib");
    CHECK_THAT(e.message(), Catch::Contains("dram_devices") && Catch::Contains("lpddr4") && Catch::Contains("ddr4"));
    CHECK_NOTHROW(load_arch_string(
        replace(kSmall, "    bandwidth_gbps: 8", "    bandwidth_gbps: 8\n    technology: ddr4\n    capacity_gib: 4"), "m.yaml"));
  }
  SECTION("an operand held twice by one scratchpad") {
    const UserError e = error_of(replace(kSmall, "      width_bits: 64", "      width_bits: 64\n      holds: [b, a, b]"));
    CHECK(e.key() == "memory.scratchpads.0.holds");
    CHECK(e.message() == "'b' is listed twice");
  }
  SECTION("DRAM technology without an I/O PHY") {
    // hbm3 is a declared technology the shipped tech library has no figures for.
    const UserError e = error_of(replace(kSmall, "    bandwidth_gbps: 8", "    bandwidth_gbps: 8\n    technology: hbm3"));
    CHECK(e.loc().line == 17);
    CHECK(e.key() == "memory.dram.technology");
    CHECK_THAT(e.message(), Catch::Contains("io_phy") && Catch::Contains("hbm3"));
  }
  SECTION("not a map at all") {
    const UserError e = error_of("- 1\n- 2\n");
    CHECK_THAT(e.message(), Catch::Contains("expected a machine description"));
  }
}

TEST_CASE("a SCALE-Sim .cfg reads as a machine with SCALE-Sim timing", "[arch][scalesim]") {
  const char* cfg = R"([general]
run_name = scale_example

[architecture_presets]
ArrayHeight:    32
ArrayWidth:     16
IfmapSramSzkB:    64
FilterSramSzkB:   32
OfmapSramSzkB:    16
IfmapOffset:    0
FilterOffset:   10000000
OfmapOffset:    20000000
Dataflow : os
Bandwidth : 10
MemoryBanks: 1
)";
  const YAML::Node n = scalesim_cfg_text_to_yaml(cfg, "x.cfg");
  YAML::Emitter out;
  out << n;
  const Arch a = load_arch_string(out.c_str(), "x.cfg");
  CHECK(a.name == "scale_example");
  CHECK(a.engines[0].params.i("rows") == 32);
  CHECK(a.engines[0].params.i("cols") == 16);
  CHECK(a.engines[0].params.s("dataflow") == "os");
  CHECK(a.engines[0].params.s("timing") == "scalesim");
  CHECK(a.scratchpad_for(Operand::A).model->capacity_bits() == 64u * 1024 * 8);
  CHECK(a.scratchpad_for(Operand::B).model->capacity_bits() == 32u * 1024 * 8);
  // 16 K one-byte words in SCALE-Sim; as many 32-bit partial sums here.
  CHECK(a.scratchpad_for(Operand::Out).model->capacity_bits() == 16u * 1024 * 32);
  CHECK(a.dram->bandwidth_gbps() == 100000.0);  // InterfaceBandwidth CALC: never the bottleneck

  // As SCALE-Sim's shipped configs write them: mixed case, a bandwidth list, a topology path.
  const YAML::Node shipped = scalesim_cfg_text_to_yaml(
      "[architecture_presets]\narrayheight: 8\nArrayWidth: 8\nIfmapSramSzkB: 6\nFilterSramSzkB: 6\n"
      "OfmapSramSzkB: 2\nDataflow: ws\nBandwidth : 10,10,10\n[network_presets]\nTopologyCsvLoc: \"./t.csv\"\n"
      "[run_presets]\nInterfaceBandwidth: USER\n",
      "shipped.cfg");
  CHECK(shipped["engines"][0]["rows"].as<int>() == 8);
  CHECK(shipped["memory"]["dram"]["bandwidth_gbps"].as<int>() == 10);

  try {
    scalesim_cfg_text_to_yaml("[architecture_presets]\nArrayHieght: 32\n", "y.cfg");
    FAIL("expected an error");
  } catch (const UserError& e) {
    CHECK(e.loc().line == 2);
    CHECK_THAT(e.message(), Catch::Contains("did you mean 'ArrayHeight'"));
  }
}

// Values SCALE-Sim itself would not run with (its scale_config.py int()s the sizes and the
// bandwidth; v2 only warns on an unknown dataflow, which would silently run os) are errors
// with file:line:col, the key, what was expected and, for a word, the closest choice.
TEST_CASE("a .cfg value SCALE-Sim would reject is an error at its line and key", "[arch][scalesim]") {
  const std::string base =
      "[architecture_presets]\nArrayHeight: 8\nArrayWidth: 8\nIfmapSramSzkB: 64\nFilterSramSzkB: 64\n"
      "OfmapSramSzkB: 64\nDataflow: os\nBandwidth: 10\n[run_presets]\nInterfaceBandwidth: USER\n";
  struct Bad {
    std::string from, to, key, says;
    int line, col;
  };
  const Bad cases[] = {
      {"ArrayWidth: 8", "ArrayWidth: 0", "ArrayWidth", "value 0 is out of range; expected 1..1e+09", 3, 13},
      {"ArrayWidth: 8", "ArrayWidth: 8.5", "ArrayWidth", "expected an integer (1..1e+09), got '8.5'", 3, 13},
      {"IfmapSramSzkB: 64", "IfmapSramSzkB: lots", "IfmapSramSzkB", "expected an integer (1..1e+09), got 'lots'", 4, 16},
      {"Dataflow: os", "Dataflow: wz", "Dataflow", "expected Dataflow os|ws|is, got 'wz' -- did you mean 'ws'?", 7, 11},
      {"Bandwidth: 10", "Bandwidth: -3", "Bandwidth", "value -3 is out of range; expected 1..1e+09", 8, 12},
      {"InterfaceBandwidth: USER", "InterfaceBandwidth: usr", "InterfaceBandwidth",
       "expected InterfaceBandwidth CALC|USER, got 'usr' -- did you mean 'USER'?", 10, 21},
  };
  try {
    scalesim_cfg_text_to_yaml("[architecture_presets]\nArrayWidth: 8\n", "short.cfg");
    FAIL("expected an error");
  } catch (const UserError& e) {
    CHECK(e.formatted() == "short.cfg: key 'ArrayHeight': missing required key 'ArrayHeight' (SCALE-Sim needs it; a positive integer)");
  }
  for (const auto& c : cases) {
    std::string text = base;
    text.replace(text.find(c.from), c.from.size(), c.to);
    INFO(c.to);
    try {
      scalesim_cfg_text_to_yaml(text, "bad.cfg");
      FAIL("expected an error");
    } catch (const UserError& e) {
      CHECK(e.loc().file == "bad.cfg");
      CHECK(e.loc().line == c.line);
      CHECK(e.loc().col == c.col);
      CHECK(e.key() == c.key);
      CHECK(e.message() == c.says);
    }
  }
}

TEST_CASE("a .cfg key or section given twice is an error, as in configparser", "[arch][scalesim]") {
  // Issue 13, item 7: the last ArrayHeight used to win silently; Python's configparser (which
  // SCALE-Sim reads with) raises DuplicateOptionError / DuplicateSectionError. Keys ignore case.
  const std::string base =
      "[architecture_presets]\nArrayHeight: 8\nArrayWidth: 8\nIfmapSramSzkB: 64\nFilterSramSzkB: 64\n"
      "OfmapSramSzkB: 64\nDataflow: os\nBandwidth: 10\n[run_presets]\nInterfaceBandwidth: USER\n";
  CHECK_NOTHROW(scalesim_cfg_text_to_yaml(base, "ok.cfg"));
  try {
    scalesim_cfg_text_to_yaml(base + "[architecture_presets]\nDataflow: ws\n", "twice.cfg");
    FAIL("expected an error");
  } catch (const UserError& e) {
    CHECK(e.loc().line == 11);
    CHECK(e.loc().col == 1);
    CHECK(e.message() == "section [architecture_presets] given twice (first on line 1)");
  }
  std::string dup = base;
  dup.replace(dup.find("ArrayWidth: 8\n"), 14, "ArrayWidth: 8\n  arrayheight: 16\n");
  try {
    scalesim_cfg_text_to_yaml(dup, "dup.cfg");
    FAIL("expected an error");
  } catch (const UserError& e) {
    CHECK(e.loc().line == 4);
    CHECK(e.loc().col == 3);
    CHECK(e.key() == "ArrayHeight");
    CHECK(e.message() == "key 'ArrayHeight' given twice in [architecture_presets] (first on line 2)");
  }
  // The same key in two sections is two keys for configparser.
  CHECK_NOTHROW(scalesim_cfg_text_to_yaml(base + "[general]\nrun_name = a\n[other]\nrun_name = a\n", "two.cfg"));
}

TEST_CASE("a scratchpad smaller than one word per bank is an error", "[arch]") {
  // Issue 13, item 7: 1 KiB in 1024 banks of 8192-bit words was accepted and priced at 253 mm2.
  const UserError e = error_of(replace(kSmall, "      size_kb: 64\n      banks: 4\n", "      size_kb: 1\n      banks: 1024\n"));
  CHECK(e.key() == "memory.scratchpads.0.banks");
  CHECK(e.loc().line == 13);
  CHECK_THAT(e.message(), Catch::Contains("1024 banks of 64-bit words need at least 8 KiB (one word per bank), more than size_kb 1"));
  CHECK_NOTHROW(load_arch_string(replace(kSmall, "      size_kb: 64\n      banks: 4\n", "      size_kb: 8\n      banks: 1024\n"), "m.yaml"));
}

TEST_CASE("a key with no value is an error, not the default", "[arch]") {
  // `rows:` with nothing after it used to mean the default (128), halving edge_small's cycles.
  const UserError e = error_of(replace(kSmall, "    rows: 4\n", "    rows:\n"));
  CHECK(e.key() == "engines.0.rows");
  CHECK(e.loc().line == 7);
  CHECK_THAT(e.message(), Catch::Contains("'rows' has no value: expected integer"));
  CHECK_THAT(e.message(), Catch::Contains("leave the key out for the default, 128"));
}

TEST_CASE("an accumulator holds partial sums: one at most, apart from the outputs", "[arch][acc]") {
  const std::string acc = replace(kSmall, "      width_bits: 64\n",
                                  "      width_bits: 64\n      holds: [a, b, out]\n    - {name: acc, size_kb: 16, holds: [psum]}\n");
  const Arch a = load_arch_string(acc, "m.yaml");
  CHECK(a.accumulator() == 1);
  CHECK(load_arch_string(kSmall, "m.yaml").accumulator() == -1);
  // Partial sums held with the outputs are the machine without an accumulator.
  CHECK(load_arch_string(replace(kSmall, "      width_bits: 64\n", "      width_bits: 64\n      holds: [a, b, out, psum]\n"), "m.yaml")
            .accumulator() == -1);
  const UserError two = error_of(replace(acc, "holds: [a, b, out]", "holds: [a, b, out, psum]"));
  CHECK_THAT(two.message(), Catch::Contains("one scratchpad (the accumulator), found 2"));
  const UserError typo = error_of(replace(acc, "[psum]", "[psun]"));
  CHECK_THAT(typo.message(), Catch::Contains("did you mean 'psum'"));
  CHECK(typo.key() == "memory.scratchpads.1.holds");
  CHECK(typo.loc().line == 16);
}

TEST_CASE("yaml_top_keys reads top-level keys only, without a tree", "[arch][yaml]") {
  // validate classifies files with it (issue 13, item 15: a tree of a 100,000-operator workload
  // is 1 GB). Keys of nested maps, values, and keys not wanted do not count.
  const std::vector<std::string> wanted{"engines", "ops", "mapping"};
  CHECK(yaml_top_keys("name: x\nops: []\n", wanted) == std::vector<std::string>{"ops"});
  CHECK(yaml_top_keys("name: {ops: 1}\nkind: mapping\nlist: [engines]\n", wanted).empty());
  CHECK(yaml_top_keys("a:\n  b:\n    engines: 1\nmapping: []\n", wanted) == std::vector<std::string>{"mapping"});
  CHECK(yaml_top_keys("{name: x, engines: []}", wanted) == std::vector<std::string>{"engines"});
  CHECK(yaml_top_keys("? [engines]\n: 1\nops: 2\n", wanted) == std::vector<std::string>{"ops"});
  CHECK(yaml_top_keys("- ops\n- engines\n", wanted).empty());
  CHECK(yaml_top_keys("ops: [unclosed\n", wanted) == std::vector<std::string>{"ops"});  // stops before the error
  CHECK(yaml_top_keys("name: [unclosed\nops: 1\n", wanted).empty());                    // not YAML
}
