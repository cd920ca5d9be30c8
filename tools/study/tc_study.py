#!/usr/bin/env python3
"""Tensor cores against the systolic TPU-like machine and the LUT engine: the issue-12 study.

Runs `tessera run --format json` on whole workloads and writes to docs/study-tensor-core.md
(between its markers) and stdout:

  1. BERT-base (seq 128) and one LLaMA-7B decoder layer (prefill of 2048 tokens, decode of one
     with 2047 cached), int8 (W8A8), on the A100, RTX 3070 Ti and H800 presets
     (configs/arch/{a100,rtx3070ti,h800}.yaml) and tpu_like (a 128 x 128 int8 systolic array), at
     its own 45 nm and at 7 nm (`--set tech=configs/tech/7nm.yaml`, the GPUs' library): latency,
     energy, the GEMM engine's area, and throughput per engine area and per watt (2 x MACs);
  2. the low-bit LLaMA layers (int4 weights; int8 activations, W4A8, and fp16, W4A16) on the A100
     (narrow weights converted to the MMA format as loaded) against the LUT engine
     (configs/arch/study_lut.yaml at 7 nm, int8 activations; its fp16 preset runs no fp16 x fp16 matmul,
     so W4A16 layers are A100-only) and tpu_like at 7 nm;
  3. the model's microbenchmark tables for the A100 (tools/bench/bench_mma_tables.cpp): latency
     per shape at 1 warp, and FMA/clk/SM over warps and ILP against the published peak.

Engine area: the report's area_by_component_um2 entries of the GEMM engine (keys starting with
"<engine>."). Python 3 stdlib only.

  tools/study/tc_study.py --tessera build/tessera --bench build/bench/bench_mma_tables [--check]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOC = os.path.join(ROOT, "docs", "study-tensor-core.md")
MARK = ("<!-- tc_study:begin -->", "<!-- tc_study:end -->")

# (preset, --set overrides, label, GEMM engine name)
A100 = ("a100.yaml", (), "A100 (7 nm)", "tensor_cores")
MACHINES = [A100,
            ("rtx3070ti.yaml", (), "RTX 3070 Ti (7 nm lib.)", "tensor_cores"),
            ("h800.yaml", (), "H800 PCIe (7 nm lib.)", "tensor_cores"),
            ("tpu_like.yaml", (), "tpu_like (45 nm)", "mxu"),
            ("tpu_like.yaml", ("tech=configs/tech/7nm.yaml",), "tpu_like at 7 nm", "mxu")]
WORKLOADS = [("bert_base", "BERT-base, seq 128"), ("llama7b_prefill", "LLaMA-7B layer, prefill 2048"),
             ("llama7b_decode", "LLaMA-7B layer, decode 1")]
LOWBIT = [("llama7b_w4a8_prefill", "LLaMA-7B W4A8 prefill"), ("llama7b_w4a8_decode", "LLaMA-7B W4A8 decode"),
          ("llama7b_w1a8_decode", "LLaMA-7B W1A8 decode"), ("llama7b_w4a16_prefill", "LLaMA-7B W4A16 prefill"),
          ("llama7b_w4a16_decode", "LLaMA-7B W4A16 decode")]
LOWBIT_MACHINES = [A100, ("study_lut.yaml", ("tech=configs/tech/7nm.yaml",), "LUT 2x144 K4 at 7 nm", "array"),
                   ("tpu_like.yaml", ("tech=configs/tech/7nm.yaml",), "tpu_like at 7 nm", "mxu")]


def run(tessera, machine, workload):
    preset, sets, _, engine = machine
    with tempfile.TemporaryDirectory() as out:
        cmd = [tessera, "run", "--arch", os.path.join(ROOT, "configs", "arch", preset), "--workload",
               os.path.join(ROOT, "workloads", workload + ".yaml"), "--format", "json", "--out", out]
        for x in sets:
            cmd += ["--set", x]
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, cwd=ROOT)
    if r.returncode != 0:
        err = r.stderr.strip().splitlines()[-1] if r.stderr.strip() else "failed"
        return None, err.replace(ROOT + "/", "")
    t = json.loads(r.stdout)["totals"]
    area = sum(v for k, v in t["area_by_component_um2"].items() if k.startswith(engine + ".")) / 1e6
    return {"ms": t["seconds"] * 1e3, "mj": t["energy_pj"] * 1e-9, "mm2": area, "macs": t["gemm_macs"],
            "tops_mm2": 2 * t["gemm_macs"] / t["seconds"] / 1e12 / area if area else 0,
            "tops_w": 2 * t["gemm_macs"] / (t["energy_pj"] * 1e-12) / 1e12}, None


def table(tessera, machines, workloads):
    lines = ["| workload | machine | latency ms | energy mJ | engine mm2 | TOPS/mm2 | TOPS/W |",
             "|---|---|---|---|---|---|---|"]
    for w, wl in workloads:
        for m in machines:
            d, err = run(tessera, m, w)
            if d is None:
                lines.append("| %s | %s | - | - | - | - | - (%s) |" % (wl, m[2], err[:110]))
                continue
            lines.append("| %s | %s | %.4g | %.4g | %.3g | %.3g | %.3g |" %
                         (wl, m[2], d["ms"], d["mj"], d["mm2"], d["tops_mm2"], d["tops_w"]))
    return lines


def bench_tables(bench):
    r = subprocess.run([bench, os.path.join(ROOT, "configs", "arch", "a100.yaml")], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True, cwd=ROOT)
    if r.returncode != 0:
        sys.exit("bench_mma_tables failed:\n" + r.stderr)
    return [l.replace("## ", "#### ") for l in r.stdout.rstrip().splitlines()]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tessera", default=os.path.join(ROOT, "build", "tessera"))
    ap.add_argument("--bench", default=os.path.join(ROOT, "build", "bench", "bench_mma_tables"))
    ap.add_argument("--check", action="store_true", help="print only; do not write docs/study-tensor-core.md")
    a = ap.parse_args()
    out = ["### 1. int8 networks: GPUs against the systolic TPU-like machine", ""]
    out += table(a.tessera, MACHINES, WORKLOADS)
    out += ["", "### 2. Low-bit LLaMA layers: A100 tensor cores against the LUT engine", ""]
    out += table(a.tessera, LOWBIT_MACHINES, LOWBIT)
    out += ["", "### 3. The A100's microbenchmark tables, from the model", ""]
    out += bench_tables(a.bench)
    text = "\n".join(out) + "\n"
    print(text)
    if a.check:
        return
    doc = open(DOC).read()
    i, j = doc.index(MARK[0]) + len(MARK[0]), doc.index(MARK[1])
    open(DOC, "w").write(doc[:i] + "\n" + text + doc[j:])


if __name__ == "__main__":
    main()
