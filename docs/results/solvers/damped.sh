#!/usr/bin/env bash
# Issue 8's damped-Newton points: tanh chains of width 4, L = 256, gains 1.5 and 3, plain DeepPCR against ELK and
# the trust region, in float32 and float64, seeds 1-3 (iteration counts near L move with rounding and seed).
# Usage: bash docs/results/solvers/damped.sh > docs/results/solvers/damped.txt
set -euo pipefail
cd "$(dirname "$0")/../../.."
dotnet build src/DeepPcr.Cli -c Release -v quiet > /dev/null
cli="dotnet src/DeepPcr.Cli/bin/Release/net10.0/linux-x64/DeepPcr.Cli.dll"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
for dtype in float32 float64; do
  for seed in 1 2 3; do
    echo "# $dtype, seed $seed"
    $cli bench solvers --out "$out" --gains 1.5,3 --layers 256 --widths 4 --dtype $dtype --seed $seed \
      --methods sequential,deeppcr,elk,deeppcr-trust-region --repeats 1 2> /dev/null | grep -v "^$out"
  done
done
