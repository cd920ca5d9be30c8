#!/usr/bin/env python3
"""Bit-serial and bit-weight engines against the systolic baseline: the issue-10 study.

Runs `tessera run --format json` for every preset configs/arch/study_*.yaml on ResNet-50 (int8),
the 4-bit ResNet-50 and a BitNet b1.58 layer, and writes two tables to docs/study-bitweight.md
(between its markers) and stdout:

  1. each engine at about the baseline's engine area: latency, energy, engine area, TOPS/mm2
     (2 x GEMM MACs / seconds / engine area) and TOPS/W (2 x GEMM MACs / whole-chip energy);
  2. the bit-weight twins against their plain-MAC versions at equal parameters (same cycles by
     construction): engine area and engine energy ratios, next to the ratios HPCA'25 reports.

The engine area is the `array` engine's components in the report (area_by_component_um2 keys
starting with "array."); energies likewise. Python 3 stdlib only.

  tools/study/bitweight_study.py --tessera build/tessera [--check]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOC = os.path.join(ROOT, "docs", "study-bitweight.md")
MARK = ("<!-- bitweight_study:begin -->", "<!-- bitweight_study:end -->")

# (preset configs/arch/study_<file>, label)
EQUAL_AREA = [
    ("systolic16.yaml", "systolic 16x16 (baseline)"),
    ("systolic_bitweight16.yaml", "systolic 16x16, mac: bitweight"),
    ("mactree.yaml", "mactree 32 lanes x 18"),
    ("mactree_bitweight.yaml", "mactree 32 x 18, mac: bitweight"),
    ("bitserial.yaml", "bit-serial (Stripes-like)"),
    ("bitserial_both.yaml", "bit-serial, both serial (Loom-like)"),
    ("termserial.yaml", "term-serial, Booth (Laconic-like)"),
]
WORKLOADS = [("resnet50", "ResNet-50 int8"), ("resnet50_int4", "ResNet-50 int4"),
             ("bitnet3b_prefill", "BitNet b1.58 3B layer, prefill")]
# Twins at equal parameters, and what HPCA'25 reports for the same pair (Wu et al., HPCA 2025,
# abstract: area efficiency and energy efficiency gains of the bit-weight PE array over the MAC
# array; systolic array and multiplier-adder tree, SMIC 28 nm, each at its own highest clock).
TWINS = [("systolic16.yaml", "systolic_bitweight16.yaml", "systolic 16x16", 1.27, 1.04),
         ("mactree.yaml", "mactree_bitweight.yaml", "mactree 32 x 18", 1.56, 1.49)]


def run(tessera, preset, workload):
    path = os.path.join(ROOT, "configs", "arch", "study_" + preset)
    with tempfile.TemporaryDirectory() as out:
        r = subprocess.run([tessera, "run", "--arch", path, "--workload", workload, "--format", "json",
                            "--out", out], stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    if r.returncode != 0:
        sys.exit("tessera failed on %s / %s:\n%s" % (preset, workload, r.stderr))
    t = json.loads(r.stdout)["totals"]
    engine_area = sum(v for k, v in t["area_by_component_um2"].items() if k.startswith("array."))
    engine_pj = sum(v for k, v in t["energy_by_component_pj"].items() if k.startswith("array."))
    return {"cycles": t["cycles"], "seconds": t["seconds"], "energy_pj": t["energy_pj"], "macs": t["gemm_macs"],
            "engine_mm2": engine_area / 1e6, "engine_pj": engine_pj}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tessera", default=os.path.join(ROOT, "build", "tessera"))
    ap.add_argument("--check", action="store_true", help="print only; do not write docs/study-bitweight.md")
    a = ap.parse_args()
    res = {(p, w): run(a.tessera, p, w) for p, _ in EQUAL_AREA for w, _ in WORKLOADS}

    lines = ["| engine | engine mm2 | workload | cycles | latency ms | energy mJ | TOPS/mm2 | TOPS/W |",
             "|---|---:|---|---:|---:|---:|---:|---:|"]
    for p, label in EQUAL_AREA:
        for w, wl in WORKLOADS:
            r = res[(p, w)]
            ops = 2.0 * r["macs"]
            lines.append("| %s | %.4f | %s | %d | %.3f | %.3f | %.3f | %.3f |" % (
                label, r["engine_mm2"], wl, r["cycles"], 1e3 * r["seconds"], r["energy_pj"] / 1e9,
                ops / r["seconds"] / 1e12 / r["engine_mm2"], ops / (r["energy_pj"] * 1e-12) / 1e12))
    lines += ["", "| twin (equal parameters) | workload | plain / bitweight engine area | plain / bitweight engine energy "
              "| HPCA'25 area efficiency | HPCA'25 energy efficiency |", "|---|---|---:|---:|---:|---:|"]
    for plain, bw, label, paper_area, paper_energy in TWINS:
        for w, wl in WORKLOADS:
            p, b = res[(plain, w)], res[(bw, w)]
            assert p["cycles"] == b["cycles"], "twins must take the same cycles"
            lines.append("| %s | %s | %.3f | %.3f | %.2fx | %.2fx |" % (
                label, wl, p["engine_mm2"] / b["engine_mm2"], p["engine_pj"] / b["engine_pj"], paper_area, paper_energy))
    text = "\n".join(lines)
    print(text)
    if a.check:
        return 0
    doc = open(DOC).read()
    i, j = doc.index(MARK[0]) + len(MARK[0]), doc.index(MARK[1])
    open(DOC, "w").write(doc[:i] + "\n" + text + "\n" + doc[j:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
