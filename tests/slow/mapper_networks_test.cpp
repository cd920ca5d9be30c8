// Every built-in network maps with the ILP on tpu_like and edge_small: every GEMM solved (proven
// optimal for the MIP's model, or its incumbent at the default time limit, which depends on the
// machine's load), and the mapping places (the placement accepts every tile: the mapper's
// capacity rule covers the placement's worst case).
#include <catch2/catch.hpp>

#include "sim/config/arch.h"
#include "sim/mapper/search.h"
#include "sim/scheduler/placement.h"
#include "sim/workload/loader.h"

using namespace tessera;

TEST_CASE("every built-in network maps with the ILP on tpu_like and edge_small", "[mapper][slow]") {
  for (const char* machine : {"tpu_like", "edge_small"}) {
    const Arch arch = load_arch(std::string(TESSERA_SOURCE_DIR) + "/configs/arch/" + machine + ".yaml");
    for (const char* net : {"resnet50", "mobilenet_v2", "bert_base", "vit_b16", "llama7b_prefill", "llama7b_decode",
                            "mlp0", "alexnet_conv"}) {
      INFO(machine << " " << net);
      const Workload wl = load_workload(net);
      MapperOptions o;
      int timed_out = 0;
      const MapResult r = map_workload(arch, wl, o);
      for (const auto& it : r.items) {
        INFO(it.item);
        CHECK((it.how == "optimal" || it.how == "time limit" || it.how == "vector" || it.how == "fused"));
        timed_out += it.how == "time limit";
      }
      CHECK_NOTHROW(build_plan(arch, wl, r.mapping));
      if (timed_out) WARN(machine << " " << net << ": " << timed_out << " items at the time limit");
    }
  }
}
