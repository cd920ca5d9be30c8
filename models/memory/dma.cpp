// DMA engine: up to `channels` tile transfers in flight, each paying `setup_cycles` to issue.
#include "models/memory/i_memory.h"

namespace tessera {
namespace {

class Dma final : public IDma {
 public:
  explicit Dma(const ParamValues& p)
      : channels_(static_cast<int>(p.i("channels"))), setup_(static_cast<uint64_t>(p.i("setup_cycles"))) {}
  int channels() const override { return channels_; }
  uint64_t setup_cycles() const override { return setup_; }

 private:
  int channels_;
  uint64_t setup_;
};

std::vector<ParamDecl> dma_params() {
  return {
      ParamDecl::integer("channels", "", "2", 1, 64, "tile transfers in flight at once"),
      ParamDecl::integer("setup_cycles", "cycles", "0", 0, 100000, "issue overhead per transfer"),
  };
}

}  // namespace

TESSERA_REGISTER_DMA("dma", "multi-channel tile DMA", dma_params,
                     [](const ParamValues& p) { return std::make_unique<Dma>(p); });

}  // namespace tessera
