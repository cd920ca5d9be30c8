// Every kind of bad workload input gives a UserError at the right file:line:col.
#include <catch2/catch.hpp>

#include "sim/workload/loader.h"

using namespace tessera;

namespace {
struct Caught {
  bool thrown = false;
  UserError err{""};
};
Caught load(const std::string& text, WorkloadFormat f = WorkloadFormat::yaml) {
  Caught c;
  try {
    load_workload_string(text, f == WorkloadFormat::yaml ? "w.yaml" : "t.csv", f);
  } catch (const UserError& e) {
    c.thrown = true;
    c.err = e;
  }
  return c;
}
}  // namespace

#define CHECK_ERROR(text, line_, col_, needle)               \
  do {                                                       \
    Caught c_ = load(text);                                  \
    REQUIRE(c_.thrown);                                      \
    INFO(c_.err.formatted());                                \
    CHECK(c_.err.loc().file == "w.yaml");                    \
    CHECK(c_.err.loc().line == (line_));                     \
    CHECK(c_.err.loc().col == (col_));                       \
    CHECK_THAT(c_.err.formatted(), Catch::Contains(needle)); \
  } while (0)

// A valid two-op graph; tests below break one thing at a time.
static std::string graph(const std::string& tensors_extra, const std::string& ops) {
  return "name: g\n"
         "tensors:\n"
         "  x: {shape: [1, 3, 8, 8], role: input}\n"
         "  w: {shape: [4, 3, 3, 3], role: weight}\n"
         "  y: {shape: [1, 4, 6, 6]}\n"
         "  z: {shape: [1, 4, 6, 6]}\n" +
         tensors_extra + "ops:\n" + ops;
}
static const std::string kConv = "  - {name: c1, kind: conv2d, inputs: [x, w], outputs: [y]}\n";
static const std::string kRelu = "  - {name: r1, kind: elementwise, op: relu, inputs: [y], outputs: [z]}\n";

TEST_CASE("the valid base graph loads") { CHECK_FALSE(load(graph("", kConv + kRelu)).thrown); }

TEST_CASE("malformed YAML") { CHECK_ERROR("name: g\ntensors: {x: [1, 2\n", 3, 1, "malformed YAML"); }

TEST_CASE("not a map at the top") { CHECK_ERROR("- 1\n- 2\n", 1, 1, "expected a workload (a map)"); }

TEST_CASE("unknown op kind, with did-you-mean") {
  CHECK_ERROR(graph("", "  - {name: c1, kind: conv, inputs: [x, w], outputs: [y]}\n" + kRelu), 8, 22,
              "unknown op kind 'conv' -- did you mean 'conv2d'?");
  CHECK_ERROR(graph("", "  - {name: c1, kind: qqqqqqq, inputs: [x, w], outputs: [y]}\n" + kRelu), 8, 22,
              "expected one of:");
}

TEST_CASE("unknown keys, with did-you-mean") {
  CHECK_ERROR(graph("", "  - {name: c1, kind: conv2d, strides: 1, inputs: [x, w], outputs: [y]}\n" + kRelu), 8, 30,
              "unknown key 'strides' -- did you mean 'stride'?");
  CHECK_ERROR("name: g\ntensor: {}\n", 2, 1, "unknown key 'tensor' -- did you mean 'tensors'?");
  CHECK_ERROR(graph("  q: {shap: [1]}\n", kConv + kRelu), 7, 7, "unknown key 'shap' -- did you mean 'shape'?");
  CHECK_ERROR(graph("", "  - {name: c1, kind: conv2d, inputs: [x, w], outputs: [y], stride: 1, stride: 2}\n" + kRelu),
              8, 71, "key 'stride' appears twice");
}

TEST_CASE("bad attribute values") {
  CHECK_ERROR(graph("", "  - {name: c1, kind: conv2d, stride: 0, inputs: [x, w], outputs: [y]}\n" + kRelu), 8, 38,
              "out of range");
  CHECK_ERROR(graph("", "  - {name: c1, kind: conv2d, stride: two, inputs: [x, w], outputs: [y]}\n" + kRelu), 8, 38,
              "expected an integer");
  CHECK_ERROR(graph("", kConv + "  - {name: r1, kind: elementwise, op: relux, inputs: [y], outputs: [z]}\n"), 9, 39,
              "did you mean 'relu'?");
  CHECK_ERROR(graph("", kConv + "  - {name: r1, kind: elementwise, inputs: [y], outputs: [z]}\n"), 9, 5,
              "missing required key 'op'");
}

TEST_CASE("negative, zero and non-integer dims") {
  CHECK_ERROR(graph("  q: {shape: [1, -2]}\n", kConv + kRelu), 7, 18,
              "expected a positive integer dimension, got '-2'");
  CHECK_ERROR(graph("  q: {shape: [0]}\n", kConv + kRelu), 7, 15, "got '0'");
  CHECK_ERROR(graph("  q: {shape: [1.5]}\n", kConv + kRelu), 7, 15, "got '1.5'");
  CHECK_ERROR(graph("  q: {shape: 4}\n", kConv + kRelu), 7, 14, "expected a list of positive dims (a list)");
  CHECK_ERROR(graph("  q: {role: input}\n", kConv + kRelu), 7, 6, "missing required key 'shape'");
}

TEST_CASE("bad dtype and role, with did-you-mean") {
  CHECK_ERROR(graph("  q: {shape: [1], dtype: int9}\n", kConv + kRelu), 7, 26, "unknown dtype 'int9' -- did you mean");
  CHECK_ERROR(graph("  q: {shape: [1], role: weights}\n", kConv + kRelu), 7, 25, "did you mean 'weight'?");
}

TEST_CASE("shapes that do not chain") {
  // Conv output should be [1, 4, 6, 6]; declare it wrong and the error names op, tensor, both shapes.
  std::string text = graph("", kConv + kRelu);
  text.replace(text.find("y: {shape: [1, 4, 6, 6]}"), 24, "y: {shape: [1, 4, 8, 8]}");
  text.replace(text.find("z: {shape: [1, 4, 6, 6]}"), 24, "z: {shape: [1, 4, 8, 8]}");
  CHECK_ERROR(text, 8, 56, "conv2d 'c1': output 'y' has shape [1, 4, 8, 8], expected [1, 4, 6, 6]");
  // Channel mismatch between input and weight.
  CHECK_ERROR(graph("  w2: {shape: [4, 5, 3, 3], role: weight}\n",
                    "  - {name: c1, kind: conv2d, inputs: [x, w2], outputs: [y]}\n" + kRelu),
              9, 42, "weight 'w2' has shape [4, 5, 3, 3], expected [Cout, 3, Kh, Kw]");
  // Elementwise output must equal its input.
  CHECK_ERROR(graph("  q: {shape: [1, 4, 6, 5]}\n",
                    kConv + "  - {name: r1, kind: elementwise, op: relu, inputs: [y], outputs: [q]}\n" +
                        "  - {name: r2, kind: elementwise, op: relu, inputs: [q], outputs: [z]}\n"),
              10, 68, "output 'q' has shape [1, 4, 6, 5], expected [1, 4, 6, 6]");
  // Groups that do not divide the channels point at the attribute.
  CHECK_ERROR(graph("", "  - {name: c1, kind: conv2d, groups: 2, inputs: [x, w], outputs: [y]}\n" + kRelu), 8, 38,
              "groups 2 does not divide the 3 input channels");
}

TEST_CASE("missing tensors, duplicate names, wrong roles") {
  CHECK_ERROR(graph("", "  - {name: c1, kind: conv2d, inputs: [x, ww], outputs: [y]}\n" + kRelu), 8, 42,
              "input 'ww' of op 'c1' is not a declared tensor -- did you mean 'w'?");
  CHECK_ERROR(graph("  x: {shape: [1]}\n", kConv + kRelu), 7, 3, "key 'x' appears twice");
  CHECK_ERROR(graph("", kConv + kConv), 9, 5, "op 'c1' is declared twice");
  CHECK_ERROR(graph("  q: {shape: [3]}\n", kConv + kRelu), 7, 3, "tensor 'q' is not used by any op");
  std::string text = graph("", kConv + kRelu);
  text.replace(text.find("y: {shape: [1, 4, 6, 6]}"), 24, "y: {shape: [1, 4, 6, 6], role: input}");
  CHECK_ERROR(text, 5, 3, "has role input but is produced by op 'c1'");
  CHECK_ERROR(graph("", kConv + "  - {name: r1, kind: elementwise, op: relu, inputs: [y], outputs: [y]}\n"), 9, 68,
              "tensor 'y' is produced by both op 'c1' and op 'r1'");
  CHECK_ERROR(graph("", "  - {name: c1, kind: conv2d, inputs: [x], outputs: [y]}\n" + kRelu), 8, 5,
              "expects 2..3 input(s), got 1");
  CHECK_ERROR("name: g\ntensors: {}\nops: []\n", 0, 0, "has no ops");
}

TEST_CASE("cycles are reported with their path") {
  CHECK_ERROR(
      "name: g\n"
      "tensors:\n"
      "  a: {shape: [4]}\n"
      "  b: {shape: [4]}\n"
      "  c: {shape: [4]}\n"
      "ops:\n"
      "  - {name: start, kind: elementwise, op: relu, inputs: [c], outputs: [a]}\n"
      "  - {name: mid, kind: elementwise, op: relu, inputs: [a], outputs: [b]}\n"
      "  - {name: back, kind: elementwise, op: relu, inputs: [b], outputs: [c]}\n",
      7, 5, "the graph has a cycle: start -> mid -> back -> start");
}

TEST_CASE("missing files and unknown built-ins") {
  try {
    load_workload("/nonexistent/w.yaml");
    FAIL("no error");
  } catch (const UserError& e) {
    CHECK_THAT(e.formatted(), Catch::Contains("cannot open file"));
  }
  try {
    load_workload("resnet5");
    FAIL("no error");
  } catch (const UserError& e) {
    CHECK_THAT(e.formatted(), Catch::Contains("did you mean 'resnet50'?"));
  }
}

// "<op>#<i>" names an operator's later work items (a softmax 'a' has passes 'a#0'... in the
// mapping and the reports), so a user op named 'a#1' could collide with one: '#' is refused.
TEST_CASE("op names cannot contain '#', the work-item separator") {
  CHECK_ERROR(graph("", kConv + "  - {name: 'r#1', kind: elementwise, op: relu, inputs: [y], outputs: [z]}\n"), 9, 5,
              "key 'ops.r#1': op name 'r#1' contains '#'");
  const Caught csv = load("Layer, M, N, K,\nfc#1, 4, 4, 4,\n", WorkloadFormat::csv);
  REQUIRE(csv.thrown);
  CHECK(csv.err.loc().line == 2);
  CHECK_THAT(csv.err.message(), Catch::Contains("contains '#'"));
}

TEST_CASE("tensor values: a declared distribution loads; bad ones are errors at the key") {
  std::string text = graph("", kConv + kRelu);
  const std::string x = "role: input}";
  text.replace(text.find(x), x.size(), "role: input, values: {zeros: 0.5, sigma: 12, positive: true}}");
  const Workload wl = load_workload_string(text, "w.yaml", WorkloadFormat::yaml);
  REQUIRE(wl.tensor("x").values);
  CHECK(*wl.tensor("x").values == ValueDistribution{0.5, 12, true});
  CHECK_FALSE(wl.tensor("w").values);
  CHECK_ERROR(graph("  v: {shape: [2], values: {zeros: 1.5}}\n", kConv), 7, 35, "zeros");
  CHECK_ERROR(graph("  v: {shape: [2], values: {sigam: 3}}\n", kConv), 7, 28, "did you mean 'sigma'");
  CHECK_ERROR(graph("  v: {shape: [2], values: 0.5}\n", kConv), 7, 27, "a value distribution");
  CHECK_ERROR(graph("  v: {shape: [2], dtype: fp16, values: {zeros: 0.5}}\n", kConv), 7, 40,
              "values: declares integer value distributions; 'v' is fp16");
}
