#!/usr/bin/env python3
"""LUT engine against the systolic baseline at equal area: the issue-11 study.

Runs `tessera run --format json` for the presets configs/arch/study_systolic16.yaml (int8 MAC
array, the baseline) and study_lut.yaml (LUT Tensor Core-style array, int8 activations) on the
LLaMA-7B layers with int1/int2/int4 weights and int8 activations and the BitNet b1.58 3B layer,
prefill and decode, and writes to docs/study-lut.md (between its markers) and stdout:

  1. peak: engine area, MACs per cycle by weight width, peak TOPS and TOPS/mm2 (2 x MACs x clock
     / engine area), for the int8 and the fp16 LUT presets and the baseline;
  2. the layers' linear GEMMs (q, k, v, o, gate, up, down: the mpGEMMs the LUT runs): their
     cycles, latency, energy, TOPS/mm2 (2 x their MACs / their seconds / engine area) and TOPS/W
     (2 x their MACs / their energy), and the whole layer's latency (the attention matmuls
     multiply activations by activations: the LUT machine runs them on its vector unit);
  3. the fp16-activation LUT on the linear GEMMs alone (a generated workload of the seven GEMMs:
     no engine here multiplies fp16 by fp16, so the whole fp16 layer cannot run);
  4. the int8 LUT with a table store of S tables per row (`--set engines.0.table_store=S`) on the
     linear GEMMs: engine area, cycles and energy against S = 0;
  5. the linear GEMMs of prefill under energy-optimal mappings (`--mapper ilp --objective
     energy`) on both engines, with the energy split into the engine and the rest (buffers, DRAM,
     clock tree, leakage): the default mapper minimises latency, and energy then follows its tiles;
  6. the int8 LUT with its precompute fused into the operators that write its activations
     (`--set engines.0.precompute=fused`) on whole layers: engine area, cycles, energy, the
     precompute's energy (in the array, or `table_precompute` in the writers) and DRAM traffic.

The engine area is the `array` engine's components in the report (area_by_component_um2 keys
starting with "array."). Python 3 stdlib only.

  tools/study/lut_study.py --tessera build/tessera [--check]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOC = os.path.join(ROOT, "docs", "study-lut.md")
MARK = ("<!-- lut_study:begin -->", "<!-- lut_study:end -->")

PRESETS = [("study_systolic16.yaml", "systolic 16x16 int8 (baseline)"),
           ("study_lut.yaml", "LUT 2x144, K 4, int8 activations")]
PEAK_ONLY = [("study_lut_fp16.yaml", "LUT 2x144, K 4, fp16 activations")]
WORKLOADS = [("llama7b_w%d%s_%s" % (w, "a8", ph), "LLaMA-7B W%d A8 %s" % (w, ph))
             for ph in ("prefill", "decode") for w in (1, 2, 4)]
WORKLOADS += [("bitnet3b_prefill", "BitNet b1.58 3B prefill"), ("bitnet3b_decode", "BitNet b1.58 3B decode")]


def run(tessera, preset, workload, sets=(), extra=()):
    path = os.path.join(ROOT, "configs", "arch", preset)
    with tempfile.TemporaryDirectory() as out:
        cmd = [tessera, "run", "--arch", path, "--workload", workload, "--format", "json", "--out", out] + list(extra)
        for x in sets:
            cmd += ["--set", x]
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    if r.returncode != 0:
        sys.exit("tessera failed on %s / %s:\n%s" % (preset, workload, r.stderr))
    d = json.loads(r.stdout)
    t = d["totals"]
    engine_area = sum(v for k, v in t["area_by_component_um2"].items() if k.startswith("array."))
    linear = [o for o in d["operators"] if o["kind"] == "gemm"]
    engine_pj = sum(v for k, v in t["energy_by_component_pj"].items() if k.startswith("array."))
    precompute_pj = sum(v for k, v in t["energy_by_component_pj"].items()
                        if k.endswith(".table_precompute") or k == "array.precompute")
    return {"cycles": t["cycles"], "seconds": t["seconds"], "energy_pj": t["energy_pj"], "macs": t["gemm_macs"],
            "precompute_pj": precompute_pj, "dram_bytes": t.get("dram_read_bytes", 0) + t.get("dram_write_bytes", 0),
            "engine_mm2": engine_area / 1e6, "engine_pj": engine_pj,
            "lin_cycles": sum(o["total_cycles"] for o in linear), "lin_macs": sum(o["macs"] for o in linear),
            "lin_pj": sum(o["energy_total_pj"] for o in linear)}


def linear_workload(path, act, wbits, seq):
    """LLaMA-7B's seven linear GEMMs of one layer for `seq` tokens, activations `act`."""
    t = ["  x: {shape: [%d, 4096], role: input}" % seq, "  h: {shape: [%d, 11008], role: input}" % seq]
    ops = []
    for name, k, n, x in [("q", 4096, 4096, "x"), ("k", 4096, 4096, "x"), ("v", 4096, 4096, "x"),
                          ("o", 4096, 4096, "x"), ("gate", 4096, 11008, "x"), ("up", 4096, 11008, "x"),
                          ("down", 11008, 4096, "h")]:
        t.append("  %s.w: {shape: [%d, %d], dtype: int%d, role: weight}" % (name, k, n, wbits))
        t.append("  %s.out: {shape: [%d, %d], role: output}" % (name, seq, n))
        ops.append("  - {name: %s, kind: gemm, inputs: [%s, %s.w], outputs: [%s.out]}" % (name, x, name, name))
    open(path, "w").write("name: llama7b_linear\ndtype: %s\ntensors:\n%s\nops:\n%s\n" % (act, "\n".join(t),
                                                                                           "\n".join(ops)))


def engine_params(preset):
    """The array engine's numbers from the preset file (flat YAML: key: value under `- name: array`)."""
    p, inside = {}, False
    for line in open(os.path.join(ROOT, "configs", "arch", preset)):
        s = line.strip()
        if s.startswith("- name:"):
            inside = s.endswith("array")
            continue
        if inside and ":" in s and not s.startswith("#"):
            k, v = [x.strip() for x in s.split(":", 1)]
            p[k] = v
    return p


def peak_macs(preset, wbits):
    p = engine_params(preset)
    if p["type"] == "systolic":
        return int(p["rows"]) * int(p["cols"])
    return int(p["rows"]) * int(p["cols"]) * int(p.get("group", 4)) / wbits  # a group per W cycles


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tessera", default=os.path.join(ROOT, "build", "tessera"))
    ap.add_argument("--check", action="store_true", help="print only; do not write docs/study-lut.md")
    a = ap.parse_args()
    res = {(p, w): run(a.tessera, p, w) for p, _ in PRESETS for w, _ in WORKLOADS}
    area = {p: res[(p, WORKLOADS[0][0])]["engine_mm2"] for p, _ in PRESETS}
    area.update({p: peak_area(a.tessera, p) for p, _ in PEAK_ONLY})
    clock = 0.8  # GHz, every preset's
    lines = ["| engine | engine mm2 | weights | MACs / cycle | peak TOPS | peak TOPS/mm2 |",
             "|---|---:|---|---:|---:|---:|"]
    for p, label in PRESETS + PEAK_ONLY:
        for w in (1, 2, 4):
            macs = peak_macs(p, w)
            tops = 2 * macs * clock * 1e9 / 1e12
            lines.append("| %s | %.4f | int%d | %g | %.3f | %.2f |" % (label, area[p], w, macs, tops, tops / area[p]))
    lines += ["", "| engine | layer | linear cycles | linear ms | linear mJ | linear TOPS/mm2 | linear TOPS/W "
              "| linear vs baseline | whole layer ms | whole layer vs baseline |",
              "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for w, wl in WORKLOADS:
        base = res[(PRESETS[0][0], w)]
        for p, label in PRESETS:
            r = res[(p, w)]
            sec = r["lin_cycles"] / (clock * 1e9)
            ops = 2.0 * r["lin_macs"]
            lines.append("| %s | %s | %d | %.3f | %.3f | %.3f | %.3f | %.2fx | %.3f | %.2fx |" % (
                label, wl, r["lin_cycles"], 1e3 * sec, r["lin_pj"] / 1e9, ops / sec / 1e12 / r["engine_mm2"],
                ops / (r["lin_pj"] * 1e-12) / 1e12, base["lin_cycles"] / r["lin_cycles"], 1e3 * r["seconds"],
                base["seconds"] / r["seconds"]))
    lines += ["", "| engine | linear GEMMs of | cycles | ms | mJ | TOPS/mm2 | TOPS/W |", "|---|---|---:|---:|---:|---:|---:|"]
    with tempfile.TemporaryDirectory() as d:
        for act, preset, label in [("int8", "study_lut.yaml", PRESETS[1][1]),
                                   ("fp16", "study_lut_fp16.yaml", PEAK_ONLY[0][1])]:
            for seq, ph in ((2048, "prefill"), (1, "decode")):
                for wb in (1, 2, 4):
                    path = os.path.join(d, "lin.yaml")
                    linear_workload(path, act, wb, seq)
                    r = run(a.tessera, preset, path)
                    sec = r["lin_cycles"] / (clock * 1e9)
                    ops = 2.0 * r["lin_macs"]
                    lines.append("| %s | LLaMA-7B W%d %s %s | %d | %.3f | %.3f | %.3f | %.3f |" % (
                        label, wb, "A8" if act == "int8" else "A16", ph, r["lin_cycles"], 1e3 * sec, r["lin_pj"] / 1e9,
                        ops / sec / 1e12 / area[preset], ops / (r["lin_pj"] * 1e-12) / 1e12))
        lines += ["", "| table store (tables per row) | engine mm2 | linear GEMMs of | cycles | mJ | mJ vs no store "
                  "| TOPS/W |", "|---:|---:|---|---:|---:|---:|---:|"]
        for seq, ph in ((2048, "prefill"), (1, "decode")):
            for wb in (1, 4):
                path = os.path.join(d, "lin.yaml")
                linear_workload(path, "int8", wb, seq)
                base = None
                for ts in (0, 16, 64):
                    r = run(a.tessera, "study_lut.yaml", path, ["engines.0.table_store=%d" % ts])
                    base = base or r
                    lines.append("| %d | %.4f | LLaMA-7B W%d A8 %s | %d | %.3f | %.2fx | %.3f |" % (
                        ts, r["engine_mm2"], wb, ph, r["lin_cycles"], r["lin_pj"] / 1e9, r["lin_pj"] / base["lin_pj"],
                        2.0 * r["lin_macs"] / (r["lin_pj"] * 1e-12) / 1e12))
        lines += ["", "| engine | linear GEMMs of (energy-optimal mapping) | cycles | mJ | engine mJ | rest mJ "
                  "| mJ vs baseline | TOPS/W |", "|---|---|---:|---:|---:|---:|---:|---:|"]
        for wb in (1, 4):
            path = os.path.join(d, "lin.yaml")
            linear_workload(path, "int8", wb, 2048)
            base = None
            for p, label in PRESETS:
                r = run(a.tessera, p, path, extra=["--mapper", "ilp", "--objective", "energy"])
                base = base or r
                lines.append("| %s | LLaMA-7B W%d A8 prefill | %d | %.1f | %.1f | %.1f | %.2fx | %.3f |" % (
                    label, wb, r["cycles"], r["energy_pj"] / 1e9, r["engine_pj"] / 1e9,
                    (r["energy_pj"] - r["engine_pj"]) / 1e9, r["energy_pj"] / base["energy_pj"],
                    2.0 * r["macs"] / (r["energy_pj"] * 1e-12) / 1e12))
    lines += ["", "| precompute | engine mm2 | layer | cycles | mJ | mJ vs array | precompute mJ (builders, table register, row offsets) "
              "| DRAM MB |", "|---|---:|---|---:|---:|---:|---:|---:|"]
    for w in ("llama7b_w1a8_prefill", "llama7b_w4a8_prefill", "llama7b_w1a8_decode", "llama7b_w4a8_decode",
              "bitnet3b_decode"):
        base = res[("study_lut.yaml", w)]
        for mode in ("array", "fused"):
            r = base if mode == "array" else run(a.tessera, "study_lut.yaml", w, ["engines.0.precompute=fused"])
            lines.append("| %s | %.4f | %s | %d | %.3f | %.2fx | %.3f | %.1f |" % (
                mode, r["engine_mm2"], dict(WORKLOADS)[w], r["cycles"], r["energy_pj"] / 1e9,
                r["energy_pj"] / base["energy_pj"], r["precompute_pj"] / 1e9, r["dram_bytes"] / 1e6))
    text = "\n".join(lines)
    print(text)
    if a.check:
        return 0
    doc = open(DOC).read()
    i, j = doc.index(MARK[0]) + len(MARK[0]), doc.index(MARK[1])
    open(DOC, "w").write(doc[:i] + "\n" + text + "\n" + doc[j:])
    return 0


def peak_area(tessera, preset):
    """Engine area of a preset from `tessera run` on a tiny GEMM it can run (weights int4)."""
    with tempfile.TemporaryDirectory() as d:
        wl = os.path.join(d, "g.yaml")
        act = engine_params(preset).get("act", "int8")
        open(wl, "w").write("name: g\ndtype: %s\ntensors:\n  x: {shape: [4, 8], role: input}\n"
                            "  w: {shape: [8, 8], dtype: int4, role: weight}\n  y: {shape: [4, 8], role: output}\n"
                            "ops:\n  - {name: g, kind: gemm, inputs: [x, w], outputs: [y]}\n" % act)
        return run(tessera, preset, wl)["engine_mm2"]


if __name__ == "__main__":
    sys.exit(main())
