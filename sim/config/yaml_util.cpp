#include "sim/config/yaml_util.h"

#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace tessera {

std::string join_key(const std::string& prefix, const std::string& key) {
  return prefix.empty() ? key : prefix + "." + key;
}

template <class Node>
SourceLoc yaml_loc(const Node& node, const std::string& file) {
  SourceLoc loc{file, 0, 0};
  if (node.IsDefined()) {
    const auto m = node.Mark();
    if (!m.is_null()) {
      loc.line = m.line + 1;
      loc.col = m.column + 1;
    }
  }
  return loc;
}

namespace {
// yaml-cpp keeps the first of two equal keys and drops the second without a word: every map of
// every document is checked here, so no loader can silently ignore a repeated key.
// Aliases can make a document's tree exponentially larger than its text: the walk is bounded.
void check_unique_keys(const YAML::Node& n, const std::string& file, const std::string& path, size_t& budget,
                       int depth = 0) {
  if (depth > 200) throw UserError("nested more than 200 levels deep", yaml_loc(n, file), path);
  if (budget-- == 0) throw UserError("more than 10,000,000 nodes once aliases are expanded", yaml_loc(n, file), path);
  if (n.IsMap()) {
    std::set<std::string> seen;
    for (auto it = n.begin(); it != n.end(); ++it) {
      const std::string k = it->first.IsScalar() ? it->first.Scalar() : "";
      if (it->first.IsScalar() && !seen.insert(k).second)
        throw UserError("key '" + k + "' appears twice", yaml_loc(it->first, file), join_key(path, k));
      check_unique_keys(it->second, file, it->first.IsScalar() ? join_key(path, k) : path, budget, depth + 1);
    }
  } else if (n.IsSequence()) {
    for (size_t i = 0; i < n.size(); ++i)
      check_unique_keys(n[i], file, join_key(path, std::to_string(i)), budget, depth + 1);
  }
}
}  // namespace

YAML::Node load_yaml_string(const std::string& text, const std::string& name) {
  try {
    YAML::Node root = YAML::Load(text);
    size_t budget = 10'000'000;
    check_unique_keys(root, name, "", budget);
    return root;
  } catch (const YAML::Exception& e) {
    SourceLoc loc{name, e.mark.is_null() ? 0 : e.mark.line + 1, e.mark.is_null() ? 0 : e.mark.column + 1};
    throw UserError("malformed YAML: " + e.msg, loc);
  }
}

std::string read_text_file(const std::string& path) {
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);
  if (std::filesystem::is_directory(st)) throw UserError("is a directory, not a file", SourceLoc{path, 0, 0});
  // A device or FIFO could block forever or never end (/dev/zero): inputs are regular files.
  if (std::filesystem::exists(st) && !std::filesystem::is_regular_file(st))
    throw UserError("is not a regular file (a device, FIFO or socket); expected a file to read", SourceLoc{path, 0, 0});
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UserError("cannot open file", SourceLoc{path, 0, 0});
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

YAML::Node load_yaml_file(const std::string& path) { return load_yaml_string(read_text_file(path), path); }

namespace {
// Tracks key/value positions in maps; records the first top-level key that is wanted, then stops.
class TopKeyFinder : public YAML::EventHandler {
 public:
  struct Found {};
  explicit TopKeyFinder(const std::vector<std::string>& wanted) : wanted_(wanted) {}
  std::vector<std::string> found;

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override { throw Found{}; }  // the first document only
  void OnNull(const YAML::Mark&, YAML::anchor_t) override { node(nullptr); }
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override { node(nullptr); }
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string& value) override { node(&value); }
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    node(nullptr);
    stack_.push_back({false, false});
  }
  void OnSequenceEnd() override { stack_.pop_back(); }
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    node(nullptr);
    stack_.push_back({true, true});
  }
  void OnMapEnd() override { stack_.pop_back(); }

 private:
  struct Frame {
    bool map, expect_key;
  };
  void node(const std::string* scalar) {
    if (stack_.empty() || !stack_.back().map) return;
    Frame& f = stack_.back();
    if (f.expect_key && stack_.size() == 1 && scalar &&
        std::find(wanted_.begin(), wanted_.end(), *scalar) != wanted_.end()) {
      found.push_back(*scalar);
      throw Found{};
    }
    f.expect_key = !f.expect_key;
  }
  const std::vector<std::string>& wanted_;
  std::vector<Frame> stack_;
};
}  // namespace

std::vector<std::string> yaml_top_keys(const std::string& text, const std::vector<std::string>& wanted) {
  std::istringstream in(text);
  TopKeyFinder finder(wanted);
  try {
    YAML::Parser parser(in);
    parser.HandleNextDocument(finder);
  } catch (const TopKeyFinder::Found&) {
  } catch (const YAML::Exception&) {
    return {};
  }
  return finder.found;
}

template <class Node>
static const char* node_kind(const Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: return "a map";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Scalar: return "a scalar";
    case YAML::NodeType::Null: return "nothing";
    default: return "undefined";
  }
}

template <class Node>
void expect_map(const Node& node, const std::string& file, const std::string& key_path,
                const std::string& what) {
  if (!node.IsMap()) throw UserError("expected " + what + " (a map), got " + node_kind(node), yaml_loc(node, file), key_path);
}

template <class Node>
void expect_sequence(const Node& node, const std::string& file, const std::string& key_path,
                     const std::string& what) {
  if (!node.IsSequence())
    throw UserError("expected " + what + " (a list), got " + node_kind(node), yaml_loc(node, file), key_path);
}

template <class Node>
std::string scalar_text(const Node& node, const std::string& file, const std::string& key_path,
                        const std::string& what) {
  if (!node.IsScalar())
    throw UserError("expected " + what + ", got " + node_kind(node), yaml_loc(node, file), key_path);
  return node.Scalar();
}

template <class Node>
void check_keys(const Node& node, const std::vector<std::string>& allowed, const std::string& file,
                const std::string& key_path) {
  for (auto it = node.begin(); it != node.end(); ++it) {
    const std::string key = scalar_text(it->first, file, key_path, "a key");
    bool ok = false;
    for (const auto& a : allowed) ok = ok || a == key;
    if (ok) continue;
    std::string close = closest_match(key, allowed);
    std::string msg = "unknown key '" + key + "'";
    if (!close.empty()) {
      msg += " -- did you mean '" + close + "'?";
    } else {
      msg += "; expected one of:";
      for (const auto& a : allowed) msg += " " + a;
    }
    throw UserError(msg, yaml_loc(it->first, file), join_key(key_path, key));
  }
}

template <class Node>
ParamValues resolve_params(const Node& node, const std::vector<ParamDecl>& decls, const std::string& file,
                           const std::string& key_path, const std::vector<std::string>& extra_keys) {
  std::vector<std::string> allowed = extra_keys;
  for (const auto& d : decls) allowed.push_back(d.name);
  if (node.IsDefined() && !node.IsNull()) {
    expect_map(node, file, key_path, "parameters");
    check_keys(node, allowed, file, key_path);
  }
  ParamValues out;
  for (const auto& d : decls) {
    const std::string key = join_key(key_path, d.name);
    const Node v = node.IsMap() ? node[d.name] : Node();
    if (node.IsMap() && v.IsDefined() && v.IsNull()) {  // `rows:` with nothing after it is a slip, not "the default"
      SourceLoc at = yaml_loc(v, file);  // a null value's mark is the next token's: name the key's
      for (const auto& kv : node)
        if (kv.first.IsScalar() && kv.first.Scalar() == d.name) at = yaml_loc(kv.first, file);
      throw UserError("'" + d.name + "' has no value: expected " + param_type_name(d.type) + " (" + d.doc + "; " +
                          d.range_text() + (d.dflt ? "); leave the key out for the default, " + *d.dflt : ")"),
                      at, key);
    }
    if (v.IsDefined() && !v.IsNull()) {
      const std::string type = param_type_name(d.type);
      const std::string text = scalar_text(v, file, key, (type[0] == 'i' ? "an " : "a ") + type);
      out.set(d.name, parse_param(d, text, yaml_loc(v, file), key));
    } else if (d.dflt) {
      out.set(d.name, parse_param(d, *d.dflt, SourceLoc{}, key));
    } else {
      throw UserError("missing required key '" + d.name + "' (" + d.doc + "; " + d.range_text() + ")",
                      yaml_loc(node, file), key);
    }
  }
  return out;
}

// The two node types the loaders read.
#define TESSERA_YAML_HELPERS(Node)                                                                               \
  template SourceLoc yaml_loc(const Node&, const std::string&);                                                  \
  template void expect_map(const Node&, const std::string&, const std::string&, const std::string&);           \
  template void expect_sequence(const Node&, const std::string&, const std::string&, const std::string&);      \
  template std::string scalar_text(const Node&, const std::string&, const std::string&, const std::string&);   \
  template void check_keys(const Node&, const std::vector<std::string>&, const std::string&, const std::string&); \
  template ParamValues resolve_params(const Node&, const std::vector<ParamDecl>&, const std::string&,           \
                                      const std::string&, const std::vector<std::string>&);
TESSERA_YAML_HELPERS(YAML::Node)
TESSERA_YAML_HELPERS(YamlNode)
#undef TESSERA_YAML_HELPERS

}  // namespace tessera
