#pragma once
// Verilated RTL models, wherever they come from, reached through one C ABI (rtl_abi.h).
//
// An engine's RTL adapter (rtl/src/<engine>/<engine>_rtl.cpp) asks rtl_model_abi() for a model
// of its Verilog at the parameters its configuration needs. A build linked into the binary at
// compile time (the test set, `LINKED` in rtl/src/<engine>/rtl.cmake) is preferred when its
// parameters match; any other set is verilated and compiled into a shared object on first use,
// kept in the user's cache directory and dlopen()ed (rtl_cache.cpp; docs/cosim.md):
//
//   $XDG_CACHE_HOME/tessera/rtl/<engine>-<label>-<key>/    (else ~/.cache/tessera/rtl/...)
//     model.so   build.log   key.txt   src/
//
// key = a hash of the embedded RTL sources, the shim, the port list, the parameters, the ABI
// version, `verilator --version`, the compiler and its `--version`, and the build flags. Two
// processes building one key take turns on a lock file; a build goes into a temporary
// directory that is renamed into place, so a cache entry is complete or absent.
//
// Environment: TESSERA_RTL_VERILATOR (default `verilator`), TESSERA_RTL_CXX (default $CXX, else
// the compiler tessera was built with, else `c++`), TESSERA_RTL_MAKE (default `make`),
// TESSERA_RTL_JOBS (default: the machine's hardware threads).
//
// Thread safety: rtl_model_abi() may be called from any thread (builds are serialised);
// an RtlModel instance is used by one thread at a time.
#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sim/cosim/rtl_abi.h"

namespace tessera {

// An engine's RTL as the build embedded it (sim/cosim/rtl_embed.cmake).
struct RtlRecipe {
  std::string engine;                                      // engine type, e.g. "systolic"
  std::string top;                                         // top module (the counting wrapper)
  std::vector<std::pair<std::string, std::string>> files;  // file name, Verilog text
  std::vector<std::string> ports;                          // ports the adapter uses
};

using RtlParams = std::vector<std::pair<std::string, int64_t>>;  // Verilog parameter, value

struct RtlRequest {
  std::string engine;              // the recipe's engine type
  RtlParams params;                // every parameter the engine sets (-G<name>=<value>)
  std::string what;                // for messages, e.g. "systolic 128x128 in_bits=8 acc_bits=32"
  std::string label;               // part of the cache directory name, e.g. "128x128" ([A-Za-z0-9._-])
  double expected_seconds = 0;     // a rough first-use build time, shown while it builds
};

// The ABI of a model of `req` (see above). Throws UserError when none can be had: no Verilator,
// no compiler, or a failed build (the message names the log).
const TesseraRtlAbi* rtl_model_abi(const RtlRequest& req);

// The linked-in builds of `engine`, as parameter lists.
std::vector<RtlParams> rtl_linked_builds(const std::string& engine);

// "ROWS=2 COLS=2 ..." <-> parameter list.
std::string rtl_params_text(const RtlParams& p);

// One instance of a model, with typed access to its ports.
class RtlModel {
 public:
  struct Port {
    void* data = nullptr;
    int bytes = 0;  // 1, 2, 4, 8, or a multiple of 4 (words) above 64 bits
  };

  explicit RtlModel(const TesseraRtlAbi* abi);
  ~RtlModel();
  RtlModel(const RtlModel&) = delete;
  RtlModel& operator=(const RtlModel&) = delete;

  Port port(const char* name) const;  // std::logic_error if the model has no such port
  void eval() { abi_->eval(inst_); }

  static void set(const Port& p, uint64_t v);               // a port of up to 64 bits
  static void set_words(const Port& p, const uint32_t* w);  // any port, from its 32-bit words
  static uint64_t get(const Port& p);                       // a port of up to 64 bits
  static uint64_t bits(const Port& p, int lo, int width);   // bits lo .. lo+width-1 (width <= 64)

 private:
  const TesseraRtlAbi* abi_;
  void* inst_;
};

// A wide input bus as 32-bit words, for RtlModel::set_words: elements of up to 32 bits at any
// bit offset, OR-ed in (clear() between cycles).
class RtlBus {
 public:
  explicit RtlBus(int64_t bits) : w_(static_cast<size_t>((bits + 31) / 32 + 1), 0) {}
  void clear() { std::fill(w_.begin(), w_.end(), 0u); }
  void set(int64_t lo, int width, int64_t v);  // bits lo .. lo+width-1 = v's low `width` bits
  const uint32_t* words() const { return w_.data(); }

 private:
  std::vector<uint32_t> w_;
};

// What every adapter's driver of one engine instance does alike: typed port access, a clock
// edge, and the reset every engine's RTL takes (rst held for three edges, no fold offered) on
// the clk / rst / fold_valid ports all of them have.
class RtlDriverBase {
 protected:
  explicit RtlDriverBase(const TesseraRtlAbi* abi) : m_(abi) {
    set(clk_, 0);
    set(rst_, 1);
    set(fold_valid_, 0);
    for (int i = 0; i < 3; ++i) edge();
    set(rst_, 0);
  }
  static void set(const RtlModel::Port& p, uint64_t v) { RtlModel::set(p, v); }
  static uint64_t get(const RtlModel::Port& p) { return RtlModel::get(p); }
  void edge() {
    set(clk_, 0);
    m_.eval();
    set(clk_, 1);
    m_.eval();
  }

  RtlModel m_;
  RtlModel::Port clk_ = m_.port("clk"), rst_ = m_.port("rst"), fold_valid_ = m_.port("fold_valid");
};

namespace rtl_gen {  // generated by sim/cosim/CMakeLists.txt
struct LinkedRtlBuild {
  const char* engine;
  const char* params;  // "ROWS=2 COLS=2 ..."
  TesseraRtlEntry entry;
};
std::vector<const RtlRecipe*> recipes();
std::vector<LinkedRtlBuild> linked_builds();
const char* build_cxx();       // CMAKE_CXX_COMPILER
const char* shim_template();   // sim/cosim/rtl_shim.cpp.in
const char* abi_header();      // sim/cosim/rtl_abi.h
}  // namespace rtl_gen

}  // namespace tessera
