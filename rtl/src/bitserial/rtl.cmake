# rtl/src/bitserial/rtl.cmake -- the bit-serial array's co-simulation build rules (read by
# sim/cosim/CMakeLists.txt; see tessera_rtl_engine() there and docs/cosim.md).
#   LINKED   the test set (tests/rtl/bitserial_cosim_test.cpp): both serial modes, 1..4 bits per
#            step, one lane to eight, ragged grids, a narrow accumulator, a read-out-bound
#            shape (4x1 SIPs, one cycle per fold). Any other configuration builds on first use.
#   LINT     parameter sets checked with verilator --lint-only -Wall (ctest, label rtl)
tessera_rtl_engine(bitserial
  TOP bitserial_counters
  SOURCES
    ${CMAKE_SOURCE_DIR}/rtl/tb/bitserial_counters.v
    ${CMAKE_CURRENT_LIST_DIR}/bitserial_array.v
    ${CMAKE_CURRENT_LIST_DIR}/bitserial_sip.v
  ADAPTER ${CMAKE_CURRENT_LIST_DIR}/bitserial_rtl.cpp
  PORTS clk rst fold_valid fold_ready fold_r fold_c fold_g fold_kl fold_sa fold_sb row_in col_in busy hold
        group_load ro_busy out_data out_valid out_row cnt_mul cnt_mac cnt_tree cnt_shift cnt_acc cnt_opw cnt_slice
        cnt_res cnt_ro cnt_cycles cnt_hold
  LINKED
    "ROWS=2 COLS=2 LANES=2 BPS=1 MAX_BITS=4 ACC_BITS=16 BOTH=0"
    "ROWS=3 COLS=4 LANES=4 BPS=1 MAX_BITS=8 ACC_BITS=32 BOTH=0"
    "ROWS=4 COLS=4 LANES=4 BPS=3 MAX_BITS=8 ACC_BITS=32 BOTH=0"
    "ROWS=4 COLS=1 LANES=4 BPS=4 MAX_BITS=4 ACC_BITS=32 BOTH=0"
    "ROWS=8 COLS=8 LANES=8 BPS=2 MAX_BITS=8 ACC_BITS=32 BOTH=0"
    "ROWS=4 COLS=3 LANES=3 BPS=2 MAX_BITS=8 ACC_BITS=24 BOTH=1"
    "ROWS=2 COLS=5 LANES=5 BPS=1 MAX_BITS=8 ACC_BITS=32 BOTH=1"
    "ROWS=1 COLS=1 LANES=1 BPS=1 MAX_BITS=16 ACC_BITS=40 BOTH=1"
  LINT
    "ROWS=4 COLS=4"
    "BOTH=1"
    "ROWS=1 COLS=1 LANES=1"
    "BPS=3 MAX_BITS=8 BOTH=1"
    "BPS=4 MAX_BITS=4"
    "BPS=2 MAX_BITS=16 ACC_BITS=12 LANES=5"
    "MAX_BITS=1 BOTH=1")
