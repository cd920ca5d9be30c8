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

TEST_CASE("ONNX: bad models are one clear error", "[onnx]") {
  const std::string unsupported = error_of([&] { load_workload((models() / "unsupported.onnx").string()); });
  CHECK(unsupported.find("key 'nodes.hs'") != std::string::npos);
  CHECK(unsupported.find("'HardSwish' is not supported; supported: Add,") != std::string::npos);
  CHECK(error_of([&] { load_workload((models() / "opset99.onnx").string()); }).find("opset 99 is newer") != std::string::npos);
  CHECK(error_of([&] { load_workload((models() / "short.onnx").string()); }) ==
        (models() / "short.onnx").string() +
            ": key 'nodes.g': Gemm node: does not match its ONNX schema: Node (g) has input size 1 not in range [min=2, "
            "max=3].");
  CHECK(error_of([&] { load_workload((models() / "cycle.onnx").string()); }) ==
        (models() / "cycle.onnx").string() +
            ": key 'nodes.r1': Relu node: reads 'b', which is not a graph input, an initializer or an earlier node's "
            "output (the graph is out of order or has a cycle)");
  std::ifstream in(models() / "cnn.onnx", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string whole = ss.str();
  for (const std::string& bytes : {whole.substr(0, whole.size() / 2), std::string(), std::string("name: x\nops: []\n")})
    CHECK(error_of([&] { parse_onnx(bytes, "m.onnx"); }).find("not a readable ONNX model") != std::string::npos);
}
