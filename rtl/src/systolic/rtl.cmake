# rtl/src/systolic/rtl.cmake -- the systolic array's co-simulation build rules. Read by
# sim/cosim/CMakeLists.txt (which picks up every rtl/src/<engine>/rtl.cmake); see
# tessera_rtl_engine() there and docs/cosim.md.
#   SOURCES  the counting wrapper (top) and the array; embedded for builds on first use
#   ADAPTER  systolic_rtl.cpp: the `systolic` engine's RTL adapter (one registry line)
#   PORTS    what the adapter drives and reads, reached through the C ABI shim
#   LINKED   the parameter sets verilated at build time and linked in: the test set
#            (tests/rtl). MAC=1 is the bit-weight PE (`mac: bitweight`): square and ragged
#            grids, in_bits 8 / 4 / 3 (odd: a top Booth digit with a constant `two`), an
#            accumulator of 16 and 12 bits, both buffering modes. Any other configuration is
#            built on first use and cached.
#   LINT     parameter sets checked with verilator --lint-only -Wall (ctest, label rtl)
tessera_rtl_engine(systolic
  TOP systolic_counters
  SOURCES
    ${CMAKE_SOURCE_DIR}/rtl/tb/systolic_counters.v
    ${CMAKE_CURRENT_LIST_DIR}/systolic_array.v
    ${CMAKE_CURRENT_LIST_DIR}/systolic_pe.v
    ${CMAKE_SOURCE_DIR}/rtl/src/common/booth_rows.v
    ${CMAKE_SOURCE_DIR}/rtl/src/common/csa_rows.v
  ADAPTER ${CMAKE_CURRENT_LIST_DIR}/systolic_rtl.cpp
  PORTS clk rst fold_valid fold_ready fold_mode fold_r fold_c fold_t busy fold_last row_in col_in out_data
        out_valid cnt_int_mul cnt_int_add cnt_rw_acc cnt_rw_x cnt_rw_y cnt_mux cnt_mux_in cnt_enc cnt_out
        cnt_cycles mac_kind
  LINKED
    "ROWS=2 COLS=2 IN_BITS=8 ACC_BITS=32 WEIGHT_DB=0"
    "ROWS=4 COLS=4 IN_BITS=8 ACC_BITS=32 WEIGHT_DB=0"
    "ROWS=3 COLS=5 IN_BITS=8 ACC_BITS=32 WEIGHT_DB=0"
    "ROWS=8 COLS=8 IN_BITS=8 ACC_BITS=32 WEIGHT_DB=0"
    "ROWS=16 COLS=16 IN_BITS=8 ACC_BITS=32 WEIGHT_DB=0"
    "ROWS=4 COLS=4 IN_BITS=8 ACC_BITS=16 WEIGHT_DB=0"
    "ROWS=2 COLS=2 IN_BITS=8 ACC_BITS=32 WEIGHT_DB=1"
    "ROWS=3 COLS=5 IN_BITS=8 ACC_BITS=32 WEIGHT_DB=1"
    "ROWS=8 COLS=8 IN_BITS=8 ACC_BITS=32 WEIGHT_DB=1"
    "ROWS=16 COLS=16 IN_BITS=8 ACC_BITS=32 WEIGHT_DB=1"
    "ROWS=4 COLS=4 IN_BITS=8 ACC_BITS=16 WEIGHT_DB=1"
    "ROWS=2 COLS=2 IN_BITS=8 ACC_BITS=32 WEIGHT_DB=0 MAC=1"
    "ROWS=3 COLS=5 IN_BITS=8 ACC_BITS=32 WEIGHT_DB=0 MAC=1"
    "ROWS=8 COLS=8 IN_BITS=8 ACC_BITS=32 WEIGHT_DB=0 MAC=1"
    "ROWS=4 COLS=4 IN_BITS=8 ACC_BITS=16 WEIGHT_DB=0 MAC=1"
    "ROWS=3 COLS=4 IN_BITS=4 ACC_BITS=16 WEIGHT_DB=0 MAC=1"
    "ROWS=4 COLS=3 IN_BITS=3 ACC_BITS=12 WEIGHT_DB=0 MAC=1"
    "ROWS=2 COLS=2 IN_BITS=8 ACC_BITS=32 WEIGHT_DB=1 MAC=1"
    "ROWS=3 COLS=5 IN_BITS=5 ACC_BITS=20 WEIGHT_DB=1 MAC=1"
  LINT
    "ROWS=8 COLS=8"
    "ROWS=1 COLS=1"
    "ROWS=3 COLS=5 ACC_BITS=16"
    "ROWS=16 COLS=16 IN_BITS=4 ACC_BITS=12"
    "WEIGHT_DB=1"
    "WEIGHT_DB=1 ROWS=1 COLS=1"
    "WEIGHT_DB=1 ROWS=16 COLS=3 IN_BITS=4 ACC_BITS=12"
    "MAC=1"
    "MAC=1 ROWS=1 COLS=1"
    "MAC=1 ROWS=3 COLS=5 IN_BITS=1 ACC_BITS=8"
    "MAC=1 ROWS=2 COLS=3 IN_BITS=16 ACC_BITS=32"
    "MAC=1 ROWS=4 COLS=2 IN_BITS=8 ACC_BITS=8"
    "MAC=1 ROWS=5 COLS=3 IN_BITS=7 ACC_BITS=64"
    "MAC=1 WEIGHT_DB=1"
    "MAC=1 WEIGHT_DB=1 ROWS=1 COLS=1 IN_BITS=3 ACC_BITS=12")
