// RTL models built on first use (sim/cosim/rtl_cache.cpp, docs/cosim.md): a systolic
// configuration outside the linked-in test set is verilated, compiled into a shared object in
// the cache directory ($XDG_CACHE_HOME, a temporary one here), loaded and co-simulated; two
// threads asking at once get one build; another process reuses it; a missing Verilator and a
// failing compiler are UserErrors that say what to do or where the log is.
#include <catch2/catch.hpp>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "models/engine/i_engine.h"
#include "sim/cosim/compare.h"
#include "sim/cosim/rtl_engine.h"

using namespace tessera;
namespace fs = std::filesystem;

namespace {

ParamValues systolic(int64_t rows, int64_t cols, const std::string& buffering = "single") {
  const auto* e = EngineRegistry::instance().find("systolic");
  REQUIRE(e != nullptr);
  ParamValues p = default_params(e->params);
  p.set("rows", rows);
  p.set("cols", cols);
  p.set("weight_buffering", buffering);
  return p;
}

// Sets an environment variable for the scope of one test.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old, had_ = true;
    setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (had_)
      setenv(name_, old_.c_str(), 1);
    else
      unsetenv(name_);
  }

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

fs::path fresh_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("tessera_rtl_cache_test_" + name + "_" + std::to_string(getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::vector<fs::path> entries(const fs::path& root) {
  std::vector<fs::path> v;
  if (fs::exists(root))
    for (const auto& e : fs::directory_iterator(root)) v.push_back(e.path());
  std::sort(v.begin(), v.end());
  return v;
}

int run_shell(const std::string& cmd, std::string& out) {
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  REQUIRE(p);
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  return WEXITSTATUS(pclose(p));
}

}  // namespace

TEST_CASE("a configuration outside the linked set is built on first use, once, and reused", "[rtl][cosim][cache]") {
  const fs::path cache = fresh_dir("build");
  const ScopedEnv xdg("XDG_CACHE_HOME", cache.string());
  const ScopedEnv jobs("TESSERA_RTL_JOBS", "2");
  // 5x3, double-buffered: no linked build has it (rtl/src/systolic/rtl.cmake).
  const ParamValues p = systolic(5, 3, "double");
  const auto linked = make_rtl_engine("systolic", systolic(3, 5, "double"))->builds();
  CHECK(std::find(linked.begin(), linked.end(), "5x3 in_bits=8 acc_bits=32 weight_buffering=double") == linked.end());

  // Two threads ask for it at once: one builds, the other waits and loads the same model.
  std::unique_ptr<IRtlEngine> rtl[2];
  std::string err[2];
  std::thread t0([&] {
    try {
      rtl[0] = make_rtl_engine("systolic", p);
    } catch (const std::exception& e) {
      err[0] = e.what();
    }
  });
  std::thread t1([&] {
    try {
      rtl[1] = make_rtl_engine("systolic", p);
    } catch (const std::exception& e) {
      err[1] = e.what();
    }
  });
  t0.join();
  t1.join();
  INFO(err[0] << err[1]);
  REQUIRE(rtl[0]);
  REQUIRE(rtl[1]);

  // The cache holds one complete entry (and its lock file), no temporary directory.
  const fs::path root = cache / "tessera" / "rtl";
  const auto e = entries(root);
  REQUIRE(e.size() == 2);
  const fs::path dir = e[0];
  CHECK(dir.filename().string().rfind("systolic-5x3-i8-a32-double-", 0) == 0);
  CHECK(e[1] == fs::path(dir.string() + ".lock"));
  CHECK(fs::exists(dir / "model.so"));
  CHECK(fs::exists(dir / "build.log"));
  CHECK(fs::exists(dir / "src" / "systolic_array.v"));
  CHECK(!fs::exists(dir / "obj"));  // Verilator's C++ and objects are removed after the build
  std::ifstream key(dir / "key.txt");
  std::stringstream ks;
  ks << key.rdbuf();
  CHECK(ks.str().find("params ACC_BITS=32 COLS=3 IN_BITS=8 ROWS=5 WEIGHT_DB=1") != std::string::npos);
  CHECK(ks.str().find("verilator Verilator 5") != std::string::npos);

  // It is the array: model and RTL agree on random tiles, every dataflow, both instances.
  const auto model = EngineRegistry::instance().find("systolic")->make(p);
  std::mt19937_64 rng(53);
  for (int i = 0; i < 24; ++i) {
    TileRequest req;
    req.dataflow = i % 3 == 0 ? "ws" : i % 3 == 1 ? "is" : "os";
    req.gemm = {std::uniform_int_distribution<int64_t>(1, 12)(rng), std::uniform_int_distribution<int64_t>(1, 12)(rng),
                std::uniform_int_distribution<int64_t>(1, 12)(rng)};
    const IntMatrix a = random_operands(req.gemm.m, req.gemm.k, 8, rng);
    const IntMatrix w = random_operands(req.gemm.k, req.gemm.n, 8, rng);
    const TileCheck chk = check_tile(*model, *rtl[i % 2], req, a, w);
    INFO("tile " << i << " " << req.dataflow << " m=" << req.gemm.m << " n=" << req.gemm.n << " k=" << req.gemm.k
                 << ": " << chk.first_difference);
    REQUIRE(chk.ok);
  }

  // Another process finds it in the cache and does not build again.
  const auto built = fs::last_write_time(dir / "model.so");
  std::string out;
  const int rc = run_shell("XDG_CACHE_HOME=" + cache.string() + " " + TESSERA_BINARY_DIR +
                               "/tessera cosim --arch tests/data/cosim_8x8.yaml --set engines.0.rows=5 --set "
                               "engines.0.cols=3 --set engines.0.weight_buffering=double --op gemm:M=7,N=4,K=9 --count 5",
                           out);
  INFO(out);
  CHECK(rc == 0);
  CHECK(out.find("5 tiles ok") != std::string::npos);
  CHECK(fs::last_write_time(dir / "model.so") == built);
  CHECK(entries(root).size() == 2);
  fs::remove_all(cache);
}

TEST_CASE("no Verilator to build with is a UserError saying what to set", "[rtl][cosim][cache]") {
  const fs::path cache = fresh_dir("noverilator");
  const ScopedEnv xdg("XDG_CACHE_HOME", cache.string());
  const ScopedEnv v("TESSERA_RTL_VERILATOR", "/nonexistent/verilator");
  try {
    make_rtl_engine("systolic", systolic(7, 2));
    FAIL("expected a UserError");
  } catch (const UserError& e) {
    const std::string m = e.message();
    CHECK(m.find("systolic 7x2 in_bits=8 acc_bits=32 weight_buffering=single") != std::string::npos);
    CHECK(m.find("/nonexistent/verilator") != std::string::npos);
    CHECK(m.find("TESSERA_RTL_VERILATOR") != std::string::npos);
  }
  // A linked-in configuration needs no Verilator at all.
  CHECK_NOTHROW(make_rtl_engine("systolic", systolic(8, 8)));
  fs::remove_all(cache);
}

TEST_CASE("a failed build is a UserError naming its log, and leaves no cache entry", "[rtl][cosim][cache]") {
  const fs::path cache = fresh_dir("failed");
  const fs::path cc = cache / "broken-cc";
  std::ofstream(cc) << "#!/bin/sh\n"
                       "if [ \"$1\" = --version ]; then echo 'broken-cc 1.0'; exit 0; fi\n"
                       "echo 'broken-cc: cannot compile anything' >&2; exit 1\n";
  fs::permissions(cc, fs::perms::owner_all);
  const ScopedEnv xdg("XDG_CACHE_HOME", cache.string());
  const ScopedEnv cxx("TESSERA_RTL_CXX", cc.string());
  try {
    make_rtl_engine("systolic", systolic(2, 7));
    FAIL("expected a UserError");
  } catch (const UserError& e) {
    const std::string m = e.message();
    INFO(m);
    CHECK(m.find("building the RTL of systolic 2x7") != std::string::npos);
    CHECK(m.find("compile (make)") != std::string::npos);
    const size_t at = m.find("log: ");
    REQUIRE(at != std::string::npos);
    const std::string log = m.substr(at + 5, m.find_first_of(" \n", at + 5) - (at + 5));
    CHECK(fs::exists(log));
    std::ifstream in(log);
    std::stringstream ss;
    ss << in.rdbuf();
    CHECK(ss.str().find("broken-cc: cannot compile anything") != std::string::npos);
  }
  // Left behind: the failed build (with its log) and the lock file; no entry, no temporary.
  const fs::path root = cache / "tessera" / "rtl";
  for (const auto& e : entries(root)) {
    const std::string n = e.filename().string();
    INFO(n);
    if (fs::is_directory(e))
      CHECK(n.rfind("failed-systolic-2x7-", 0) == 0);
    else
      CHECK(n.find(".lock") == n.size() - 5);
    CHECK(!fs::exists(e / "model.so"));
  }
  fs::remove_all(cache);
}
