#include "models/numerics/histogram.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

namespace tessera {

namespace {

// Counts proportional to `w` summing to exactly `n`: floors, then the remainder to the largest
// fractional parts (ties: lowest index first).
std::vector<uint64_t> apportion(const std::vector<double>& w, uint64_t n) {
  const double total = std::accumulate(w.begin(), w.end(), 0.0);
  std::vector<uint64_t> out(w.size(), 0);
  if (n == 0 || total <= 0) return out;
  std::vector<double> rem(w.size());
  uint64_t given = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    const double share = w[i] / total * static_cast<double>(n);
    out[i] = static_cast<uint64_t>(std::floor(share));
    rem[i] = share - std::floor(share);
    given += out[i];
  }
  std::vector<size_t> order(w.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return rem[a] > rem[b]; });
  // Rounding in the shares can leave given above n by a count or two: take from the smallest.
  for (size_t i = 0; given < n; i = (i + 1) % order.size()) {
    if (w[order[i]] > 0) {
      ++out[order[i]];
      ++given;
    }
  }
  for (size_t i = order.size(); given > n;) {
    i = i == 0 ? order.size() - 1 : i - 1;
    if (out[order[i]] > 0) {
      --out[order[i]];
      --given;
    }
  }
  return out;
}

uint64_t zeros_in(const NumFormat& f, const std::vector<uint64_t>& bins) {
  uint64_t z = 0;
  for (size_t p = 0; p < bins.size(); ++p)
    if (is_zero(f, p)) z += bins[p];
  return z;
}

bool binnable(const NumFormat& f) { return f.bits() <= ValueHistogram::kMaxBinnedBits; }

}  // namespace

ValueHistogram ValueHistogram::scaled_to(uint64_t n) const {
  ValueHistogram h;
  h.format = format;
  h.count = n;
  if (binned()) {
    h.bins = apportion(std::vector<double>(bins.begin(), bins.end()), n);
    h.zeros = zeros_in(format, h.bins);
  } else {
    const auto z = apportion({double(zeros), double(count - zeros)}, n);
    h.zeros = z[0];
  }
  return h;
}

ValueHistogram histogram_of(const TypedMatrix& x) {
  ValueHistogram h;
  h.format = x.format();
  h.count = static_cast<uint64_t>(x.size());
  if (binnable(h.format)) h.bins.assign(size_t{1} << h.format.bits(), 0);
  for (uint64_t raw : x.raws()) {
    if (h.binned()) ++h.bins[raw];
    if (is_zero(h.format, raw)) ++h.zeros;
  }
  return h;
}

ValueHistogram histogram_from_probabilities(const NumFormat& f, uint64_t count, const std::vector<double>& p) {
  if (!binnable(f))
    throw std::invalid_argument("histogram_from_probabilities: " + f.name() + " is wider than " +
                                std::to_string(ValueHistogram::kMaxBinnedBits) + " bits");
  if (p.size() != (size_t{1} << f.bits()))
    throw std::invalid_argument("histogram_from_probabilities: " + f.name() + " needs " +
                                std::to_string(size_t{1} << f.bits()) + " probabilities, got " +
                                std::to_string(p.size()));
  double total = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    if (!(p[i] >= 0)) throw std::invalid_argument("histogram_from_probabilities: negative or NaN probability");
    if (p[i] > 0 && !is_valid(f, i))
      throw std::invalid_argument("histogram_from_probabilities: mass on invalid pattern " + std::to_string(i));
    total += p[i];
  }
  if (!(total > 0)) throw std::invalid_argument("histogram_from_probabilities: all probabilities are zero");
  ValueHistogram h;
  h.format = f;
  h.count = count;
  h.bins = apportion(p, count);
  h.zeros = zeros_in(f, h.bins);
  return h;
}

ValueHistogram histogram_uniform(const NumFormat& f, uint64_t count, double zero_fraction) {
  if (!(zero_fraction >= 0 && zero_fraction <= 1))
    throw std::invalid_argument("histogram_uniform: zero_fraction must be in [0, 1]");
  if (!binnable(f)) {
    ValueHistogram h;
    h.format = f;
    h.count = count;
    h.zeros = apportion({zero_fraction, 1 - zero_fraction}, count)[0];
    return h;
  }
  const size_t n = size_t{1} << f.bits();
  size_t others = 0;
  auto other = [&](size_t i) { return is_valid(f, i) && !is_nan(f, i) && !is_zero(f, i); };
  for (size_t i = 1; i < n; ++i) others += other(i);
  std::vector<double> p(n, 0);
  p[0] = others ? zero_fraction : 1;
  for (size_t i = 1; i < n; ++i)
    if (other(i)) p[i] = (1 - zero_fraction) / double(others);
  return histogram_from_probabilities(f, count, p);
}

ValueHistogram histogram_of_distribution(const NumFormat& f, const ValueDistribution& d, uint64_t count) {
  if (f.is_float()) throw std::invalid_argument("histogram_of_distribution: " + f.name() + " is not an integer format");
  if (!(d.zeros >= 0 && d.zeros <= 1))
    throw std::invalid_argument("histogram_of_distribution: zeros must be in [0, 1]");
  if (!(d.sigma >= 0)) throw std::invalid_argument("histogram_of_distribution: sigma must be >= 0");
  if (!binnable(f)) return histogram_uniform(f, count, d.zeros);
  const int64_t lo = d.positive ? 1 : f.int_min(), hi = f.int_max();
  if (lo > hi && d.zeros < 1)
    throw std::invalid_argument("histogram_of_distribution: " + f.name() + " has no positive value");
  // Mass of the non-zero value v: 1 (uniform), or the Gaussian's mass over [v - 1/2, v + 1/2),
  // the extremes taking the tails beyond them.
  auto cdf = [&](double x) { return 0.5 * std::erfc(-x / (d.sigma * std::sqrt(2.0))); };
  std::vector<double> w(size_t{1} << f.bits(), 0.0);
  double nonzero = 0;
  for (int64_t v = lo; v <= hi; ++v) {
    if (v == 0) continue;
    double m = 1;
    if (d.sigma > 0) {
      const double a = v == f.int_min() ? 0.0 : cdf(static_cast<double>(v) - 0.5);
      const double b = v == hi ? 1.0 : cdf(static_cast<double>(v) + 0.5);
      m = b - a;
    }
    w[static_cast<size_t>(static_cast<uint64_t>(v) & ((uint64_t{1} << f.bits()) - 1))] = m;
    nonzero += m;
  }
  std::vector<double> p(w.size(), 0.0);
  for (size_t i = 0; i < w.size(); ++i) p[i] = nonzero > 0 ? w[i] / nonzero * (1 - d.zeros) : 0.0;
  p[0] += nonzero > 0 ? d.zeros : 1.0;
  return histogram_from_probabilities(f, count, p);
}

}  // namespace tessera
