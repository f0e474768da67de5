#!/usr/bin/env bash
# Clang's thread-safety analysis over the libraries: every ABSL_GUARDED_BY /
# ABSL_EXCLUSIVE_LOCKS_REQUIRED / ABSL_ACQUIRED_AFTER annotation is checked, and a violation fails
# the build (GCC, which builds everything else, ignores the annotations). Compiles only
# core/, storage/ and services/ (and the generated protos they include), unoptimised, into
# ./build-thread-safety; no tests, no binaries. Part of tools/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-thread-safety -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=ThreadSafety \
  -DCMAKE_CXX_FLAGS="-Wthread-safety -Werror=thread-safety" \
  -DBANDIT_ROUTER_BUILD_TESTS=OFF -DBANDIT_ROUTER_BUILD_BENCHMARKS=OFF > /dev/null
cmake --build build-thread-safety -j2 --target router_core router_storage router_services
echo "thread-safety analysis: no violations in core/, storage/, services/"
