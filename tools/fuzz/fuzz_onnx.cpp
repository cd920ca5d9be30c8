// libFuzzer target: any bytes through the ONNX loader (protobuf parsing, opset check, shape
// inference, translation). A UserError is the expected answer to bad input; any other
// exception, crash, leak or UB is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "sim/workload/loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    tessera::OnnxOptions o;
    o.dims["batch"] = 1;  // the seeds' symbolic dimension
    tessera::Workload w = tessera::parse_onnx(bytes, "fuzz.onnx", o);
    (void)w.total_macs();  // lowering must hold for anything that validated
  } catch (const tessera::UserError&) {
  }
  return 0;
}
