#!/bin/sh
# rtl/run_tb.sh -- lint the systolic RTL and build + run the Verilated self-check for several
# array sizes. Usage: rtl/run_tb.sh [folds] [seed]   (from anywhere; builds into build-rtl/)
# Environment: BUILD_DIR (default <repo>/build-rtl), JOBS (default 1), CONFIGS to override
# the list of "ROWS COLS ACC_BITS [WEIGHT_DB]" entries.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
folds=${1:-300}
seed=${2:-1}
build=${BUILD_DIR:-$repo/build-rtl}
jobs=${JOBS:-1}
configs=${CONFIGS:-"2 2 32;3 5 16;8 8 32;16 16 20;2 2 32 1;3 5 16 1;8 8 32 1;16 16 20 1"}

cd "$repo"
echo "== lint"
nice verilator --lint-only -Wall -Irtl/src/systolic -Irtl/src/common rtl/src/systolic/systolic_array.v
nice verilator --lint-only -Wall -Irtl/src/systolic -Irtl/src/common rtl/tb/systolic_counters.v
nice verilator --lint-only -Wall -Irtl/src/systolic -Irtl/src/common -GWEIGHT_DB=1 rtl/tb/systolic_counters.v
echo "lint clean"

status=0
echo "$configs" | tr ';' '\n' | while read -r R C A D; do
  [ -n "$R" ] || continue
  D=${D:-0}
  dir=$build/systolic_${R}x${C}_acc${A}_db${D}
  mkdir -p "$dir"
  echo "== build ${R}x${C} ACC_BITS=${A} WEIGHT_DB=${D} -> $dir"
  nice verilator --cc --exe --build -j "$jobs" -Wall -I"$repo/rtl/src/systolic" -I"$repo/rtl/src/common" \
    --top-module systolic_counters -GROWS="$R" -GCOLS="$C" -GACC_BITS="$A" -GWEIGHT_DB="$D" \
    -CFLAGS "-O1 -DTB_ROWS=$R -DTB_COLS=$C -DTB_ACC=$A -DTB_DB=$D" \
    --Mdir "$dir" -o tb_systolic \
    "$repo/rtl/tb/systolic_counters.v" "$repo/rtl/tb/tb_systolic.cpp" >"$dir.log" 2>&1 \
    || { cat "$dir.log"; exit 1; }
  "$dir/tb_systolic" "$folds" "$seed" || exit 1
done || status=1
exit $status
