#!/usr/bin/env bash
# Fresh machine to running service: install packages, build, start routerd on its defaults
# (demo router "default", RocksDB in ./data, gRPC on 127.0.0.1:50051, metrics on :9464).
# Extra args go to routerd, e.g. tools/run.sh --config deploy/routerd.textproto
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
bash tools/build.sh routerd routerctl
exec build/services/routerd "$@"
