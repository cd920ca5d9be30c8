// libFuzzer target: any bytes as a mapping file; what loads must write and read back the same.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "sim/mapper/mapping.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  tessera::Mapping m;
  try {
    m = tessera::load_mapping_string(text, "fuzz.yaml");
  } catch (const tessera::UserError&) {
    return 0;
  }
  std::ostringstream out;
  tessera::write_mapping(m, out);
  try {
    const tessera::Mapping back = tessera::load_mapping_string(out.str(), "rt.yaml");
    if (back.ops.size() != m.ops.size()) __builtin_trap();
  } catch (const tessera::UserError&) {
    // Names that YAML cannot carry unquoted (e.g. "a: b") are a finding for write_mapping.
    __builtin_trap();
  }
  return 0;
}
