/* The C ABI between tessera and one Verilated RTL model (one engine at one set of Verilog
 * parameters). sim/cosim/rtl_shim.cpp.in implements it around a Verilator --cc class; the
 * same shim is compiled into the linked-in test builds (sim/cosim/CMakeLists.txt) and into
 * every shared object built on first use (sim/cosim/rtl_cache.cpp), so a model is reached the
 * same way wherever it comes from. Plain C types only: a shared object built by another
 * compiler version, or against another Verilator runtime, still fits.
 *
 * Call order: entry() -> create() -> port() for each port the host drives or reads (the
 * pointers stay valid until destroy()) -> any number of (write inputs, eval(), read outputs)
 * -> destroy(). One instance is used by one thread at a time.
 *
 * Ports: port(inst, name, &bytes) returns the storage of the Verilated port `name` and its size
 * in bytes: 1, 2, 4 or 8 for ports of up to 8, 16, 32 or 64 bits (an unsigned integer, the
 * value in its low bits), or a multiple of 4 above 64 bits (32-bit words, least significant
 * first); null if the model has no such port. */
#ifndef TESSERA_SIM_COSIM_RTL_ABI_H
#define TESSERA_SIM_COSIM_RTL_ABI_H

#define TESSERA_RTL_ABI_VERSION 1
#define TESSERA_RTL_ENTRY_SYMBOL "tessera_rtl_entry"  /* what a shared object exports */

#ifdef __cplusplus
extern "C" {
#endif

struct TesseraRtlAbi {
  int version;                                         /* TESSERA_RTL_ABI_VERSION */
  void* (*create)(void);                               /* a new instance, with its own VerilatedContext */
  void (*destroy)(void* inst);                         /* final() and free */
  void (*eval)(void* inst);                            /* settle after inputs changed */
  void* (*port)(void* inst, const char* name, int* bytes);
};

typedef const struct TesseraRtlAbi* (*TesseraRtlEntry)(void);

#ifdef __cplusplus
}
#endif

#endif
