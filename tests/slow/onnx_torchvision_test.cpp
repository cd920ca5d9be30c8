// torchvision models exported to ONNX (tools/onnx/export_torchvision.py, Debian's
// python3-torchvision) load with the MACs PyTorch counts on the ATen operators it runs: one model
// of every classification family (swin_v2 aside: torch 1.13 cannot export it). ResNet-50 and
// MobileNetV2 as the built-in workloads (the same operators, each with the same kind and MACs),
// ViT-B/16 with the built-in's MACs (torch fuses the Q, K, V projections into one MatMul and
// adds layout transposes, so its operators differ).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <tuple>

#include "sim/workload/loader.h"

using namespace tessera;
namespace fs = std::filesystem;

namespace {

// (kind, MACs, output elements) of every operator, sorted: names differ between the two.
std::vector<std::tuple<std::string, uint64_t, int64_t>> signature(const Workload& wl) {
  std::vector<std::tuple<std::string, uint64_t, int64_t>> v;
  for (size_t i = 0; i < wl.ops().size(); ++i) {
    const Operator& op = wl.ops()[i];
    uint64_t macs = 0;
    for (const auto& w : wl.lower(static_cast<int>(i)))
      if (w.kind == WorkKind::Gemm) macs += w.macs;
    v.emplace_back(op.kind, macs, wl.tensor(op.outputs[0]).elements());
  }
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace

TEST_CASE("torchvision from ONNX: every family with PyTorch MACs, ResNet-50, MobileNetV2 and ViT-B/16 as the built-ins", "[onnx][slow]") {
  const fs::path dir = fs::temp_directory_path() / ("tessera_torchvision_" + std::to_string(::getpid()));
  const std::string cmd = std::string(TESSERA_DEBIAN_PYTHON) + " " + TESSERA_SOURCE_DIR +
                          "/tools/onnx/export_torchvision.py " + dir.string() + " families 2>/dev/null";
  REQUIRE(std::system(cmd.c_str()) == 0);
  std::ifstream f(dir / "macs.json");
  const nlohmann::json torch_macs = nlohmann::json::parse(f);
  REQUIRE(torch_macs.size() == 21);
  for (const auto& [name, macs] : torch_macs.items()) {
    INFO(name);
    CHECK(load_workload((dir / (name + ".onnx")).string()).total_macs() == macs.get<uint64_t>());
  }
  for (const auto& [name, builtin] : {std::pair<std::string, std::string>{"resnet50", "resnet50"}, {"mobilenet_v2", "mobilenet_v2"}}) {
    INFO(name);
    const Workload wl = load_workload((dir / (name + ".onnx")).string());
    const Workload ref = load_workload(builtin_workload_path(builtin));
    CHECK(wl.ops().size() == ref.ops().size());
    CHECK(signature(wl) == signature(ref));
  }
  // The ATen count agrees with the forward-hook count this test used before (5,713,216,096) and
  // with torchvision's published 5.71 GFLOPS (its "GFLOPS" are multiply-accumulates).
  CHECK(torch_macs.at("inception_v3").get<uint64_t>() == 5713216096);
  CHECK(load_workload((dir / "vit_b_16.onnx").string()).total_macs() ==
        load_workload(builtin_workload_path("vit_b16")).total_macs());
  fs::remove_all(dir);
}

TEST_CASE("torchvision ResNet-18 quantized by PyTorch (int8 QDQ) from ONNX: the float graph, integer tensors", "[onnx][slow]") {
  const fs::path dir = fs::temp_directory_path() / ("tessera_torchvision_int8_" + std::to_string(::getpid()));
  const std::string cmd = std::string(TESSERA_DEBIAN_PYTHON) + " " + TESSERA_SOURCE_DIR +
                          "/tools/onnx/export_torchvision.py " + dir.string() + " resnet18 resnet18_int8 2>/dev/null";
  REQUIRE(std::system(cmd.c_str()) == 0);
  OnnxOptions fp16;
  fp16.dtype = DType::fp16;  // what a tensor no QuantizeLinear stores would take
  const Workload q = load_workload((dir / "resnet18_int8.onnx").string(), fp16);
  const Workload f = load_workload((dir / "resnet18.onnx").string());
  CHECK(q.total_macs() == 1814073344);  // torchvision's 1.81 GFLOPS
  CHECK(signature(q) == signature(f));  // the QuantizeLinear/DequantizeLinear pairs are gone
  int convs = 0;
  for (const Operator& op : q.ops()) {
    if (op.kind != "conv2d" && op.kind != "gemm") continue;
    INFO(op.name);
    ++convs;
    CHECK(q.tensor(op.inputs[0]).dtype == DType::int8);  // uint8 activations
    CHECK(q.tensor(op.inputs[1]).dtype == DType::int8);  // int8 weights
    if (op.inputs.size() > 2) CHECK(q.tensor(op.inputs[2]).dtype == DType::int32);
  }
  CHECK(convs == 21);  // 20 convolutions and the classifier
  fs::remove_all(dir);
}
