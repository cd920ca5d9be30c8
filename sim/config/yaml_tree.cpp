#include "sim/config/yaml_tree.h"

#include <yaml-cpp/eventhandler.h>

#include <limits>
#include <sstream>
#include <string_view>
#include <unordered_set>

#include "models/common/error.h"

namespace tessera {

namespace {
constexpr uint32_t kIncomplete = std::numeric_limits<uint32_t>::max();
constexpr int kMaxDepth = 200;
constexpr uint64_t kMaxAliasExpansion = 10'000'000;
}  // namespace

// Appends nodes in document (pre-)order; a collection's entries are copied to children_ when it
// ends. Checks each map's keys when it ends: yaml-cpp's own tree keeps the first of two equal
// keys and drops the second without a word.
class YamlBuilder : public YAML::EventHandler {
 public:
  YamlBuilder(YamlTree& tree, const std::string& name) : t_(tree), name_(name) {}
  bool has_root() const { return has_root_; }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& m, YAML::anchor_t anchor) override { leaf(YAML::NodeType::Null, m, anchor, 0, 0); }
  void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t anchor, const std::string& v) override {
    const size_t at = t_.text_.size();
    if (at + v.size() > kIncomplete) too_large(m);
    t_.text_ += v;
    leaf(YAML::NodeType::Scalar, m, anchor, static_cast<uint32_t>(at), static_cast<uint32_t>(v.size()));
  }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t anchor) override {
    const uint32_t target = anchor < anchors_.size() ? anchors_[anchor] : kIncomplete;
    if (target == kIncomplete) fail("an alias inside the node it names (the document would be infinite)", m);
    attach(target);
  }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t anchor, YAML::EmitterStyle::value) override {
    open(YAML::NodeType::Sequence, m, anchor);
  }
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t anchor, YAML::EmitterStyle::value) override {
    open(YAML::NodeType::Map, m, anchor);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapEnd() override { close(); }

 private:
  struct Frame {
    uint32_t node = 0;
    YAML::anchor_t anchor = 0;
    uint64_t expanded = 1;  // nodes in this subtree with every alias copied out
    std::vector<uint32_t> kids;
  };

  [[noreturn]] void fail(const std::string& msg, const YAML::Mark& m) const {
    std::string path;
    for (size_t d = 0; d < depth_; ++d) {
      const Frame& f = stack_[d];
      std::string part;
      if (t_.nodes_[f.node].type == YAML::NodeType::Sequence) {
        part = std::to_string(f.kids.size());
      } else if (f.kids.size() % 2 == 1) {  // inside the value of the last key
        const YamlTree::Rec& k = t_.nodes_[f.kids.back()];
        if (k.type != YAML::NodeType::Scalar) continue;
        part = t_.text_.substr(k.begin, k.count);
      } else {
        continue;
      }
      path = path.empty() ? part : path + "." + part;
    }
    throw UserError(msg, SourceLoc{name_, m.line + 1, m.column + 1}, path);
  }
  [[noreturn]] void too_large(const YAML::Mark& m) const { fail("more than 4 GiB of YAML: not supported", m); }

  uint32_t add(YAML::NodeType::value type, const YAML::Mark& m, uint32_t begin, uint32_t count) {
    if (t_.nodes_.size() >= kIncomplete - 1) too_large(m);
    t_.nodes_.push_back({type, m.line, m.column, begin, count});
    expanded_.push_back(1);
    return static_cast<uint32_t>(t_.nodes_.size() - 1);
  }
  void set_anchor(YAML::anchor_t anchor, uint32_t node) {
    if (anchor == 0) return;
    if (anchors_.size() <= anchor) anchors_.resize(anchor + 1, kIncomplete);
    anchors_[anchor] = node;
  }
  void attach(uint32_t node) {
    if (depth_ == 0) {
      has_root_ = true;
      return;
    }
    Frame& f = stack_[depth_ - 1];
    f.kids.push_back(node);
    f.expanded += expanded_[node];
  }
  void leaf(YAML::NodeType::value type, const YAML::Mark& m, YAML::anchor_t anchor, uint32_t begin, uint32_t count) {
    const uint32_t node = add(type, m, begin, count);
    set_anchor(anchor, node);
    attach(node);
  }
  void open(YAML::NodeType::value type, const YAML::Mark& m, YAML::anchor_t anchor) {
    if (depth_ >= kMaxDepth) fail("nested more than " + std::to_string(kMaxDepth) + " levels deep", m);
    const uint32_t node = add(type, m, 0, 0);
    if (stack_.size() == depth_) stack_.emplace_back();
    Frame& f = stack_[depth_++];
    f.node = node;
    f.anchor = anchor;
    f.expanded = 1;
    f.kids.clear();  // keeps its capacity for the next collection at this depth
  }
  void close() {
    Frame& f = stack_[depth_ - 1];
    YamlTree::Rec& r = t_.nodes_[f.node];
    if (r.type == YAML::NodeType::Map) check_keys(f);
    if (t_.children_.size() + f.kids.size() > kIncomplete) too_large({});
    r.begin = static_cast<uint32_t>(t_.children_.size());
    r.count = static_cast<uint32_t>(f.kids.size());
    t_.children_.insert(t_.children_.end(), f.kids.begin(), f.kids.end());
    expanded_[f.node] = f.expanded;
    if (f.expanded > t_.nodes_.size() + kMaxAliasExpansion) {
      YAML::Mark m;
      m.line = r.line;
      m.column = r.col;
      fail("aliases expand the document by more than 10,000,000 nodes", m);
    }
    set_anchor(f.anchor, f.node);
    --depth_;
    attach(f.node);
  }
  std::string_view key_text(uint32_t node) const {
    const YamlTree::Rec& k = t_.nodes_[node];
    return std::string_view(t_.text_).substr(k.begin, k.count);
  }
  void check_keys(Frame& f) {
    const size_t n = f.kids.size() / 2;
    auto duplicate = [&](size_t i) {
      const YamlTree::Rec& k = t_.nodes_[f.kids[2 * i]];
      YAML::Mark m;
      m.line = k.line;
      m.column = k.col;
      f.kids.resize(2 * i + 1);  // the path names the repeated key
      fail("key '" + std::string(key_text(f.kids[2 * i])) + "' appears twice", m);
    };
    auto scalar = [&](size_t i) { return t_.nodes_[f.kids[2 * i]].type == YAML::NodeType::Scalar; };
    if (n <= 16) {  // most maps: a few keys, no allocation
      for (size_t i = 1; i < n; ++i)
        for (size_t j = 0; j < i && scalar(i); ++j)
          if (scalar(j) && key_text(f.kids[2 * i]) == key_text(f.kids[2 * j])) duplicate(i);
      return;
    }
    std::unordered_set<std::string_view> seen;
    seen.reserve(n);
    for (size_t i = 0; i < n; ++i)
      if (scalar(i) && !seen.insert(key_text(f.kids[2 * i])).second) duplicate(i);
  }

  YamlTree& t_;
  const std::string& name_;
  std::vector<Frame> stack_;
  size_t depth_ = 0;
  std::vector<uint32_t> anchors_;
  std::vector<uint64_t> expanded_;
  bool has_root_ = false;
};

YamlTree YamlTree::parse(const std::string& text, const std::string& name) {
  YamlTree t;
  t.nodes_.reserve(text.size() / 8);
  t.children_.reserve(text.size() / 8);
  t.text_.reserve(text.size() / 2);
  std::istringstream in(text);
  YamlBuilder b(t, name);
  try {
    YAML::Parser parser(in);
    parser.HandleNextDocument(b);  // the first document only, as YAML::Load
  } catch (const YAML::Exception& e) {
    SourceLoc loc{name, e.mark.is_null() ? 0 : e.mark.line + 1, e.mark.is_null() ? 0 : e.mark.column + 1};
    throw UserError("malformed YAML: " + e.msg, loc);
  }
  if (!b.has_root()) {  // no document: a null root without a position, as YAML::Load
    t.nodes_.clear();
    t.nodes_.push_back({YAML::NodeType::Null, -1, -1, 0, 0});
  }
  t.nodes_.shrink_to_fit();
  t.children_.shrink_to_fit();
  t.text_.shrink_to_fit();
  return t;
}

YamlNode YamlTree::root() const { return YamlNode(this, 0); }

std::string YamlNode::Scalar() const {
  if (!IsScalar()) return {};
  return tree_->text_.substr(rec().begin, rec().count);
}

YAML::Mark YamlNode::Mark() const {
  if (!tree_ || rec().line < 0) return YAML::Mark::null_mark();
  YAML::Mark m;
  m.line = rec().line;
  m.column = rec().col;
  return m;
}

size_t YamlNode::size() const {
  if (IsSequence()) return rec().count;
  if (IsMap()) return rec().count / 2;
  return 0;
}

YamlNode YamlNode::operator[](size_t i) const {
  if (!IsSequence() || i >= rec().count) return {};
  return YamlNode(tree_, tree_->children_[rec().begin + i]);
}

YamlNode YamlNode::operator[](const std::string& key) const {
  if (!IsMap()) return {};
  const uint32_t* kids = tree_->children_.data() + rec().begin;
  for (uint32_t i = 0; i + 1 < rec().count; i += 2) {
    const YamlTree::Rec& k = tree_->nodes_[kids[i]];
    if (k.type == YAML::NodeType::Scalar && std::string_view(tree_->text_).substr(k.begin, k.count) == key)
      return YamlNode(tree_, kids[i + 1]);
  }
  return {};
}

YamlMapIterator::YamlMapIterator(const YamlTree* tree, const uint32_t* at, const uint32_t* end)
    : tree_(tree), at_(at), end_(end) {
  load();
}

void YamlMapIterator::load() {
  if (at_ != end_) entry_ = {YamlNode(tree_, at_[0]), YamlNode(tree_, at_[1])};
}

YamlMapIterator& YamlMapIterator::operator++() {
  at_ += 2;
  load();
  return *this;
}

YamlMapIterator YamlNode::begin() const {
  if (!IsMap()) return end();
  const uint32_t* kids = tree_->children_.data() + rec().begin;
  return YamlMapIterator(tree_, kids, kids + rec().count);
}

YamlMapIterator YamlNode::end() const {
  if (!IsMap()) return YamlMapIterator(tree_, nullptr, nullptr);
  const uint32_t* end = tree_->children_.data() + rec().begin + rec().count;
  return YamlMapIterator(tree_, end, end);
}

}  // namespace tessera
