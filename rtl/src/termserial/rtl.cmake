# rtl/src/termserial/rtl.cmake -- the term-serial array's co-simulation build rules (read by
# sim/cosim/CMakeLists.txt; see tessera_rtl_engine() there and docs/cosim.md).
#   LINKED   the test set (tests/rtl/termserial_cosim_test.cpp): both serial modes, both
#            encodings, 4 / 8 / 16-bit registers, one lane to eight, ragged grids, narrow
#            accumulators (one that wraps), a read-out-bound shape (4x1 SIPs, short groups). Any
#            other configuration builds on first use.
#   LINT     parameter sets checked with verilator --lint-only -Wall (ctest, label rtl)
tessera_rtl_engine(termserial
  TOP termserial_counters
  SOURCES
    ${CMAKE_SOURCE_DIR}/rtl/tb/termserial_counters.v
    ${CMAKE_CURRENT_LIST_DIR}/termserial_array.v
    ${CMAKE_CURRENT_LIST_DIR}/termserial_enc.v
    ${CMAKE_CURRENT_LIST_DIR}/termserial_sip.v
  ADAPTER ${CMAKE_CURRENT_LIST_DIR}/termserial_rtl.cpp
  PORTS clk rst fold_valid fold_ready fold_r fold_c fold_g fold_kl row_in col_in busy hold group_load ro_busy
        out_data out_valid out_row cnt_prod cnt_mac cnt_tree cnt_acc cnt_lda cnt_ldb cnt_clra cnt_clrb cnt_picka
        cnt_pickb cnt_res cnt_ro cnt_cycles cnt_hold
  LINKED
    "ROWS=2 COLS=2 LANES=2 MAX_BITS=4 ACC_BITS=16 BOTH=0 BOOTH=0"
    "ROWS=3 COLS=4 LANES=4 MAX_BITS=8 ACC_BITS=32 BOTH=0 BOOTH=1"
    "ROWS=4 COLS=1 LANES=4 MAX_BITS=4 ACC_BITS=32 BOTH=0 BOOTH=1"
    "ROWS=5 COLS=6 LANES=8 MAX_BITS=8 ACC_BITS=32 BOTH=0 BOOTH=0"
    "ROWS=3 COLS=2 LANES=3 MAX_BITS=16 ACC_BITS=12 BOTH=0 BOOTH=1"
    "ROWS=4 COLS=3 LANES=3 MAX_BITS=8 ACC_BITS=24 BOTH=1 BOOTH=0"
    "ROWS=2 COLS=5 LANES=5 MAX_BITS=8 ACC_BITS=32 BOTH=1 BOOTH=1"
    "ROWS=1 COLS=1 LANES=1 MAX_BITS=16 ACC_BITS=40 BOTH=1 BOOTH=1"
  LINT
    "ROWS=4 COLS=4"
    "BOTH=1 BOOTH=1"
    "ROWS=1 COLS=1 LANES=1"
    "LANES=1 BOTH=1"
    "MAX_BITS=2 BOTH=1 BOOTH=1"
    "MAX_BITS=2 BOOTH=0"
    "MAX_BITS=16 ACC_BITS=12 LANES=5 BOOTH=1"
    "ROWS=3 COLS=5 LANES=7 MAX_BITS=16 ACC_BITS=64 BOTH=1")
