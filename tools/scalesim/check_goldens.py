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


def unique_ifmap(r):
    """Distinct ifmap words a layer reads (conv: pixels some window covers, times channels)."""
    if r["kind"] == "gemm":
        return int(r["m"]) * int(r["k"])
    h, w, fh, fw, ch, s = (int(r[x]) for x in ("ifmap_h", "ifmap_w", "filt_h", "filt_w",
                                                "channels", "stride"))
    rows = {y for oy in range(int(r["ofmap_h"])) for y in range(oy * s, min(oy * s + fh, h))}
    cols = {x for ox in range(int(r["ofmap_w"])) for x in range(ox * s, min(ox * s + fw, w))}
    return len(rows) * len(cols) * ch


def prefetch_words(r):
    """Entries of SCALE-Sim's USER-mode prefetch matrices (ifmap, filter), padding included."""
    R, C = int(r["rows"]), int(r["cols"])
    m, n, k = int(r["m"]), int(r["n"]), int(r["k"])
    sr, sc, t = dims(r)
    fr, fc = cdiv(sr, R), cdiv(sc, C)
    return {"os": (k * fr * R, k * fc * C), "ws": (m * fr * R, k * fc * C),
            "is": (k * fc * C, n * fr * R)}[r["dataflow"]]


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

    over = []
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
        R = int(r["rows"])
        want = int(r["m"]) * int(r["n"])
        if r["dataflow"] != "os":
            want *= cdiv(dims(r)[0], R)
        got = int(r["dram_ofmap_writes"])
        check("dram ofmap writes >= M*N(*Fr)", got >= want, r, "got %d want %d" % (got, want))
        over.append(got - want)
        uniq = (unique_ifmap(r), int(r["k"]) * int(r["n"]))
        pre = prefetch_words(r)
        for op, u, p, kb in (("ifmap", uniq[0], pre[0], int(r["ifmap_kb"])),
                             ("filter", uniq[1], pre[1], int(r["filter_kb"]))):
            half = kb * 512
            got = int(r["dram_%s_reads" % op])
            if r["interface"] == "CALC":
                if u <= half:
                    check("CALC dram reads = unique (fits)", got == u, r,
                          "%s got %d unique %d" % (op, got, u))
                else:
                    sram = int(r["sram_%s_reads" % op])
                    check("CALC unique<=dram reads<=sram", u <= got <= sram, r,
                          "%s got %d unique %d sram %d" % (op, got, u, sram))
            else:
                bw = int(r["bandwidth"])
                unit = cdiv(half, bw) * bw
                once = min(cdiv(half, bw), cdiv(p, bw)) * bw
                check("USER dram reads once|n*unit", got == once or got % unit == 0, r,
                      "%s got %d once %d unit %d" % (op, got, once, unit))
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
    print("dram ofmap writes above M*N(*Fr): %d of %d rows, by at most %d words (info, not a failure)"
          % (sum(1 for x in over if x), len(over), max(over)))
    n_user = sum(1 for r in rows if r["interface"] == "USER")
    n_stall = sum(1 for r in rows if r["interface"] == "USER" and int(r["stall_cycles"]) > 0)
    print("rows %d (USER %d, of which %d stall)" % (len(rows), n_user, n_stall))
    return 1 if any(b for b, _ in fails.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
