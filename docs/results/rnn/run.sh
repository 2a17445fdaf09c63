#!/usr/bin/env bash
# The recurrent results of docs/rnn.md and the README: a small `bench rnn` grid (every cell at T = 256 and 1024, H = 8,
# B = 4) in grid/, the issue's gate point (gru-diag, T = 16384, H = 8, B = 4) in gate.json, and the
# 50-step `train charlm` gate in charlm_gate.json (its plot and CSV in charlm/) and the default run in charlm_default/. machine.txt records the date, the
# load average and the FMA peak measured just before (`deeppcr bench kernels --peak-only`): this 2-core machine is
# shared, and its speed moves with the load.
set -euo pipefail
cd "$(dirname "$0")/../../.."
dotnet build src/DeepPcr.Cli -c Release -v quiet > /dev/null
cli="dotnet src/DeepPcr.Cli/bin/Release/net10.0/linux-x64/DeepPcr.Cli.dll"
out=docs/results/rnn
{ date -u +%FT%TZ; uptime; $cli bench kernels --peak-only; } > $out/machine.txt
mkdir -p $out/grid $out/charlm $out/charlm_default
$cli bench rnn --cells gru,lstm,gru-diag,lstm-cifg-diag --lengths 256,1024 --hidden 8 --batches 4 \
  --out $out/grid > $out/grid/table.txt 2> $out/grid/progress.txt
$cli bench rnn --json --cells gru-diag --lengths 16384 --hidden 8 --batches 4 > $out/gate.json 2> $out/gate_progress.txt
$cli train charlm --steps 50 --json --out $out/charlm > $out/charlm_gate.json 2> /dev/null
$cli train charlm --out $out/charlm_default > $out/charlm_default/table.txt 2> $out/charlm_default/progress.txt
{ date -u +%FT%TZ; uptime; } >> $out/machine.txt
cat $out/grid/table.txt $out/charlm_default/table.txt
