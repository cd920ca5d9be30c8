#!/usr/bin/env python3
"""Published silicon beside tessera: runs each preset machine on a workload of the shape its
paper measured, and writes side-by-side tables (area by component, busy and idle power,
achieved throughput; tessera, published, error, goal) into docs/silicon.md between the
silicon markers. Python 3 stdlib only.

  tools/silicon/silicon.py [--tessera build/tessera] [--check]

--check writes nothing and exits 1 if docs/silicon.md differs from what it would write.
Goals (the "Fidelity anchors" issue): area by component within 25%, busy power within 30%,
achieved throughput within 20%. The text around the markers says which mechanism a missed goal
lacks.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DOC = os.path.join(ROOT, "docs", "silicon.md")
BEGIN, END = "<!-- silicon:begin -->", "<!-- silicon:end -->"

AREA_GOAL, POWER_GOAL, THROUGHPUT_GOAL = 0.25, 0.30, 0.20

TPU_DIE_MM2 = 331  # [J17] Table 2: TPU die "<331" mm^2 (28 nm)

PRESETS = [
    {
        "name": "TPUv1",
        "arch": "configs/arch/tpu_v1.yaml",
        "workload": "workloads/mlp0.yaml",
        "cite": "Jouppi et al., ISCA 2017 [J17]",
        # [J17] Fig. 2 (floor plan) as shares of the die: unified buffer 29%, matrix multiply
        # unit 24%, accumulators 6%, control 2%.
        "area": [
            ("unified buffer", ["unified_buffer"], 0.29 * TPU_DIE_MM2, "Fig. 2: 29% of 331 mm^2"),
            ("matrix multiply unit", ["engine:mxu"], 0.24 * TPU_DIE_MM2, "Fig. 2: 24% of 331 mm^2"),
            ("accumulators", ["accumulators"], 0.06 * TPU_DIE_MM2, "Fig. 2: 6% of 331 mm^2"),
            ("control", ["control"], 0.02 * TPU_DIE_MM2, "Fig. 2: 2% of 331 mm^2"),
            ("die", ["*"], TPU_DIE_MM2, "Table 2: <331 mm^2"),
        ],
        # [J17] Table 2, measured W per die: busy 40, idle 28 (card with its DDR3).
        "busy_w": (40.0, "Table 2: busy 40 W per die"),
        "busy_scope": "chip + DRAM",
        "idle_w": (28.0, "Table 2: idle 28 W per die"),
        # [J17] Table 3: MLP0 runs at 12.3 TeraOps/s (of 92 peak).
        "throughput": ("TOPS (MLP0)", 12.3, "Table 3: 12.3 TOPS measured"),
        "peak": ("peak TOPS", 92.0, "Table 2: 92 TOPS"),
    },
    {
        "name": "Eyeriss",
        "arch": "configs/arch/eyeriss.yaml",
        "workload": "workloads/alexnet_conv.yaml",
        "cite": "Chen et al., JSSC 2017 [C17]",
        # [C17] core 3.5 x 3.5 mm = 12.25 mm^2 (die 4.0 x 4.0 mm with pads); no component split
        # is compared (the paper gives it in gates, not mm^2).
        "area": [("core", ["*-io_phy"], 12.25, "core 3.5 mm x 3.5 mm")],
        # [C17] abstract: AlexNet CONV layers at 278 mW (chip; DRAM is off chip and not in it).
        "busy_w": (0.278, "abstract: 278 mW on AlexNet CONV, batch 4"),
        "busy_scope": "chip only",
        "idle_w": None,
        # [C17] abstract / Table V: 35 (34.7) frames/s on AlexNet CONV layers, batch 4.
        "throughput": ("frames/s (AlexNet CONV)", 34.7, "Table V: 34.7 frames/s"),
        "frame_macs": 665784864,  # AlexNet CONV MACs per image (tests/golden/workload_macs_test.cpp)
        "peak": None,
    },
]

OFF_CHIP = ("dram", "dram.background", "dram.refresh", "io_phy")


def run(tessera, preset, out):
    subprocess.run([tessera, "run", "--arch", os.path.join(ROOT, preset["arch"]), "--workload",
                    os.path.join(ROOT, preset["workload"]), "--out", out, "--format", "json"],
                   check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    with open(os.path.join(out, "report.json")) as f:
        return json.load(f)


def area_of(report, keys):
    """mm^2 of components. 'engine:X' is engine X's cells plus their share of the placement
    whitespace; '*' is everything; '*-k' everything but k."""
    t = report["totals"]
    comp = t["area_by_component_um2"]
    engines = [e["name"] for e in report["arch"]["engines"]]
    cells = sum(v for k, v in comp.items() if k.split(".")[0] in engines)
    total = 0.0
    for key in keys:
        if key == "*":
            total += t["area_um2"]
        elif key.startswith("*-"):
            total += t["area_um2"] - comp.get(key[2:], 0)
        elif key.startswith("engine:"):
            name = key[len("engine:"):]
            own = sum(v for k, v in comp.items() if k.split(".")[0] == name)
            total += own * (1 + comp.get("placement", 0) / cells) if cells else 0
        else:
            total += comp[key]
    return total / 1e6


def pct(model, published):
    return (model - published) / published


def row(quantity, model, published, goal, source, fmt="{:.1f}"):
    err = pct(model, published)
    met = "" if goal is None else ("met" if abs(err) <= goal else "**missed**")
    goal_text = "" if goal is None else "±{:.0f}%".format(goal * 100)
    return "| {} | {} | {} | {:+.0f}% | {} | {} | {} |".format(quantity, fmt.format(model), fmt.format(published),
                                                               err * 100, goal_text, met, source)


def table(preset, report):
    t = report["totals"]
    seconds = t["seconds"]
    energy = t["energy_by_component_pj"]
    lines = ["### {} on `{}` ({})".format(preset["name"], os.path.basename(preset["workload"]), preset["cite"]), "",
             "`build/tessera run --arch {} --workload {}`".format(preset["arch"], preset["workload"]), "",
             "| quantity | tessera | published | error | goal | | published source |", "|---|---:|---:|---:|---:|---|---|"]
    for name, keys, published, source in preset["area"]:
        lines.append(row("area: {} (mm^2)".format(name), area_of(report, keys), published, AREA_GOAL, source))
    busy_w = t["power_mw"] / 1e3
    if preset["busy_scope"] == "chip only":
        busy_w -= sum(energy.get(k, 0) for k in OFF_CHIP) / (seconds * 1e12)
    lines.append(row("busy power, {} (W)".format(preset["busy_scope"]), busy_w, preset["busy_w"][0], POWER_GOAL,
                     preset["busy_w"][1], "{:.3g}"))
    if preset["idle_w"]:
        lines.append(row("idle power (W)", t["idle_power_mw"] / 1e3, preset["idle_w"][0], None, preset["idle_w"][1],
                         "{:.3g}"))
    label, published, source = preset["throughput"]
    if "frame_macs" in preset:
        achieved = t["gemm_macs"] / preset["frame_macs"] / seconds
    else:
        achieved = 2 * t["gemm_macs"] / seconds / 1e12
    lines.append(row("achieved " + label, achieved, published, THROUGHPUT_GOAL, source))
    if preset["peak"]:
        engines = report["arch"]["engines"]
        peak = sum(2 * e["rows"] * e["cols"] for e in engines if e["type"] == "systolic") * report["arch"]["clock_ghz"] / 1e3
        lines.append(row(preset["peak"][0], peak, preset["peak"][1], None, preset["peak"][2]))
    lines.append("")
    lines.append("tessera's energy by component ({:.3f} ms):".format(seconds * 1e3))
    lines.append("")
    lines.append("| component | W | share |")
    lines.append("|---|---:|---:|")
    total = t["energy_pj"]
    for k, v in sorted(energy.items(), key=lambda kv: -kv[1]):
        lines.append("| {} | {:.3g} | {:.1f}% |".format(k, v / (seconds * 1e12), 100 * v / total if total else 0))
    lines.append("")
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tessera", default=os.path.join(ROOT, "build", "tessera"))
    ap.add_argument("--check", action="store_true", help="exit 1 if docs/silicon.md is stale; write nothing")
    args = ap.parse_args()
    body = ["Generated by `tools/silicon/silicon.py` (tile fidelity runs); do not edit by hand.", ""]
    with tempfile.TemporaryDirectory() as tmp:
        for i, p in enumerate(PRESETS):
            body += table(p, run(args.tessera, p, os.path.join(tmp, str(i))))
    with open(DOC) as f:
        doc = f.read()
    a, b = doc.index(BEGIN), doc.index(END)
    new = doc[:a + len(BEGIN)] + "\n" + "\n".join(body) + doc[b:]
    if args.check:
        if new != doc:
            print("docs/silicon.md is stale: run tools/silicon/silicon.py", file=sys.stderr)
            return 1
        return 0
    with open(DOC, "w") as f:
        f.write(new)
    print("\n".join(body))
    return 0


if __name__ == "__main__":
    sys.exit(main())
