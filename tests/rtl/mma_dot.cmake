# tests/rtl/mma_dot.cmake -- the Verilated tensor-core dot-product unit (rtl/src/tensor_core/
# mma_dot.v, Ampere's fp16 block of 8 products, 24 fraction bits) that mma_dot_rtl_test.cpp
# holds against the block rule of models/numerics (included at the end of tests/CMakeLists.txt).
find_package(verilator 5 REQUIRED HINTS $ENV{VERILATOR_ROOT})
verilate(mma_dot_rtl_test
  SOURCES ${CMAKE_SOURCE_DIR}/rtl/src/tensor_core/mma_dot.v
  TOP_MODULE mma_dot
  PREFIX Vmma_dot
  VERILATOR_ARGS -Wall -GN=8 -GFRAC=24)
# Generated code and the Verilator runtime are not ours to warn about or sanitize.
get_target_property(mma_dot_sources mma_dot_rtl_test SOURCES)
list(REMOVE_DUPLICATES mma_dot_sources)
foreach(src ${mma_dot_sources})
  if(src MATCHES "\\.cpp$" AND NOT src MATCHES "mma_dot_rtl_test\\.cpp$")
    set_property(SOURCE ${src} APPEND PROPERTY COMPILE_OPTIONS -w)
    if(TESSERA_SANITIZE)
      set_property(SOURCE ${src} APPEND PROPERTY COMPILE_OPTIONS -fno-sanitize=address,undefined)
    endif()
  endif()
endforeach()
