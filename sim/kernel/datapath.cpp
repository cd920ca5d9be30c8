#include "sim/kernel/datapath.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <random>
#include <tuple>
#include <utility>

#include "models/numerics/olive.h"
#include "sim/workload/op_kind.h"

namespace tessera {

struct SeededData::Item {
  const Operator* op = nullptr;
  LoweredOp work;
  GemmLayout layout;
};

namespace {

int ceil_log2(int64_t v) {
  int b = 0;
  while ((int64_t{1} << b) < v) ++b;
  return b;
}

}  // namespace

const char* SeededData::requantization_rule() {
  return "out = saturate(psum >> ((a_bits - 1) + ceil(ceil(log2 K) / 2))) to the output dtype when it is narrower "
         "than 32 bits; else psum";
}

// The operator and GEMM item behind a plan ("<op>" or "<op>#<i>", see work_item_name()).
SeededData::Item SeededData::item(const OpPlan& plan) const {
  const auto hash = plan.op.rfind('#');
  const std::string name = hash == std::string::npos ? plan.op : plan.op.substr(0, hash);
  const size_t index = hash == std::string::npos ? 0 : std::stoul(plan.op.substr(hash + 1));
  Item it;
  for (size_t i = 0; i < wl_.ops().size(); ++i) {
    if (wl_.ops()[i].name != name) continue;
    it.op = &wl_.ops()[i];
    it.work = wl_.lower(static_cast<int>(i)).at(index);
  }
  const Operator& op = *it.op;
  const auto layout = op_kind(op.kind)->gemm_layout(op, wl_, index);
  if (!layout)
    throw UserError("data run: '" + op.name + "' (" + op.kind + ") has no functional model (kinds with one: gemm, conv2d, depthwise)",
                    op.loc);
  if (op.inputs.size() > 2)
    throw UserError("data run: '" + op.name + "' has a bias input, which the functional data path does not add", op.loc);
  for (const auto* t : {&it.work.a_tensor, &it.work.b_tensor, &it.work.out_tensor})
    if (!dtype_is_int(wl_.tensor(*t).dtype))
      throw UserError("data run: tensor '" + *t + "' of '" + op.name + "' is " + dtype_name(wl_.tensor(*t).dtype) +
                          "; the functional data path is integer only",
                      wl_.tensor(*t).loc);
  it.layout = *layout;
  return it;
}

void SeededData::check(const OpPlan& plan) const {
  const Item it = item(plan);
  for (const auto* name : {&it.work.a_tensor, &it.work.b_tensor}) {
    const Tensor& t = wl_.tensor(*name);
    if (t.role == TensorRole::input || t.role == TensorRole::weight) continue;
    const int p = wl_.producer(*name);
    const Operator* producer = p < 0 ? nullptr : &wl_.ops()[static_cast<size_t>(p)];
    if (!producer || !op_kind(producer->kind)->gemm_layout(*producer, wl_, 0))
      throw UserError("data run: tensor '" + *name + "' is produced by an operator without a functional model", t.loc);
  }
}

const std::vector<int64_t>& SeededData::values(const std::string& name) {
  auto found = values_.find(name);
  if (found != values_.end()) return found->second;
  const Tensor& t = wl_.tensor(name);
  if (t.role != TensorRole::input && t.role != TensorRole::weight)
    throw UserError("data run: tensor '" + name + "' is produced by an operator without a functional model", t.loc);
  const int bits = dtype_bits(t.dtype);
  const int64_t lo = t.dtype == DType::ternary ? -1 : -(int64_t{1} << (bits - 1));
  const int64_t hi = t.dtype == DType::ternary ? 1 : (int64_t{1} << (bits - 1)) - 1;
  std::mt19937_64 rng(seed_ ^ std::hash<std::string>{}(name));
  std::uniform_int_distribution<int64_t> dist(lo, hi);
  std::vector<int64_t> v(static_cast<size_t>(t.elements()));
  if (t.dtype == DType::olive4) {
    // Outlier-victim pairs along the last axis (flat order): one in 16 pairs an outlier (either
    // slot) beside its victim 0, the rest two normal values -7..7.
    std::uniform_int_distribution<int> normal(-olive::kNormalMax, olive::kNormalMax), pick(0, 15),
        outlier(0, 2 * static_cast<int>(olive::kOutliers.size()) - 1);
    for (size_t i = 0; i < v.size(); i += 2) {
      int v0 = normal(rng), v1 = normal(rng);
      if (pick(rng) == 0) {
        const int o = outlier(rng), value = olive::kOutliers[static_cast<size_t>(o / 2)] * (o % 2 ? -1 : 1);
        std::tie(v0, v1) = pick(rng) < 8 ? std::pair{value, 0} : std::pair{0, value};
      }
      v[i] = v0;
      if (i + 1 < v.size()) v[i + 1] = v1;
    }
  } else {
    for (auto& x : v) x = dist(rng);
  }
  return values_.emplace(name, std::move(v)).first->second;
}

OpData SeededData::operands(const OpPlan& plan) {
  const Item it = item(plan);
  const GemmShape& g = it.work.gemm;
  const auto& av = values(it.work.a_tensor);
  const auto& bv = values(it.work.b_tensor);
  OpData d;
  for (int64_t grp = 0; grp < it.work.groups; ++grp) {
    IntMatrix a(g.m, g.k), b(g.k, g.n);
    for (int64_t m = 0; m < g.m; ++m)
      for (int64_t k = 0; k < g.k; ++k) {
        const int64_t i = it.layout.a(grp, m, k);
        a.at(m, k) = i < 0 ? 0 : av[static_cast<size_t>(i)];
      }
    for (int64_t k = 0; k < g.k; ++k)
      for (int64_t n = 0; n < g.n; ++n) b.at(k, n) = bv[static_cast<size_t>(it.layout.b(grp, k, n))];
    d.a.push_back(std::move(a));
    d.b.push_back(std::move(b));
    d.out.emplace_back(g.m, g.n);
  }
  return d;
}

void SeededData::results(const OpPlan& plan, OpData&& data) {
  const Item it = item(plan);
  const GemmShape& g = it.work.gemm;
  const Tensor& out_t = wl_.tensor(it.work.out_tensor);
  const int out_bits = dtype_value_bits(out_t.dtype);
  const bool narrow = out_bits < 32;
  const int shift = (dtype_value_bits(wl_.tensor(it.work.a_tensor).dtype) - 1) + (ceil_log2(g.k) + 1) / 2;
  const int64_t lo = out_t.dtype == DType::ternary ? -1 : -(int64_t{1} << (out_bits - 1));
  const int64_t hi = out_t.dtype == DType::ternary ? 1 : (int64_t{1} << (out_bits - 1)) - 1;
  auto& dst = values_[it.work.out_tensor];
  dst.resize(static_cast<size_t>(out_t.elements()), 0);
  for (int64_t grp = 0; grp < it.work.groups; ++grp)
    for (int64_t m = 0; m < g.m; ++m)
      for (int64_t n = 0; n < g.n; ++n) {
        const int64_t v = data.out[static_cast<size_t>(grp)].at(m, n);
        dst[static_cast<size_t>(it.layout.out(grp, m, n))] = narrow ? std::clamp<int64_t>(v >> shift, lo, hi) : v;
      }
  if (out_t.dtype == DType::olive4)  // requantized values as steps, rounded and pruned in pairs
    for (size_t i = 0; i < dst.size(); i += 2) {
      const auto [v0, v1] = olive::quantize_pair(static_cast<double>(dst[i]),
                                                 i + 1 < dst.size() ? static_cast<double>(dst[i + 1]) : 0.0);
      dst[i] = v0;
      if (i + 1 < dst.size()) dst[i + 1] = v1;
    }
  if (std::find(written_.begin(), written_.end(), it.work.out_tensor) == written_.end())
    written_.push_back(it.work.out_tensor);
}

std::map<std::string, std::string> SeededData::checksums() const {
  std::map<std::string, std::string> out;
  for (const auto& name : written_) {
    uint64_t h = 1469598103934665603ull;  // FNV-1a 64
    for (const int64_t v : values_.at(name)) {
      auto u = static_cast<uint64_t>(v);
      for (int byte = 0; byte < 8; ++byte, u >>= 8) {
        h ^= u & 0xff;
        h *= 1099511628211ull;
      }
    }
    out[name] = fmt::format("{:016x}", h);
  }
  return out;
}

}  // namespace tessera
