#!/usr/bin/env bash
# Sets up tessera on Debian: installs the packages it needs (only the missing ones, quietly),
# builds Release into build/. With --test it then runs the test suite (all but `slow`).
#   ./setup.sh            install + build
#   ./setup.sh --test     install + build + ctest -LE slow
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(cmake ninja-build g++ pkg-config git python3 libsystemc-dev verilator libyaml-cpp-dev libfmt-dev
          catch2 coinor-libcbc-dev yosys gnuplot-nox nlohmann-json3-dev libcli11-dev libonnx-dev libprotobuf-dev
          python3-onnx)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DTESSERA_WERROR=ON >/dev/null
echo "setup: building into build/ (log: build/build.log)"
if ! cmake --build build -j "$(nproc)" >build/build.log 2>&1; then
  grep -E 'error|Error' build/build.log | head -40
  echo "setup: build failed; see build/build.log" >&2
  exit 1
fi

if [ "${1:-}" = "--test" ]; then
  ctest --test-dir build -LE slow --output-on-failure -j "$(nproc)"
fi
