#pragma once
// Model vs RTL on one tile: the comparison `tessera cosim` and tests/rtl run. The same tile
// (request and operands) goes into the C++ model's closed form (cost), its per-cycle PE model
// (simulate_pe, with data) and its functional model (compute), and into the RTL; outputs must
// agree bit for bit, cycles (fill, steady, drain) and actions and operand traffic exactly.
#include <cstdint>
#include <random>
#include <string>

#include "models/engine/i_engine.h"
#include "sim/cosim/rtl_engine.h"

namespace tessera {

// Random signed operands of `bits` bits (the extremes more often than uniform).
IntMatrix random_operands(int64_t rows, int64_t cols, int bits, std::mt19937_64& rng);

struct TileCheck {
  bool ok = true;
  std::string first_difference;  // empty when ok: "out[3][5]: model 1234, rtl 1235", "cycles.fill: ..."
  TileCost rtl;                  // what the RTL measured
  double model_seconds = 0;      // wall time of cost + simulate_pe + compute
  double rtl_seconds = 0;        // wall time of the RTL run
};

TileCheck check_tile(const IEngine& model, const IRtlEngine& rtl, const TileRequest& req, const IntMatrix& a,
                     const IntMatrix& b);

// The same for typed operands (a in req.a_type, b in req.b_type; float formats too): the RTL's
// typed run against the closed form, the per-cycle model's cost and the typed functional model
// (a shape-timed engine's; outputs compared as bit patterns).
TileCheck check_tile_typed(const IEngine& model, const IRtlEngine& rtl, const TileRequest& req, const TypedMatrix& a,
                           const TypedMatrix& b);

}  // namespace tessera
