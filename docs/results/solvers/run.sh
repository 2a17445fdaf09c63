#!/usr/bin/env bash
# The solver table of the README: every method on tanh chains of gain 0.5 (contractive), 1 (neutral), 1.5 and 3
# (expansive), L in {64, 256, 1024}, w in {4, 16}, B = 1, float32, 5 repeats.
set -euo pipefail
cd "$(dirname "$0")/../../.."
dotnet build src/DeepPcr.Cli -c Release -v quiet > /dev/null
dotnet src/DeepPcr.Cli/bin/Release/net10.0/linux-x64/DeepPcr.Cli.dll bench solvers --out docs/results/solvers > docs/results/solvers/table.txt 2> docs/results/solvers/progress.txt
cat docs/results/solvers/table.txt
