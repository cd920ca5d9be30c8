#!/usr/bin/env python3
"""Golden per-layer results from SCALE-Sim v2 itself, for tessera's `timing: scalesim` tests.

Runs SCALE-Sim v2 (a separate checkout, never copied into this project) through its Python API
`scalesim.scale_sim.scalesim` on random GEMM and conv layers, random non-square arrays, all
three dataflows and random SRAM sizes, once with InterfaceBandwidth CALC and, for some cases,
once more with InterfaceBandwidth USER and a random Bandwidth.  Writes one CSV.

Usage:
  python3 tools/scalesim/make_goldens.py --scalesim /tmp/scalesim \
      [--out tests/golden/data/scalesim_layers.csv] [--seed 1] [--count 132] [--jobs 2]

Needs only the standard library plus SCALE-Sim's own dependencies (numpy, pandas, tqdm; on
Debian: apt-get install python3-numpy python3-pandas python3-tqdm, run with /usr/bin/python3).

Columns read from SCALE-Sim's reports (one layer per run, layer 0):
  COMPUTE_REPORT.csv:  "Total Cycles" -> total_cycles, "Stall Cycles" -> stall_cycles,
                       "Overall Util %" -> overall_util, "Mapping Efficiency %" -> mapping_eff,
                       "Compute Util %" -> compute_util
  BANDWIDTH_REPORT.csv: "Avg IFMAP SRAM BW" ... "Avg OFMAP DRAM BW" -> avg_*_bw
  DETAILED_ACCESS_REPORT.csv: every column, e.g. "SRAM IFMAP Reads" -> sram_ifmap_reads,
                       "DRAM Filter Start Cycle" -> dram_filter_start, ... (words; word = 1 B)
ofmap_h/ofmap_w and M,N,K are asked from SCALE-Sim's own topologies object
(get_layer_ofmap_dims, get_layer_num_filters, get_layer_window_size), so they are what it
lowers the layer to: M = ofmap_h * ofmap_w, N = num filters, K = filt_h * filt_w * channels.
"""
import argparse
import configparser
import csv
import math
import multiprocessing
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

ARRAY_DIMS = [2, 3, 4, 5, 8, 12, 16, 32]
DATAFLOWS = ["os", "ws", "is"]
SRAM_MIN_KB, SRAM_MAX_KB = 4, 8192

LAYER_COLS = ["m", "n", "k", "ifmap_h", "ifmap_w", "filt_h", "filt_w", "channels",
              "num_filt", "stride", "ofmap_h", "ofmap_w"]
COMPUTE_COLS = [("Total Cycles", "total_cycles"), ("Stall Cycles", "stall_cycles"),
                ("Overall Util %", "overall_util"), ("Mapping Efficiency %", "mapping_eff"),
                ("Compute Util %", "compute_util")]
BW_COLS = [("Avg IFMAP SRAM BW", "avg_ifmap_sram_bw"), ("Avg FILTER SRAM BW", "avg_filter_sram_bw"),
           ("Avg OFMAP SRAM BW", "avg_ofmap_sram_bw"), ("Avg IFMAP DRAM BW", "avg_ifmap_dram_bw"),
           ("Avg FILTER DRAM BW", "avg_filter_dram_bw"), ("Avg OFMAP DRAM BW", "avg_ofmap_dram_bw")]
DETAIL_COLS = []
for mem in ("SRAM", "DRAM"):
    for op, op_l, acc in (("IFMAP", "ifmap", "Reads"), ("Filter", "filter", "Reads"),
                          ("OFMAP", "ofmap", "Writes")):
        DETAIL_COLS += [("%s %s Start Cycle" % (mem, op), "%s_%s_start" % (mem.lower(), op_l)),
                        ("%s %s Stop Cycle" % (mem, op), "%s_%s_stop" % (mem.lower(), op_l)),
                        ("%s %s %s" % (mem, op, acc), "%s_%s_%s" % (mem.lower(), op_l, acc.lower()))]

HEADER = (["id", "case", "kind", "rows", "cols", "dataflow", "ifmap_kb", "filter_kb", "ofmap_kb",
           "interface", "bandwidth"] + LAYER_COLS + [c for _, c in COMPUTE_COLS] +
          [c for _, c in DETAIL_COLS] + [c for _, c in BW_COLS])


def log_uniform_int(rng, lo, hi):
    return int(round(math.exp(rng.uniform(math.log(lo), math.log(hi)))))


MAX_LINES = 40000   # SCALE-Sim's run time is about 50 us per demand line


def demand_lines(c, m, n, k):
    """Rows of SCALE-Sim's demand matrices (its cycle count without stalls), to bound run time."""
    sr, sc, t = {"os": (m, n, k), "ws": (k, n, m), "is": (k, m, n)}[c["dataflow"]]
    folds = -(-sr // c["rows"]) * -(-sc // c["cols"])
    return folds * (t + 2 * c["rows"] + c["cols"])


def gen_cases(seed, count):
    """Deterministic list of case dicts. Coverage is forced by the case index, values random."""
    rng = random.Random(seed)
    cases = []
    for i in range(count):
        c = {"case": i}
        c["kind"] = "conv" if i % 2 == 0 else "gemm"
        c["rows"] = rng.choice(ARRAY_DIMS)
        c["cols"] = rng.choice(ARRAY_DIMS)
        c["dataflow"] = DATAFLOWS[(i // 2) % 3]
        # SRAM sizes (kB, integers as SCALE-Sim's config reader needs): log-uniform, extremes forced
        kbs = [log_uniform_int(rng, SRAM_MIN_KB, SRAM_MAX_KB) for _ in range(3)]
        if i % 11 == 0:
            kbs = [SRAM_MIN_KB] * 3
        elif i % 11 == 1:
            kbs = [SRAM_MAX_KB] * 3
        elif i % 11 in (2, 3):
            kbs = [rng.choice([SRAM_MIN_KB, SRAM_MAX_KB]) for _ in range(3)]
        c["ifmap_kb"], c["filter_kb"], c["ofmap_kb"] = kbs
        if c["kind"] == "gemm":
            # sizes: mostly small, some 1s, some spanning several folds
            def dim():
                r = rng.random()
                if r < 0.1:
                    return 1
                return log_uniform_int(rng, 1, 512)
            m, n, k = dim(), dim(), dim()
            while demand_lines(c, m, n, k) > MAX_LINES:
                j = max(range(3), key=lambda x: (m, n, k)[x])
                m, n, k = [max(1, v // 2) if x == j else v for x, v in enumerate((m, n, k))]
            c.update(m=m, n=n, k=k)
        else:
            stride = 1 + (i // 2) % 4           # strides 1..4, every dataflow meets every stride
            ragged = (i // 8) % 2 == 0           # force (H - Fh) % S != 0 on half of the S > 1 cases
            for _ in range(1000):
                fh = rng.randint(1, 7)
                fw = rng.randint(1, 7)
                if rng.random() < 0.5:
                    fw = fh if rng.random() < 0.5 else fw
                h = rng.randint(fh, fh + 60)
                w = rng.randint(fw, fw + 60)
                ch = log_uniform_int(rng, 1, 32)
                nf = log_uniform_int(rng, 1, 128)
                oh = -(-(h - fh) // stride) + 1
                ow = -(-(w - fw) // stride) + 1
                mm, kk = oh * ow, fh * fw * ch
                if stride > 1:
                    is_ragged = (h - fh) % stride != 0 or (w - fw) % stride != 0
                    if is_ragged != ragged:
                        continue
                if demand_lines(c, mm, nf, kk) > MAX_LINES:
                    continue
                break
            c.update(ifmap_h=h, ifmap_w=w, filt_h=fh, filt_w=fw, channels=ch, num_filt=nf,
                     stride=stride)
        c["user_bw"] = None
        cases.append(c)
    # USER runs on a third of the cases, picked by a second generator so that they meet every
    # kind, dataflow and stride. Bandwidth (words/cycle): log-uniform 1..64 on every other one,
    # 1..8 on the rest; those also get small SRAMs (log-uniform 4..64 kB each, independently),
    # since SCALE-Sim only stalls on reads when an operand does not fit in half its SRAM.
    urng = random.Random(seed + 1000003)
    for j, i in enumerate(sorted(urng.sample(range(count), count // 3))):
        c = cases[i]
        c["user_bw"] = log_uniform_int(urng, 1, 64 if j % 2 else 8)
        if j % 2 == 0:
            c["ifmap_kb"], c["filter_kb"], c["ofmap_kb"] = [
                log_uniform_int(urng, SRAM_MIN_KB, 64) for _ in range(3)]
    return cases


def write_inputs(tmp, c, interface, bw):
    cfg = configparser.ConfigParser()
    cfg.optionxform = str
    cfg["general"] = {"run_name": "run"}
    cfg["architecture_presets"] = {
        "ArrayHeight": str(c["rows"]), "ArrayWidth": str(c["cols"]),
        "IfmapSramSzkB": str(c["ifmap_kb"]), "FilterSramSzkB": str(c["filter_kb"]),
        "OfmapSramSzkB": str(c["ofmap_kb"]),
        "IfmapOffset": "0", "FilterOffset": "10000000", "OfmapOffset": "20000000",
        "Bandwidth": str(bw if bw else 10), "Dataflow": c["dataflow"], "MemoryBanks": "1"}
    cfg["run_presets"] = {"InterfaceBandwidth": interface}
    cfg_path = os.path.join(tmp, "machine.cfg")
    with open(cfg_path, "w") as f:
        cfg.write(f)
    topo_path = os.path.join(tmp, "layer.csv")
    with open(topo_path, "w") as f:
        if c["kind"] == "gemm":
            f.write("Layer, M, N, K,\n")
            f.write("L0, %d, %d, %d,\n" % (c["m"], c["n"], c["k"]))
        else:
            f.write("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, "
                    "Channels, Num Filter, Strides,\n")
            f.write("L0, %d, %d, %d, %d, %d, %d, %d,\n" % (
                c["ifmap_h"], c["ifmap_w"], c["filt_h"], c["filt_w"], c["channels"],
                c["num_filt"], c["stride"]))
    return cfg_path, topo_path


def read_report(path):
    with open(path) as f:
        rows = list(csv.reader(f))
    head = [h.strip() for h in rows[0]]
    vals = [v.strip() for v in rows[1]]
    return dict(zip(head, vals))


def num(s):
    x = float(s)
    return int(x) if x == int(x) and "." not in s and "e" not in s.lower() else s


def run_one(job):
    """Runs one SCALE-Sim simulation in a fresh temp dir; returns the CSV row dict."""
    scalesim_path, c, interface, bw = job
    if scalesim_path not in sys.path:
        sys.path.insert(0, scalesim_path)
    from scalesim.scale_sim import scalesim  # SCALE-Sim's own API

    tmp = tempfile.mkdtemp(prefix="ssgold_")
    try:
        cfg_path, topo_path = write_inputs(tmp, c, interface, bw)
        t0 = time.time()
        s = scalesim(save_disk_space=True, verbose=False, config=cfg_path, topology=topo_path,
                     input_type_gemm=(c["kind"] == "gemm"))
        s.run_scale(top_path=os.path.join(tmp, "out"))
        secs = time.time() - t0
        rep = os.path.join(tmp, "out", "run")
        comp = read_report(os.path.join(rep, "COMPUTE_REPORT.csv"))
        bwr = read_report(os.path.join(rep, "BANDWIDTH_REPORT.csv"))
        det = read_report(os.path.join(rep, "DETAILED_ACCESS_REPORT.csv"))
        topo = s.topo
        oh, ow = topo.get_layer_ofmap_dims(0)
        row = {k: c.get(k, "") for k in ("case", "kind", "rows", "cols", "dataflow",
                                         "ifmap_kb", "filter_kb", "ofmap_kb")}
        row["interface"] = interface
        row["bandwidth"] = bw if interface == "USER" else ""
        for k in LAYER_COLS:
            row[k] = c.get(k, "")
        row["m"] = int(oh) * int(ow)
        row["n"] = topo.get_layer_num_filters(0)
        row["k"] = topo.get_layer_window_size(0)
        if c["kind"] == "conv":
            row["ofmap_h"], row["ofmap_w"] = int(oh), int(ow)
        else:
            assert (row["m"], row["n"], row["k"]) == (c["m"], c["n"], c["k"]), (row, c)
        for src, dst in COMPUTE_COLS:
            row[dst] = comp[src]
        for src, dst in DETAIL_COLS:
            row[dst] = det[src]
        for src, dst in BW_COLS:
            row[dst] = bwr[src]
        # integer-valued report fields come out as e.g. "123" or "123.0": write integers
        for k in ["total_cycles", "stall_cycles"] + [d for _, d in DETAIL_COLS]:
            row[k] = int(float(row[k]))
        row["seconds"] = "%.2f" % secs
        return row
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def scalesim_commit(path):
    try:
        return subprocess.check_output(["git", "-C", path, "rev-parse", "HEAD"],
                                       stderr=subprocess.DEVNULL, text=True).strip()
    except Exception:
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scalesim", required=True, help="SCALE-Sim v2 checkout (has scalesim/)")
    ap.add_argument("--out", default="tests/golden/data/scalesim_layers.csv")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=180)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--commit", default=None,
                    help="SCALE-Sim commit to record (default: git rev-parse in --scalesim)")
    args = ap.parse_args()

    path = os.path.abspath(args.scalesim)
    if not os.path.isfile(os.path.join(path, "scalesim", "scale_sim.py")):
        sys.exit("--scalesim %s: no scalesim/scale_sim.py there" % path)
    commit = args.commit or scalesim_commit(path) or "unknown"

    cases = gen_cases(args.seed, args.count)
    jobs = []
    for c in cases:
        jobs.append((path, c, "CALC", None))
        if c["user_bw"]:
            jobs.append((path, c, "USER", c["user_bw"]))

    rows = []
    t0 = time.time()
    with multiprocessing.Pool(args.jobs, maxtasksperchild=1) as pool:
        for n, row in enumerate(pool.imap_unordered(run_one, jobs), 1):
            rows.append(row)
            secs = row.pop("seconds")
            print("[%d/%d] case %s %s %ss" % (n, len(jobs), row["case"], row["interface"],
                                            secs), file=sys.stderr, flush=True)
    rows.sort(key=lambda r: (r["case"], r["interface"]))
    for i, r in enumerate(rows):
        r["id"] = i

    cmd = "python3 tools/scalesim/make_goldens.py --scalesim <scale-sim-v2 checkout> " \
          "--out %s --seed %d --count %d" % (args.out, args.seed, args.count)
    if args.commit:
        cmd += " --commit %s" % args.commit
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", newline="") as f:
        f.write("# SCALE-Sim v2 per-layer goldens (github scalesim-project/scale-sim-v2, commit %s)\n" % commit)
        f.write("# made by: %s\n" % cmd)
        f.write("# one row per SCALE-Sim run (one layer); rows with the same `case` are the same layer and\n")
        f.write("# machine, run with InterfaceBandwidth CALC and USER (bandwidth = words/cycle). kb = KiB.\n")
        f.write("# m,n,k: the GEMM SCALE-Sim computes (conv: m = ofmap_h*ofmap_w, n = num_filt,\n")
        f.write("# k = filt_h*filt_w*channels). total_cycles/stall_cycles: COMPUTE_REPORT.csv \"Total Cycles\" /\n")
        f.write("# \"Stall Cycles\"; sram_*/dram_*: DETAILED_ACCESS_REPORT.csv (words); avg_*_bw: BANDWIDTH_REPORT.csv.\n")
        w = csv.DictWriter(f, fieldnames=HEADER, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow(r)
    print("wrote %d rows to %s in %.0f s" % (len(rows), args.out, time.time() - t0), file=sys.stderr)


if __name__ == "__main__":
    main()
