#pragma once
// Parameters are declared once, next to the code that reads them: name, type, unit, range or
// choices, default (or required), and a one-line meaning. The YAML loader, `--set`,
// `tessera list` and the docs all read these declarations; nothing else lists parameters.
//
// ParamValues is what a model is built from: every declared parameter resolved (user value or
// default), type-checked and range-checked by sim/config before the model sees it.
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "models/common/error.h"

namespace tessera {

enum class ParamType { Int, Float, Bool, String, Choice };
const char* param_type_name(ParamType t);

struct ParamDecl {
  std::string name;
  ParamType type = ParamType::Int;
  std::string unit;                 // "" for dimensionless; e.g. "bits", "KiB", "GB/s", "ns"
  std::string doc;                  // one line
  std::optional<std::string> dflt;  // textual default, parsed like user input; nullopt = required
  double min = -std::numeric_limits<double>::infinity();  // inclusive bounds for Int/Float
  double max = std::numeric_limits<double>::infinity();
  std::vector<std::string> choices;  // for Choice

  // Builders, so declarations read as one line each.
  static ParamDecl integer(std::string name, std::string unit, std::optional<std::string> dflt, double min,
                           double max, std::string doc);
  static ParamDecl real(std::string name, std::string unit, std::optional<std::string> dflt, double min,
                        double max, std::string doc);
  static ParamDecl boolean(std::string name, std::optional<std::string> dflt, std::string doc);
  static ParamDecl string(std::string name, std::optional<std::string> dflt, std::string doc);
  static ParamDecl choice(std::string name, std::vector<std::string> choices, std::optional<std::string> dflt,
                          std::string doc);

  std::string range_text() const;  // "1..4096", "one of os|ws|is", "any"
};

using ParamValue = std::variant<int64_t, double, bool, std::string>;

// Parses `text` as a value of `decl` and checks its range; throws UserError (at `loc`, naming
// `key_path`) with what was expected.
ParamValue parse_param(const ParamDecl& decl, const std::string& text, const SourceLoc& loc,
                       const std::string& key_path);
std::string param_value_text(const ParamValue& v);

class ParamValues {
 public:
  void set(const std::string& name, ParamValue v) { values_[name] = std::move(v); }
  bool has(const std::string& name) const { return values_.count(name) != 0; }
  int64_t i(const std::string& name) const;
  double f(const std::string& name) const;  // Int values are widened
  bool b(const std::string& name) const;
  const std::string& s(const std::string& name) const;  // String and Choice
  const std::map<std::string, ParamValue>& all() const { return values_; }

 private:
  const ParamValue& get(const std::string& name) const;
  std::map<std::string, ParamValue> values_;
};

// Every parameter of `decls` at its default (for tools and tests that build a model in code and
// then set the few parameters they care about). A required parameter is a programming error.
ParamValues default_params(const std::vector<ParamDecl>& decls);

// Edit distance based "did you mean" over candidates; empty if nothing is close.
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);
// " -- did you mean 'x'?" for closest_match's answer, or "" when nothing is close.
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace tessera
