#pragma once
// Dynamic energy of one work item from what it did: engine actions, scratchpad bits and DRAM
// bits, priced with the machine's tech library. The report (per operator) and the mappers (per
// candidate mapping) price through this one function, so a mapper's energy objective is the
// energy the report shows for the same counts.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "models/engine/i_engine.h"
#include "sim/config/arch.h"

namespace tessera {

// Per component: "<engine>.<component>" for actions, the scratchpad's name, "dram".
// `spm_read_bits[i]`, `spm_write_bits[i]`: traffic through arch scratchpad i.
std::map<std::string, double> item_energy_pj(const Arch& arch, const std::string& engine, const ActionCounts& actions,
                                             const std::vector<uint64_t>& spm_read_bits,
                                             const std::vector<uint64_t>& spm_write_bits, uint64_t dram_bits);

// pJ per DRAM bit: the arch's override or the tech library's figure for its technology.
double dram_pj_per_bit(const Arch& arch);

}  // namespace tessera
