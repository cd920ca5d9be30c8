#!/usr/bin/env python3
"""Golden rows for a whole network from one SCALE-Sim v2 run (its own CLI, its own configs).

Reads the run's .cfg, the conv topology CSV it ran and the report directory it wrote
(COMPUTE_REPORT.csv, DETAILED_ACCESS_REPORT.csv, BANDWIDTH_REPORT.csv), and writes one row per
layer in the format of make_goldens.py, so tests/golden/scalesim_layer_test.cpp reads both; the
test also runs the rows as one network, as a user would.

Usage (SCALE-Sim checkout at $S, run with Debian's python3-numpy/pandas/tqdm):
  cd $S && PYTHONPATH=$S /usr/bin/python3 scalesim/scale.py -c configs/scale.cfg \
      -t topologies/conv_nets/Resnet18.csv -p /tmp/out
  python3 tools/scalesim/network_goldens.py --cfg $S/configs/scale.cfg \
      --topology $S/topologies/conv_nets/Resnet18.csv --reports /tmp/out/<run_name> \
      --commit <SCALE-Sim commit> --out tests/golden/data/scalesim_resnet18_scale.csv
"""
import argparse
import configparser
import csv
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_goldens import BW_COLS, COMPUTE_COLS, DETAIL_COLS, HEADER  # noqa: E402


def report(path):
    with open(path) as f:
        rows = list(csv.reader(f))
    head = [h.strip() for h in rows[0]]
    return [{h: v.strip() for h, v in zip(head, r) if h} for r in rows[1:] if r]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cfg", required=True)
    ap.add_argument("--topology", required=True)
    ap.add_argument("--reports", required=True)
    ap.add_argument("--commit", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    cfg = configparser.ConfigParser()
    cfg.read(a.cfg)
    arch = cfg["architecture_presets"]
    iface = cfg["run_presets"].get("InterfaceBandwidth", "CALC").strip()
    bw = arch.get("Bandwidth", "").split(",")[0].strip() if iface == "USER" else ""
    with open(a.topology) as f:
        layers = [r for r in csv.reader(f)][1:]
    compute = report(os.path.join(a.reports, "COMPUTE_REPORT.csv"))
    detail = report(os.path.join(a.reports, "DETAILED_ACCESS_REPORT.csv"))
    bandwidth = report(os.path.join(a.reports, "BANDWIDTH_REPORT.csv"))
    layers = [l for l in layers if l and l[0].strip()]
    if not (len(layers) == len(compute) == len(detail) == len(bandwidth)):
        sys.exit("topology and reports disagree on the number of layers")

    out = []
    for i, l in enumerate(layers):
        name = l[0].strip()
        h, w, fh, fw, ch, nf, s = (int(x) for x in l[1:8])
        # topology_utils.py, topo_calc_hyperparams(): ceil((H - Fh + S) / S).
        oh, ow = math.ceil((h - fh + s) / s), math.ceil((w - fw + s) / s)
        r = {"id": i, "case": name, "kind": "conv", "rows": arch["ArrayHeight"].strip(),
             "cols": arch["ArrayWidth"].strip(), "dataflow": arch["Dataflow"].strip(),
             "ifmap_kb": arch["IfmapSramSzkB"].strip(), "filter_kb": arch["FilterSramSzkB"].strip(),
             "ofmap_kb": arch["OfmapSramSzkB"].strip(), "interface": iface, "bandwidth": bw,
             "m": oh * ow, "n": nf, "k": fh * fw * ch, "ifmap_h": h, "ifmap_w": w, "filt_h": fh, "filt_w": fw,
             "channels": ch, "num_filt": nf, "stride": s, "ofmap_h": oh, "ofmap_w": ow}
        for src, cols in ((compute[i], COMPUTE_COLS), (detail[i], DETAIL_COLS), (bandwidth[i], BW_COLS)):
            for col, key in cols:
                r[key] = src[col][:-2] if src[col].endswith(".0") else src[col]  # 257.0 -> 257
        out.append(r)

    with open(a.out, "w") as f:
        f.write(f"# SCALE-Sim v2 (github scalesim-project/scale-sim-v2, commit {a.commit}) on a whole network:\n")
        f.write(f"# config {os.path.basename(a.cfg)}, topology {os.path.basename(a.topology)}, one row per layer;\n")
        f.write("# made by tools/scalesim/network_goldens.py from the run's reports (columns as make_goldens.py).\n")
        wr = csv.DictWriter(f, fieldnames=HEADER, lineterminator="\n")
        wr.writeheader()
        for r in out:
            wr.writerow(r)


if __name__ == "__main__":
    main()
