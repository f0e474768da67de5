#!/usr/bin/env bash
# Configures and builds into ./build (RelWithDebInfo, 2 parallel jobs). Extra args: build targets.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
if [[ $# -gt 0 ]]; then
  cmake --build build -j2 --target "$@"
else
  cmake --build build -j2
fi
