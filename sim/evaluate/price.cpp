#include "sim/evaluate/price.h"

namespace tessera {

double dram_pj_per_bit(const Arch& arch) {
  return arch.dram->pj_per_bit_override() >= 0 ? arch.dram->pj_per_bit_override()
                                              : arch.tech->dram_pj_per_bit(arch.dram->technology());
}

std::map<std::string, double> item_energy_pj(const Arch& arch, const std::string& engine, const ActionCounts& actions,
                                             const std::vector<uint64_t>& spm_read_bits,
                                             const std::vector<uint64_t>& spm_write_bits, uint64_t dram_bits) {
  const TechLibrary& tech = *arch.tech;
  std::map<std::string, double> e;
  for (const auto& a : actions.items())
    e[engine + "." + a.component] += tech.action_pj(a.primitive, a.bits) * static_cast<double>(a.count);
  for (size_t i = 0; i < arch.scratchpads.size(); ++i) {
    const auto& m = *arch.scratchpads[i].model;
    const double bank_bytes = static_cast<double>(m.capacity_bits() / 8) / m.banks();
    const uint64_t rd = i < spm_read_bits.size() ? spm_read_bits[i] : 0;
    const uint64_t wr = i < spm_write_bits.size() ? spm_write_bits[i] : 0;
    const double pj = static_cast<double>(m.accesses(rd)) * tech.sram_access_pj(bank_bytes, m.width_bits(), false) +
                      static_cast<double>(m.accesses(wr)) * tech.sram_access_pj(bank_bytes, m.width_bits(), true);
    if (pj > 0) e[arch.scratchpads[i].name] += pj;
  }
  const double dram = static_cast<double>(dram_bits) * dram_pj_per_bit(arch);
  if (dram > 0) e["dram"] += dram;
  return e;
}

}  // namespace tessera
