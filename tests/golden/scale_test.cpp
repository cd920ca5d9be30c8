// Memory grows with the graph by a small constant (issue 13, item 15): a 20,000-operator chain
// through `validate` and `run`, each process's peak resident memory measured by wait4. Before
// the compact YAML tree and the streamed report, these took 13 KB (validate) and 23 KB (run)
// per operator; now 2.8 and 4.5. tools/bench/bench_scale.py measures time and memory at 100k.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

// AddressSanitizer's shadow memory and redzones multiply the footprint: there the runs are
// checked for completeness only.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

struct Peak {
  int code;
  long max_rss_kb;
};

// Runs the tessera binary with `args`, stdout and stderr to /dev/null; its exit code and peak RSS.
Peak run_measured(const std::vector<std::string>& args) {
  const std::string bin = std::string(TESSERA_BINARY_DIR) + "/tessera";
  std::vector<char*> argv{const_cast<char*>(bin.c_str())};
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr)) _exit(127);
    execv(bin.c_str(), argv.data());
    _exit(127);
  }
  int status = 0;
  rusage ru{};
  REQUIRE(wait4(pid, &status, 0, &ru) == pid);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, ru.ru_maxrss};
}

// The chain of tools/bench/gen_chain.py: 16x16x16 GEMMs alternating with ReLUs.
void write_chain(const fs::path& path, int n) {
  std::ofstream f(path);
  f << "name: chain" << n << "\ntensors:\n  t0: {shape: [16, 16], role: input}\n";
  for (int i = 1; i <= n; ++i) {
    f << "  t" << i << ": {shape: [16, 16]" << (i == n ? ", role: output" : "") << "}\n";
    if (i % 2) f << "  w" << i << ": {shape: [16, 16], role: weight}\n";
  }
  f << "ops:\n";
  for (int i = 1; i <= n; ++i) {
    if (i % 2)
      f << "  - {name: g" << i << ", kind: gemm, inputs: [t" << i - 1 << ", w" << i << "], outputs: [t" << i << "]}\n";
    else
      f << "  - {name: r" << i << ", kind: elementwise, op: relu, inputs: [t" << i - 1 << "], outputs: [t" << i << "]}\n";
  }
}

}  // namespace

TEST_CASE("a 20,000-operator chain: validate and run in memory linear in the graph, with a small constant", "[scale]") {
  const int n = 20000;
  const fs::path dir = fs::temp_directory_path() / "tessera_scale_test";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path chain = dir / "chain.yaml";
  write_chain(chain, n);
  // The process alone (SystemC, the tech library, the binary) is about 15 MB.
  const long base_kb = 20'000;

  const Peak v = run_measured({"validate", chain.string()});
  CHECK(v.code == 0);
  if (!kSanitized) CHECK(v.max_rss_kb < base_kb + 4 * n);  // measured 69 MB: 2.8 KB per operator

  const fs::path out = dir / "out";
  const Peak r = run_measured({"run", "--arch", std::string(TESSERA_SOURCE_DIR) + "/configs/arch/edge_small.yaml",
                               "--workload", chain.string(), "--out", out.string(), "--format", "csv"});
  CHECK(r.code == 0);
  if (!kSanitized) CHECK(r.max_rss_kb < base_kb + 6 * n);  // measured 104 MB: 4.5 KB per operator
  // The whole report is there: one row per operator, report.json last and complete.
  std::ifstream csv(out / "operators.csv");
  size_t rows = 0;
  for (std::string line; std::getline(csv, line);) ++rows;
  CHECK(rows == static_cast<size_t>(n) + 1);
  CHECK(fs::file_size(out / "report.json") > static_cast<uintmax_t>(n) * 1000);
  fs::remove_all(dir);
}
