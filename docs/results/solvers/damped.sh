#!/usr/bin/env bash
# Issue 8's damped-Newton points: tanh chains of width 4, L = 256, gains 1.5 and 3, plain DeepPCR against ELK and
# the trust region, in float32 and float64, seeds 1-8 (iteration counts near L move with rounding and seed), then a
# summary per gain and dtype: each method's iterations by seed, their sum, and on how many seeds it needed no more
# iterations than plain DeepPCR.
# Usage: bash docs/results/solvers/damped.sh > docs/results/solvers/damped.txt
set -euo pipefail
cd "$(dirname "$0")/../../.."
dotnet build src/DeepPcr.Cli -c Release -v quiet > /dev/null
cli="dotnet src/DeepPcr.Cli/bin/Release/net10.0/linux-x64/DeepPcr.Cli.dll"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
for dtype in float32 float64; do
  for seed in 1 2 3 4 5 6 7 8; do
    echo "# $dtype, seed $seed"
    $cli bench solvers --out "$out" --gains 1.5,3 --layers 256 --widths 4 --dtype $dtype --seed $seed \
      --methods sequential,deeppcr,elk,deeppcr-trust-region --repeats 1 2> /dev/null | grep -v "^$out"
  done
done | tee "$out/tables.txt"
python3 - "$out/tables.txt" <<'PY'
import collections, sys
runs = collections.defaultdict(dict)   # (gain, dtype, method) -> seed -> (iterations, termination, error)
dtype = seed = None
for line in open(sys.argv[1]):
    f = line.split()
    if line.startswith("# "):
        dtype, seed = f[1].rstrip(","), int(f[3])
    elif f and f[0].replace(".", "").isdigit() and f[3] != "sequential":
        runs[(f[0], dtype, f[3])][seed] = (int(f[5]), f[6], float(f[8]))
print("\n# Summary: iterations by seed (f: fell back to a windowed retry, whose iterations are included), their sum,")
print("# seeds where the method needed no more than plain deeppcr, and the largest max rel err")
for gain in sorted({k[0] for k in runs}, key=float):
    for dt in ("float32", "float64"):
        plain = runs[(gain, dt, "deeppcr")]
        print(f"gain {gain}, {dt}")
        for method in ("deeppcr", "elk", "deeppcr-trust-region"):
            r = runs[(gain, dt, method)]
            seeds = sorted(r)
            cells = " ".join(f"{r[s][0]:4d}{'f' if r[s][1] == 'fell_back' else ' '}" for s in seeds)
            fewer = sum(r[s][0] <= plain[s][0] for s in seeds)
            print(f"  {method:21s}{cells}   sum {sum(r[s][0] for s in seeds):5d}   <= deeppcr {fewer}/{len(seeds)}"
                  f"   fallbacks {sum(r[s][1] == 'fell_back' for s in seeds)}   max err {max(r[s][2] for s in seeds):.1e}")
PY
