#!/usr/bin/env bash
# Runs every loader fuzzer from the seeds kept in tools/fuzz/seeds/<target> (plus the shipped
# configs and workloads), each until it has run RUNS inputs or SECONDS have passed, and prints
# one line per target: inputs run, inputs per second, findings. New interesting inputs go to a
# work corpus; `--keep` merges them (minimized) back into the seeds.
#
#   CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DTESSERA_FUZZ=ON -DTESSERA_WERROR=OFF
#   cmake --build build-fuzz --target fuzz_workload_yaml fuzz_topology_csv fuzz_scalesim_cfg \
#       fuzz_mapping_yaml fuzz_arch_yaml fuzz_plan
#   tools/fuzz/run.sh build-fuzz [RUNS=1000000] [SECONDS=1800] [--keep]
set -euo pipefail
build=${1:?usage: tools/fuzz/run.sh BUILD_DIR [RUNS] [SECONDS] [--keep]}
runs=${2:-1000000}
seconds=${3:-1800}
keep=${4:-}
src=$(cd "$(dirname "$0")/../.." && pwd)
work=${FUZZ_WORK:-/tmp/tessera-fuzz}
mkdir -p "$work"

extra_seeds() {  # shipped inputs of the target's format
  case $1 in
    workload_yaml) echo "$src/workloads/mlp0.yaml $src/workloads/alexnet_conv.yaml $src/tests/data/cnn3.yaml" ;;
    topology_csv) echo "$src/tests/golden/data" ;;
    arch_yaml) echo "$src/configs/arch $src/tests/data/cosim_8x8.yaml" ;;
    *) echo "" ;;
  esac
}

for t in scalesim_cfg topology_csv workload_yaml mapping_yaml arch_yaml plan onnx; do
  bin="$build/fuzz/fuzz_$t"
  [ -x "$bin" ] || { echo "$t: $bin not built"; continue; }
  corpus="$work/$t"
  mkdir -p "$corpus"
  cp -n "$src"/tools/fuzz/seeds/$t/* "$corpus"/ 2>/dev/null || true
  for s in $(extra_seeds $t); do cp -rn "$s" "$corpus"/ 2>/dev/null || true; done
  dict=""
  [ $t = workload_yaml ] && dict="-dict=$src/tools/fuzz/workload_yaml.dict"
  log="$work/$t.log"
  set +e
  (cd "$work" && "$bin" -runs="$runs" -max_total_time="$seconds" -max_len=8192 -print_final_stats=1 $dict "$corpus" >"$log" 2>&1)
  rc=$?
  set -e
  done_runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  findings=$(find "$work" -maxdepth 1 \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
  echo "$t: ${done_runs:-?} inputs, ${rate:-?}/s, exit $rc, findings so far $findings (log $log)"
  if [ "$keep" = "--keep" ]; then
    mkdir -p "$src/tools/fuzz/seeds/$t.new"
    "$bin" -merge=1 -max_len=8192 "$src/tools/fuzz/seeds/$t.new" "$corpus" >/dev/null 2>&1
    rm -rf "$src/tools/fuzz/seeds/$t"
    mv "$src/tools/fuzz/seeds/$t.new" "$src/tools/fuzz/seeds/$t"
  fi
done
