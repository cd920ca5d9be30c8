// Banked SRAM scratchpad: capacity split evenly over banks, each bank `ports` ports of one
// `width_bits` word per cycle.
#include "models/memory/i_memory.h"

namespace tessera {

const char* operand_name(Operand o) {
  switch (o) {
    case Operand::A: return "a";
    case Operand::B: return "b";
    case Operand::Out: return "out";
    case Operand::Psum: return "psum";
  }
  return "?";
}

namespace {

class Scratchpad final : public IScratchpad {
 public:
  explicit Scratchpad(const ParamValues& p)
      : capacity_bits_(static_cast<uint64_t>(p.i("size_kb")) * 1024 * 8),
        banks_(static_cast<int>(p.i("banks"))),
        ports_(static_cast<int>(p.i("ports"))),
        width_bits_(static_cast<int>(p.i("width_bits"))) {}
  uint64_t capacity_bits() const override { return capacity_bits_; }
  int banks() const override { return banks_; }
  int ports() const override { return ports_; }
  int width_bits() const override { return width_bits_; }

 private:
  uint64_t capacity_bits_;
  int banks_, ports_, width_bits_;
};

std::vector<ParamDecl> scratchpad_params() {
  return {
      ParamDecl::integer("size_kb", "KiB", std::nullopt, 1, 1 << 24, "capacity"),
      ParamDecl::integer("banks", "", "1", 1, 1024, "independent banks; words interleave across them"),
      ParamDecl::integer("width_bits", "bits", "128", 8, 8192, "word width of one bank"),
      ParamDecl::integer("ports", "", "1", 1, 4, "ports per bank (2 = DMA fills while the engine reads)"),
  };
}

}  // namespace

TESSERA_REGISTER_SCRATCHPAD("scratchpad", "banked SRAM scratchpad", scratchpad_params,
                            [](const ParamValues& p) { return std::make_unique<Scratchpad>(p); });

}  // namespace tessera
