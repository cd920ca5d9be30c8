#include "models/common/params.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace tessera {

const char* param_type_name(ParamType t) {
  switch (t) {
    case ParamType::Int: return "integer";
    case ParamType::Float: return "number";
    case ParamType::Bool: return "boolean";
    case ParamType::String: return "string";
    case ParamType::Choice: return "choice";
  }
  return "?";
}

ParamDecl ParamDecl::integer(std::string name, std::string unit, std::optional<std::string> dflt, double min,
                             double max, std::string doc) {
  ParamDecl d;
  d.name = std::move(name);
  d.type = ParamType::Int;
  d.unit = std::move(unit);
  d.dflt = std::move(dflt);
  d.min = min;
  d.max = max;
  d.doc = std::move(doc);
  return d;
}
ParamDecl ParamDecl::real(std::string name, std::string unit, std::optional<std::string> dflt, double min,
                          double max, std::string doc) {
  ParamDecl d = integer(std::move(name), std::move(unit), std::move(dflt), min, max, std::move(doc));
  d.type = ParamType::Float;
  return d;
}
ParamDecl ParamDecl::boolean(std::string name, std::optional<std::string> dflt, std::string doc) {
  ParamDecl d;
  d.name = std::move(name);
  d.type = ParamType::Bool;
  d.dflt = std::move(dflt);
  d.doc = std::move(doc);
  return d;
}
ParamDecl ParamDecl::string(std::string name, std::optional<std::string> dflt, std::string doc) {
  ParamDecl d;
  d.name = std::move(name);
  d.type = ParamType::String;
  d.dflt = std::move(dflt);
  d.doc = std::move(doc);
  return d;
}
ParamDecl ParamDecl::choice(std::string name, std::vector<std::string> choices, std::optional<std::string> dflt,
                            std::string doc) {
  ParamDecl d;
  d.name = std::move(name);
  d.type = ParamType::Choice;
  d.choices = std::move(choices);
  d.dflt = std::move(dflt);
  d.doc = std::move(doc);
  return d;
}

static std::string num_text(double v) {
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  std::ostringstream os;
  os << v;
  return os.str();
}

std::string ParamDecl::range_text() const {
  switch (type) {
    case ParamType::Int:
    case ParamType::Float: {
      if (std::isinf(min) && std::isinf(max)) return "any " + std::string(param_type_name(type));
      if (std::isinf(max)) return ">= " + num_text(min);
      if (std::isinf(min)) return "<= " + num_text(max);
      return num_text(min) + ".." + num_text(max);
    }
    case ParamType::Bool: return "true|false";
    case ParamType::String: return "any string";
    case ParamType::Choice: {
      std::string s = "one of ";
      for (size_t i = 0; i < choices.size(); ++i) s += (i ? "|" : "") + choices[i];
      return s;
    }
  }
  return "";
}

ParamValue parse_param(const ParamDecl& d, const std::string& text, const SourceLoc& loc,
                       const std::string& key) {
  auto fail = [&](const std::string& what) {
    throw UserError("expected " + what + ", got '" + text + "'", loc, key);
  };
  auto check_range = [&](double v) {
    if (v < d.min || v > d.max) {
      throw UserError("value " + text + (d.unit.empty() ? "" : " " + d.unit) + " is out of range; expected " +
                          d.range_text(),
                      loc, key);
    }
  };
  switch (d.type) {
    case ParamType::Int: {
      errno = 0;
      char* end = nullptr;
      long long v = std::strtoll(text.c_str(), &end, 0);
      if (text.empty() || *end != '\0' || errno == ERANGE) fail("an integer (" + d.range_text() + ")");
      check_range(static_cast<double>(v));
      return static_cast<int64_t>(v);
    }
    case ParamType::Float: {
      errno = 0;
      char* end = nullptr;
      double v = std::strtod(text.c_str(), &end);
      if (text.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(v))
        fail("a number (" + d.range_text() + ")");
      check_range(v);
      return v;
    }
    case ParamType::Bool:
      if (text == "true" || text == "1" || text == "yes" || text == "on") return true;
      if (text == "false" || text == "0" || text == "no" || text == "off") return false;
      fail("true or false");
      break;
    case ParamType::String: return text;
    case ParamType::Choice: {
      if (std::find(d.choices.begin(), d.choices.end(), text) != d.choices.end()) return text;
      std::string close = closest_match(text, d.choices);
      throw UserError("expected " + d.range_text() + ", got '" + text + "'" +
                          (close.empty() ? "" : " (did you mean '" + close + "'?)"),
                      loc, key);
    }
  }
  return text;
}

std::string param_value_text(const ParamValue& v) {
  struct V {
    std::string operator()(int64_t x) const { return std::to_string(x); }
    std::string operator()(double x) const { return num_text(x); }
    std::string operator()(bool x) const { return x ? "true" : "false"; }
    std::string operator()(const std::string& x) const { return x; }
  };
  return std::visit(V{}, v);
}

const ParamValue& ParamValues::get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) throw std::logic_error("parameter '" + name + "' was not declared/resolved");
  return it->second;
}
int64_t ParamValues::i(const std::string& name) const { return std::get<int64_t>(get(name)); }
double ParamValues::f(const std::string& name) const {
  const auto& v = get(name);
  if (auto p = std::get_if<int64_t>(&v)) return static_cast<double>(*p);
  return std::get<double>(v);
}
bool ParamValues::b(const std::string& name) const { return std::get<bool>(get(name)); }
const std::string& ParamValues::s(const std::string& name) const { return std::get<std::string>(get(name)); }

ParamValues default_params(const std::vector<ParamDecl>& decls) {
  ParamValues p;
  for (const auto& d : decls) {
    if (!d.dflt) throw std::logic_error("parameter '" + d.name + "' has no default");
    p.set(d.name, parse_param(d, *d.dflt, SourceLoc{}, d.name));
  }
  return p;
}

static size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (std::tolower(a[i - 1]) == std::tolower(b[j - 1]) ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string closest_match(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = std::max<size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    size_t d = edit_distance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates) {
  const std::string c = closest_match(word, candidates);
  return c.empty() ? "" : " -- did you mean '" + c + "'?";
}

}  // namespace tessera
