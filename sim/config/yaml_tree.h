#pragma once
// A read-only YAML document built from yaml-cpp's parser events, for the inputs that grow with
// the network (workloads, mappings). yaml-cpp still does all the YAML; only the tree is ours:
// about 30 bytes a node where a YAML::Node takes about 600, so a 100,000-operator workload
// (12 MB of text) is 60 MB instead of 1.06 GB, and builds in 2.0 s instead of 4.9 s.
//
// YamlNode has the subset of YAML::Node's interface the loaders use, with the same names and
// meaning (IsMap, Scalar, Mark, operator[] returning an undefined node for a missing key), so
// the helpers in yaml_util.h serve both.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace tessera {

class YamlNode;
class YamlMapIterator;

class YamlTree {
 public:
  // The first document of `text`. Throws UserError (at `name`:line:col) on malformed YAML, a key
  // given twice in one map, nesting deeper than 200 levels, an alias to its own enclosing node,
  // or aliases that expand the document by more than 10,000,000 nodes.
  static YamlTree parse(const std::string& text, const std::string& name);
  YamlNode root() const;

  struct Rec {
    YAML::NodeType::value type;
    int32_t line, col;  // 0-based, as YAML::Mark
    uint32_t begin, count;  // scalar: bytes in text_; collection: entries in children_ (maps: key, value, ...)
  };

 private:
  friend class YamlNode;
  friend class YamlBuilder;
  std::string text_;               // every scalar's bytes, back to back
  std::vector<Rec> nodes_;         // node 0 is the root
  std::vector<uint32_t> children_;  // node indices; an alias repeats its anchor's index
};

// A node of a YamlTree (the tree must outlive it), or an undefined node.
class YamlNode {
 public:
  YamlNode() = default;
  bool IsDefined() const { return tree_ != nullptr; }
  YAML::NodeType::value Type() const { return tree_ ? rec().type : YAML::NodeType::Undefined; }
  bool IsNull() const { return Type() == YAML::NodeType::Null; }
  bool IsScalar() const { return Type() == YAML::NodeType::Scalar; }
  bool IsSequence() const { return Type() == YAML::NodeType::Sequence; }
  bool IsMap() const { return Type() == YAML::NodeType::Map; }
  explicit operator bool() const { return IsDefined(); }
  bool operator!() const { return !IsDefined(); }

  std::string Scalar() const;  // "" unless a scalar
  YAML::Mark Mark() const;     // null mark for an undefined node
  size_t size() const;         // entries of a sequence or map; 0 otherwise

  YamlNode operator[](size_t i) const;  // sequence element (undefined past the end or on a non-sequence)
  YamlNode operator[](const std::string& key) const;  // map value (undefined if absent or not a map)

  // Map entries in order, as YAML::Node's iterator: it->first is the key, it->second the value.
  using const_iterator = YamlMapIterator;
  const_iterator begin() const;  // empty unless a map
  const_iterator end() const;

 private:
  friend class YamlTree;
  friend class YamlMapIterator;
  YamlNode(const YamlTree* tree, uint32_t index) : tree_(tree), index_(index) {}
  const YamlTree::Rec& rec() const { return tree_->nodes_[index_]; }
  const YamlTree* tree_ = nullptr;
  uint32_t index_ = 0;
};

class YamlMapIterator {
 public:
  using Entry = std::pair<YamlNode, YamlNode>;
  const Entry& operator*() const { return entry_; }
  const Entry* operator->() const { return &entry_; }
  YamlMapIterator& operator++();
  bool operator!=(const YamlMapIterator& o) const { return at_ != o.at_; }
  bool operator==(const YamlMapIterator& o) const { return at_ == o.at_; }

 private:
  friend class YamlNode;
  YamlMapIterator(const YamlTree* tree, const uint32_t* at, const uint32_t* end);
  void load();
  const YamlTree* tree_ = nullptr;
  const uint32_t *at_ = nullptr, *end_ = nullptr;
  Entry entry_;
};

}  // namespace tessera
