// Total MACs of each built-in workload against published figures. Exact counts are derived
// by hand below; the published figures (rounded) bound them.
#include <catch2/catch.hpp>

#include "sim/workload/loader.h"

using namespace tessera;

static uint64_t macs_of(const std::string& name) { return load_workload(builtin_workload_path(name)).total_macs(); }

TEST_CASE("the built-in list is the generated set") {
  std::vector<std::string> expect = {"alexnet_conv", "bert_base", "bitnet3b_decode", "bitnet3b_prefill",
                                     "llama7b_decode", "llama7b_prefill"};
  for (const char* w : {"1", "2", "4"})
    for (const char* a : {"a16", "a8"})
      for (const char* phase : {"decode", "prefill"})
        expect.push_back(std::string("llama7b_w") + w + a + "_" + phase);
  for (const char* n : {"mlp0", "mobilenet_v2", "resnet50", "resnet50_int4", "vit_b16"}) expect.push_back(n);
  CHECK(builtin_workloads() == expect);
}

TEST_CASE("ResNet-50: 4.09 GMAC") {
  // torchvision model card: ResNet50_Weights.IMAGENET1K_V1 "GFLOPS 4.09" (fvcore, MACs);
  // ptflops 4.09 GMac for the convs and fc. SCALE-Sim's topologies/resnet/resnet_input_grad.csv
  // sums to the same 4,089,184,256.
  const uint64_t m = macs_of("resnet50");
  CHECK(m == 4089184256ULL);
  CHECK(m > 4.08e9);
  CHECK(m < 4.10e9);
}

TEST_CASE("TPUv1 MLP0: 5 FC layers, ~20 M weights, batch 200") {
  // Jouppi et al., ISCA 2017, Table 1: MLP0 has 5 FC layers and 20 M weights, batch 200. Our
  // layers are 2048 x 2048 (assumed): 5 x 2048^2 = 20,971,520 weights; MACs = batch x weights
  // = 200 x 20,971,520 = 4,194,304,000.
  const Workload w = load_workload(builtin_workload_path("mlp0"));
  CHECK(w.total_macs() == 4194304000ULL);
  CHECK(w.total_macs() / 200 > 19.5e6);
  CHECK(w.total_macs() / 200 < 21.5e6);
}

TEST_CASE("AlexNet CONV layers: 666 MMAC per image") {
  // Output size x Cout x Cin/groups x K^2: conv1 55^2 x 96 x 3 x 121 = 105,415,200;
  // conv2 27^2 x 256 x 48 x 25 = 223,948,800; conv3 13^2 x 384 x 256 x 9 = 149,520,384;
  // conv4 13^2 x 384 x 192 x 9 = 112,140,288; conv5 13^2 x 256 x 192 x 9 = 74,760,192;
  // sum 665,784,864 per image (Chen et al., ISSCC 2016: "666 million MACs per 227x227 image"); x4.
  CHECK(macs_of("alexnet_conv") == 4ULL * 665784864ULL);
}

TEST_CASE("MobileNetV2: 300 MMAC") {
  // Sandler et al. 2018, Table 3: 300M multiply-adds; torchvision model card "GFLOPS 0.3".
  const uint64_t m = macs_of("mobilenet_v2");
  CHECK(m == 300774272ULL);
  CHECK(m > 299e6);
  CHECK(m < 302e6);
}

TEST_CASE("BERT-base, seq 128: 11.2 GMAC") {
  // Per layer: Q,K,V,O 4*128*768*768 = 301,989,888; FFN 2*128*768*3072 = 603,979,776;
  // QK^T and PV 2*12*128*128*64 = 25,165,824; sum 931,135,488; x12 = 11,173,625,856.
  // Commonly quoted: ~11.2 GMAC (22.4 GFLOPs) for seq 128 with attention.
  const uint64_t m = macs_of("bert_base");
  CHECK(m == 12ULL * (4ULL * 128 * 768 * 768 + 2ULL * 128 * 768 * 3072 + 2ULL * 12 * 128 * 128 * 64));
  CHECK(m == 11173625856ULL);
}

TEST_CASE("ViT-B/16, 224: 17.6 GMAC") {
  // Dosovitskiy et al. / timm report 17.6 GFLOPs (MACs). 197 tokens. Patch embedding
  // 196*768*(3*16*16) = 115,605,504; per block 4*197*768^2 + 2*197*768*3072 + 2*12*197^2*64
  // = 1,453,954,560, x12 = 17,447,454,720; head 768*1000. Total 17,563,828,224.
  const uint64_t m = macs_of("vit_b16");
  CHECK(m == 196ULL * 768 * 768 +
                 12ULL * (4ULL * 197 * 768 * 768 + 2ULL * 197 * 768 * 3072 + 2ULL * 12 * 197 * 197 * 64) + 768000ULL);
  CHECK(m == 17563828224ULL);
  CHECK(m > 17.5e9);
  CHECK(m < 17.7e9);
}

// LLaMA-7B (Touvron et al. 2023): d 4096, 32 heads x 128, SwiGLU hidden 11008, 32 layers.
// Matmul parameters per layer: attention 4*4096^2 = 67,108,864; FFN 3*4096*11008 =
// 135,266,304; total 202,375,168 (plus 8,192 RMSNorm gains). x32 layers = 6.48e9, plus
// 2*32000*4096 embeddings = 6.74e9: the published "7B" (6.7B).
static constexpr uint64_t kLlamaLayerParams = 4ULL * 4096 * 4096 + 3ULL * 4096 * 11008;

TEST_CASE("LLaMA-7B layer prefill, seq 2048: tokens x params + attention") {
  // Forward MACs = params per token (the "2 x params FLOPs" rule) for the linears:
  // 2048 * 202,375,168 = 414,464,344,064; attention QK^T and PV 2*32*2048*2048*128 =
  // 34,359,738,368 (the causal mask is applied, not skipped). Total 448,824,082,432.
  const uint64_t m = macs_of("llama7b_prefill");
  CHECK(kLlamaLayerParams == 202375168ULL);
  CHECK(m == 2048ULL * kLlamaLayerParams + 2ULL * 32 * 2048 * 2048 * 128);
  CHECK(m == 448824082432ULL);
}

TEST_CASE("LLaMA-7B layer decode, 1 token, 2048-position KV cache") {
  // One token: params MACs 202,375,168, plus QK^T and PV over 2048 positions
  // 2*32*2048*128 = 16,777,216. Total 219,152,384.
  const uint64_t m = macs_of("llama7b_decode");
  CHECK(m == kLlamaLayerParams + 2ULL * 32 * 2048 * 128);
  CHECK(m == 219152384ULL);
}

TEST_CASE("LLaMA-7B low-bit layers: the same MACs, weights int1/int2/int4, activations fp16/int8") {
  // W1/W2/W4 x A-fp16/A-int8 (LUT Tensor Core's kernel precisions): LLaMA-7B's layer unchanged
  // but for the formats; the seven linear weights take the weight format, everything else the
  // activation format (the attention matmuls multiply activations by activations).
  for (const char* w : {"1", "2", "4"})
    for (const char* a : {"a16", "a8"}) {
      const std::string base = std::string("llama7b_w") + w + a;
      CHECK(macs_of(base + "_prefill") == macs_of("llama7b_prefill"));
      CHECK(macs_of(base + "_decode") == macs_of("llama7b_decode"));
      const Workload wl = load_workload(builtin_workload_path(base + "_decode"));
      const DType wt = *parse_dtype(std::string("int") + w), at = std::string(a) == "a16" ? DType::fp16 : DType::int8;
      int weights = 0;
      for (const Tensor& t : wl.tensors()) {
        const bool linear = t.name.size() > 2 && t.name.compare(t.name.size() - 2, 2, ".w") == 0;
        weights += linear;
        CHECK(t.dtype == (linear ? wt : at));
      }
      CHECK(weights == 7);
    }
}

TEST_CASE("ResNet-50 int4: the same layers, 4-bit but the first and last") {
  const Workload w4 = load_workload(builtin_workload_path("resnet50_int4"));
  const Workload w8 = load_workload(builtin_workload_path("resnet50"));
  CHECK(w4.total_macs() == 4089184256ULL);
  int int4_convs = 0;
  for (const char* t : {"image", "conv1.w", "flatten.out", "fc.w", "fc.out"}) CHECK(w4.tensor(t).dtype == DType::int8);
  for (const char* t : {"conv1.out", "layer2.0.conv2.w", "layer4.2.conv3.out"}) CHECK(w4.tensor(t).dtype == DType::int4);
  for (const Tensor& t : w4.tensors()) {
    const bool weight = t.name.size() > 2 && t.name.compare(t.name.size() - 2, 2, ".w") == 0;
    int4_convs += weight && t.dtype == DType::int4;
  }
  CHECK(int4_convs == 53 - 1);  // every conv but conv1 (53 with the 4 downsamples); fc is a gemm
  CHECK(w8.tensor("layer2.0.conv2.w").dtype == DType::int8);
}

TEST_CASE("BitNet b1.58 3B layer: ternary weights, the LLaMA-style layer MACs") {
  // d 3200, 32 heads x 100, FFN 8640: linears 4*3200^2 + 3*3200*8640 = 123,904,000 MACs per
  // token; prefill 2048 tokens plus QK^T and PV 2*32*2048*2048*100 = 26,843,545,600.
  const uint64_t per_token = 4ULL * 3200 * 3200 + 3ULL * 3200 * 8640;
  CHECK(per_token == 123904000ULL);
  CHECK(macs_of("bitnet3b_prefill") == 2048ULL * per_token + 2ULL * 32 * 2048 * 2048 * 100);
  CHECK(macs_of("bitnet3b_prefill") == 280598937600ULL);
  CHECK(macs_of("bitnet3b_decode") == per_token + 2ULL * 32 * 2048 * 100);
  const Workload w = load_workload(builtin_workload_path("bitnet3b_prefill"));
  int ternary = 0;
  for (const Tensor& t : w.tensors()) ternary += t.dtype == DType::ternary;
  CHECK(ternary == 7);  // q, k, v, o, gate, up, down
  CHECK(w.tensor("hidden").dtype == DType::int8);
}
