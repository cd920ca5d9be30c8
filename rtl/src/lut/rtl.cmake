# rtl/src/lut/rtl.cmake -- the LUT engine's co-simulation build rules (read by
# sim/cosim/CMakeLists.txt; see tessera_rtl_engine() there and docs/cosim.md).
#   LINKED   the test set (tests/rtl/lut_cosim_test.cpp): int8 activations with symmetric and full
#            tables, K = 1..8, weights up to 1..4 bits, a 16-bit accumulator that wraps, a
#            read-out-bound shape (4 rows, 1 column, one plane); fp16 activations with the
#            reference's numbers (fp16 tables and accumulators), an fp32 accumulator, an fp32 table
#            into an fp16 accumulator, and fp32 throughout. Any other configuration builds on first
#            use. Every set names all parameters (ET..FA are unused by ints, OB by floats). Four
#            keep tables in a table store (TS 1..4: int and fp, symmetric and full tables). Two
#            take table words on the row bus (PRE 0, fused precompute): the network fidelity
#            test's 2 x 4 int array, and a full fp16 table into fp32 with a store.
#   LINT     parameter sets checked with verilator --lint-only -Wall (ctest, label rtl)
tessera_rtl_engine(lut
  TOP lut_counters
  SOURCES
    ${CMAKE_SOURCE_DIR}/rtl/tb/lut_counters.v
    ${CMAKE_CURRENT_LIST_DIR}/lut_array.v
    ${CMAKE_SOURCE_DIR}/rtl/src/common/fp_add.v
    ${CMAKE_SOURCE_DIR}/rtl/src/common/fp_widen.v
  ADAPTER ${CMAKE_CURRENT_LIST_DIR}/lut_rtl.cpp
  PORTS clk rst fold_valid fold_ready fold_r fold_c fold_g fold_w fold_store fold_reuse row_in col_in busy hold
        group_load ro_busy out_data out_valid out_row cnt_tab cnt_tst cnt_tld cnt_wld cnt_unit cnt_col cnt_off cnt_mac
        cnt_ores cnt_ro cnt_cycles cnt_hold
  LINKED
    "ROWS=2 COLS=4 K=4 SYM=1 WB=4 FP=0 OB=32 ET=5 FT=10 EA=5 FA=10 TS=0 PRE=1"
    "ROWS=3 COLS=2 K=2 SYM=0 WB=2 FP=0 OB=16 ET=5 FT=10 EA=5 FA=10 TS=3 PRE=1"
    "ROWS=1 COLS=3 K=1 SYM=1 WB=1 FP=0 OB=24 ET=5 FT=10 EA=5 FA=10 TS=1 PRE=1"
    "ROWS=4 COLS=1 K=3 SYM=1 WB=3 FP=0 OB=32 ET=5 FT=10 EA=5 FA=10 TS=0 PRE=1"
    "ROWS=1 COLS=2 K=8 SYM=1 WB=2 FP=0 OB=32 ET=5 FT=10 EA=5 FA=10 TS=0 PRE=1"
    "ROWS=2 COLS=4 K=4 SYM=1 WB=4 FP=1 OB=32 ET=5 FT=10 EA=5 FA=10 TS=0 PRE=1"
    "ROWS=2 COLS=3 K=3 SYM=0 WB=2 FP=1 OB=32 ET=5 FT=10 EA=8 FA=23 TS=2 PRE=1"
    "ROWS=1 COLS=2 K=2 SYM=1 WB=4 FP=1 OB=32 ET=8 FT=23 EA=5 FA=10 TS=0 PRE=1"
    "ROWS=3 COLS=2 K=1 SYM=0 WB=1 FP=1 OB=32 ET=8 FT=23 EA=8 FA=23 TS=4 PRE=1"
    "ROWS=2 COLS=4 K=4 SYM=1 WB=4 FP=0 OB=32 ET=5 FT=10 EA=5 FA=10 TS=0 PRE=0"
    "ROWS=2 COLS=3 K=3 SYM=0 WB=2 FP=1 OB=32 ET=5 FT=10 EA=8 FA=23 TS=2 PRE=0"
  LINT
    "FP=0"
    "FP=0 SYM=0 K=1 WB=1"
    "FP=0 K=8 WB=3 OB=16"
    "FP=0 SYM=0 K=2 TS=3"
    "FP=1 SYM=0 K=3 TS=5"
    "FP=1"
    "FP=1 SYM=0 K=3 EA=8 FA=23"
    "FP=1 ET=8 FT=23 K=1 WB=1"
    "FP=1 ET=8 FT=23 EA=8 FA=23 ROWS=1 COLS=1"
    "FP=0 PRE=0"
    "FP=0 PRE=0 SYM=0 K=2 TS=3"
    "FP=1 PRE=0 SYM=0 K=3 EA=8 FA=23 TS=2"
    "FP=1 PRE=0 ET=8 FT=23 K=1 WB=1")
