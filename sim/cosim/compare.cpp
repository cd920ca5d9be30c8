#include "sim/cosim/compare.h"

#include <chrono>

namespace tessera {

IntMatrix random_operands(int64_t rows, int64_t cols, int bits, std::mt19937_64& rng) {
  const int64_t lo = -(int64_t{1} << (bits - 1)), hi = (int64_t{1} << (bits - 1)) - 1;
  std::uniform_int_distribution<int64_t> value(lo, hi);
  std::uniform_int_distribution<int> pick(0, 9);
  IntMatrix m(rows, cols);
  for (auto& x : m.v) {
    const int p = pick(rng);
    x = p == 0 ? lo : p == 1 ? hi : value(rng);  // wraparound and sign paths get exercised
  }
  return m;
}

namespace {

std::string diff_outputs(const IntMatrix& model, const IntMatrix& rtl, const char* model_name) {
  if (model.rows != rtl.rows || model.cols != rtl.cols)
    return std::string("out shape: ") + model_name + " " + std::to_string(model.rows) + "x" +
           std::to_string(model.cols) + ", rtl " + std::to_string(rtl.rows) + "x" + std::to_string(rtl.cols);
  for (int64_t r = 0; r < model.rows; ++r)
    for (int64_t c = 0; c < model.cols; ++c)
      if (model.at(r, c) != rtl.at(r, c))
        return "out[" + std::to_string(r) + "][" + std::to_string(c) + "]: " + model_name + " " +
               std::to_string(model.at(r, c)) + ", rtl " + std::to_string(rtl.at(r, c));
  return {};
}

std::string diff_outputs(const TypedMatrix& model, const TypedMatrix& rtl, const char* model_name) {
  if (model.rows() != rtl.rows() || model.cols() != rtl.cols() || model.format() != rtl.format())
    return std::string("out shape: ") + model_name + " " + model.format().name() + " " +
           std::to_string(model.rows()) + "x" + std::to_string(model.cols()) + ", rtl " + rtl.format().name() + " " +
           std::to_string(rtl.rows()) + "x" + std::to_string(rtl.cols());
  for (int64_t r = 0; r < model.rows(); ++r)
    for (int64_t c = 0; c < model.cols(); ++c)
      if (model.raw(r, c) != rtl.raw(r, c))
        return "out[" + std::to_string(r) + "][" + std::to_string(c) + "]: " + model_name + " pattern " +
               std::to_string(model.raw(r, c)) + " (" + std::to_string(model.value(r, c)) + "), rtl pattern " +
               std::to_string(rtl.raw(r, c)) + " (" + std::to_string(rtl.value(r, c)) + ")";
  return {};
}

std::string diff_num(const std::string& what, const char* model_name, uint64_t m, uint64_t r) {
  return m == r ? std::string() : what + ": " + model_name + " " + std::to_string(m) + ", rtl " + std::to_string(r);
}

std::string diff_cost(const TileCost& m, const TileCost& r, const char* model_name) {
  const std::pair<const char*, std::pair<uint64_t, uint64_t>> nums[] = {
      {"cycles.total", {m.cycles.total(), r.cycles.total()}},
      {"cycles.fill", {m.cycles.fill, r.cycles.fill}},
      {"cycles.steady", {m.cycles.steady, r.cycles.steady}},
      {"cycles.drain", {m.cycles.drain, r.cycles.drain}},
      {"macs", {m.macs, r.macs}},
      {"traffic.a_read_bits", {m.traffic.a_read_bits, r.traffic.a_read_bits}},
      {"traffic.b_read_bits", {m.traffic.b_read_bits, r.traffic.b_read_bits}},
      {"traffic.out_write_bits", {m.traffic.out_write_bits, r.traffic.out_write_bits}},
      {"traffic.out_read_bits", {m.traffic.out_read_bits, r.traffic.out_read_bits}},
  };
  for (const auto& [what, v] : nums) {
    const std::string d = diff_num(what, model_name, v.first, v.second);
    if (!d.empty()) return d;
  }
  for (const auto& a : m.actions.items()) {
    const std::string d = diff_num("action " + a.component + "." + a.primitive + "@" + std::to_string(a.bits) + "b",
                                   model_name, a.count, r.actions.count(a.component, a.primitive, a.bits));
    if (!d.empty()) return d;
  }
  for (const auto& a : r.actions.items())
    if (m.actions.count(a.component, a.primitive, a.bits) != a.count)
      return "action " + a.component + "." + a.primitive + "@" + std::to_string(a.bits) + "b: " + model_name + " " +
             std::to_string(m.actions.count(a.component, a.primitive, a.bits)) + ", rtl " + std::to_string(a.count);
  return {};
}

}  // namespace

TileCheck check_tile_typed(const IEngine& model, const IRtlEngine& rtl, const TileRequest& req, const TypedMatrix& a,
                           const TypedMatrix& b) {
  TileCheck chk;
  TypedMatrix fn_out, rtl_out;
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  const TileCost closed = model.cost(req);
  const TileCost pe = model.simulate_pe(req, nullptr, nullptr, nullptr);
  model.compute(req, a, b, fn_out);
  const auto t1 = clock::now();
  chk.rtl = rtl.run_tile_typed(req, &a, &b, &rtl_out, {});
  chk.model_seconds = std::chrono::duration<double>(t1 - t0).count();
  chk.rtl_seconds = std::chrono::duration<double>(clock::now() - t1).count();
  for (const std::string& d : {diff_outputs(fn_out, rtl_out, "model"), diff_cost(closed, chk.rtl, "closed form"),
                               diff_cost(pe, chk.rtl, "pe model")}) {
    if (!d.empty()) {
      chk.ok = false;
      chk.first_difference = d;
      break;
    }
  }
  return chk;
}

TileCheck check_tile(const IEngine& model, const IRtlEngine& rtl, const TileRequest& req, const IntMatrix& a,
                     const IntMatrix& b) {
  TileCheck chk;
  IntMatrix pe_out, fn_out, rtl_out;
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  // A data-dependent engine's closed form is exact given the data, so it gets the data.
  const TileCost closed = model.capabilities().timing == TimingDependence::Shape
                              ? model.cost(req)
                              : model.cost(req, stats_of(to_typed(a, NumFormat::of(req.a_type)),
                                                         to_typed(b, NumFormat::of(req.b_type))));
  const TileCost pe = model.simulate_pe(req, &a, &b, &pe_out);
  model.compute(req, a, b, fn_out);
  const auto t1 = clock::now();
  chk.rtl = rtl.run_tile(req, &a, &b, &rtl_out, {});
  chk.model_seconds = std::chrono::duration<double>(t1 - t0).count();
  chk.rtl_seconds = std::chrono::duration<double>(clock::now() - t1).count();
  for (const std::string& d : {diff_outputs(pe_out, rtl_out, "pe model"), diff_outputs(fn_out, rtl_out, "model"),
                               diff_cost(closed, chk.rtl, "closed form"), diff_cost(pe, chk.rtl, "pe model")}) {
    if (!d.empty()) {
      chk.ok = false;
      chk.first_difference = d;
      break;
    }
  }
  return chk;
}

}  // namespace tessera
