#include "models/numerics/olive.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <string>

namespace tessera::olive {

namespace {

// The reference kernel's list: the normal values, then the outliers, each ascending.
const std::array<int, 15 + 14>& grid() {
  static const std::array<int, 29> g = [] {
    std::array<int, 29> a{};
    size_t i = 0;
    for (int v = -kNormalMax; v <= kNormalMax; ++v) a[i++] = v;
    for (auto it = kOutliers.rbegin(); it != kOutliers.rend(); ++it) a[i++] = -*it;
    for (int v : kOutliers) a[i++] = v;
    return a;
  }();
  return g;
}

int outlier_code(int v) {  // sign, E, b0
  const int m = std::abs(v);
  for (int e = 0; e < 4; ++e)
    for (int b0 = 0; b0 < 2; ++b0)
      if ((2 + b0) << (e + 2) == m) return (v < 0 ? 8 : 0) | e << 1 | b0;
  throw std::invalid_argument("olive: " + std::to_string(v) + " is not an outlier value");
}

int nibble_int(int code) { return code & 8 ? code - 16 : code; }

// Symmetric quantization by a linear search of alpha (the shared scale search).
template <class Round>
Channel search(const std::vector<double>& x, double base, double top, Round round) {
  Channel best;
  if (!(base > 0)) {
    best.values.assign(x.size(), 0);
    return best;
  }
  double best_err = std::numeric_limits<double>::infinity();
  std::vector<int> v(x.size());
  for (int i = 75; i < 250; i += 2) {  // multipliers 0.75, 0.77, ..., 2.49
    const double step = base * (i * 0.01) / top;
    round(x, step, v);
    double err = 0;
    for (size_t j = 0; j < x.size(); ++j) err += (x[j] - v[j] * step) * (x[j] - v[j] * step);
    if (err < best_err) {
      best_err = err;
      best.values = v;
      best.step = step;
    }
  }
  return best;
}

}  // namespace

bool is_outlier(int v) { return std::find(kOutliers.begin(), kOutliers.end(), std::abs(v)) != kOutliers.end(); }
bool is_value(int v) { return std::abs(v) <= kNormalMax || is_outlier(v); }

int nearest(double x) {
  // In fp32, as the kernel: |x - y| <= the best so far replaces it.
  const float xf = static_cast<float>(x);
  float best = std::numeric_limits<float>::infinity();
  int z = 0;
  for (int y : grid()) {
    const float d = std::fabs(xf - static_cast<float>(y));
    if (d <= best) {
      best = d;
      z = y;
    }
  }
  return z;
}

std::pair<int, int> quantize_pair(double x0, double x1) {
  int v0 = nearest(x0), v1 = nearest(x1);
  if (is_outlier(v0))
    v1 = 0;
  else if (is_outlier(v1))
    v0 = 0;
  return {v0, v1};
}

uint8_t encode_pair(int v0, int v1) {
  const bool o0 = is_outlier(v0), o1 = is_outlier(v1);
  if (!is_value(v0) || !is_value(v1) || (o0 && v1 != 0) || (o1 && v0 != 0))
    throw std::invalid_argument("olive: (" + std::to_string(v0) + ", " + std::to_string(v1) +
                                ") is not an outlier-victim pair");
  int c0 = v0 & 15, c1 = v1 & 15;
  if (o0) c0 = outlier_code(v0), c1 = 8;
  if (o1) c0 = 8, c1 = outlier_code(v1);
  return static_cast<uint8_t>(c0 | c1 << 4);
}

std::pair<Fields, Fields> decode_fields(uint8_t byte) {
  const int c0 = byte & 15, c1 = byte >> 4;
  if (c0 == 8 && c1 == 8) throw std::invalid_argument("olive: 0x88 is no pair (two identifiers)");
  const auto outlier = [](int code) {
    const int mag = 2 + (code & 1), e = ((code >> 1) & 3) + 2;
    return Fields{e, code & 8 ? -mag : mag};
  };
  if ((c0 == 8 && c1 == 0) || (c1 == 8 && c0 == 0))  // an outlier code 0000 (+8) is not used
    throw std::invalid_argument("olive: byte " + std::to_string(byte) + " holds the unused outlier code 0000");
  if (c1 == 8) return {outlier(c0), Fields{}};
  if (c0 == 8) return {Fields{}, outlier(c1)};
  return {Fields{0, nibble_int(c0)}, Fields{0, nibble_int(c1)}};
}

std::pair<int, int> decode_pair(uint8_t byte) {
  const auto [f0, f1] = decode_fields(byte);
  return {f0.integer * (1 << f0.exponent), f1.integer * (1 << f1.exponent)};
}

Channel quantize_channel(const std::vector<double>& x) {
  double mean = 0, var = 0;
  for (double v : x) mean += v;
  mean /= static_cast<double>(std::max<size_t>(1, x.size()));
  for (double v : x) var += (v - mean) * (v - mean);
  const double sd = x.size() > 1 ? std::sqrt(var / static_cast<double>(x.size() - 1)) : 0;
  const double base = std::max(std::fabs(mean + 3 * sd), std::fabs(mean - 3 * sd));
  return search(x, base, kNormalMax, [](const std::vector<double>& in, double step, std::vector<int>& out) {
    for (size_t j = 0; j < in.size(); j += 2) {
      const auto [v0, v1] = quantize_pair(in[j] / step, j + 1 < in.size() ? in[j + 1] / step : 0.0);
      out[j] = v0;
      if (j + 1 < in.size()) out[j + 1] = v1;
    }
  });
}

Channel quantize_channel_int(const std::vector<double>& x, int bits) {
  if (bits < 2 || bits > 16) throw std::invalid_argument("olive: int baseline of " + std::to_string(bits) + " bits");
  const int top = (1 << (bits - 1)) - 1;
  double base = 0;
  for (double v : x) base = std::max(base, std::fabs(v));
  return search(x, base, top, [top](const std::vector<double>& in, double step, std::vector<int>& out) {
    for (size_t j = 0; j < in.size(); ++j)
      out[j] = static_cast<int>(std::clamp<double>(std::round(in[j] / step), -top, top));
  });
}

}  // namespace tessera::olive
