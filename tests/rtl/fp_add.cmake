# tests/rtl/fp_add.cmake -- the Verilated models of rtl/src/common/fp_add.v that
# fp_add_rtl_test.cpp checks against add_scaled() (included at the end of tests/CMakeLists.txt,
# whose glob has already made the target fp_add_rtl_test with its ctest label rtl).
#
# One model per parameter set, all in the one test target, so the Verilator runtime compiles
# once. The prefixes name the classes the test instantiates.
find_package(verilator 5 REQUIRED HINTS $ENV{VERILATOR_ROOT})

foreach(cfg "Vfp_add_h16 EI=5 FI=10 EO=5 FO=10 SHW=2"      # fp16 -> fp16
            "Vfp_add_s32 EI=8 FI=23 EO=8 FO=23 SHW=2"      # fp32 -> fp32
            "Vfp_add_s32h16 EI=8 FI=23 EO=5 FO=10 SHW=2")  # fp32 -> fp16
  separate_arguments(words UNIX_COMMAND "${cfg}")
  list(POP_FRONT words prefix)
  set(gargs "")
  foreach(w ${words})
    list(APPEND gargs -G${w})
  endforeach()
  verilate(fp_add_rtl_test
    SOURCES ${CMAKE_SOURCE_DIR}/rtl/src/common/fp_add.v
    TOP_MODULE fp_add
    PREFIX ${prefix}
    VERILATOR_ARGS -Wall ${gargs})
endforeach()

tessera_quiet_verilated(fp_add_rtl_test "fp_add_rtl_test\\.cpp")
