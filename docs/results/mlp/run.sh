#!/usr/bin/env bash
# The default MLP grid of the README: L in {4, 16, 64, 256, 1024}, w in {1, 4, 16, 64}, B in {1, 16}, tanh,
# gain 0.9, float32, 5 repeats, cells whose DeepPCR solve is estimated over 10 s not run (shown with the estimate).
set -euo pipefail
cd "$(dirname "$0")/../../.."
dotnet build src/DeepPcr.Cli -c Release -v quiet > /dev/null
dotnet src/DeepPcr.Cli/bin/Release/net10.0/linux-x64/DeepPcr.Cli.dll bench mlp --out docs/results/mlp 2> docs/results/mlp/progress.txt
