// ONNX import (sim/workload/onnx_loader.cpp) on small models written by
// tools/onnx/make_test_models.py with python3-onnx's helper: operators, shapes, MACs worked out
// by hand, the folds (BatchNormalization into Conv, the erf GELU chain, shape computations),
// and the errors.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <functional>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sim/config/yaml_util.h"
#include "sim/workload/loader.h"

using namespace tessera;
namespace fs = std::filesystem;

namespace {

// The models, written once per process into a directory removed at exit.
const fs::path& models() {
  struct Dir {
    fs::path path = fs::temp_directory_path() / ("tessera_onnx_test_" + std::to_string(::getpid()));
    Dir() {
      const std::string cmd = std::string(TESSERA_DEBIAN_PYTHON) + " " + TESSERA_SOURCE_DIR +
                              "/tools/onnx/make_test_models.py " + path.string();
      if (std::system(cmd.c_str()) != 0) throw std::runtime_error("cannot write the ONNX test models: " + cmd);
    }
    ~Dir() {
      std::error_code ec;
      fs::remove_all(path, ec);
    }
  };
  static const Dir dir;
  return dir.path;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const UserError& e) {
    return e.formatted();
  }
  return "";
}

const Operator& op(const Workload& wl, const std::string& name) {
  const Operator* o = wl.find_op(name);
  REQUIRE(o);
  return *o;
}

}  // namespace

TEST_CASE("ONNX: a small CNN becomes the IR, BatchNormalization folded into its Conv", "[onnx]") {
  const Workload wl = load_workload((models() / "cnn.onnx").string());
  // 12 nodes, the BatchNormalization folded: 11 operators.
  REQUIRE(wl.ops().size() == 11);
  // conv1 16x32x32 outputs x 27 + conv2 16x16x16 x 144 + depthwise 16x8x8 x 9 + fc 16 x 10.
  CHECK(wl.total_macs() == 442368 + 589824 + 9216 + 160);
  const Operator& c1 = op(wl, "conv1");
  CHECK(c1.kind == "conv2d");
  CHECK(c1.inputs.size() == 3);  // the folded bias
  CHECK(c1.outputs[0] == "bn");  // writes what the BatchNormalization wrote
  CHECK(wl.tensor(c1.inputs[2]).shape == std::vector<int64_t>{16});
  CHECK(wl.tensor(c1.inputs[2]).role == TensorRole::weight);
  CHECK(c1.attrs.i("padding") == 1);
  const Operator& dw = op(wl, "dw");
  CHECK(dw.attrs.i("groups") == 16);
  CHECK(dw.attrs.i("stride") == 2);
  CHECK(op(wl, "relu6").attrs.s("op") == "relu6");
  CHECK(op(wl, "pool1").attrs.s("type") == "max");
  CHECK(op(wl, "pool1").attrs.i("kernel") == 2);
  CHECK(op(wl, "gap").attrs.b("global"));
  CHECK(op(wl, "flatten").kind == "reshape");
  CHECK(op(wl, "fc").kind == "gemm");
  CHECK(op(wl, "fc").attrs.b("transpose_b"));
  CHECK(op(wl, "add1").attrs.s("op") == "add");
  CHECK(wl.tensor("x").role == TensorRole::input);
  CHECK(wl.tensor("x").dtype == DType::int8);  // float tensors take the default
  CHECK(wl.tensor("y").role == TensorRole::output);
  CHECK(wl.tensor("c1.w").role == TensorRole::weight);
  OnnxOptions fp16;
  fp16.dtype = DType::fp16;
  CHECK(load_workload((models() / "cnn.onnx").string(), fp16).tensor("x").dtype == DType::fp16);
}

TEST_CASE("ONNX: an attention block with a symbolic batch, shape chains and an erf GELU", "[onnx]") {
  const std::string path = (models() / "attention.onnx").string();
  const std::string e = error_of([&] { load_workload(path); });
  CHECK(e.find("symbolic dimension 'batch'") != std::string::npos);
  CHECK(e.find("--dim batch=N") != std::string::npos);
  OnnxOptions o;
  o.dims["batch"] = 1;
  const Workload wl = load_workload(path, o);
  // 29 nodes: Shape, Gather, Unsqueeze and Concat compute a shape (folded); Erf, Add, Mul, Mul
  // are the GELU with the Div before them: 21 operators.
  REQUIRE(wl.ops().size() == 21);
  // Projections q, k, v, o and the MLP: 8 tokens x 16 x 16 x 4 + 8 x 16 x 64 x 2; Q K^T and P V:
  // 2 heads x 8 x 8 x 8 each.
  CHECK(wl.total_macs() == 4 * 2048 + 2 * 8192 + 2 * 1024);
  CHECK(op(wl, "q_proj").kind == "gemm");
  CHECK(op(wl, "qk").kind == "matmul");
  CHECK(op(wl, "q_heads").kind == "reshape");
  CHECK(wl.tensor("q2").shape == std::vector<int64_t>{1, 8, 2, 8});
  CHECK(op(wl, "k_t").attrs.s("perm") == "0,2,3,1");
  CHECK(op(wl, "ln").kind == "norm");
  const Operator& gelu = op(wl, "gelu_div");
  CHECK(gelu.attrs.s("op") == "gelu");
  CHECK(gelu.inputs == std::vector<std::string>{"f1"});
  CHECK(gelu.outputs == std::vector<std::string>{"g4"});
  CHECK(op(wl, "fc2").inputs[0] == "g4");
}

TEST_CASE("ONNX: a QDQ-format CNN carries its integer types; ceil-mode pool, HardSwish, mean as pool", "[onnx]") {
  OnnxOptions o;
  o.dtype = DType::int16;  // what the values no QuantizeLinear stores take
  const Workload wl = load_workload((models() / "qdq_cnn.onnx").string(), o);
  // 19 nodes: 9 QuantizeLinear/DequantizeLinear removed, HardSigmoid * x one operator, the
  // mean over H and W a global pool and a reshape (keepdims = 0): 7 operators.
  REQUIRE(wl.ops().size() == 7);
  // conv1 8x8x8 outputs x 27 + fc 8 x 10.
  CHECK(wl.total_macs() == 13824 + 80);
  const Operator& c1 = op(wl, "conv1");
  CHECK(c1.inputs == std::vector<std::string>{"x", "c1.w", "c1.b"});  // the integer tensors
  CHECK(wl.tensor("x").dtype == DType::int8);                         // quantized to uint8 at the input
  CHECK(wl.tensor("c1.w").dtype == DType::int8);
  CHECK(wl.tensor("c1.b").dtype == DType::int32);
  CHECK(wl.tensor("c1").dtype == DType::int16);  // the conv's output is not quantized: --dtype
  CHECK(wl.tensor("r1").dtype == DType::int8);   // the ReLU's is
  CHECK(op(wl, "pool1").inputs[0] == "r1");
  // ceil mode: 8 -> ceil((8 - 3) / 2) + 1 = 4 (floor would give 3).
  CHECK(op(wl, "pool1").attrs.b("ceil_mode"));
  CHECK(wl.tensor("p1").shape == std::vector<int64_t>{1, 8, 4, 4});
  const Operator& hs = op(wl, "hswish");
  CHECK(hs.attrs.s("op") == "hardswish");
  CHECK(hs.inputs == std::vector<std::string>{"p1"});
  CHECK(hs.outputs == std::vector<std::string>{"h1"});
  CHECK(op(wl, "mean").kind == "pool");
  CHECK(op(wl, "mean").attrs.b("global"));
  CHECK(op(wl, "mean_2").kind == "reshape");
  CHECK(wl.tensor("m1").shape == std::vector<int64_t>{1, 8});
  CHECK(wl.tensor("m1").dtype == DType::int8);
  CHECK(op(wl, "fc").kind == "gemm");
  CHECK(wl.tensor("fc.w").dtype == DType::int8);
}

TEST_CASE("ONNX: QLinearConv, ConvInteger, QLinearMatMul and MatMulInteger keep their integer types", "[onnx]") {
  OnnxOptions o;
  o.dtype = DType::fp16;  // no float tensor: nothing takes it
  const Workload wl = load_workload((models() / "qlinear.onnx").string(), o);
  REQUIRE(wl.ops().size() == 4);
  // qconv 8x4x4 outputs x 4*9 + iconv 16x4x4 x 8 + qmatmul 2x5x8 x 16 + imatmul 2x5x4 x 8.
  CHECK(wl.total_macs() == 4608 + 2048 + 1280 + 320);
  const Operator& qc = op(wl, "qconv");
  CHECK(qc.kind == "conv2d");
  CHECK(qc.inputs == std::vector<std::string>{"x", "c1.w", "c1.b"});  // scales and zero points dropped
  CHECK(qc.attrs.i("stride") == 2);
  CHECK(op(wl, "iconv").kind == "conv2d");
  CHECK(op(wl, "qmatmul").kind == "gemm");
  CHECK(op(wl, "qmatmul").inputs == std::vector<std::string>{"a", "m1.w"});
  CHECK(op(wl, "imatmul").kind == "gemm");
  for (const char* t : {"x", "c1", "c1.w", "a", "m1", "m1.w"}) CHECK(wl.tensor(t).dtype == DType::int8);
  for (const char* t : {"c1.b", "c2", "m2"}) CHECK(wl.tensor(t).dtype == DType::int32);
}

TEST_CASE("ONNX: Einsum batched products become MatMul (and a Transpose); HardSwish", "[onnx]") {
  const Workload wl = load_workload((models() / "einsum.onnx").string());
  // qk's B transposed first: 5 operators.
  REQUIRE(wl.ops().size() == 5);
  CHECK(wl.total_macs() == 2 * 6 * 6 * 4 * 2);
  CHECK(op(wl, "qk.transpose_b").attrs.s("perm") == "0,1,3,2");
  CHECK(op(wl, "qk").kind == "matmul");
  CHECK(op(wl, "qk").inputs[1] == "s.b_t");
  CHECK(wl.tensor("s").shape == std::vector<int64_t>{1, 2, 6, 6});
  CHECK(op(wl, "pv").kind == "matmul");
  CHECK(op(wl, "hswish").attrs.s("op") == "hardswish");
}

TEST_CASE("ONNX: swin's window padding folds to nothing, strided slices, rounds of folding", "[onnx]") {
  const Workload wl = load_workload((models() / "swin_bits.onnx").string());
  // The 11 nodes computing the pads and the 5 computing the Reshape's target fold; the Pad pads
  // nothing (4 % 2 = 0); each strided Slice cuts two axes: 2 + 2 slices, the Concat, the Reshape.
  REQUIRE(wl.ops().size() == 6);
  const Operator& even_h = op(wl, "even");
  CHECK(even_h.kind == "slice");
  CHECK(even_h.inputs[0] == "x");  // the Pad is gone
  CHECK(even_h.attrs.i("axis") == 1);
  CHECK(even_h.attrs.i("start") == 0);
  CHECK(even_h.attrs.i("end") == 3);
  CHECK(even_h.attrs.i("step") == 2);
  CHECK(wl.tensor(even_h.outputs[0]).shape == std::vector<int64_t>{1, 2, 4, 8});
  const Operator& odd_w = op(wl, "odd_rows_2");
  CHECK(odd_w.attrs.i("axis") == 2);
  CHECK(odd_w.attrs.i("start") == 0);
  CHECK(op(wl, "odd_rows").attrs.i("start") == 1);
  CHECK(op(wl, "odd_rows").attrs.i("end") == 4);
  CHECK(wl.tensor("x1").shape == std::vector<int64_t>{1, 2, 2, 8});
  CHECK(wl.tensor("y").shape == std::vector<int64_t>{1, 2, 2, 16});
  CHECK(op(wl, "flatten").kind == "reshape");
  CHECK(wl.tensor("z").shape == std::vector<int64_t>{1, 64});
}

TEST_CASE("ONNX: a decomposed InstanceNorm's mean over H and W starts a norm, not a pool", "[onnx]") {
  const Workload wl = load_workload((models() / "instance_norm.onnx").string());
  REQUIRE(wl.ops().size() == 1);
  CHECK(op(wl, "mean").kind == "norm");
  CHECK(op(wl, "mean").outputs == std::vector<std::string>{"y"});
}

TEST_CASE("ONNX: a Pad no Conv or pool reads is a pad operator", "[onnx]") {
  const Workload wl = load_workload((models() / "pad_window.onnx").string());
  REQUIRE(wl.ops().size() == 2);
  CHECK(op(wl, "pad").kind == "pad");
  CHECK(op(wl, "pad").attrs.s("pads") == "0,0,0,0,0,2,2,0");
  CHECK(wl.tensor("p").shape == std::vector<int64_t>{1, 7, 7, 8});
  CHECK(wl.lower(wl.op_index("pad")).empty());  // data movement only
}

TEST_CASE("ONNX: bad models are one clear error", "[onnx]") {
  const std::string unsupported = error_of([&] { load_workload((models() / "unsupported.onnx").string()); });
  CHECK(unsupported.find("key 'nodes.round'") != std::string::npos);
  CHECK(unsupported.find("'Round' is not supported; supported: Add,") != std::string::npos);
  CHECK(error_of([&] { load_workload((models() / "einsum_dot.onnx").string()); }) ==
        (models() / "einsum_dot.onnx").string() +
            ": key 'nodes.dot': Einsum node: only batched matrix products are supported (\"bik,bkj->bij\" or "
            "\"bik,bjk->bij\"), not \"i,i->\"");
  CHECK(error_of([&] { load_workload((models() / "opset99.onnx").string()); }).find("opset 99 is newer") != std::string::npos);
  CHECK(error_of([&] { load_workload((models() / "short.onnx").string()); }) ==
        (models() / "short.onnx").string() +
            ": key 'nodes.g': Gemm node: does not match its ONNX schema: Node (g) has input size 1 not in range [min=2, "
            "max=3].");
  CHECK(error_of([&] { load_workload((models() / "cycle.onnx").string()); }) ==
        (models() / "cycle.onnx").string() +
            ": key 'nodes.r1': Relu node: reads 'b', which is not a graph input, an initializer or an earlier node's "
            "output (the graph is out of order or has a cycle)");
  CHECK(error_of([&] { load_workload((models() / "conv_rank.onnx").string()); }).find("the input and the weight differ in rank") !=
        std::string::npos);
  CHECK(error_of([&] { load_workload((models() / "pad_shape.onnx").string()); }).find("Pads has incorrect number of values") !=
        std::string::npos);
  CHECK(error_of([&] { load_workload((models() / "raw14.onnx").string()); }) ==
        (models() / "raw14.onnx").string() + ": key 'initializers.shape': initializer 'shape' holds 14 bytes; its dims and type need 16");
  std::ifstream in(models() / "cnn.onnx", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string whole = ss.str();
  for (const std::string& bytes : {whole.substr(0, whole.size() / 2), std::string(), std::string("name: x\nops: []\n")})
    CHECK(error_of([&] { parse_onnx(bytes, "m.onnx"); }).find("not a readable ONNX model") != std::string::npos);
}
