// YamlTree (sim/config/yaml_tree.h) against yaml-cpp's own tree: the same nodes, scalars and
// positions on every YAML input we ship or fuzzed, and the same verdict (accepted or not).
#include <catch2/catch.hpp>

#include <filesystem>
#include <functional>
#include <optional>

#include "sim/config/yaml_util.h"

using namespace tessera;
namespace fs = std::filesystem;

namespace {

// Walks both trees in step; returns "" when equal, else the first difference.
std::string compare(const YAML::Node& a, const YamlNode& b, const std::string& path) {
  if (a.Type() != b.Type()) return path + ": type " + std::to_string(a.Type()) + " vs " + std::to_string(b.Type());
  if (a.Mark().line != b.Mark().line || a.Mark().column != b.Mark().column)
    return path + ": mark " + std::to_string(a.Mark().line) + ":" + std::to_string(a.Mark().column) + " vs " +
           std::to_string(b.Mark().line) + ":" + std::to_string(b.Mark().column);
  if (a.IsScalar() && a.Scalar() != b.Scalar()) return path + ": scalar '" + a.Scalar() + "' vs '" + b.Scalar() + "'";
  if (a.size() != b.size()) return path + ": size " + std::to_string(a.size()) + " vs " + std::to_string(b.size());
  if (a.IsSequence())
    for (size_t i = 0; i < a.size(); ++i)
      if (auto d = compare(a[i], b[i], path + "." + std::to_string(i)); !d.empty()) return d;
  if (a.IsMap()) {
    auto ib = b.begin();
    for (auto ia = a.begin(); ia != a.end(); ++ia, ++ib) {
      if (auto d = compare(ia->first, ib->first, path + ".<key>"); !d.empty()) return d;
      if (auto d = compare(ia->second, ib->second, path + "." + ia->first.Scalar()); !d.empty()) return d;
      if (ia->first.IsScalar() && !b[ia->first.Scalar()].IsDefined()) return path + ": lookup of " + ia->first.Scalar();
    }
  }
  return "";
}

std::optional<std::string> error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const UserError& e) {
    return e.formatted();
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("YamlTree equals yaml-cpp's tree on every shipped and fuzzed YAML file") {
  size_t files = 0, accepted = 0;
  for (const char* dir : {"configs", "tests/data", "workloads", "tools/fuzz/seeds/workload_yaml",
                          "tools/fuzz/seeds/mapping_yaml", "tools/fuzz/seeds/arch_yaml"}) {
    for (const auto& e : fs::recursive_directory_iterator(fs::path(TESSERA_SOURCE_DIR) / dir)) {
      if (!e.is_regular_file() || e.file_size() > (1 << 20)) continue;
      const std::string path = e.path().string();
      if (std::string(dir).find("seeds") == std::string::npos && e.path().extension() != ".yaml") continue;
      const std::string text = read_text_file(path);
      YAML::Node a;
      std::optional<YamlTree> b;
      const auto ea = error_of([&] { a = load_yaml_string(text, path); });
      const auto eb = error_of([&] { b = YamlTree::parse(text, path); });
      ++files;
      INFO(path);
      REQUIRE(ea.has_value() == eb.has_value());
      if (ea) continue;
      ++accepted;
      CHECK(compare(a, b->root(), "") == "");
    }
  }
  CHECK(files > 1000);
  CHECK(accepted > 300);
}

TEST_CASE("YamlTree errors: the same messages and positions as the yaml-cpp path") {
  for (const char* text : {
           "a: 1\nb: [1, 2\n",                // unterminated flow sequence
           "a: 1\nb:\n  c: 2\n  c: 3\n",      // a repeated key, named with its path
           "x: *nope\n",                      // an undefined alias
           "a: 1\n- b\n",                     // a block sequence where a map entry is expected
       }) {
    INFO(text);
    const auto ea = error_of([&] { load_yaml_string(text, "f.yaml"); });
    const auto eb = error_of([&] { YamlTree::parse(text, "f.yaml"); });
    REQUIRE(ea);
    CHECK(eb == ea);
  }
  // Nesting and alias expansion are bounded while parsing (a loader walks what it is given).
  std::string deep;
  for (int i = 0; i < 201; ++i) deep += "[";
  CHECK(error_of([&] { YamlTree::parse(deep, "f.yaml"); })->find("nested more than 200 levels deep") != std::string::npos);
  std::string l = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i <= 8; ++i) {
    l += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) l += (j ? ", *a" : "*a") + std::to_string(i - 1);
    l += "]\n";
  }
  const auto big = error_of([&] { YamlTree::parse(l, "f.yaml"); });
  REQUIRE(big);
  CHECK(big->find("aliases expand the document by more than 10,000,000 nodes") != std::string::npos);
  INFO(*big);
  CHECK(big->find("f.yaml:7:") != std::string::npos);  // a6, 11,111,111 nodes, is the first past the bound
  CHECK(error_of([&] { YamlTree::parse("a: &a [1, *a]\n", "f.yaml"); })->find("an alias inside the node it names") !=
        std::string::npos);
}

TEST_CASE("YamlNode reads like YAML::Node") {
  const YamlTree t = YamlTree::parse("a: 1\nb: [x, ~, {c: d}]\n", "f.yaml");
  const YamlNode r = t.root();
  CHECK(r.IsMap());
  CHECK(r.size() == 2);
  CHECK(r["a"].Scalar() == "1");
  CHECK(!r["z"]);
  CHECK(!r["a"]["q"]);  // a scalar has no keys
  CHECK(r["b"].IsSequence());
  CHECK(r["b"][1].IsNull());
  CHECK(!r["b"][3]);
  CHECK(r["b"][2]["c"].Scalar() == "d");
  CHECK(r["b"][2]["c"].Mark().line == 1);
  CHECK(r["b"][2]["c"].Mark().column == 14);
  const YamlTree empty = YamlTree::parse("# nothing\n", "f.yaml");
  CHECK(empty.root().IsNull());
  CHECK(empty.root().Mark().is_null());
}
