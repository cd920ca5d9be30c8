// libFuzzer target: any bytes through the SCALE-Sim topology CSV loader. A UserError is the
// expected answer to bad input; any other exception, crash, leak or UB is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "sim/workload/loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    tessera::Workload w = tessera::load_workload_string(text, "fuzz.csv", tessera::WorkloadFormat::csv);
    (void)w.total_macs();
  } catch (const tessera::UserError&) {
  }
  return 0;
}
