#!/usr/bin/env bash
# Fresh machine to passing tests: install packages, build everything, check the lock annotations
# with Clang (tools/check-thread-safety.sh), run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
bash tools/build.sh
bash tools/check-thread-safety.sh
cd build
ctest --output-on-failure -j2
