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
#include <mutex>
#include <string>
#include <vector>

#include "models/engine/i_engine.h"
#include "sim/cosim/rtl_model.h"

namespace tessera {

class IRtlEngine : public IEngine {
 public:
  using Clock = std::function<void()>;

  // Drives one tile through the RTL. With a, b and out given (m x k, k x n; out becomes m x n),
  // the operands are the data and `out` the RTL's result; otherwise zeros are driven (timing
  // and actions do not depend on the data).
  virtual TileCost run_tile(const TileRequest& req, const IntMatrix* a, const IntMatrix* b, IntMatrix* out,
                            const Clock& clock) const = 0;
  // The same with typed operands (a in req.a_type, b in req.b_type; out becomes m x n in
  // acc_format(req)): what an engine with float operands overrides. Default: integer formats
  // through run_tile().
  virtual TileCost run_tile_typed(const TileRequest& req, const TypedMatrix* a, const TypedMatrix* b, TypedMatrix* out,
                                  const Clock& clock) const;

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

// The frame every RTL adapter shares: the engine's C++ model answers what the RTL does not
// (capabilities, area items, action primitives, the model's own checks), and one Driver -- the
// adapter's cycle driver of one Verilated instance, made on first use and kept between tiles
// as the hardware keeps its state -- runs the tiles, one at a time. An adapter derives from
// RtlEngineFrame<Spec, Driver>, where Driver(const TesseraRtlAbi*, const Spec&) has
// TileCost run(const Tile&, const Clock&).
template <class Spec, class Driver>
class RtlEngineFrame : public IRtlEngine {
 public:
  std::string type() const override { return type_; }
  EngineCapabilities declare_capabilities() const override { return model_->capabilities(); }
  std::vector<AreaItem> area_items() const override { return model_->area_items(); }
  std::vector<ActionPrimitive> action_primitives() const override { return model_->action_primitives(); }
  std::optional<PreparedOperand> prepared_a(const TileRequest& req) const override { return model_->prepared_a(req); }
  ActionCounts a_preparation(const TileRequest& req, uint64_t rows, uint64_t k) const override {
    return model_->a_preparation(req, rows, k);
  }
  void check(const TileRequest& req) const override {
    model_->check(req);
    check_rtl_limits(req);
  }
  std::vector<std::string> builds() const override {
    std::vector<std::string> v;
    for (const auto& p : rtl_linked_builds(type_)) v.push_back(describe_build(p));
    return v;
  }

 protected:
  // The model of engine `type` at `p`, and the Verilated model `request(spec)` asks for (linked
  // in, cached, or verilated now; UserError if it cannot be had).
  template <class Request>
  RtlEngineFrame(const std::string& type, const ParamValues& p, Request request)
      : spec_(Spec::from_params(p)), type_(type), model_(EngineRegistry::instance().find(type)->make(p)) {
    abi_ = rtl_model_abi(request(spec_));
  }

  // Limits of the RTL beyond the model's (counter widths); UserError when a tile exceeds them.
  virtual void check_rtl_limits(const TileRequest&) const {}
  // A linked-in build in the engine's terms, for builds().
  virtual std::string describe_build(const RtlParams& p) const { return rtl_params_text(p); }

  template <class Tile>
  TileCost run_on_driver(const Tile& tile, const Clock& clock) const {
    std::lock_guard<std::mutex> lock(mu_);
    if (!driver_) driver_ = std::make_unique<Driver>(abi_, spec_);
    return driver_->run(tile, clock);
  }

  const Spec spec_;

 private:
  std::string type_;
  std::unique_ptr<IEngine> model_;
  const TesseraRtlAbi* abi_ = nullptr;
  mutable std::mutex mu_;
  mutable std::unique_ptr<Driver> driver_;
};

// The operands of a tile an adapter drives: with a, b and out given, out becomes the m x n result
// and the operands are the data; otherwise zeros are driven.
struct RtlTileData {
  const IntMatrix *a = nullptr, *b = nullptr;
  IntMatrix* out = nullptr;
  int a_bits = 8, b_bits = 8;  // the operands' dtype widths (traffic)

  void attach(const TileRequest& req, const IntMatrix* a_, const IntMatrix* b_, IntMatrix* out_) {
    a_bits = dtype_bits(req.a_type);
    b_bits = dtype_bits(req.b_type);
    if (!(a_ && b_ && out_)) return;
    *out_ = IntMatrix(req.gemm.m, req.gemm.n);
    a = a_;
    b = b_;
    out = out_;
  }
  bool data() const { return a && b && out; }
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
