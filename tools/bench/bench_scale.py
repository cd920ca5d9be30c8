#!/usr/bin/env python3
"""How validate and run scale with the graph (issue 13, item 15): wall time and peak resident
memory of each on operator chains of 10,000 and 100,000 (tools/bench/gen_chain.py), per operator,
and the ratio of the per-operator figures (1.0 = linear).

  python3 tools/bench/bench_scale.py [--tessera build/tessera] [--sizes 10000,100000]
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def measured(cmd):
    """Runs cmd (output discarded); its wall seconds and peak RSS in MB, from wait4."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr.read().decode(errors='replace')}")
    return wall, ru.ru_maxrss / 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tessera", default=os.path.join(ROOT, "build", "tessera"))
    ap.add_argument("--arch", default=os.path.join(ROOT, "configs", "arch", "edge_small.yaml"))
    ap.add_argument("--sizes", default="10000,100000")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            chain = os.path.join(tmp, f"chain{n}.yaml")
            subprocess.run([sys.executable, os.path.join(HERE, "gen_chain.py"), str(n), chain], check=True)
            rows[("validate", n)] = measured([args.tessera, "validate", chain])
            rows[("run", n)] = measured([args.tessera, "run", "--arch", args.arch, "--workload", chain,
                                         "--out", os.path.join(tmp, f"out{n}"), "--format", "csv"])
    print(f"{'command':<9} {'operators':>9} {'wall s':>8} {'peak MB':>8} {'us/op':>7} {'KB/op':>6}")
    for (cmd, n), (wall, mb) in rows.items():
        print(f"{cmd:<9} {n:>9} {wall:>8.2f} {mb:>8.0f} {wall / n * 1e6:>7.1f} {mb * 1024 / n:>6.2f}")
    lo, hi = sizes[0], sizes[-1]
    for cmd in ("validate", "run"):
        (w0, m0), (w1, m1) = rows[(cmd, lo)], rows[(cmd, hi)]
        print(f"{cmd}: {hi} vs {lo} operators, per-operator time x{(w1 / hi) / (w0 / lo):.2f}, "
              f"memory x{(m1 / hi) / (m0 / lo):.2f} (1.00 = linear; memory includes a fixed ~15 MB)")


if __name__ == "__main__":
    main()
