#!/usr/bin/env bash
# The one-machine runs behind docs/distributed.md: `deeppcr mlp --distributed` at two chain lengths on 1-4 ranks.
# Writes one JSON report per run to docs/results/distributed/ (the command is in each report's "command" field).
# phase_ms is each phase's slowest rank; communication_ms the most any rank spent inside exchanges and reductions
# (transfers and waits for slower ranks). On a 2-core machine, 3 and 4 ranks are oversubscribed (--oversubscribe); each rank then gets one thread.
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet build src/DeepPcr.Cli -c Release -v q -nologo >/dev/null
bin=src/DeepPcr.Cli/bin/Release/net10.0/linux-x64/deeppcr
out=docs/results/distributed
mkdir -p "$out"
for layers in 4096 16384; do
  for ranks in 1 2 3 4; do
    mpirun --oversubscribe --allow-run-as-root --stdin none -np "$ranks" "$bin" mlp --layers "$layers" --width 16 --batch 4 \
      --repeats 3 --distributed --json > "$out/mlp_L${layers}_w16_B4_P${ranks}.json"
    echo "L = $layers, P = $ranks: $(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(d['forward']['deeppcr_ms'], 'ms forward,', d['backward']['deeppcr_ms'], 'ms backward')" "$out/mlp_L${layers}_w16_B4_P${ranks}.json")"
  done
done
