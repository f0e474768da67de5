#!/usr/bin/env bash
# Reproduces docs/evaluation.md: every replay on the shared datasets, 5 seeds each, through the
# gRPC service. Results (CSV, markdown, SVG) go to docs/eval/<name>/. About 45 minutes on 2 cores
# (the post-merge set alone, the last nine names, about 25).
#   bash tools/run-evaluation.sh            # everything
#   bash tools/run-evaluation.sh NAME...    # only these (see the list below)
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-datasets}
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
  # After the policy engine merge (docs/evaluation.md, first section). Spend targets in USD, as a
  # share of the best single model's mean cost: warm 45 / 48 / 50% of $2.559e-4 (test split),
  # cold 50 / 53 / 55% of $2.515e-4 (all queries).
  [llmrouter-warm-repro]="--data $LLM --split test --warm_split train --set $TUNED_WARM --sweep cost_weight=0.05,0.075"
  [llmrouter-warm-weight]="--data $LLM --split test --warm_split train --set $TUNED_WARM --sweep cost_weight=0.06,0.0625"
  [llmrouter-warm-spend-fixed]="--data $LLM --split test --warm_split train --set $TUNED_WARM --sweep budget.target_cost_per_request_usd=0.0001152,0.0001228,0.000128;cost_weight=0.05,0.0625"
  [llmrouter-warm-spend-rate]="--data $LLM --split test --warm_split train --set $TUNED_WARM;cost_weight=0.05 --sweep budget.target_cost_per_request_usd=0.0001228,0.000128;budget.spend_learning_rate=0.01,0.002"
  [llmrouter-cold-mintries]="--data $LLM --set $TUNED_COLD;cost_weight=0.05 --sweep min_tries=0,10,30;policy=linucb,thompson"
  [llmrouter-cold-spend]="--data $LLM --set $TUNED_COLD;min_tries=10;budget.target_cost_per_request_usd=0.0001257 --sweep cost_weight=0.025,0.05;policy=linucb,thompson"
  [llmrouter-cold-spend-rate]="--data $LLM --set $TUNED_COLD;min_tries=10;cost_weight=0.025;budget.target_cost_per_request_usd=0.0001257 --sweep budget.spend_learning_rate=0.01,0.002;policy=linucb,thompson"
  [llmrouter-cold-spend-53]="--data $LLM --set $TUNED_COLD;policy=linucb;cost_weight=0.025;budget.target_cost_per_request_usd=0.0001333;budget.spend_learning_rate=0.002 --sweep min_tries=0,10"
  # Issue 11: quality at a spend target (25 / 50 / 75% of the best model's cost), defaults.
  [llmrouter-cold-defaults]="--data $LLM --spend_targets 0.25,0.5,0.75 --sweep dim=64,128"
  [routerarena-cold-defaults]="--data $ARENA --spend_targets 0.25,0.5,0.75 --sweep dim=64,128"
  [llmrouter-cold-short]="--data $LLM --split test --spend_targets 0.25,0.5,0.75 --sweep dim=64,128"
  [llmrouter-warm-defaults]="--data $LLM --split test --warm_split train --spend_targets 0.25,0.5,0.75 --sweep dim=64,128"
  [llmrouter-warm-recommended]="--data $LLM --split test --warm_split train --spend_targets 0.25,0.5,0.75 --set features.text_features=RICH;dim=256;lambda=1"
  [llmrouter-cold-fullinfo]="--data $LLM --full_info --spend_targets 0.5 --sweep dim=64,128,256"
  [llmrouter-cold-spend-55]="--data $LLM --set $TUNED_COLD;policy=linucb;cost_weight=0.025;budget.target_cost_per_request_usd=0.0001383;budget.spend_learning_rate=0.002 --sweep min_tries=0,10"
)
# The first six hold the numbers measured before the policy engine merge; re-running them
# overwrites those (LinUCB and warm runs reproduce seed for seed, cold Thompson does not).
ORDER=(llmrouter-cold-basic llmrouter-cold-tuned llmrouter-warm-basic llmrouter-warm-tuned
       routerarena-cold-basic routerarena-cold-tuned
       llmrouter-warm-repro llmrouter-warm-weight llmrouter-warm-spend-fixed llmrouter-warm-spend-rate
       llmrouter-cold-mintries llmrouter-cold-spend llmrouter-cold-spend-rate
       llmrouter-cold-spend-53 llmrouter-cold-spend-55
       llmrouter-cold-defaults routerarena-cold-defaults llmrouter-cold-short
       llmrouter-warm-defaults llmrouter-warm-recommended llmrouter-cold-fullinfo)
[[ $# -gt 0 ]] && ORDER=("$@")
for name in "${ORDER[@]}"; do
  [[ -n ${JOBS[$name]+x} ]] || { echo "unknown evaluation '$name'" >&2; exit 2; }
  # shellcheck disable=SC2086  # the job strings are flag lists
  run "$name" ${JOBS[$name]}
done
