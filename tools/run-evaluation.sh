#!/usr/bin/env bash
# Reproduces docs/evaluation.md: every replay on the shared datasets, 5 seeds each, through the
# gRPC service. Results (CSV, markdown, SVG) go to docs/eval/<name>/. About 20 minutes on 2 cores.
#   bash tools/run-evaluation.sh            # everything
#   bash tools/run-evaluation.sh NAME...    # only these (see the list below)
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data}
REPLAY=${REPLAY:-build/tools/router-replay}
[[ -x $REPLAY ]] || bash tools/build.sh router-replay
LLM=$DATA/llmrouter/llmrouter-9models.jsonl
ARENA=$DATA/routerarena/routerarena-2models.jsonl
TUNED_COLD="features.text_features=RICH;dim=512;alpha=0.1"
TUNED_WARM="features.text_features=RICH;dim=256;alpha=0.1"

run() {  # name, args...
  local name=$1; shift
  echo "== $name" >&2
  "$REPLAY" --out "docs/eval/$name" --seeds 5 "$@" > /dev/null
}

declare -A JOBS=(
  [llmrouter-cold-basic]="--data $LLM --sweep cost_weight=0,0.05,0.1"
  [llmrouter-cold-tuned]="--data $LLM --set $TUNED_COLD --sweep cost_weight=0,0.025,0.05,0.1;policy=linucb,thompson"
  [llmrouter-warm-basic]="--data $LLM --split test --warm_split train --sweep cost_weight=0,0.05,0.1"
  [llmrouter-warm-tuned]="--data $LLM --split test --warm_split train --set $TUNED_WARM --sweep cost_weight=0.05,0.075,0.1"
  [routerarena-cold-basic]="--data $ARENA --sweep cost_weight=0,0.25,0.5"
  [routerarena-cold-tuned]="--data $ARENA --set $TUNED_WARM --sweep cost_weight=0,0.25,0.5"
)
ORDER=(llmrouter-cold-basic llmrouter-cold-tuned llmrouter-warm-basic llmrouter-warm-tuned
       routerarena-cold-basic routerarena-cold-tuned)
[[ $# -gt 0 ]] && ORDER=("$@")
for name in "${ORDER[@]}"; do
  [[ -n ${JOBS[$name]+x} ]] || { echo "unknown evaluation '$name'" >&2; exit 2; }
  # shellcheck disable=SC2086  # the job strings are flag lists
  run "$name" ${JOBS[$name]}
done
