# rtl/src/mactree/rtl.cmake -- the multiplier-adder tree engine's co-simulation build rules (read
# by sim/cosim/CMakeLists.txt; see tessera_rtl_engine() there and docs/cosim.md).
#   LINKED   the test set (tests/rtl/mactree_cosim_test.cpp): six shapes, each plain (MAC=0) and
#            bit-weight (MAC=1), so the twins can be compared: odd and even widths and lane
#            counts, one lane of one input, an odd in_bits, a tree that reaches acc_bits and wraps
#            (WIDTH=8, int8, acc 16). Any other configuration builds on first use.
#   LINT     parameter sets checked with verilator --lint-only -Wall (ctest, label rtl): the
#            defaults (16 x 16), in_bits 1 and 16, acc_bits = in_bits (the tree and the rows wrap),
#            acc_bits < in_bits (whole Booth digits cut off), one input, one lane. Small shapes
#            besides the defaults: the bit-weight lane elaborates a generate block per row bit.
tessera_rtl_engine(mactree
  TOP mactree_counters
  SOURCES
    ${CMAKE_SOURCE_DIR}/rtl/tb/mactree_counters.v
    ${CMAKE_CURRENT_LIST_DIR}/mactree.v
    ${CMAKE_CURRENT_LIST_DIR}/mactree_lane.v
    ${CMAKE_SOURCE_DIR}/rtl/src/common/booth_rows.v
    ${CMAKE_SOURCE_DIR}/rtl/src/common/csa_rows.v
  ADAPTER ${CMAKE_CURRENT_LIST_DIR}/mactree_rtl.cpp
  PORTS clk rst fold_valid fold_ready fold_k fold_l fold_m a_in w_in busy fold_last out_data out_valid mac_kind
        cnt_results cnt_products cnt_act cnt_weight cnt_cycles
  LINKED
    "LANES=2 WIDTH=3 IN_BITS=8 ACC_BITS=32 MAC=0"
    "LANES=2 WIDTH=3 IN_BITS=8 ACC_BITS=32 MAC=1"
    "LANES=4 WIDTH=4 IN_BITS=8 ACC_BITS=32 MAC=0"
    "LANES=4 WIDTH=4 IN_BITS=8 ACC_BITS=32 MAC=1"
    "LANES=3 WIDTH=5 IN_BITS=4 ACC_BITS=16 MAC=0"
    "LANES=3 WIDTH=5 IN_BITS=4 ACC_BITS=16 MAC=1"
    "LANES=1 WIDTH=1 IN_BITS=16 ACC_BITS=40 MAC=0"
    "LANES=1 WIDTH=1 IN_BITS=16 ACC_BITS=40 MAC=1"
    "LANES=5 WIDTH=4 IN_BITS=3 ACC_BITS=12 MAC=0"
    "LANES=5 WIDTH=4 IN_BITS=3 ACC_BITS=12 MAC=1"
    "LANES=2 WIDTH=8 IN_BITS=8 ACC_BITS=16 MAC=0"
    "LANES=2 WIDTH=8 IN_BITS=8 ACC_BITS=16 MAC=1"
  LINT
    "MAC=0"
    "MAC=1"
    "LANES=3 WIDTH=5 IN_BITS=1 MAC=0"
    "LANES=3 WIDTH=5 IN_BITS=1 MAC=1"
    "LANES=2 WIDTH=6 IN_BITS=16 ACC_BITS=32 MAC=0"
    "LANES=2 WIDTH=6 IN_BITS=16 ACC_BITS=32 MAC=1"
    "LANES=4 WIDTH=4 IN_BITS=8 ACC_BITS=8 MAC=0"
    "LANES=4 WIDTH=4 IN_BITS=8 ACC_BITS=8 MAC=1"
    "LANES=2 WIDTH=3 IN_BITS=16 ACC_BITS=12 MAC=1"
    "WIDTH=1 MAC=0"
    "WIDTH=1 LANES=3 IN_BITS=5 MAC=1"
    "LANES=1 WIDTH=7 IN_BITS=3 ACC_BITS=12 MAC=0"
    "LANES=1 WIDTH=7 IN_BITS=3 ACC_BITS=12 MAC=1")
