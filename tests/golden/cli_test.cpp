// The tessera command line end to end: exit codes, messages, reports, determinism.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace {

struct Result {
  int code;
  std::string out;  // stdout and stderr
};

// Runs `script` in /bin/sh with stderr joined to stdout; its exit code and output.
Result run_shell(const std::string& script) {
  FILE* p = popen((script + " 2>&1").c_str(), "r");
  REQUIRE(p);
  std::string out;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int status = pclose(p);
  return {WEXITSTATUS(status), out};
}

Result tessera(const std::string& args) { return run_shell(std::string(TESSERA_BINARY_DIR) + "/tessera " + args); }

fs::path temp_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("tessera_cli_test_" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write(const fs::path& p, const std::string& text) { std::ofstream(p) << text; }

const std::string kArch = std::string(TESSERA_SOURCE_DIR) + "/configs/arch/tpu_like.yaml";

}  // namespace

TEST_CASE("run writes a complete, deterministic report", "[cli]") {
  const fs::path d1 = temp_dir("run1"), d2 = temp_dir("run2");
  const Result r1 = tessera("run --arch " + kArch + " --workload resnet50 --out " + d1.string());
  REQUIRE(r1.code == 0);
  CHECK_THAT(r1.out, Catch::Contains("total cycles"));
  CHECK_THAT(r1.out, Catch::Contains("energy by component"));
  CHECK_THAT(r1.out, Catch::Contains("area by component"));
  CHECK_THAT(r1.out, Catch::Contains("slowest operators"));
  REQUIRE(tessera("run --arch " + kArch + " --workload resnet50 --format json --out " + d2.string()).code == 0);

  auto j1 = nlohmann::json::parse(read(d1 / "report.json"));
  auto j2 = nlohmann::json::parse(read(d2 / "report.json"));
  CHECK(j1["schema_version"] == 2);
  CHECK(j1["tessera"]["commit"].is_string());
  CHECK(j1["arch"]["engines"][0]["rows"] == 128);
  // The workload's exact GEMM MACs (see tests/golden/workload_macs_test.cpp), all on the array.
  CHECK(j1["totals"]["gemm_macs"] == 4089184256ull);
  CHECK(j1["workload"]["gemm_macs"] == 4089184256ull);
  const auto& ops = j1["operators"];
  REQUIRE(ops.size() > 100);
  uint64_t first = UINT64_MAX, last = 0, busy = 0;
  for (const auto& o : ops) {
    CHECK(o["total_cycles"].get<uint64_t>() == o["compute_cycles"].get<uint64_t>() + o["stall_cycles"].get<uint64_t>());
    CHECK(o["total_cycles"].get<uint64_t>() == o["end_cycle"].get<uint64_t>() - o["start_cycle"].get<uint64_t>());
    CHECK((o["bound"] == "compute" || o["bound"] == "memory"));
    first = std::min(first, o["start_cycle"].get<uint64_t>());
    last = std::max(last, o["end_cycle"].get<uint64_t>());
    busy += o["compute_cycles"].get<uint64_t>();
  }
  // Operators overlap: the run spans the first start to the last end.
  CHECK(first == 0);
  CHECK(last == j1["totals"]["cycles"].get<uint64_t>());
  uint64_t engines_busy = 0;
  for (const auto& [name, cycles] : j1["totals"]["engine_busy_cycles"].items()) engines_busy += cycles.get<uint64_t>();
  CHECK(busy == engines_busy);
  // Chip-level items are components of their own, and the components sum to the totals.
  const auto& t = j1["totals"];
  double energy = 0, area = 0;
  for (const auto& [name, pj] : t["energy_by_component_pj"].items()) energy += pj.get<double>();
  for (const auto& [name, um2] : t["area_by_component_um2"].items()) area += um2.get<double>();
  CHECK(energy == Approx(t["energy_pj"].get<double>()));
  CHECK(area == Approx(t["area_um2"].get<double>()));
  for (const char* k : {"clock_tree", "control", "leakage", "dram.background", "dram.refresh", "io_phy"})
    CHECK(t["energy_by_component_pj"][k].get<double>() > 0);  // tpu_like has 8 GiB of DDR4
  for (const char* k : {"placement", "clock_tree", "control", "io_phy"}) CHECK(t["area_by_component_um2"][k].get<double>() > 0);
  CHECK(t["power_mw"].get<double>() > t["idle_power_mw"].get<double>());
  CHECK(t["idle_power_mw"].get<double>() > t["clock_tree_mw"].get<double>());
  CHECK_THAT(r1.out, Catch::Contains("idle") && Catch::Contains("dram.background"));
  j1.erase("wall_time_s");
  j2.erase("wall_time_s");
  CHECK(j1 == j2);
  CHECK(read(d1 / "operators.csv") == read(d2 / "operators.csv"));
  CHECK(fs::exists(d1 / "mapping.yaml"));
  CHECK_FALSE(fs::exists(d1 / "report.json.partial"));

  // The mapping it wrote runs back to the same cycles.
  const fs::path d3 = temp_dir("run3");
  REQUIRE(tessera("run --arch " + kArch + " --workload resnet50 --mapping " + (d1 / "mapping.yaml").string() +
                  " --format json --out " + d3.string()).code == 0);
  CHECK(nlohmann::json::parse(read(d3 / "report.json"))["totals"]["cycles"] == j2["totals"]["cycles"]);
}

TEST_CASE("csv output and --set", "[cli]") {
  const fs::path d = temp_dir("csv");
  const Result r = tessera("run --arch " + kArch + " --workload mobilenet_v2 --format csv --set engines.0.rows=64 --out " + d.string());
  REQUIRE(r.code == 0);
  CHECK(r.out.rfind("name,kind,engine,", 0) == 0);
  CHECK(nlohmann::json::parse(read(d / "report.json"))["arch"]["engines"][0]["rows"] == 64);
}

TEST_CASE("bad input: one message, exit code 2, no report", "[cli]") {
  const fs::path d = temp_dir("bad");
  write(d / "bad.yaml", "name: bad\nengines:\n  - type: systolic\n    colums: 4\nmemory: {}\n");
  Result r = tessera("run --arch " + (d / "bad.yaml").string() + " --workload resnet50 --out " + (d / "out").string());
  CHECK(r.code == 2);
  CHECK_THAT(r.out, Catch::Contains("bad.yaml:4:5: key 'engines.0.colums': unknown key 'colums' -- did you mean 'cols'?"));
  CHECK_FALSE(fs::exists(d / "out" / "report.json"));

  r = tessera("run --arch " + kArch + " --workload resnet5O");
  CHECK(r.code == 2);
  CHECK_THAT(r.out, Catch::Contains("resnet50"));

  r = tessera("run --arch " + kArch + " --workload resnet50 --set engines.0.rows=-1");
  CHECK(r.code == 2);
  CHECK_THAT(r.out, Catch::Contains("--set"));

  write(d / "cycle.yaml", "name: c\ntensors:\n  a: {shape: [2, 2]}\n  b: {shape: [2, 2]}\nops:\n"
                          "  - {name: x, kind: elementwise, op: relu, inputs: [a], outputs: [b]}\n"
                          "  - {name: y, kind: elementwise, op: relu, inputs: [b], outputs: [a]}\n");
  r = tessera("run --arch " + kArch + " --workload " + (d / "cycle.yaml").string());
  CHECK(r.code == 2);
  CHECK_THAT(r.out, Catch::Contains("cycle.yaml:"));

  write(d / "bad.csv", "Layer, M, N, K,\nfc1, 16, x, 4,\n");
  r = tessera("run --arch " + kArch + " --workload " + (d / "bad.csv").string());
  CHECK(r.code == 2);
  CHECK_THAT(r.out, Catch::Contains("bad.csv:2:"));

  r = tessera("run --arch " + d.string() + " --workload resnet50");
  CHECK(r.code == 2);
  CHECK_THAT(r.out, Catch::Contains("is a directory"));

  write(d / "empty.yaml", "");
  r = tessera("run --arch " + (d / "empty.yaml").string() + " --workload resnet50");
  CHECK(r.code == 2);
  CHECK_THAT(r.out, Catch::Contains("expected a machine description"));

  r = tessera("run --arch " + kArch);
  CHECK(r.code == 2);
  r = tessera("list engins");
  CHECK(r.code == 2);
  CHECK_THAT(r.out, Catch::Contains("did you mean 'engines'"));

  // A runaway plan is refused before it simulates (issue 13, item 3): mlp0 on tpu_like has
  // 80 tile steps with the default mapper (fc0 alone 16): --max-tiles 80 runs, 79 does not.
  r = tessera("run --arch " + kArch + " --workload mlp0 --max-tiles 79 --out " + (d / "many").string());
  CHECK(r.code == 2);
  CHECK_THAT(r.out, Catch::Contains("key '--max-tiles': the plan has 80 tile steps, more than --max-tiles 79"));
  CHECK_FALSE(fs::exists(d / "many"));
  r = tessera("run --arch " + kArch + " --workload mlp0 --max-tiles 80 --out " + (d / "many").string());
  CHECK(r.code == 0);

  // A negative seed is refused, not wrapped to 2^64 - 5 (issue 13, item 7).
  r = tessera("cosim --arch " + kArch + " --op gemm:M=2,N=2,K=2 --count 1 --seed -5");
  CHECK(r.code == 2);
  CHECK_THAT(r.out, Catch::Contains("--seed: expected a non-negative integer, got -5"));
  r = tessera("map --arch " + kArch + " --workload mlp0 --mapper random --seed -1");
  CHECK(r.code == 2);
  r = tessera("run --arch " + kArch + " --workload mlp0 --data -3 --out " + (d / "neg").string());
  CHECK(r.code == 2);
  CHECK_FALSE(fs::exists(d / "neg"));

  // An engine timed by its data cannot run at pe fidelity without data.
  const std::string ts = std::string(TESSERA_SOURCE_DIR) + "/tests/data/cosim_termserial.yaml";
  const std::string cnn3 = std::string(TESSERA_SOURCE_DIR) + "/tests/data/cnn3.yaml";
  r = tessera("run --arch " + ts + " --workload " + cnn3 + " --fidelity pe --out " + (d / "ts").string());
  CHECK(r.code == 2);
  CHECK_THAT(r.out, Catch::Contains("error: pe fidelity: engine 'array' (termserial, runs 'conv1') times tiles by "
                                    "their data; add --data SEED"));
  CHECK_FALSE(fs::exists(d / "ts"));
  r = tessera("run --arch " + ts + " --workload " + cnn3 + " --fidelity pe --data 1 --out " + (d / "ts").string());
  CHECK(r.code == 0);
}

TEST_CASE("validate and list", "[cli]") {
  std::string files;
  for (const auto& dir : {"configs/arch", "workloads", "configs/tech"})
    for (const auto& e : fs::directory_iterator(std::string(TESSERA_SOURCE_DIR) + "/" + dir)) files += " " + e.path().string();
  const Result r = tessera("validate" + files);
  INFO(r.out);
  CHECK(r.code == 0);
  CHECK_THAT(r.out, Catch::Contains("ok  "));
  const Result e = tessera("list engines");
  CHECK(e.code == 0);
  CHECK_THAT(e.out, Catch::Contains("engine systolic"));
  CHECK_THAT(e.out, Catch::Contains("engine vector"));
  CHECK_THAT(e.out, Catch::Contains("acc_bits"));
  CHECK(tessera("list memories").out.find("bandwidth_gbps") != std::string::npos);
  CHECK(tessera("list workloads").out.find("resnet50") != std::string::npos);
  CHECK(tessera("list tech").code == 0);
  CHECK(tessera("list ops").out.find("conv2d") != std::string::npos);
}

TEST_CASE("docs/parameters.md is what the declarations say", "[cli][docs]") {
  const Result r = tessera("list all --markdown");
  REQUIRE(r.code == 0);
  INFO("regenerate with: build/tessera list all --markdown > docs/parameters.md");
  CHECK(r.out == read(std::string(TESSERA_SOURCE_DIR) + "/docs/parameters.md"));
}

TEST_CASE("a SCALE-Sim config and topology run as given", "[cli][scalesim]") {
  const fs::path d = temp_dir("scalesim");
  write(d / "scale.cfg", "[general]\nrun_name = tiny\n[architecture_presets]\nArrayHeight: 8\nArrayWidth: 8\n"
                         "IfmapSramSzkB: 64\nFilterSramSzkB: 64\nOfmapSramSzkB: 64\nDataflow: os\n");
  write(d / "topo.csv", "Layer, M, N, K,\nfc1, 16, 8, 8,\n");
  const Result r = tessera("run --arch " + (d / "scale.cfg").string() + " --workload " + (d / "topo.csv").string() +
                           " --format json --out " + (d / "out").string());
  INFO(r.out);
  REQUIRE(r.code == 0);
  const auto j = nlohmann::json::parse(read(d / "out" / "report.json"));
  // SCALE-Sim os: Fr*Fc*(T + R + C - 2) - 1 with Sr = M = 16, Sc = N = 8, T = K = 8 on 8x8:
  // 2 * 1 * (8 + 8 + 8 - 2) - 1 = 43 compute cycles.
  CHECK(j["operators"][0]["compute_cycles"] == 43);
}

TEST_CASE("every subcommand is registered, in --help order", "[cli]") {
  const Result r = tessera("--help");
  REQUIRE(r.code == 0);
  size_t at = 0;
  for (const char* name : {"\n  run ", "\n  map ", "\n  validate ", "\n  list ", "\n  cosim "}) {
    INFO(name << r.out);
    const size_t found = r.out.find(name, at);
    REQUIRE(found != std::string::npos);
    at = found;
  }
}

// --dataflow is checked against the chosen engine's capabilities().dataflows (default first),
// not a list in the CLI. The engine's dataflows are read from what cosim runs without --dataflow
// (one line per dataflow, in the engine's order); --set reorders them, and the message follows.
TEST_CASE("cosim --dataflow names the engine's own dataflows", "[cli][cosim]") {
  const std::string arch = std::string(TESSERA_SOURCE_DIR) + "/tests/data/cosim_8x8.yaml";
  std::vector<std::string> lists;
  for (const std::string set : {"", " --set engines.0.dataflow=os", " --set engines.0.dataflow=is"}) {
    const Result all = tessera("cosim --arch " + arch + set + " --op gemm:M=2,N=2,K=2");
    INFO(all.out);
    REQUIRE(all.code == 0);
    std::vector<std::string> dataflows;
    std::istringstream lines(all.out);
    for (std::string line; std::getline(lines, line);)
      if (const auto colon = line.find(": 1 tiles ok"); colon != std::string::npos) dataflows.push_back(line.substr(0, colon));
    REQUIRE(dataflows.size() > 1);
    std::string list;
    for (const auto& d : dataflows) list += (list.empty() ? "" : "|") + d;
    lists.push_back(list);

    const Result r = tessera("cosim --arch " + arch + set + " --op gemm:M=2,N=2,K=2 --dataflow " + dataflows[0] + "x");
    INFO(r.out);
    CHECK(r.code == 2);
    CHECK(r.out == "error: key '--dataflow': engine 'array' (systolic) has no dataflow '" + dataflows[0] +
                       "x' -- did you mean '" + dataflows[0] + "'?; expected one of " + list + "\n");
  }
  CHECK(lists[0] != lists[1]);  // the engine's order, which no fixed list in the CLI can follow
  CHECK(lists[1] != lists[2]);

  const Result one = tessera("cosim --arch " + arch + " --op gemm:M=2,N=2,K=2 --dataflow " + lists[0].substr(lists[0].rfind('|') + 1));
  INFO(one.out);
  CHECK(one.code == 0);
  CHECK(std::count(one.out.begin(), one.out.end(), '\n') == 2);  // the header and that one dataflow
}

namespace {
// Runs `script` in /bin/sh with TESSERA set to the binary.
Result shell(const std::string& script) {
  return run_shell("TESSERA=" + std::string(TESSERA_BINARY_DIR) + "/tessera; " + script);
}

const std::string kEdge = std::string(TESSERA_SOURCE_DIR) + "/configs/arch/edge_small.yaml";

// Writes `text` to `path` and runs `tessera validate` on it.
Result validate_text(const fs::path& path, const std::string& text) {
  write(path, text);
  return tessera("validate " + path.string());
}
}  // namespace

// Output goes through what it should write through and never replaces it (issue "Hostile
// input and safe output", items 1 and 12).
TEST_CASE("output is written through symlinks and devices; a directory or a full disk is an error", "[cli][output]") {
  const fs::path d = temp_dir("write_through");
  write(d / "target", "old\n");
  fs::create_symlink(d / "target", d / "link");
  const Result link = tessera("map --arch " + kEdge + " --workload resnet50 -o " + (d / "link").string());
  INFO(link.out);
  REQUIRE(link.code == 0);
  CHECK(fs::is_symlink(d / "link"));
  CHECK(read(d / "target").rfind("# tessera mapping", 0) == 0);

  fs::create_directories(d / "dir");
  const Result dir = tessera("map --arch " + kEdge + " --workload resnet50 -o " + (d / "dir").string());
  CHECK(dir.code == 2);
  CHECK(dir.out == "error: " + (d / "dir").string() + ": is a directory; expected a file to write\n");
  size_t entries = 0;
  for (const auto& e : fs::directory_iterator(d)) entries += e.path().filename() != "" ? 1 : 0;
  CHECK(entries == 3);  // target, link, dir: no temporary left behind

  if (fs::is_character_file("/dev/full")) {
    const Result full = tessera("map --arch " + kEdge + " --workload resnet50 -o /dev/full");
    CHECK(full.code == 2);
    CHECK(full.out.find("error: /dev/full: write failed") != std::string::npos);
    CHECK(fs::is_character_file("/dev/full"));
    const Result out = shell("$TESSERA run --arch " + kEdge + " --workload resnet50 --out " + (d / "o").string() +
                             " --format json > /dev/full");
    CHECK(out.code == 2);
  }
}

// Runs into one --out publish whole sets (items 4 and 5): report.json, operators.csv and
// mapping.yaml always come from one run, and a failed run leaves the previous set whole.
TEST_CASE("concurrent runs into one --out leave one run's complete set", "[cli][output]") {
  const fs::path d = temp_dir("concurrent");
  const std::string out = (d / "o").string();
  for (int pair = 0; pair < 8; ++pair) {
    const Result r = shell("$TESSERA run --arch " + kEdge + " --workload resnet50 --out " + out +
                           " > /dev/null & $TESSERA run --arch " + kEdge + " --workload mobilenet_v2 --out " + out +
                           " > /dev/null; s=$?; wait $! || exit 1; exit $s");
    INFO(r.out);
    REQUIRE(r.code == 0);
    const auto j = nlohmann::json::parse(read(fs::path(out) / "report.json"));
    const std::string name = j["workload"]["name"];
    CHECK(read(fs::path(out) / "mapping.yaml").find("\nworkload: " + name + "\n") != std::string::npos);
    const std::string csv = read(fs::path(out) / "operators.csv");
    CHECK(static_cast<size_t>(std::count(csv.begin(), csv.end(), '\n')) == 1 + j["operators"].size());
    size_t files = 0;
    for (const auto& e : fs::directory_iterator(out)) files += e.path().filename().string()[0] != '.' ? 1 : 0;
    CHECK(files == 3);  // no temporaries left
  }
  // A run that fails leaves the last complete set as it was.
  const std::string before = read(fs::path(out) / "report.json");
  write(d / "bad.yaml", "mapping:\n  - {op: nope, engine: array}\n");
  const Result bad = tessera("run --arch " + kEdge + " --workload resnet50 --mapping " + (d / "bad.yaml").string() +
                             " --out " + out);
  CHECK(bad.code == 2);
  CHECK(read(fs::path(out) / "report.json") == before);
  // A run that fails while publishing (here mapping.yaml cannot be replaced: it is a directory
  // now) leaves no report.json beside its new operators.csv: the old report went first.
  fs::remove(fs::path(out) / "mapping.yaml");
  fs::create_directories(fs::path(out) / "mapping.yaml" / "x");
  const Result broken = tessera("run --arch " + kEdge + " --workload resnet50 --out " + out);
  CHECK(broken.code == 2);
  CHECK(broken.out.find("mapping.yaml: is a directory") != std::string::npos);
  CHECK(!fs::exists(fs::path(out) / "report.json"));
}

// Item 6: names cannot steer the default output directory out of out/.
TEST_CASE("a machine name with path separators stays one directory under out/", "[cli][output]") {
  const fs::path d = temp_dir("escape");
  std::string arch = read(kEdge);
  arch.replace(arch.find("name: edge_small"), std::string("name: edge_small").size(), "name: \"../../x\\ny\"");
  write(d / "a.yaml", arch);
  const Result r = shell("cd " + d.string() + " && $TESSERA run --arch a.yaml --workload resnet50");
  INFO(r.out);
  REQUIRE(r.code == 0);
  CHECK(fs::exists(d / "out" / "_.._.._x_y-resnet50" / "report.json"));
  CHECK(!fs::exists(d / ".." / "x"));
}

// Items 2 and 10: names are bytes as given. A Latin-1 layer name runs (JSON gets U+FFFD for the
// invalid byte, the other outputs keep it), and names with commas and quotes are quoted in CSV
// (RFC 4180), so operators.csv keeps one row per operator.
TEST_CASE("odd names: non-UTF-8 bytes run, CSV fields are quoted", "[cli][output]") {
  const fs::path d = temp_dir("names");
  write(d / "lat.csv", "Layer, M, N, K,\nfc\xe9" "1, 16, 8, 8,\n");
  const Result lat = tessera("run --arch " + kEdge + " --workload " + (d / "lat.csv").string() + " --out " +
                             (d / "lat").string() + " --format json");
  INFO(lat.out);
  REQUIRE(lat.code == 0);
  const auto j = nlohmann::json::parse(read(d / "lat" / "report.json"));
  CHECK(j["operators"][0]["name"] == "fc\xef\xbf\xbd" "1");  // U+FFFD
  CHECK(read(d / "lat" / "operators.csv").find("\nfc\xe9" "1,gemm,") != std::string::npos);

  write(d / "q.yaml",
        "name: g\ntensors:\n  x: {shape: [4, 4], role: input}\n  w: {shape: [4, 4], role: weight}\n"
        "  y: {shape: [4, 4], role: output}\nops:\n  - {name: \"a,\\\"b\\\"\\nc\", kind: gemm, inputs: [x, w], outputs: [y]}\n");
  const Result q = tessera("run --arch " + kEdge + " --workload " + (d / "q.yaml").string() + " --out " +
                           (d / "q").string() + " --format csv");
  INFO(q.out);
  REQUIRE(q.code == 0);
  const std::string csv = read(d / "q" / "operators.csv");
  CHECK(csv.substr(csv.find('\n') + 1, 12) == "\"a,\"\"b\"\"\nc\",");
  CHECK(q.out.find("\n\"a,\"\"b\"\"\nc\",gemm,array,") != std::string::npos);  // --format csv too
}

// Item 13 (and 9): inputs are regular files. A device or FIFO is refused at once with the path
// (not read forever, not waited on), also when an arch names it as its tech file.
TEST_CASE("devices and FIFOs as inputs are refused, not read", "[cli][output]") {
  const fs::path d = temp_dir("special");
  const Result zero = tessera("validate /dev/zero");
  CHECK(zero.code == 2);
  CHECK(zero.out.find("error: /dev/zero: is not a regular file") != std::string::npos);
  REQUIRE(::mkfifo((d / "fifo").c_str(), 0600) == 0);
  const Result fifo = tessera("validate " + (d / "fifo").string());
  CHECK(fifo.code == 2);
  CHECK(fifo.out.find("is not a regular file") != std::string::npos);
  std::string arch = read(kEdge);
  const size_t tech = arch.find("tech: ");
  arch.replace(tech, arch.find('\n', tech) - tech, "tech: /dev/zero");
  const Result via = validate_text(d / "a.yaml", arch);
  CHECK(via.code == 2);
  CHECK(via.out.find("key 'tech': tech file '/dev/zero': is not a regular file") != std::string::npos);
}

// Item 7 (first part): a repeated key in any YAML input (arch, tech, mapping, workload) is an
// error at the second one; yaml-cpp alone would keep the first and drop the second.
TEST_CASE("a repeated YAML key is an error in every kind of file", "[cli][output]") {
  const fs::path d = temp_dir("dupkeys");
  std::string arch = read(kEdge);
  const size_t at = arch.find("    type: systolic");
  REQUIRE(at != std::string::npos);
  arch.insert(at, "    rows: 4\n");
  const int line = 1 + static_cast<int>(std::count(arch.begin(), arch.begin() + static_cast<long>(arch.find("    rows:", at + 12)), '\n'));
  const Result a = validate_text(d / "a.yaml", arch);
  CHECK(a.code == 2);
  CHECK(a.out.find((d / "a.yaml").string() + ":" + std::to_string(line) +
                   ":5: key 'engines.0.rows': key 'rows' appears twice") != std::string::npos);
  const Result m = validate_text(d / "m.yaml", "mapping:\n  - {op: a, engine: x, engine: y}\n");
  CHECK(m.code == 2);
  CHECK(m.out == "error: " + (d / "m.yaml").string() + ":2:24: key 'mapping.0.engine': key 'engine' appears twice\n");
  const Result t =
      validate_text(d / "t.yaml", read(std::string(TESSERA_SOURCE_DIR) + "/configs/tech/45nm.yaml") + "node_nm: 45\n");
  CHECK(t.code == 2);
  CHECK(t.out.find("key 'node_nm' appears twice") != std::string::npos);
}

// Every DRAM technology the shipped tech library prices per bit also has its PHY, so a machine
// on it runs (without capacity_gib where there are no device currents).
TEST_CASE("machines on every priced DRAM technology run", "[cli]") {
  const fs::path d = temp_dir("dram_tech");
  for (const char* t : {"ddr3", "ddr4", "lpddr4", "gddr5", "gddr6", "hbm2"}) {
    std::string arch = read(kEdge);
    const size_t at = arch.find("technology: lpddr4");
    REQUIRE(at != std::string::npos);
    arch.replace(at, std::string("technology: lpddr4").size(), std::string("technology: ") + t);
    write(d / "a.yaml", arch);
    const Result r = tessera("run --arch " + (d / "a.yaml").string() + " --workload resnet50 --out " + (d / t).string());
    INFO(t << ": " << r.out);
    CHECK(r.code == 0);
  }
}

// tessera map --mapper ilp: the mapping runs, --stats says how each operator was mapped, and on
// tpu_like the ILP's whole-network run is faster than the default mapper's (ResNet-50: the
// numbers in docs/mapper-study.md); run --mapper ilp gives the same run in one go.
TEST_CASE("map --mapper ilp: stats, a mapping that runs, faster than the default", "[cli][mapper]") {
  const fs::path d = temp_dir("ilp");
  const std::string w = " --workload mobilenet_v2";
  // A generous time limit: optimality, not this machine's speed, is what is checked.
  const Result m = tessera("map --arch " + kArch + w + " --mapper ilp --time-limit 60 --stats " + (d / "s.json").string() + " -o " +
                           (d / "m.yaml").string());
  REQUIRE(m.code == 0);
  const auto stats = nlohmann::json::parse(read(d / "s.json"));
  CHECK(stats["mapper"] == "ilp");
  int gemms = 0;
  for (const auto& it : stats["items"]) {
    const std::string how = it["how"];
    CHECK((how == "optimal" || how == "vector" || how == "fused"));
    gemms += how == "optimal";
  }
  CHECK(gemms == stats["gemm_items"].get<int>());
  CHECK(gemms > 50);
  const Result ilp = tessera("run --arch " + kArch + w + " --mapping " + (d / "m.yaml").string() + " --format json --out " + (d / "a").string());
  const Result one = tessera("run --arch " + kArch + w + " --mapper ilp --time-limit 60 --format json --out " + (d / "b").string());
  const Result def = tessera("run --arch " + kArch + w + " --format json --out " + (d / "c").string());
  REQUIRE(ilp.code == 0);
  REQUIRE(one.code == 0);
  REQUIRE(def.code == 0);
  const auto cycles = [&](const char* sub) {
    return nlohmann::json::parse(read(d / sub / "report.json"))["totals"]["cycles"].get<uint64_t>();
  };
  CHECK(cycles("a") == cycles("b"));
  CHECK(cycles("a") < cycles("c"));

  const Result bad = tessera("map --arch " + kArch + w + " --mapper ilpp");
  CHECK(bad.code == 2);
  CHECK(bad.out.find("--mapper") != std::string::npos);
  CHECK(tessera("map --arch " + kArch + w + " --mapper ilp --time-limit 0").code == 2);
}

// A convolution tiled in its own dimensions (conv_tile: N K C P Q R S, blocks gathered from the
// im2col matrix, ragged in every dimension) computes exactly what the im2col tiling computes,
// at the tile and PE fidelities, which agree on its cycles; a conv_tile on a GEMM is an error.
TEST_CASE("conv_tile: convolutions tiled in N K C P Q R S compute the same tensors", "[cli][mapping]") {
  const std::string src = std::string(TESSERA_SOURCE_DIR);
  const std::string arch = src + "/configs/arch/edge_small.yaml", wl = src + "/tests/data/cnn3.yaml";
  const fs::path d = temp_dir("conv_tile");
  const fs::path mapping = d / "conv.yaml";
  {
    std::ofstream f(mapping);
    f << "mapping:\n"
         "  - {op: conv1, engine: array, dataflow: os, loop_order: nkm, conv_tile: {N: 1, K: 5, C: 2, P: 5, Q: 7, R: 2, S: 3}}\n"
         "  - {op: conv2, engine: array, dataflow: ws, loop_order: kmn, conv_tile: {N: 1, K: 16, C: 5, P: 4, Q: 3, R: 3, S: 1}}\n"
         "  - {op: fc, engine: array, dataflow: is, loop_order: mkn, conv_tile: {K: 4, C: 7, P: 2, Q: 5}}\n";
  }
  auto run = [&](const std::string& extra, const std::string& out) {
    const Result r = tessera("run --arch " + arch + " --workload " + wl + " --data 7 --format json --out " + (d / out).string() + extra);
    REQUIRE(r.code == 0);
    return nlohmann::json::parse(read(d / out / "report.json"));
  };
  const auto im2col = run("", "a"), blocks = run(" --mapping " + mapping.string(), "b"),
             blocks_pe = run(" --mapping " + mapping.string() + " --fidelity pe", "c");
  CHECK(im2col["data"]["checksums"] == blocks["data"]["checksums"]);
  CHECK(blocks["data"]["checksums"] == blocks_pe["data"]["checksums"]);
  CHECK(blocks["totals"]["cycles"] == blocks_pe["totals"]["cycles"]);
  CHECK(blocks["totals"]["cycles"] != im2col["totals"]["cycles"]);  // a different tiling, really used
  // The mapping file round-trips the block.
  CHECK_THAT(read(d / "b" / "mapping.yaml"), Catch::Contains("conv_tile: {N: 1, K: 5, C: 2, P: 5, Q: 7, R: 2, S: 3}"));

  std::ofstream(d / "bad.yaml") << "mapping:\n  - {op: g, engine: array, dataflow: os, conv_tile: {K: 4}}\n";
  std::ofstream(d / "g.yaml") << "name: g\ndtype: int8\ntensors:\n  x: {shape: [8, 8], role: input}\n"
                                 "  w: {shape: [8, 8], role: weight}\n  y: {shape: [8, 8], role: output}\n"
                                 "ops:\n  - {name: g, kind: gemm, inputs: [x, w], outputs: [y]}\n";
  const Result bad = tessera("run --arch " + arch + " --workload " + (d / "g.yaml").string() + " --mapping " + (d / "bad.yaml").string());
  CHECK(bad.code == 2);
  CHECK_THAT(bad.out, Catch::Contains("'g' is not a convolution"));
  CHECK_THAT(bad.out, Catch::Contains("bad.yaml:2"));
}

TEST_CASE("ONNX workloads on the command line: run, --dim, --dtype, list ops --onnx", "[cli][onnx]") {
  const fs::path d = temp_dir("onnx");
  REQUIRE(run_shell(std::string(TESSERA_DEBIAN_PYTHON) + " " + TESSERA_SOURCE_DIR + "/tools/onnx/make_test_models.py " +
                    d.string())
              .code == 0);
  const std::string att = (d / "attention.onnx").string();
  const Result ok = tessera("run --arch " + kArch + " --workload " + att + " --dim batch=1 --format csv --out " +
                            (d / "out").string());
  CHECK(ok.code == 0);
  CHECK(ok.out.find("\nqk,matmul,") != std::string::npos);
  CHECK(ok.out.find("\ngelu_div,elementwise,") != std::string::npos);
  const Result no_dim = tessera("validate " + att);
  CHECK(no_dim.code == 2);
  CHECK(no_dim.out.find("symbolic dimension 'batch'; give it a value (--dim batch=N)") != std::string::npos);
  const Result bad_dim = tessera("validate --dim batch " + att);
  CHECK(bad_dim.code == 2);
  CHECK(bad_dim.out.find("key '--dim': expected NAME=N") != std::string::npos);
  const Result bad_dtype = tessera("validate --dim batch=1 --dtype int9 " + att);
  CHECK(bad_dtype.code == 2);
  CHECK(bad_dtype.out.find("unknown dtype 'int9'") != std::string::npos);
  // Float tensors take the machine's integer format: on a 4-bit array, int4, which the array
  // runs; told int8, only the 32-bit vector unit reads them. conv1's DRAM reads are its input's
  // 3,072 and weights' 432 elements: 1,752 B at 4 bits, 3,504 B at 8.
  const std::string cnn = (d / "cnn.onnx").string(), narrow = " --set engines.0.in_bits=4 --format csv --out ";
  const Result int4 = tessera("run --arch " + kArch + " --workload " + cnn + narrow + (d / "o4").string());
  CHECK(int4.code == 0);
  CHECK(int4.out.find("\nconv1,conv2d,mxu,0,1092,123,1215,compute,0.022222,442368,1,1752,") != std::string::npos);
  const Result int8 = tessera("run --arch " + kArch + " --workload " + cnn + " --dtype int8" + narrow + (d / "o8").string());
  CHECK(int8.code == 0);
  CHECK(int8.out.find("\nconv1,conv2d,vpu,0,3460,159,3619,compute,0.954960,442368,1,3504,") != std::string::npos);
  const Result list = tessera("list ops --onnx");
  CHECK(list.code == 0);
  CHECK(list.out.find("Conv ") != std::string::npos);
  CHECK(list.out.find("BatchNormalization") != std::string::npos);
  fs::remove_all(d);
}
