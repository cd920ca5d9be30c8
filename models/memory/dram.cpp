// Bandwidth-latency DRAM: one channel whose data phase is bits / bandwidth; the first-byte
// latency overlaps with other transfers (pipelined requests). Page hits/misses are folded into
// the sustained bandwidth the user gives.
#include "models/memory/i_memory.h"

namespace tessera {
namespace {

class Dram final : public IDram {
 public:
  explicit Dram(const ParamValues& p)
      : bw_(p.f("bandwidth_gbps")), lat_(p.f("latency_ns")), tech_(p.s("technology")), pj_(p.f("pj_per_bit")),
        gib_(p.f("capacity_gib")) {}
  double bandwidth_gbps() const override { return bw_; }
  double latency_ns() const override { return lat_; }
  std::string technology() const override { return tech_; }
  double pj_per_bit_override() const override { return pj_; }
  double capacity_gib() const override { return gib_; }

 private:
  double bw_, lat_;
  std::string tech_;
  double pj_;
  double gib_;
};

std::vector<ParamDecl> dram_params() {
  return {
      ParamDecl::real("bandwidth_gbps", "GB/s", "25.6", 0.001, 1e5, "sustained bandwidth"),
      ParamDecl::real("latency_ns", "ns", "100", 0, 1e6, "first-byte latency of a transfer"),
      ParamDecl::choice("technology", {"ddr3", "ddr4", "lpddr4", "lpddr5", "gddr5", "gddr6", "hbm2", "hbm3"},
                        "lpddr4", "DRAM technology; selects energy per bit in the tech library"),
      ParamDecl::real("pj_per_bit", "pJ/bit", "-1", -1, 1e4,
                      "energy per bit moved; -1 takes the tech library's figure for `technology`"),
      ParamDecl::real("capacity_gib", "GiB", "0", 0, 1e5,
                      "DRAM on the channel, for background and refresh power from the tech library's device "
                      "currents; 0 = not modelled"),
  };
}

}  // namespace

TESSERA_REGISTER_DRAM("dram", "bandwidth-latency DRAM channel", dram_params,
                      [](const ParamValues& p) { return std::make_unique<Dram>(p); });

}  // namespace tessera
