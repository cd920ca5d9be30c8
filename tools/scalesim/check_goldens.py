#!/usr/bin/env python3
"""Checks the closed forms in docs/engines/scalesim-semantics.md against the goldens CSV.

Usage: python3 tools/scalesim/check_goldens.py [tests/golden/data/scalesim_layers.csv]
Prints every row a formula misses, then a summary; exit code 1 if any formula fails.
Standard library only.
"""
import csv
import math
import sys


def cdiv(a, b):
    return -(-a // b)


def load(path):
    with open(path) as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


def dims(r):
    m, n, k = int(r["m"]), int(r["n"]), int(r["k"])
    return {"os": (m, n, k), "ws": (k, n, m), "is": (k, m, n)}[r["dataflow"]]


def closed_form(r):
    R, C = int(r["rows"]), int(r["cols"])
    sr, sc, t = dims(r)
    f = cdiv(sr, R) * cdiv(sc, C)
    return f * (t + R + C - 2) - 1 if r["dataflow"] == "os" else f * (t + 2 * R + C - 2) - 1


def sram_counts(r):
    """SRAM reads/writes as SCALE-Sim's compute classes count them (padding entries included)."""
    R, C = int(r["rows"]), int(r["cols"])
    m, n, k = int(r["m"]), int(r["n"]), int(r["k"])
    sr, sc, t = dims(r)
    fr, fc = cdiv(sr, R), cdiv(sc, C)
    if r["dataflow"] == "os":
        return m * k * fc, k * n * fr, m * n + fr * fc * (R + C)
    if r["dataflow"] == "ws":
        return m * k * fc, k * n, m * n * fr
    return m * k, k * n * fc, m * n * fr   # is


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "tests/golden/data/scalesim_layers.csv"
    rows = load(path)
    fails = {}

    def check(name, ok, r, detail=""):
        fails.setdefault(name, [0, 0])
        fails[name][1] += 1
        if not ok:
            fails[name][0] += 1
            print("FAIL %-28s id %s case %s %s %sx%s %s %s" % (
                name, r["id"], r["case"], r["dataflow"], r["rows"], r["cols"], r["interface"], detail))

    calc = {r["case"]: r for r in rows if r["interface"] == "CALC"}
    for r in rows:
        tot, stall = int(r["total_cycles"]), int(r["stall_cycles"])
        if r["kind"] == "conv":
            h, w, fh, fw, s = (int(r[x]) for x in ("ifmap_h", "ifmap_w", "filt_h", "filt_w", "stride"))
            oh, ow = math.ceil((h - fh + s) / s), math.ceil((w - fw + s) / s)
            check("ofmap = ceil((H-F+S)/S)", (oh, ow) == (int(r["ofmap_h"]), int(r["ofmap_w"])), r)
            check("M = oh*ow, K = fh*fw*ch", int(r["m"]) == oh * ow and
                  int(r["k"]) == fh * fw * int(r["channels"]) and r["n"] == r["num_filt"], r)
        si, sf, so = sram_counts(r)
        check("sram reads/writes", (si, sf, so) == (int(r["sram_ifmap_reads"]), int(r["sram_filter_reads"]),
                                                    int(r["sram_ofmap_writes"])), r,
              "got %s %s %s want %d %d %d" % (r["sram_ifmap_reads"], r["sram_filter_reads"],
                                             r["sram_ofmap_writes"], si, sf, so))
        check("dram ofmap writes = M*N", int(r["dram_ofmap_writes"]) == int(r["m"]) * int(r["n"]), r,
              "got %s want %d" % (r["dram_ofmap_writes"], int(r["m"]) * int(r["n"])))
        if r["interface"] == "CALC":
            check("CALC stall == 0", stall == 0, r, "stall %d" % stall)
            check("CALC total == closed form", tot == closed_form(r), r,
                  "total %d closed %d" % (tot, closed_form(r)))
        else:
            c = calc[r["case"]]
            check("USER total-stall == CALC total", tot - stall == int(c["total_cycles"]), r,
                  "total %d stall %d calc %s" % (tot, stall, c["total_cycles"]))
    print()
    for name, (bad, n) in fails.items():
        print("%-32s %3d / %3d rows fail" % (name, bad, n))
    n_user = sum(1 for r in rows if r["interface"] == "USER")
    n_stall = sum(1 for r in rows if r["interface"] == "USER" and int(r["stall_cycles"]) > 0)
    print("rows %d (USER %d, of which %d stall)" % (len(rows), n_user, n_stall))
    return 1 if any(b for b, _ in fails.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
