// RTL models built on first use (sim/cosim/rtl_model.h): verilate the engine's embedded Verilog
// at the requested parameters, compile it with the C ABI shim into a shared object, keep it in
// the user's cache directory, dlopen() it.
//
// Steps of a build (all output in build.log):
//   1. verilator --cc -Wall -Wno-fatal --top-module TOP --prefix Vmodel -G<P>=<v>... -CFLAGS -fPIC
//   2. make -f Vmodel.mk Vmodel__ALL.a <Verilator runtime objects> -j JOBS  (OPT_FAST=-O2,
//      OPT_SLOW=-O0 as the linked-in builds)
//   3. c++ -shared shim.cpp Vmodel__ALL.a <runtime objects> -o model.so  (symbols bound inside:
//      its Verilator runtime does not meet the one linked into tessera)
// The build runs in <root>/tmp-<entry>-<pid>/ and is renamed to <root>/<entry>/ when complete;
// a lock file <root>/<entry>.lock makes a second process wait for the first instead of
// building the same model again. A failed build is moved to <root>/failed-<entry>/.
#include <dlfcn.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "models/common/error.h"
#include "sim/cosim/rtl_model.h"

extern char** environ;

namespace tessera {

namespace fs = std::filesystem;

namespace {

constexpr const char* kBuildFlags = "-std=c++17 -O2 -fPIC -shared -fvisibility=hidden; OPT_FAST=-O2 OPT_SLOW=-O0";

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

uint64_t fnv1a(const std::string& s, uint64_t h = 1469598103934665603ull) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string hex(uint64_t v) {
  char b[17];
  std::snprintf(b, sizeof b, "%016llx", static_cast<unsigned long long>(v));
  return b;
}

// Runs argv (PATH lookup) with stdout and stderr into `out_fd`; returns the exit status, or -1
// if it could not start (errno in `err`).
int run(const std::vector<std::string>& argv, int out_fd, int& err) {
  std::vector<char*> a;
  for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
  a.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&fa, out_fd, STDERR_FILENO);
  posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  pid_t pid = 0;
  err = posix_spawnp(&pid, a[0], &fa, nullptr, a.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (err != 0) return -1;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

// Runs argv and returns its output, or nullopt-like empty + ok=false when it fails to start or
// exits non-zero.
std::string capture(const std::vector<std::string>& argv, bool& ok) {
  char path[] = "/tmp/tessera-rtl-XXXXXX";
  const int fd = mkstemp(path);
  ok = false;
  if (fd < 0) return {};
  unlink(path);
  int err = 0;
  const int rc = run(argv, fd, err);
  std::string out;
  if (rc >= 0) {
    lseek(fd, 0, SEEK_SET);
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  ok = rc == 0;
  return out;
}

std::string first_line(const std::string& s) {
  const size_t nl = s.find('\n');
  return nl == std::string::npos ? s : s.substr(0, nl);
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

struct Toolchain {
  std::string verilator, verilator_version, verilator_root;
  std::string cxx, cxx_version;
  std::string make;
  int jobs = 1;
};

// What builds this request's model; UserError naming what is missing.
Toolchain toolchain(const RtlRequest& req) {
  Toolchain t;
  t.verilator = env("TESSERA_RTL_VERILATOR");
  if (t.verilator.empty()) t.verilator = "verilator";
  bool ok = false;
  t.verilator_version = trim(first_line(capture({t.verilator, "--version"}, ok)));
  if (!ok)
    throw UserError("co-simulating " + req.what + " needs a model built on first use, but Verilator ('" + t.verilator +
                    "') could not be run; install verilator (>= 5) or set TESSERA_RTL_VERILATOR to it");
  t.verilator_root = trim(capture({t.verilator, "--getenv", "VERILATOR_ROOT"}, ok));
  if (!ok || t.verilator_root.empty() || !fs::exists(fs::path(t.verilator_root) / "include" / "verilated.h"))
    throw UserError("Verilator ('" + t.verilator + "') reports no usable VERILATOR_ROOT ('" + t.verilator_root +
                    "'): verilated.h is missing");
  t.cxx = env("TESSERA_RTL_CXX");
  if (t.cxx.empty()) t.cxx = env("CXX");
  if (t.cxx.empty()) t.cxx = fs::exists(rtl_gen::build_cxx()) ? rtl_gen::build_cxx() : "c++";
  t.cxx_version = trim(first_line(capture({t.cxx, "--version"}, ok)));
  if (!ok)
    throw UserError("co-simulating " + req.what + " needs a model built on first use, but the C++ compiler ('" + t.cxx +
                    "') could not be run; install one or set TESSERA_RTL_CXX to it");
  t.make = env("TESSERA_RTL_MAKE");
  if (t.make.empty()) t.make = "make";
  capture({t.make, "--version"}, ok);
  if (!ok)
    throw UserError("co-simulating " + req.what + " needs a model built on first use, but make ('" + t.make +
                    "') could not be run; install it or set TESSERA_RTL_MAKE");
  const std::string jobs = env("TESSERA_RTL_JOBS");
  t.jobs = jobs.empty() ? static_cast<int>(std::max(1u, std::thread::hardware_concurrency())) : std::max(1, std::atoi(jobs.c_str()));
  return t;
}

fs::path cache_root() {
  std::string base = env("XDG_CACHE_HOME");
  if (base.empty() || base[0] != '/') {
    const std::string home = env("HOME");
    if (home.empty())
      throw UserError("no cache directory for RTL models built on first use: set XDG_CACHE_HOME or HOME");
    base = home + "/.cache";
  }
  return fs::path(base) / "tessera" / "rtl";
}

std::string substitute(std::string s, const std::string& from, const std::string& to) {
  for (size_t i = s.find(from); i != std::string::npos; i = s.find(from, i + to.size())) s.replace(i, from.size(), to);
  return s;
}

std::string shim_source(const RtlRecipe& r) {
  std::string ports;
  for (const auto& p : r.ports) ports += "TESSERA_RTL_PORT(" + p + ") ";
  std::string s = rtl_gen::shim_template();
  s = substitute(s, "@RTL_CLASS@", "Vmodel");
  s = substitute(s, "@RTL_ENTRY@", "tessera_rtl_entry");
  s = substitute(s, "@RTL_EXPORT@", "__attribute__((visibility(\"default\")))");
  s = substitute(s, "@RTL_PORTS@", ports);
  return s;
}

// Everything the model depends on, in readable form (key.txt); its hash names the entry.
std::string key_text(const RtlRecipe& r, const RtlRequest& req, const Toolchain& t, const std::string& shim) {
  RtlParams p = req.params;
  std::sort(p.begin(), p.end());
  std::ostringstream k;
  k << "tessera rtl abi " << TESSERA_RTL_ABI_VERSION << "\nengine " << r.engine << "\ntop " << r.top << "\n";
  k << "params " << rtl_params_text(p) << "\n";
  for (const auto& [name, text] : r.files) k << "file " << name << " " << hex(fnv1a(text)) << "\n";
  k << "shim " << hex(fnv1a(shim)) << "\nabi " << hex(fnv1a(rtl_gen::abi_header())) << "\n";
  k << "verilator " << t.verilator_version << "\ncxx " << t.cxx << ": " << t.cxx_version << "\nflags " << kBuildFlags
    << "\n";
  return k.str();
}

std::string sanitize(const std::string& s) {
  std::string o;
  for (char c : s) o += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_') ? c : '_';
  return o;
}

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream f(p, std::ios::binary);
  f << text;
  if (!f) throw UserError("cannot write " + p.string());
}

std::string tail_of(const fs::path& log, int lines) {
  std::ifstream f(log);
  std::vector<std::string> v;
  for (std::string l; std::getline(f, l);) v.push_back(l);
  std::string o;
  for (size_t i = v.size() > static_cast<size_t>(lines) ? v.size() - static_cast<size_t>(lines) : 0; i < v.size(); ++i)
    o += "\n  | " + v[i];
  return o;
}

// The global Verilator runtime objects the model's makefile names (VM_GLOBAL_FAST/SLOW).
std::vector<std::string> runtime_objects(const fs::path& obj) {
  std::ifstream f(obj / "Vmodel_classes.mk");
  std::vector<std::string> o;
  bool in = false;
  for (std::string l; std::getline(f, l);) {
    if (l.rfind("VM_GLOBAL_FAST +=", 0) == 0 || l.rfind("VM_GLOBAL_SLOW +=", 0) == 0) {
      in = true;
      continue;
    }
    if (!in) continue;
    const std::string name = trim(substitute(substitute(l, "\t", ""), "\\", ""));
    if (name.empty()) {
      in = false;
      continue;
    }
    o.push_back(name + ".o");
  }
  return o;
}

class BuildLog {
 public:
  explicit BuildLog(const fs::path& p) : path_(p), fd_(open(p.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644)) {
    if (fd_ < 0) throw UserError("cannot write the RTL build log " + p.string());
  }
  ~BuildLog() { close(fd_); }
  void line(const std::string& s) {
    const std::string l = s + "\n";
    if (::write(fd_, l.data(), l.size()) < 0) {
    }
  }
  // Runs one step; throws UserError naming the step and the log (which the caller moves).
  void step(const char* what, const std::vector<std::string>& argv) {
    std::string cmd;
    for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
    line("$ " + cmd);
    int err = 0;
    const auto t0 = std::chrono::steady_clock::now();
    const int rc = run(argv, fd_, err);
    char took[64];
    std::snprintf(took, sizeof took, "tessera: %s took %.1f s",
                  what, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    line(took);
    if (rc != 0) {
      failed_ = what;
      status_ = rc < 0 ? "could not start: " + std::string(std::strerror(err)) : "exit status " + std::to_string(rc);
      line(std::string("tessera: ") + what + " failed (" + status_ + ")");
      throw std::runtime_error(what);
    }
  }
  const std::string& failed() const { return failed_; }
  const std::string& status() const { return status_; }

 private:
  fs::path path_;
  int fd_;
  std::string failed_, status_;
};

// Builds the model into `dir` (which exists): src/, key.txt, build.log, model.so.
void build_into(const fs::path& dir, const RtlRecipe& r, const RtlRequest& req, const Toolchain& t,
                const std::string& shim, const std::string& key) {
  const fs::path src = dir / "src", obj = dir / "obj";
  fs::create_directories(src);
  write_file(dir / "key.txt", key);
  for (const auto& [name, text] : r.files) write_file(src / name, text);
  write_file(src / "shim.cpp", shim);
  write_file(src / "rtl_abi.h", rtl_gen::abi_header());
  BuildLog log(dir / "build.log");
  log.line("tessera: building the RTL of " + req.what + " (" + r.engine + ", " + rtl_params_text(req.params) + ")");
  try {
    std::vector<std::string> v = {t.verilator, "--cc", "-Wall", "-Wno-fatal", "--top-module", r.top, "--prefix",
                                  "Vmodel", "-Mdir", obj.string(), "-CFLAGS", "-fPIC"};
    for (const auto& [k, val] : req.params) v.push_back("-G" + k + "=" + std::to_string(val));
    for (const auto& f : r.files) v.push_back((src / f.first).string());
    log.step("verilator", v);
    const std::vector<std::string> rt = runtime_objects(obj);
    std::vector<std::string> mk = {t.make, "-C", obj.string(), "-f", "Vmodel.mk", "-j", std::to_string(t.jobs),
                                   "CXX=" + t.cxx, "OPT_FAST=-O2", "OPT_SLOW=-O0", "OPT_GLOBAL=-O2", "Vmodel__ALL.a"};
    mk.insert(mk.end(), rt.begin(), rt.end());
    log.step("compile (make)", mk);
    const std::string inc = t.verilator_root + "/include";
    std::vector<std::string> ld = {t.cxx, "-std=c++17", "-O2", "-fPIC", "-shared", "-fvisibility=hidden", "-I" + obj.string(),
                                   "-I" + src.string(), "-I" + inc, "-I" + inc + "/vltstd", (src / "shim.cpp").string(),
                                   (obj / "Vmodel__ALL.a").string()};
    for (const auto& o : rt) ld.push_back((obj / o).string());
    // -Bsymbolic and hidden archive symbols: the model binds to its own Verilator runtime.
    ld.insert(ld.end(), {"-o", (dir / "model.so").string(), "-pthread", "-Wl,-Bsymbolic", "-Wl,--exclude-libs,ALL"});
    log.step("link", ld);
  } catch (const std::runtime_error&) {
    throw UserError("building the RTL of " + req.what + " failed at the " + log.failed() + " step (" + log.status() +
                    "); log: " + (dir / "build.log").string() + tail_of(dir / "build.log", 8));
  }
  std::error_code ec;
  if (env("TESSERA_RTL_KEEP").empty()) fs::remove_all(obj, ec);  // Verilator's C++ and objects: large, not needed
}

const TesseraRtlAbi* open_model(const fs::path& so, const RtlRequest& req) {
  void* h = dlopen(so.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h)
    throw UserError("cannot load the RTL model of " + req.what + " (" + so.string() + "): " + dlerror() +
                    "; delete " + so.parent_path().string() + " to rebuild it");
  auto entry = reinterpret_cast<TesseraRtlEntry>(dlsym(h, TESSERA_RTL_ENTRY_SYMBOL));
  const TesseraRtlAbi* abi = entry ? entry() : nullptr;
  if (!abi || abi->version != TESSERA_RTL_ABI_VERSION)
    throw UserError("the RTL model " + so.string() + " does not have tessera's RTL ABI " +
                    std::to_string(TESSERA_RTL_ABI_VERSION) + "; delete " + so.parent_path().string() + " to rebuild it");
  return abi;  // never dlclose()d: models live as long as the process
}

class FileLock {
 public:
  explicit FileLock(const fs::path& p) : fd_(open(p.c_str(), O_RDWR | O_CREAT, 0644)) {
    if (fd_ < 0) throw UserError("cannot create the lock file " + p.string() + ": " + std::strerror(errno));
  }
  ~FileLock() {
    flock(fd_, LOCK_UN);
    close(fd_);
  }
  bool try_lock() { return flock(fd_, LOCK_EX | LOCK_NB) == 0; }
  void lock() {
    while (flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
    }
  }

 private:
  int fd_;
};

std::mutex g_mu;
std::map<std::string, const TesseraRtlAbi*> g_loaded;  // engine, parameters, cache -> model loaded
int g_tmp_counter = 0;

}  // namespace

const TesseraRtlAbi* rtl_cached_model_abi(const RtlRecipe& recipe, const RtlRequest& req) {
  std::lock_guard<std::mutex> guard(g_mu);
  RtlParams sorted_params = req.params;
  std::sort(sorted_params.begin(), sorted_params.end());
  const std::string loaded_key = recipe.engine + " " + rtl_params_text(sorted_params) + " " + env("XDG_CACHE_HOME");
  if (auto it = g_loaded.find(loaded_key); it != g_loaded.end()) return it->second;
  const Toolchain t = toolchain(req);
  const std::string shim = shim_source(recipe);
  const std::string key = key_text(recipe, req, t, shim);
  const fs::path root = cache_root();
  const std::string entry = sanitize(recipe.engine + "-" + req.label) + "-" + hex(fnv1a(key));
  const fs::path dir = root / entry, so = dir / "model.so";

  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) throw UserError("cannot create the RTL model cache " + root.string() + ": " + ec.message());
  const bool tty = isatty(STDERR_FILENO) != 0;
  if (!fs::exists(so)) {
    FileLock lock(root / (entry + ".lock"));
    if (!lock.try_lock()) {
      if (tty) std::fprintf(stderr, "waiting for another process verilating %s ...\n", req.what.c_str());
      lock.lock();
    }
    if (!fs::exists(so)) {  // still absent: ours to build
      if (tty)
        std::fprintf(stderr, "verilating %s ... (first use, ~%.0f s; cached in %s)\n", req.what.c_str(),
                     std::max(1.0, req.expected_seconds), dir.c_str());
      const auto t0 = std::chrono::steady_clock::now();
      const fs::path tmp = root / ("tmp-" + entry + "-" + std::to_string(getpid()) + "-" + std::to_string(++g_tmp_counter));
      fs::remove_all(tmp, ec);
      fs::create_directories(tmp, ec);
      if (ec) throw UserError("cannot create " + tmp.string() + ": " + ec.message());
      try {
        build_into(tmp, recipe, req, t, shim, key);
      } catch (const UserError& e) {
        // Keep the failed build where its log can be read; the message names it.
        const fs::path failed = root / ("failed-" + entry);
        fs::remove_all(failed, ec);
        fs::rename(tmp, failed, ec);
        std::string msg = e.message();
        if (!ec) msg = substitute(msg, tmp.string(), failed.string());
        throw UserError(msg);
      }
      if (fs::exists(dir)) fs::remove_all(dir, ec);  // an entry someone emptied by hand (we hold the lock)
      fs::rename(tmp, dir, ec);
      if (ec) {  // someone else's complete build got there first (no lock on their side): use it
        fs::remove_all(tmp, ec);
        if (!fs::exists(so)) throw UserError("cannot move the RTL build into " + dir.string());
      }
      if (tty)
        std::fprintf(stderr, "verilated %s in %.0f s\n", req.what.c_str(),
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
  }
  const TesseraRtlAbi* abi = open_model(so, req);
  g_loaded[loaded_key] = abi;
  return abi;
}

}  // namespace tessera
