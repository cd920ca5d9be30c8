#pragma once
// The RTL co-simulation contract: a Verilated RTL model put in an engine's place.
//
// An IRtlEngine is an IEngine whose answers come from the engine's Verilog (rtl/src), run
// cycle by cycle through Verilator: cost(), simulate_pe() and compute() all drive the RTL with
// the tile, fold by fold, and read the actions from the RTL's counting wrapper (rtl/tb). The
// C++ model of the same engine is its reference (`tessera cosim`, tests/rtl); capabilities()
// and area_items() are the model's.
//
// Call order: make_rtl_engine(type, resolved engine params) -> any number of calls. The
// constructor gets the Verilated model of the configuration (sim/cosim/rtl_model.h): linked in,
// cached, or verilated and compiled now on first use, which may take minutes for big arrays;
// UserError if it cannot be had (no Verilator or compiler, failed build). Calls are const and
// serialised internally (one Verilated model instance per engine object, kept between tiles as
// the hardware keeps its state); use one object per thread.
//
// Time: run_tile() calls `clock` once per RTL clock cycle the tile takes (after the rising edge
// that ends the cycle), so a SystemC caller can wait one cycle there and simulated time moves
// with the RTL. The tile's first fold command is presented in the cycle before its cycle 0
// (the cycle that overlaps the previous tile's last one), so a tile takes exactly its cycles.
//
// Adapters register by engine type with one TESSERA_REGISTER_RTL_ENGINE line in their own
// .cpp in rtl/src/<engine>/, beside the engine's Verilog and build rules (rtl.cmake); nothing
// else names them.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "models/engine/i_engine.h"

namespace tessera {

class IRtlEngine : public IEngine {
 public:
  using Clock = std::function<void()>;

  // Drives one tile through the RTL. With a, b and out given (m x k, k x n; out becomes m x n),
  // the operands are the data and `out` the RTL's result; otherwise zeros are driven (timing
  // and actions do not depend on the data).
  virtual TileCost run_tile(const TileRequest& req, const IntMatrix* a, const IntMatrix* b, IntMatrix* out,
                            const Clock& clock) const = 0;

  // The linked-in RTL builds, one line each (e.g. "16x16 in_bits=8 acc_bits=32 ..."); any
  // other configuration is built on first use.
  virtual std::vector<std::string> builds() const = 0;

  TileCost cost(const TileRequest& req) const override { return run_tile(req, nullptr, nullptr, nullptr, {}); }
  TileCost simulate_pe(const TileRequest& req, const IntMatrix* a, const IntMatrix* b, IntMatrix* out) const override {
    return run_tile(req, a, b, out, {});
  }
  void compute(const TileRequest& req, const IntMatrix& a, const IntMatrix& b, IntMatrix& out) const override {
    run_tile(req, &a, &b, &out, {});
  }
};

using RtlEngineRegistry = Registry<IRtlEngine>;

// The RTL adapter of engine `type` built from its resolved parameters; UserError if the type
// has no RTL adapter or its RTL cannot be built for these parameters.
std::unique_ptr<IRtlEngine> make_rtl_engine(const std::string& type, const ParamValues& params);

inline std::vector<ParamDecl> rtl_engine_no_params() { return {}; }

}  // namespace tessera

// TESSERA_REGISTER_RTL_ENGINE("systolic", "doc", factory): the adapter takes the engine's
// resolved ParamValues (the same declarations as the C++ model's).
#define TESSERA_REGISTER_RTL_ENGINE(type_name, doc_text, factory_fn) \
  TESSERA_REGISTER(::tessera::IRtlEngine, type_name, doc_text, ::tessera::rtl_engine_no_params, factory_fn)
