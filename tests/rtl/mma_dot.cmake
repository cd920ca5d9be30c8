# tests/rtl/mma_dot.cmake -- the Verilated tensor-core dot-product unit (rtl/src/tensor_core/
# mma_dot.v, Ampere's fp16 block of 8 products, 24 fraction bits) that mma_dot_rtl_test.cpp
# holds against the block rule of models/numerics (included at the end of tests/CMakeLists.txt).
find_package(verilator 5 REQUIRED HINTS $ENV{VERILATOR_ROOT})
verilate(mma_dot_rtl_test
  SOURCES ${CMAKE_SOURCE_DIR}/rtl/src/tensor_core/mma_dot.v
  TOP_MODULE mma_dot
  PREFIX Vmma_dot
  VERILATOR_ARGS -Wall -GN=8 -GFRAC=24)
tessera_quiet_verilated(mma_dot_rtl_test "mma_dot_rtl_test\\.cpp")
