// SCALE-Sim topology CSVs: both forms, their conventions, and malformed rows.
#include <catch2/catch.hpp>

#include "sim/workload/loader.h"

using namespace tessera;

static Workload csv(const std::string& text) { return load_workload_string(text, "topo/net.csv", WorkloadFormat::csv); }

TEST_CASE("conv form: rows become independent int8 conv2d ops, no padding") {
  // The header and rows as in scale-sim-v2 topologies/conv_nets/Resnet18.csv, plus a blank
  // line, a spreadsheet ",,," row, a trailing comment and a 9th (width stride) column.
  Workload w =
      csv("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
          "Conv1,224,224,7,7,3,64,2,\n"
          "\n"
          ",,,,,,,,\n"
          "Conv2_1a, 56, 56, 3, 3, 64, 64, 1,#note\r\n"
          "Wide,10,20,3,3,8,16,1,2,\n"
          "Conv1,7,7,1,1,4,4,1,\n");
  CHECK(w.name() == "net");
  REQUIRE(w.ops().size() == 4);
  const Operator& c1 = w.ops()[0];
  CHECK(c1.kind == "conv2d");
  CHECK(w.tensor("Conv1.ifmap").shape == std::vector<int64_t>{1, 3, 224, 224});
  CHECK(w.tensor("Conv1.filter").shape == std::vector<int64_t>{64, 3, 7, 7});
  CHECK(w.tensor("Conv1.filter").role == TensorRole::weight);
  CHECK(w.tensor("Conv1.ifmap").dtype == DType::int8);
  // SCALE-Sim's ceil((224 - 7 + 2) / 2) = 110 (topology_utils.py), one more than the floor
  // (224 - 7) / 2 + 1 = 109: the last window starts at row 218 and ends at 224, one zero row
  // past the IFMAP.
  CHECK(w.tensor("Conv1.ofmap").shape == std::vector<int64_t>{1, 64, 110, 110});
  CHECK(c1.attrs.i("padding_bottom") == 1);
  CHECK(c1.attrs.i("padding_right") == 1);
  CHECK(w.lower(0)[0].gemm == GemmShape{110 * 110, 64, 147});
  CHECK(w.lower(1)[0].gemm == GemmShape{54 * 54, 64, 576});
  CHECK(w.ops()[1].attrs.i("padding_bottom") == 0);  // stride 1 never hangs off
  // Height: (10 - 3) / 1 + 1 = 8. Width, stride 2: ceil((20 - 3 + 2) / 2) = 10, the last window
  // at columns 18..20, one past the IFMAP's 20.
  CHECK(w.tensor("Wide.ofmap").shape == std::vector<int64_t>{1, 16, 8, 10});
  CHECK(w.ops()[2].attrs.i("padding_bottom") == 0);
  CHECK(w.ops()[2].attrs.i("padding_right") == 1);
  // A repeated layer name gets a suffix.
  CHECK(w.ops()[3].name == "Conv1~2");
  CHECK(w.ops()[1].loc.line == 5);
}

TEST_CASE("conv form: 'DP' layers are depthwise, as in SCALE-Sim") {
  Workload w =
      csv("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
          "Conv2_DP,112,112,3,3,32,1,1,\n");
  CHECK(w.ops()[0].kind == "depthwise");
  auto l = w.lower(0)[0];
  CHECK(l.groups == 32);
  CHECK(l.gemm == GemmShape{110 * 110, 1, 9});
  // SCALE-Sim runs 32 one-channel layers: 32 * 110*110*3*3*1*1 MACs.
  CHECK(l.macs == 32ULL * 110 * 110 * 9);
}

TEST_CASE("GEMM form: Layer, M, N, K") {
  // As scale-sim-v2 topologies/GEMM_mnk/gpt2.csv (CRLF, last row without a trailing comma).
  Workload w = csv("Layer,M,N,K,\r\nQKT,1024,1024,64,\r\nPW-FF-L2,1024,1600,3072");
  REQUIRE(w.ops().size() == 2);
  CHECK(w.ops()[0].kind == "gemm");
  CHECK(w.tensor("QKT.ifmap").shape == std::vector<int64_t>{1024, 64});
  CHECK(w.lower(0)[0].gemm == GemmShape{1024, 1024, 64});
  CHECK(w.lower(1)[0].gemm == GemmShape{1024, 1600, 3072});
  CHECK(w.total_macs() == 1024ULL * 1024 * 64 + 1024ULL * 1600 * 3072);
}

namespace {
UserError csv_error(const std::string& text) {
  try {
    csv(text);
  } catch (const UserError& e) {
    return e;
  }
  FAIL("no error for: " << text);
  return UserError("");
}
const std::string kHeader =
    "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n";
}  // namespace

TEST_CASE("malformed CSV rows name line, column and column name") {
  UserError e = csv_error(kHeader + "Conv1,224,224,7,7,3,x64,2,\n");
  CHECK(e.loc().file == "topo/net.csv");
  CHECK(e.loc().line == 2);
  CHECK(e.loc().col == 21);
  CHECK(e.key() == "Num Filter");
  CHECK_THAT(e.message(), Catch::Contains("expected a positive integer, got 'x64'"));

  e = csv_error(kHeader + "Conv1,224,224,7,7,3,0,2,\n");
  CHECK(e.loc().col == 21);
  e = csv_error(kHeader + "Conv1,224,224,7,7,3,-4,2,\n");
  CHECK_THAT(e.message(), Catch::Contains("got '-4'"));

  e = csv_error(kHeader + "\nConv1,224,224,7,7,3,\n");
  CHECK(e.loc().line == 3);
  CHECK_THAT(e.message(), Catch::Contains("row has 6 values, expected 8 or 9"));

  e = csv_error(kHeader + "Conv1,5,5,7,7,3,8,1,\n");
  CHECK(e.key() == "Filter Height");
  CHECK(e.loc().col == 11);
  CHECK_THAT(e.message(), Catch::Contains("filter height 7 exceeds IFMAP height 5"));

  e = csv_error(kHeader + " ,5,5,1,1,3,8,1,\n");
  CHECK_THAT(e.message(), Catch::Contains("empty layer name"));

  e = csv_error("Layer,M,N,K,\nG1,1,2,\n");
  CHECK(e.loc().line == 2);
  CHECK_THAT(e.message(), Catch::Contains("expected 4"));

  e = csv_error("a,b,c\n1,2,3\n");
  CHECK(e.loc().line == 1);
  CHECK_THAT(e.message(), Catch::Contains("header has 3 columns"));

  e = csv_error("");
  CHECK_THAT(e.message(), Catch::Contains("empty topology file"));
  e = csv_error(kHeader);
  CHECK_THAT(e.message(), Catch::Contains("no layers"));
  // Dimensions so large their tensors leave the 2^48-element bound.
  e = csv_error(kHeader + "Huge,2000000000,2000000000,1,1,1000,1,1,\n");
  CHECK_THAT(e.message(), Catch::Contains("2^48"));
}
