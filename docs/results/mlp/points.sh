#!/usr/bin/env bash
# The points of the closing note: (1024, 4, 1) three times (the median is the gate), and (64, 64, 64).
set -euo pipefail
cd "$(dirname "$0")/../../.."
dotnet build src/DeepPcr.Cli -c Release -v quiet > /dev/null
cli="dotnet src/DeepPcr.Cli/bin/Release/net10.0/linux-x64/DeepPcr.Cli.dll"
: > docs/results/mlp/points_1024_4_1.jsonl
for i in 1 2 3; do $cli mlp --layers 1024 --width 4 --batch 1 --json >> docs/results/mlp/points_1024_4_1.jsonl; done
$cli mlp --layers 64 --width 64 --batch 64 --repeats 5 --json > docs/results/mlp/point_64_64_64.json
python3 - <<'PY'
import json, statistics
rows = [json.loads(l) for l in open("docs/results/mlp/points_1024_4_1.jsonl")]
for p in ("forward", "backward"):
    s = [r[p]["speedup_vs_torch_sequential"] for r in rows]
    print(f"(1024, 4, 1) {p}: speed-ups vs torch {', '.join(f'{v:.2f}' for v in s)}; median {statistics.median(s):.2f}; max_rel_error {max(r[p]['max_rel_error'] for r in rows):.1e}")
r = json.load(open("docs/results/mlp/point_64_64_64.json"))
for p in ("forward", "backward"):
    print(f"(64, 64, 64) {p}: vs torch {r[p]['speedup_vs_torch_sequential']:.3f}x, vs fused {r[p]['speedup_vs_fused_sequential']:.3f}x, deeppcr {r[p]['deeppcr_ms']:.1f} ms")
PY
