// Hand-made graphs: structure, topological order, and lowering numbers worked by hand.
#include <catch2/catch.hpp>

#include <array>

#include "sim/workload/loader.h"
#include "sim/workload/op_kind.h"

using namespace tessera;

static Workload yaml(const std::string& text) { return load_workload_string(text, "t.yaml", WorkloadFormat::yaml); }

// A residual block with a branch: x -> conv_a -> relu -> conv_b -> add(., x) -> pool -> fc.
static const char* kResidual = R"(name: residual
tensors:
  x: {shape: [1, 8, 16, 16], role: input}
  wa: {shape: [8, 8, 3, 3], role: weight}
  wb: {shape: [8, 8, 3, 3], dtype: int4, role: weight}
  a: {shape: [1, 8, 16, 16]}
  r: {shape: [1, 8, 16, 16]}
  b: {shape: [1, 8, 16, 16]}
  s: {shape: [1, 8, 16, 16]}
  p: {shape: [1, 8, 1, 1]}
  f: {shape: [1, 8]}
  wf: {shape: [8, 10], role: weight}
  y: {shape: [1, 10]}
ops:
  - {name: fc, kind: gemm, inputs: [f, wf], outputs: [y]}
  - {name: add, kind: elementwise, op: add, inputs: [b, x], outputs: [s]}
  - {name: conv_a, kind: conv2d, inputs: [x, wa], outputs: [a], padding: 1}
  - {name: relu, kind: elementwise, op: relu, inputs: [a], outputs: [r]}
  - {name: conv_b, kind: conv2d, inputs: [r, wb], outputs: [b], padding: 1}
  - {name: pool, kind: pool, type: avg, global: true, inputs: [s], outputs: [p]}
  - {name: flat, kind: reshape, inputs: [p], outputs: [f]}
)";

TEST_CASE("graph: producers, consumers, branches and topological order") {
  Workload w = yaml(kResidual);
  CHECK(w.name() == "residual");
  CHECK(w.source() == "t.yaml");
  CHECK(w.ops().size() == 7);
  CHECK(w.producer("x") == -1);
  CHECK(w.producer("s") == w.op_index("add"));
  // x feeds both conv_a and the skip-connection add: the branch is kept.
  std::vector<int> cx = w.consumers("x");
  CHECK(cx == std::vector<int>{w.op_index("add"), w.op_index("conv_a")});
  CHECK(w.predecessors(w.op_index("add")) == std::vector<int>{w.op_index("conv_b")});
  CHECK(w.successors(w.op_index("conv_a")) == std::vector<int>{w.op_index("relu")});
  std::vector<std::string> order;
  for (int i : w.topological_order()) order.push_back(w.ops()[i].name);
  CHECK(order == std::vector<std::string>{"conv_a", "relu", "conv_b", "add", "pool", "flat", "fc"});
  // Roles inferred from the graph; dtype defaults to int8; per-tensor dtype kept.
  CHECK(w.tensor("a").role == TensorRole::activation);
  CHECK(w.tensor("y").role == TensorRole::output);
  CHECK(w.tensor("wb").dtype == DType::int4);
  CHECK(w.tensor("wb").bits() == 8 * 8 * 9 * 4);
  CHECK(w.tensor("x").elements() == 2048);
  // Attribute defaults are filled in.
  CHECK(w.find_op("conv_a")->attrs.i("stride") == 1);
  CHECK(w.find_op("conv_a")->attrs.i("groups") == 1);
}

TEST_CASE("lowering: conv2d by im2col, gemm, pool, elementwise") {
  Workload w = yaml(kResidual);
  auto conv = w.lower(w.op_index("conv_a"));
  REQUIRE(conv.size() == 1);
  CHECK(conv[0].kind == WorkKind::Gemm);
  CHECK(conv[0].gemm == GemmShape{256, 8, 72});  // m = 1*16*16, n = 8, k = 8*3*3
  CHECK(conv[0].groups == 1);
  CHECK(conv[0].macs == 256ULL * 8 * 72);
  CHECK(conv[0].a_tensor == "x");
  CHECK(conv[0].b_tensor == "wa");
  CHECK(conv[0].out_tensor == "a");
  CHECK(conv[0].b_is_weight);

  auto fc = w.lower(w.op_index("fc"));
  REQUIRE(fc.size() == 1);
  CHECK(fc[0].gemm == GemmShape{1, 10, 8});

  auto pool = w.lower(w.op_index("pool"));
  REQUIRE(pool.size() == 2);  // 256 adds per output, then one scale
  CHECK(pool[0].kind == WorkKind::Vector);
  CHECK(pool[0].vec.elements == 8);
  CHECK(pool[0].vec.ops_per_element == 256);
  CHECK(pool[0].vec.op == "add");
  CHECK(pool[1].vec.op == "mul");

  auto relu = w.lower(w.op_index("relu"));
  REQUIRE(relu.size() == 1);
  CHECK(relu[0].vec.elements == 2048);
  CHECK(relu[0].vec.op == "max");
  CHECK(w.lower(w.op_index("flat")).empty());
  CHECK(w.total_macs() == 2 * 256ULL * 8 * 72 + 80);
}

TEST_CASE("lowering: strided, grouped, depthwise and dilated convolutions") {
  Workload w = yaml(R"(name: convs
tensors:
  x: {shape: [2, 16, 15, 15], role: input}
  w1: {shape: [32, 4, 3, 3], role: weight}
  y1: {shape: [2, 32, 8, 8]}
  w2: {shape: [32, 1, 5, 5], role: weight}
  y2: {shape: [2, 32, 15, 15]}
  w3: {shape: [16, 16, 3, 3], role: weight}
  y3: {shape: [2, 16, 11, 11]}
ops:
  - {name: grouped, kind: conv2d, inputs: [x, w1], outputs: [y1], stride: 2, padding: 1, groups: 4}
  - {name: dw, kind: depthwise, inputs: [x, w2], outputs: [y2], padding: 2}
  - {name: dilated, kind: conv2d, inputs: [x, w3], outputs: [y3], dilation: 2}
)");
  // Ho = (15 + 2 - 3)/2 + 1 = 8; m = 2*8*8, k = 16/4*3*3, n = 32/4, 4 groups.
  auto g = w.lower(w.op_index("grouped"))[0];
  CHECK(g.gemm == GemmShape{128, 8, 36});
  CHECK(g.groups == 4);
  CHECK(g.macs == 128ULL * 8 * 36 * 4);
  // Depthwise, channel multiplier 2: groups = 16, k = 1*5*5, n = 2, m = 2*15*15.
  auto d = w.lower(w.op_index("dw"))[0];
  CHECK(d.gemm == GemmShape{450, 2, 25});
  CHECK(d.groups == 16);
  // Dilation 2 spans 5: Ho = 15 - 5 + 1 = 11.
  auto dl = w.lower(w.op_index("dilated"))[0];
  CHECK(dl.gemm == GemmShape{242, 16, 144});
}

static const char* kAttention = R"(name: attn
tensors:
  q: {shape: [1, 4, 10, 8], role: input}
  k: {shape: [1, 4, 10, 8], role: input}
  v: {shape: [1, 4, 10, 8], role: input}
  s: {shape: [1, 4, 10, 10]}
  p: {shape: [1, 4, 10, 10]}
  o: {shape: [1, 4, 10, 8]}
  t: {shape: [1, 10, 4, 8]}
  m: {shape: [1, 10, 32]}
  w: {shape: [32, 6], role: weight}
  y: {shape: [1, 10, 6]}
ops:
  - {name: qk, kind: matmul, transpose_b: true, inputs: [q, k], outputs: [s]}
  - {name: sm, kind: softmax, inputs: [s], outputs: [p]}
  - {name: pv, kind: batched_matmul, inputs: [p, v], outputs: [o]}
  - {name: tr, kind: transpose, perm: "0,2,1,3", inputs: [o], outputs: [t]}
  - {name: merge, kind: reshape, inputs: [t], outputs: [m]}
  - {name: proj, kind: fully_connected, inputs: [m, w], outputs: [y]}
)";

TEST_CASE("lowering: attention's batched matmuls have activation operands") {
  Workload w = yaml(kAttention);
  auto qk = w.lower(w.op_index("qk"))[0];
  CHECK(qk.gemm == GemmShape{10, 10, 8});
  CHECK(qk.groups == 4);  // one GEMM per head
  CHECK(qk.b_tensor == "k");
  CHECK_FALSE(qk.b_is_weight);
  CHECK(qk.b_transposed);
  auto pv = w.lower(w.op_index("pv"))[0];
  CHECK(pv.gemm == GemmShape{10, 8, 10});
  CHECK(pv.groups == 4);
  CHECK_FALSE(pv.b_is_weight);
  CHECK_FALSE(pv.b_transposed);
  // A gemm over [1, 10, 32] folds the sequence into m.
  auto proj = w.lower(w.op_index("proj"))[0];
  CHECK(proj.gemm == GemmShape{10, 6, 32});
  CHECK(proj.b_is_weight);
  // softmax: 40 rows of 10.
  auto sm = w.lower(w.op_index("sm"));
  REQUIRE(sm.size() == 5);
  CHECK(sm[0].vec.elements == 400);
  CHECK(sm[4].vec.op == "div");
  CHECK(sm[4].vec.elements == 40);
  CHECK(w.lower(w.op_index("tr")).empty());
}

TEST_CASE("a workload built in C++ resolves defaults and validates") {
  Workload w("code", "");
  w.add_tensor({"a", {4, 6}, DType::fp16, TensorRole::input, {}, std::nullopt});
  w.add_tensor({"b", {6, 5}, DType::fp16, TensorRole::weight, {}, std::nullopt});
  w.add_tensor({"c", {4, 5}, DType::fp32, TensorRole::output, {}, std::nullopt});
  Operator op;
  op.name = "mm";
  op.kind = "gemm";
  op.inputs = {"a", "b"};
  op.outputs = {"c"};
  w.add_op(op);
  w.finalize();
  CHECK(w.find_op("mm")->attrs.b("transpose_b") == false);
  CHECK(w.lower(0)[0].gemm == GemmShape{4, 5, 6});
}

TEST_CASE("every op kind is registered") {
  const std::vector<std::string> expect = {"batched_matmul", "concat",  "conv2d", "depthwise", "elementwise",
                                           "fully_connected", "gemm",   "matmul", "norm",     "pad",
                                           "pool",           "reshape", "slice",  "softmax",  "transpose"};
  CHECK(OpKindRegistry::instance().names() == expect);
  for (const auto& k : expect) CHECK(op_kind(k) != nullptr);
}

TEST_CASE("built-in workloads load and keep their skip connections") {
  Workload r = load_workload("resnet50");  // a bare name finds the built-in
  CHECK(r.name() == "resnet50");
  // The block input feeds conv1 and the downsample conv of the first bottleneck.
  CHECK(r.consumers("maxpool.out").size() == 2);
  // A later block's input feeds its conv1 and the residual add.
  CHECK(r.consumers("layer1.0.relu3.out").size() == 2);
  int convs = 0;
  for (const auto& op : r.ops()) convs += op.kind == "conv2d";
  CHECK(convs == 53);  // 1 + 16*3 + 4 downsample
}

TEST_CASE("pool ceil_mode: output sizes as PyTorch's MaxPool2d(ceil_mode=True) gives them") {
  // (input, kernel, stride, padding) -> size, each from torch 1.13; the last two are where a
  // rounded-up last window would start in the right padding and is dropped.
  const std::vector<std::array<int64_t, 5>> cases = {
      {8, 3, 2, 0, 4}, {112, 3, 2, 0, 56}, {13, 3, 2, 1, 7}, {4, 2, 3, 1, 2}, {7, 2, 2, 1, 4}};
  for (const auto& [in, k, s, p, want] : cases) {
    CAPTURE(in, k, s, p);
    const std::string hw = std::to_string(in), o = std::to_string(want);
    const Workload w = yaml("name: p\ntensors:\n  x: {shape: [1, 2, " + hw + ", " + hw + "], role: input}\n"
                            "  y: {shape: [1, 2, " + o + ", " + o + "]}\nops:\n"
                            "  - {name: pool, kind: pool, type: max, kernel: " + std::to_string(k) +
                            ", stride: " + std::to_string(s) + ", padding: " + std::to_string(p) +
                            ", ceil_mode: true, inputs: [x], outputs: [y]}\n");
    CHECK(w.lower(w.op_index("pool"))[0].vec.elements == 2 * want * want);
  }
}

TEST_CASE("pad: zeros before and after each dim; the pads must number twice the rank") {
  const std::string head = "name: p\ntensors:\n  x: {shape: [1, 5, 5, 8], role: input}\n  y: {shape: [1, 7, 7, 8]}\nops:\n";
  const Workload w = yaml(head + "  - {name: pad, kind: pad, pads: \"0,0,0,0,0,2,2,0\", inputs: [x], outputs: [y]}\n");
  CHECK(w.lower(w.op_index("pad")).empty());
  auto error = [&](const std::string& pads) {
    try {
      yaml(head + "  - {name: pad, kind: pad, pads: \"" + pads + "\", inputs: [x], outputs: [y]}\n");
    } catch (const UserError& e) {
      return e.message();
    }
    return std::string();
  };
  CHECK_THAT(error("0,0,2,0,0,0,0,0"), Catch::Contains("expected [1, 5, 7, 8] (input [1, 5, 5, 8] padded by 0,0,2,0,0,0,0,0)"));
  CHECK_THAT(error("0,0,1,1"), Catch::Contains("has 4 numbers; input 'x' has rank 4, so 8"));
  CHECK_THAT(error("0,0,-1,0,0,2,2,0"), Catch::Contains("expected non-negative integers"));
}
