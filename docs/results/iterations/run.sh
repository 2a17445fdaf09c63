#!/usr/bin/env bash
# Newton iterations of DeepPCR on the demo's MLP (tanh, width 4, batch 1, float32, seed 0) at three gains
# and three depths. Writes one JSON line per point to iterations.jsonl and a summary table to iterations.md.
set -euo pipefail
cd "$(dirname "$0")/../../.."
dotnet build src/DeepPcr.Cli -c Release -v quiet > /dev/null
out=docs/results/iterations
: > $out/iterations.jsonl
for gain in 0.5 1.0 1.5; do
  for layers in 64 256 1024; do
    dotnet src/DeepPcr.Cli/bin/Release/net10.0/linux-x64/DeepPcr.Cli.dll mlp --layers $layers --gain $gain --repeats 1 --json >> $out/iterations.jsonl
  done
done
python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1] + "/iterations.jsonl")]
with open(sys.argv[1] + "/iterations.md", "w") as f:
    f.write("| gain | L | iterations | termination | fallback | max_rel_error |\n|---|---|---|---|---|---|\n")
    for r in rows:
        fw = r["forward"]
        f.write(f"| {r['gain']} | {r['layers']} | {fw['iterations']} | {fw['termination']} | {fw['fallback']} | {fw['max_rel_error']:.1e} |\n")
PY
cat $out/iterations.md
