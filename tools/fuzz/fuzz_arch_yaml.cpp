// libFuzzer target: any bytes as an arch YAML, plus a --set override taken from the first line,
// through the machine loader (registries, declared parameters, the tech file it names).
// A UserError is the expected answer to bad input; anything else is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "sim/config/arch.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> sets;
  const auto nl = text.find('\n');
  if (text.rfind("#set ", 0) == 0 && nl != std::string::npos) sets.push_back(text.substr(5, nl - 5));
  try {
    const tessera::Arch a = tessera::load_arch_string(text, "fuzz.yaml", sets);
    // area_items() and action_primitives() compute each engine's derived widths (the LUT spec's
    // table, accumulator and mux bits). The loader's pricing check calls them today; this keeps
    // them fuzzed if that check ever moves out of the loader. A UserError is still an answer.
    for (const auto& e : a.engines) {
      (void)e.model->capabilities();
      (void)e.model->area_items();
      (void)e.model->action_primitives();
    }
  } catch (const tessera::UserError&) {
  }
  return 0;
}
