#!/usr/bin/env python3
"""The docs table of torchvision models imported from ONNX: nodes, operators after lowering,
MACs (tessera vs PyTorch) and load time. Run export_torchvision.py first:

  /usr/bin/python3 tools/onnx/export_torchvision.py /tmp/tv families
  /usr/bin/python3 tools/onnx/torchvision_table.py /tmp/tv build/tessera

Load time is the wall time of `tessera validate model.onnx` (the best of 3 runs), so it includes
process start and the checks after loading.
"""
import json
import os
import re
import subprocess
import sys
import time

import onnx


def main():
    folder, tessera = sys.argv[1], sys.argv[2]
    with open(os.path.join(folder, "macs.json")) as f:
        torch_macs = json.load(f)
    print("| network | ONNX nodes | operators | MACs, tessera | MACs, PyTorch | load s |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in sorted(torch_macs):
        path = os.path.join(folder, name + ".onnx")
        nodes = len(onnx.load(path, load_external_data=False).graph.node)
        best, out = None, ""
        for _ in range(3):
            t = time.perf_counter()
            r = subprocess.run([tessera, "validate", path], capture_output=True, text=True)
            took = time.perf_counter() - t
            best = took if best is None else min(best, took)
            out = r.stdout + r.stderr
        m = re.search(r"(\d+) operators, (\d+) GEMM MACs", out)
        if not m:
            print(f"| {name} | {nodes:,} | error: {out.strip()[:200]} | | {torch_macs[name]:,} | |")
            continue
        ops, macs = int(m.group(1)), int(m.group(2))
        same = "" if macs == torch_macs[name] else " (differs)"
        print(f"| {name} | {nodes:,} | {ops:,} | {macs:,}{same} | {torch_macs[name]:,} | {best:.2f} |")


if __name__ == "__main__":
    main()
