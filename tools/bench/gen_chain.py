#!/usr/bin/env python3
"""Writes a workload of N operators in one chain (16x16x16 GEMMs alternating with ReLUs), for
measuring how load, validate and run scale with the graph (issue 13, item 15):

  python3 tools/bench/gen_chain.py 100000 /tmp/chain100k.yaml
  /usr/bin/time -f "%e s %M KB" build/tessera validate /tmp/chain100k.yaml
  /usr/bin/time -f "%e s %M KB" build/tessera run --arch configs/arch/edge_small.yaml \\
      --workload /tmp/chain100k.yaml --out /tmp/chain100k --format csv > /dev/null
"""
import sys


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    with open(out, "w") as f:
        f.write(f"name: chain{n}\ntensors:\n  t0: {{shape: [16, 16], role: input}}\n")
        for i in range(1, n + 1):
            f.write(f"  t{i}: {{shape: [16, 16]{', role: output' if i == n else ''}}}\n")
            if i % 2:
                f.write(f"  w{i}: {{shape: [16, 16], role: weight}}\n")
        f.write("ops:\n")
        for i in range(1, n + 1):
            if i % 2:
                f.write(f"  - {{name: g{i}, kind: gemm, inputs: [t{i - 1}, w{i}], outputs: [t{i}]}}\n")
            else:
                f.write(f"  - {{name: r{i}, kind: elementwise, op: relu, inputs: [t{i - 1}], outputs: [t{i}]}}\n")


if __name__ == "__main__":
    main()
