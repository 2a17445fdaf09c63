#!/usr/bin/env bash
# Repeats `deeppcr bench kernels --json` N times (default 8) and prints, per run, the measured Vector512 FMA peak and
# the tiled kernel's dense 8x8 float32 round at L B = 4096 and 16384, each at B = 4 and 16: GFLOP/s, share of
# that run's peak, speed-up over the torch-op round. On a shared machine single runs move by a fifth; this shows how
# often issue 8's bars hold. Usage: bash docs/results/kernels/repeat.sh [N] > docs/results/kernels/runs.txt
set -euo pipefail
cd "$(dirname "$0")/../../.."
runs="${1:-8}"
dotnet build src/DeepPcr.Cli -c Release -v quiet > /dev/null
cli="dotnet src/DeepPcr.Cli/bin/Release/net10.0/linux-x64/DeepPcr.Cli.dll"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
for i in $(seq 1 "$runs"); do
    $cli bench kernels --repeats 7 --json > "$out/run_$i.json"
    python3 - "$out/run_$i.json" "$i" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
peak = d["fma_peak_measured_512_gflops"]
cells = []
for value in d.values():
    if isinstance(value, list):
        for r in value:
            if isinstance(r, dict) and r.get("structure") == "dense" and r.get("tiled_round_gflops"):
                cells.append(f"L={r['layers']} B={r['batch']}: {r['tiled_round_gflops']:.1f} GFLOP/s, {100 * r['tiled_round_gflops'] / peak:.0f}% of peak, {r['tiled_round_speedup_vs_torch_ops']:.1f}x torch")
print(f"run {sys.argv[2]}: Vector512 peak {peak:.0f} GFLOP/s; " + "; ".join(cells), flush=True)
PY
done
