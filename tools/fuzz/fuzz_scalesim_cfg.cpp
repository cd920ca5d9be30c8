// libFuzzer target: any bytes as a SCALE-Sim .cfg, then through the machine loader.
#include <cstddef>
#include <cstdint>
#include <string>

#include "sim/config/arch.h"
#include "sim/config/scalesim_cfg.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    YAML::Emitter out;
    out << tessera::scalesim_cfg_text_to_yaml(text, "fuzz.cfg");
    (void)tessera::load_arch_string(out.c_str(), "fuzz.cfg");
  } catch (const tessera::UserError&) {
  }
  return 0;
}
