#pragma once
// The memory contracts. Three structural roles, each with its own registry so alternative
// models slot in by `type:` without touching the kernel:
//   IScratchpad  on-chip SRAM: capacity, banks, ports, word width;
//   IDram        off-chip memory: bandwidth, latency, technology (energy per bit is priced by
//                the tech library from `technology()` unless the user pins pj_per_bit);
//   IDma         the engine that moves tiles between them: channels and per-transfer setup.
// Models are pure: the SystemC kernel (sim/kernel) asks them how long a transfer takes and
// counts accesses; energy and area are priced by the tech library (models/tech).
//
// Units: bits, bytes, ns for DRAM (physical, the kernel converts to cycles at the clock),
// cycles for on-chip parts.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/common/params.h"
#include "models/common/registry.h"

namespace tessera {

// Roles a scratchpad may hold: the GEMM operands, and `Psum`, an accumulator: the partial sums
// of the output tile being reduced, kept apart from the finished outputs (as TPUv1's).
enum class Operand { A, B, Out, Psum };
const char* operand_name(Operand o);  // "a", "b", "out", "psum"

class IScratchpad {
 public:
  virtual ~IScratchpad() = default;
  virtual uint64_t capacity_bits() const = 0;
  virtual int banks() const = 0;
  virtual int ports() const = 0;       // per bank, each one word per cycle
  virtual int width_bits() const = 0;  // word width of one bank
  // Peak bits per cycle through `ports_used` of each bank's ports.
  uint64_t bits_per_cycle(int ports_used) const {
    return static_cast<uint64_t>(banks()) * static_cast<uint64_t>(width_bits()) * static_cast<uint64_t>(ports_used);
  }
  // Word accesses to move `bits` (whole words: a partial word costs a full access).
  uint64_t accesses(uint64_t bits) const { return (bits + width_bits() - 1) / width_bits(); }
  // Cycles to stream `bits` through `ports_used` ports of every bank, words interleaved across
  // banks (consecutive words in consecutive banks, so a streaming access never conflicts).
  uint64_t stream_cycles(uint64_t bits, int ports_used) const {
    const uint64_t words = accesses(bits);
    const uint64_t per_cycle = static_cast<uint64_t>(banks()) * static_cast<uint64_t>(ports_used);
    return (words + per_cycle - 1) / per_cycle;
  }
};

class IDram {
 public:
  virtual ~IDram() = default;
  virtual double bandwidth_gbps() const = 0;  // GB/s (1e9 bytes/s)
  virtual double latency_ns() const = 0;      // first-byte latency of a transfer
  virtual std::string technology() const = 0; // priced by the tech library
  virtual double pj_per_bit_override() const = 0;  // < 0: use the tech library's figure
  virtual double capacity_gib() const = 0;  // devices on the channel (background power); 0 = not modelled
  // Data-phase time of one transfer of `bits` (the channel is busy for this long).
  double transfer_ns(uint64_t bits) const { return static_cast<double>(bits) / 8.0 / bandwidth_gbps(); }
};

class IDma {
 public:
  virtual ~IDma() = default;
  virtual int channels() const = 0;           // transfers in flight at once
  virtual uint64_t setup_cycles() const = 0;  // descriptor/handshake cycles per transfer
};

using ScratchpadRegistry = Registry<IScratchpad>;
using DramRegistry = Registry<IDram>;
using DmaRegistry = Registry<IDma>;

}  // namespace tessera

#define TESSERA_REGISTER_SCRATCHPAD(type_name, doc_text, params_fn, factory_fn) \
  TESSERA_REGISTER(::tessera::IScratchpad, type_name, doc_text, params_fn, factory_fn)
#define TESSERA_REGISTER_DRAM(type_name, doc_text, params_fn, factory_fn) \
  TESSERA_REGISTER(::tessera::IDram, type_name, doc_text, params_fn, factory_fn)
#define TESSERA_REGISTER_DMA(type_name, doc_text, params_fn, factory_fn) \
  TESSERA_REGISTER(::tessera::IDma, type_name, doc_text, params_fn, factory_fn)
