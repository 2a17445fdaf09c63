#!/usr/bin/env bash
# The fused C# loop against the single-threaded C reference (bench/peers/fused_mlp.c, gcc -O3 -march=native
# -ffast-math, built and called in the same process, interleaved) at the three sizes of issue 21, three runs each:
# prints the medians of the three runs. PyTorch is timed too where a python3 with torch is present, and auto (issue 21
# item 6: auto_ms against the faster of the fused loop and DeepPCR, auto_over_best, the gate of that item).
set -euo pipefail
cd "$(dirname "$0")/../../.."
dotnet build src/DeepPcr.Cli -c Release -v quiet > /dev/null
cli="dotnet src/DeepPcr.Cli/bin/Release/net10.0/linux-x64/DeepPcr.Cli.dll"
out=docs/results/mlp/c_reference.jsonl
: > "$out"
for i in 1 2 3; do
  for size in "1024 4 1" "1024 4 16" "1024 16 16"; do
    set -- $size
    $cli mlp --layers "$1" --width "$2" --batch "$3" --json >> "$out"
  done
done
python3 - "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print(f"{rows[0]['machine']}; {rows[0]['git_sha']}; c_reference: {rows[0]['forward']['c_reference']}; pytorch {rows[0]['forward'].get('pytorch_version')}")
print("| (L, w, B) | pass | fused C# 1 thread (ms) | fused C# best (ms, threads) | C reference (ms) | C# 1t / C | PyTorch eager (ms) | DeepPCR (ms) | auto (ms, method) | auto / best |")
print("|---|---|---|---|---|---|---|---|---|---|")
def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None
def fmt(x, f="{:.3f}"):
    return "-" if x is None else f.format(x)
for size in [(1024, 4, 1), (1024, 4, 16), (1024, 16, 16)]:
    rs = [r for r in rows if (r["layers"], r["width"], r["batch"]) == size]
    for p in ("forward", "backward"):
        g = lambda k: med([r[p].get(k) for r in rs])
        threads = statistics.mode([r[p]["fused_sequential_threads"] for r in rs])
        print(f"| {size} | {p} | {fmt(g('fused_sequential_1t_ms'))} | {fmt(g('fused_sequential_ms'))} ({threads}) | {fmt(g('c_reference_ms'))} "
              f"| {fmt(g('fused_sequential_1t_over_c_reference'), '{:.2f}')}x | {fmt(g('pytorch_ms'))} | {fmt(g('deeppcr_ms'))} "
              f"| {fmt(g('auto_ms'))} ({'/'.join(sorted(set(r[p]['auto_method'] for r in rs)))}) | {fmt(g('auto_over_best'), '{:.2f}')}x |")
PY
