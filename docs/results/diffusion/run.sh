#!/usr/bin/env bash
# The diffusion results of the README, on the committed checkpoint (T = 1000):
#  n64/  every sampler at tolerances 1e-2 and 1e-4 on 64 samples (one chunk of 64): results.csv, results.json,
#        iterations / sequential depth / wall time against tolerance.
#  n512/ 512 samples in chunks of 64: sequential (and a second seed for the Fréchet baseline), deeppcr-dense and
#        picard-window at tolerance 1e-4: results.json, samples.png, and the run time in time.txt.
set -euo pipefail
cd "$(dirname "$0")/../../.."
dotnet build src/DeepPcr.Cli -c Release -v quiet > /dev/null
cli="dotnet src/DeepPcr.Cli/bin/Release/net10.0/linux-x64/DeepPcr.Cli.dll"
out=docs/results/diffusion
mkdir -p $out/n512
start=$(date +%s)
$cli sample diffusion --count 512 --solver sequential,deeppcr-dense,picard-window --tolerance 1e-4 --chunk 64 --out $out/n512 > $out/n512/table.txt 2> $out/n512/progress.txt
echo "wall time of the N = 512 run: $(( $(date +%s) - start )) s" > $out/n512/time.txt
cat $out/n512/table.txt $out/n512/time.txt
$cli bench diffusion --count 64 --tolerances 1e-2,1e-4 --chunk 64 --out $out/n64 2> $out/n64-progress.txt
