#!/usr/bin/env python3
"""tessera against SCALE-Sim v2, layer by layer, on the goldens of make_goldens.py.

For every row of tests/golden/data/scalesim_layers.csv it writes the row's .cfg and topology,
runs `tessera run` on them and sets tessera's figures beside SCALE-Sim's: compute cycles
(equal by construction: tests/golden/scalesim_layer_test.cpp), total and stall cycles, and
DRAM traffic. Prints a markdown report (summary per InterfaceBandwidth mode, then the rows
where SCALE-Sim stalls); docs/engines/scalesim.md quotes it.

Usage: python3 tools/scalesim/compare.py [--tessera build/tessera] [--goldens FILE] [--out FILE]
                                         [--bandwidth-scale 3]
"""
import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def goldens(path):
    with open(path) as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


def cfg_text(r, bw_scale):
    bw = int(r["bandwidth"] or "10") * bw_scale
    return (f"[general]\nrun_name = g{r['id']}\n[architecture_presets]\nArrayHeight: {r['rows']}\n"
            f"ArrayWidth: {r['cols']}\nIfmapSramSzkB: {r['ifmap_kb']}\nFilterSramSzkB: {r['filter_kb']}\n"
            f"OfmapSramSzkB: {r['ofmap_kb']}\nDataflow: {r['dataflow']}\nBandwidth: {bw}\n"
            f"[run_presets]\nInterfaceBandwidth: {r['interface']}\n")


def topo_text(r):
    if r["kind"] == "gemm":
        return f"Layer, M, N, K,\nL{r['id']}, {r['m']}, {r['n']}, {r['k']},\n"
    return ("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
            f"L{r['id']}, {r['ifmap_h']}, {r['ifmap_w']}, {r['filt_h']}, {r['filt_w']}, {r['channels']}, "
            f"{r['num_filt']}, {r['stride']},\n")


def run_tessera(tessera, r, tmp, bw_scale):
    d = os.path.join(tmp, r["id"])
    os.makedirs(d)
    with open(os.path.join(d, "m.cfg"), "w") as f:
        f.write(cfg_text(r, bw_scale))
    with open(os.path.join(d, "t.csv"), "w") as f:
        f.write(topo_text(r))
    out = os.path.join(d, "out")
    p = subprocess.run([tessera, "run", "--arch", os.path.join(d, "m.cfg"), "--workload", os.path.join(d, "t.csv"),
                        "--format", "json", "--out", out], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"tessera failed on row {r['id']}: {p.stderr}")
    with open(os.path.join(out, "report.json")) as f:
        return json.load(f)["operators"][0]


def ratio(a, b):
    return a / b if b else float("nan")


def spread(xs):
    xs = sorted(x for x in xs if x == x)
    if not xs:
        return "-"
    return f"{statistics.median(xs):.2f} ({xs[0]:.2f}-{xs[-1]:.2f})"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tessera", default=os.path.join(ROOT, "build", "tessera"))
    ap.add_argument("--goldens", default=os.path.join(ROOT, "tests", "golden", "data", "scalesim_layers.csv"))
    ap.add_argument("--out", default="-")
    ap.add_argument("--bandwidth-scale", type=int, default=1,
                    help="give tessera's one DRAM channel this many times the cfg's Bandwidth (3 = SCALE-Sim's "
                         "aggregate over ifmap, filter and ofmap)")
    a = ap.parse_args()

    rows = goldens(a.goldens)
    res = []
    with tempfile.TemporaryDirectory() as tmp:
        for r in rows:
            t = run_tessera(a.tessera, r, tmp, a.bandwidth_scale)
            ss_total, ss_stall = int(r["total_cycles"]), int(r["stall_cycles"])
            res.append({
                "r": r,
                "compute_equal": t["compute_cycles"] == ss_total - ss_stall,
                "ss_total": ss_total, "ss_stall": ss_stall,
                "t_total": t["total_cycles"], "t_stall": t["stall_cycles"], "t_compute": t["compute_cycles"],
                "ss_read": int(r["dram_ifmap_reads"]) + int(r["dram_filter_reads"]),
                "ss_write": int(r["dram_ofmap_writes"]),
                "t_read": t["dram_read_bytes"], "t_write": t["dram_write_bytes"],
            })

    lines = ["| mode | layers | compute cycles equal | total cycles tessera/SCALE-Sim, median (range) "
             "| layers SCALE-Sim stalls | DRAM reads tessera/SCALE-Sim | DRAM writes tessera/SCALE-Sim |",
             "|---|---|---|---|---|---|---|"]
    for mode in ("CALC", "USER"):
        m = [x for x in res if x["r"]["interface"] == mode]
        lines.append(f"| {mode} | {len(m)} | {sum(x['compute_equal'] for x in m)} | "
                     f"{spread(ratio(x['t_total'], x['ss_total']) for x in m)} | "
                     f"{sum(x['ss_stall'] > 0 for x in m)} | "
                     f"{spread(ratio(x['t_read'], x['ss_read']) for x in m)} | "
                     f"{spread(ratio(x['t_write'], x['ss_write']) for x in m)} |")
    lines += ["", "USER rows where SCALE-Sim stalls (DRAM in bytes; SCALE-Sim words are 1 byte):", "",
              "| row | layer | array, dataflow | SRAM kB i/f/o | bw | compute | SCALE-Sim stall | tessera stall "
              "| DRAM read SCALE-Sim / tessera | DRAM write SCALE-Sim / tessera |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for x in res:
        r = x["r"]
        if r["interface"] != "USER" or x["ss_stall"] == 0:
            continue
        lines.append(f"| {r['id']} | {r['kind']} M{r['m']} N{r['n']} K{r['k']} | {r['rows']}x{r['cols']} {r['dataflow']} "
                     f"| {r['ifmap_kb']}/{r['filter_kb']}/{r['ofmap_kb']} | {r['bandwidth']} | {x['t_compute']} "
                     f"| {x['ss_stall']} | {x['t_stall']} | {x['ss_read']} / {x['t_read']} "
                     f"| {x['ss_write']} / {x['t_write']} |")
    text = "\n".join(lines) + "\n"
    if a.out == "-":
        sys.stdout.write(text)
    else:
        with open(a.out, "w") as f:
            f.write(text)
    if not all(x["compute_equal"] for x in res):
        sys.exit("compute cycles differ from SCALE-Sim's on some rows")


if __name__ == "__main__":
    main()
