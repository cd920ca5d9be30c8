#!/usr/bin/env python3
"""Mapper quality study: writes docs/mapper-study.md (and docs/mapper-study.csv, per layer).

For each machine and network, maps with every mapper (`tessera map --mapper X --stats`), then
simulates each mapping (`tessera run --mapping`), and compares per GEMM layer the simulated
cycles and energy of the ILP's mapping against exhaustive search (where the layer's space is
enumerable), the best of a random sample, and the default heuristic; and the whole network's
simulated latency and energy with the ILP against the default.

  python3 tools/mapper/study.py --tessera build/tessera [--samples 10000] [--exhaustive-limit 2e5] [--jobs 2]

Runs are kept in --work (default /tmp/tessera-mapper-study) and reused when their files exist.
"""
import argparse
import concurrent.futures
import csv
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time

ARCHS = ["tpu_like", "edge_small"]
LAYER_NETS = ["resnet50", "mobilenet_v2", "bert_base", "llama7b_prefill", "llama7b_decode"]
ALL_NETS = LAYER_NETS + ["vit_b16", "alexnet_conv", "mlp0"]
MAPPERS = ["default", "ilp", "random", "exhaustive"]


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr}")
    return p


def map_and_run(tessera, arch, net, mapper, args, tmp):
    base = os.path.join(tmp, f"{arch}-{net}-{mapper}-s{args.samples}-x{args.exhaustive_limit:g}")
    stats, mapping, out = base + ".stats.json", base + ".mapping.yaml", base + ".out"
    if os.path.exists(os.path.join(out, "report.json")) and os.path.exists(stats + ".wall"):
        with open(stats) as f:
            st = json.load(f)
        with open(os.path.join(out, "report.json")) as f:
            rep = json.load(f)
        with open(stats + ".wall") as f:
            return st, rep, float(f.read())
    cmd = [tessera, "map", "--arch", f"configs/arch/{arch}.yaml", "--workload", f"workloads/{net}.yaml",
           "--mapper", mapper, "--stats", stats, "-o", mapping]
    if mapper == "random":
        cmd += ["--samples", str(args.samples)]
    if mapper == "exhaustive":
        cmd += ["--exhaustive-limit", str(args.exhaustive_limit)]
    t0 = time.time()
    run(cmd)
    map_wall = time.time() - t0
    run([tessera, "run", "--arch", f"configs/arch/{arch}.yaml", "--workload", f"workloads/{net}.yaml",
         "--mapping", mapping, "--format", "json", "--out", out])
    with open(stats) as f:
        st = json.load(f)
    with open(os.path.join(out, "report.json")) as f:
        rep = json.load(f)
    with open(stats + ".wall", "w") as f:
        f.write(str(map_wall))
    return st, rep, map_wall


def combo(tessera, arch, net, args, tmp):
    mappers = MAPPERS if (arch, net) in args.layer_combos else ["default", "ilp"]
    res = {}
    for m in mappers:
        res[m] = map_and_run(tessera, arch, net, m, args, tmp)
        print(f"{arch} {net} {m}: {res[m][1]['totals']['cycles']} cycles, map {res[m][2]:.1f} s",
              file=sys.stderr, flush=True)
    return res


def pct(a, b):
    return 100.0 * (a / b - 1.0) if b else 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tessera", default="build/tessera")
    ap.add_argument("--samples", type=int, default=10000)
    ap.add_argument("--exhaustive-limit", type=float, default=2e5)
    ap.add_argument("--archs", default=",".join(ARCHS))
    ap.add_argument("--nets", default=",".join(ALL_NETS))
    ap.add_argument("--out", default="docs/mapper-study.md")
    ap.add_argument("--work", default="/tmp/tessera-mapper-study")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--layer-study", default="",
                    help="machine:network pairs compared per layer (default: every machine with " + ", ".join(LAYER_NETS) + ")")
    args = ap.parse_args()
    tessera = os.path.abspath(args.tessera)
    archs, nets = args.archs.split(","), args.nets.split(",")
    args.layer_combos = ({tuple(p.split(":")) for p in args.layer_study.split(",")} if args.layer_study
                         else {(a, n) for a in archs for n in LAYER_NETS})

    rows, e2e, summary = [], [], []
    tmp = args.work
    os.makedirs(tmp, exist_ok=True)
    combos = [(a, n) for a in archs for n in nets]
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {c: pool.submit(combo, tessera, c[0], c[1], args, tmp) for c in combos}
        results = {c: f.result() for c, f in futures.items()}
    for arch, net in combos:
        res = results[(arch, net)]
        mappers = list(res.keys())
        d, i = res["default"][1]["totals"], res["ilp"][1]["totals"]
        e2e.append((arch, net, d["cycles"], i["cycles"], d["energy_pj"], i["energy_pj"],
                    res["ilp"][0]["seconds_total"], res["ilp"][2]))
        if (arch, net) not in args.layer_combos:
            continue
        ops = {m: {o["name"]: o for o in res[m][1]["operators"]} for m in mappers}
        stats = {m: {s["item"]: s for s in res[m][0]["items"]} for m in mappers}
        gaps_ex, gaps_rnd, speed_def, mip_t = [], [], [], []
        for name, st in stats["ilp"].items():
            if st["how"] in ("fused", "vector"):
                continue
            c = {m: ops[m][name]["total_cycles"] for m in mappers}
            e = {m: ops[m][name]["energy_total_pj"] for m in mappers}
            ev = {m: stats[m][name]["cycles"] for m in mappers}
            enumerated = stats["exhaustive"][name]["how"] == "exhaustive"
            rows.append([arch, net, name, st["how"], st["space"], *[c[m] for m in mappers],
                         *[round(e[m]) for m in mappers], *[ev[m] for m in mappers],
                         round(st["model_cycles"]), enumerated, st["seconds"], st["mip_seconds"]])
            if enumerated:
                gaps_ex.append(pct(ev["ilp"], ev["exhaustive"]))
            gaps_rnd.append(pct(ev["ilp"], ev["random"]))
            speed_def.append(c["default"] / c["ilp"] if c["ilp"] else 1)
            mip_t.append(st["mip_seconds"])
        summary.append((arch, net, len(speed_def), len(gaps_ex), max(gaps_ex, default=0),
                        sum(g <= 1 for g in gaps_ex), max(gaps_rnd, default=0),
                        math.exp(statistics.mean(math.log(s) for s in speed_def)) if speed_def else 1,
                        statistics.median(mip_t) if mip_t else 0, max(mip_t, default=0)))

    csv_path = os.path.splitext(args.out)[0] + ".csv"
    with open(csv_path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["arch", "network", "layer", "ilp_status", "space",
                    *[f"sim_cycles_{m}" for m in MAPPERS], *[f"sim_energy_pj_{m}" for m in MAPPERS],
                    *[f"eval_cycles_{m}" for m in MAPPERS], "ilp_model_cycles", "enumerated", "ilp_seconds", "mip_seconds"])
        w.writerows(rows)

    lines = ["# Mapper quality study", "",
             "Written by `python3 tools/mapper/study.py` "
             f"(random: {args.samples} samples per layer; exhaustive: layers whose space is at most "
             f"{args.exhaustive_limit:.0e} candidates). Per layer in `{os.path.basename(csv_path)}`. "
             "docs/mapper.md describes the mappers.", "",
             "## Per layer (GEMM layers; the evaluator's cycles, item alone on its engine)", "",
             "| machine | network | layers | enumerable | ILP vs exhaustive, worst | within 1% | ILP vs best random, worst | "
             "default / ILP cycles (geomean) | MIP s median | MIP s worst |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for a, n, k, ke, gex, w1, grnd, sp, tm, tw in summary:
        lines.append(f"| {a} | {n} | {k} | {ke} | {gex:+.2f}% | {w1}/{ke} | {grnd:+.2f}% | {sp:.2f}x | {tm:.3f} | {tw:.3f} |")
    lines += ["", "A positive gap means the ILP's mapping is slower than the other's.", "",
              "## Whole networks (simulated by the kernel)", "",
              "| machine | network | default cycles | ILP cycles | speedup | default mJ | ILP mJ | ILP mapping s |",
              "|---|---|---:|---:|---:|---:|---:|---:|"]
    for a, n, dc, ic, de, ie, ms, mw in e2e:
        lines.append(f"| {a} | {n} | {dc:,} | {ic:,} | {dc / ic:.2f}x | {de / 1e9:.3f} | {ie / 1e9:.3f} | {mw:.1f} |")
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {args.out} and {csv_path}", file=sys.stderr)


if __name__ == "__main__":
    main()
