#include "sim/cosim/rtl_model.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace tessera {

namespace {

RtlParams sorted(RtlParams p) {
  std::sort(p.begin(), p.end());
  return p;
}

RtlParams parse_params(const std::string& text) {
  RtlParams p;
  size_t i = 0;
  while (i < text.size()) {
    const size_t end = std::min(text.find(' ', i), text.size());
    const std::string a = text.substr(i, end - i);
    const size_t eq = a.find('=');
    if (eq != std::string::npos) p.emplace_back(a.substr(0, eq), std::stoll(a.substr(eq + 1)));
    i = end + 1;
  }
  return p;
}

}  // namespace

void RtlBus::set(int64_t lo, int width, int64_t v) {
  const uint64_t u = static_cast<uint64_t>(v) & ((uint64_t{1} << width) - 1);
  const auto wi = static_cast<size_t>(lo / 32);
  const int off = static_cast<int>(lo % 32);
  w_[wi] |= static_cast<uint32_t>(u << off);
  if (off + width > 32) w_[wi + 1] |= static_cast<uint32_t>(u >> (32 - off));
}

std::string rtl_params_text(const RtlParams& p) {
  std::string s;
  for (const auto& [k, v] : p) s += (s.empty() ? "" : " ") + k + "=" + std::to_string(v);
  return s;
}

std::vector<RtlParams> rtl_linked_builds(const std::string& engine) {
  std::vector<RtlParams> v;
  for (const auto& b : rtl_gen::linked_builds())
    if (engine == b.engine) v.push_back(parse_params(b.params));
  return v;
}

// Declared in rtl_cache.cpp: the cached or freshly built shared object.
const TesseraRtlAbi* rtl_cached_model_abi(const RtlRecipe& recipe, const RtlRequest& req);

const TesseraRtlAbi* rtl_model_abi(const RtlRequest& req) {
  const RtlParams want = sorted(req.params);
  for (const auto& b : rtl_gen::linked_builds())
    if (req.engine == b.engine && sorted(parse_params(b.params)) == want) return b.entry();
  for (const RtlRecipe* r : rtl_gen::recipes())
    if (r->engine == req.engine) return rtl_cached_model_abi(*r, req);
  throw std::logic_error("no RTL recipe for engine '" + req.engine + "' (rtl/src/" + req.engine + "/rtl.cmake)");
}

RtlModel::RtlModel(const TesseraRtlAbi* abi) : abi_(abi), inst_(abi->create()) {}

RtlModel::~RtlModel() { abi_->destroy(inst_); }

RtlModel::Port RtlModel::port(const char* name) const {
  Port p;
  p.data = abi_->port(inst_, name, &p.bytes);
  if (!p.data) throw std::logic_error(std::string("the RTL model has no port '") + name + "'");
  return p;
}

void RtlModel::set(const Port& p, uint64_t v) {
  switch (p.bytes) {
    case 1: *static_cast<uint8_t*>(p.data) = static_cast<uint8_t>(v); return;
    case 2: *static_cast<uint16_t*>(p.data) = static_cast<uint16_t>(v); return;
    case 4: *static_cast<uint32_t*>(p.data) = static_cast<uint32_t>(v); return;
    case 8: *static_cast<uint64_t*>(p.data) = v; return;
    default: {
      auto* w = static_cast<uint32_t*>(p.data);
      std::fill(w, w + p.bytes / 4, 0u);
      w[0] = static_cast<uint32_t>(v);
      w[1] = static_cast<uint32_t>(v >> 32);
    }
  }
}

void RtlModel::set_words(const Port& p, const uint32_t* w) {
  if (p.bytes <= 8) {
    set(p, w[0] | (p.bytes == 8 ? uint64_t{w[1]} << 32 : 0));
    return;
  }
  std::memcpy(p.data, w, static_cast<size_t>(p.bytes));
}

uint64_t RtlModel::get(const Port& p) {
  switch (p.bytes) {
    case 1: return *static_cast<const uint8_t*>(p.data);
    case 2: return *static_cast<const uint16_t*>(p.data);
    case 4: return *static_cast<const uint32_t*>(p.data);
    case 8: return *static_cast<const uint64_t*>(p.data);
    default: {
      const auto* w = static_cast<const uint32_t*>(p.data);
      return w[0] | uint64_t{w[1]} << 32;
    }
  }
}

uint64_t RtlModel::bits(const Port& p, int lo, int width) {
  if (p.bytes <= 8) {
    const uint64_t u = get(p) >> lo;
    return width >= 64 ? u : u & ((uint64_t{1} << width) - 1);
  }
  const auto* w = static_cast<const uint32_t*>(p.data);
  uint64_t u = 0;
  for (int got = 0; got < width;) {
    const int b = lo + got, off = b % 32, take = std::min(32 - off, width - got);
    const uint64_t word = w[b / 32] >> off;
    u |= (take == 32 ? word : word & ((uint64_t{1} << take) - 1)) << got;
    got += take;
  }
  return u;
}

}  // namespace tessera
