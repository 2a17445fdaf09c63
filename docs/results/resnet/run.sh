#!/usr/bin/env bash
# The ResNet table of the README: depths 64, 256 and 1024, width 8, batch 32, 6 epochs, every solver taking
# turns epoch by epoch on identical weights and data order. Each depth writes its own folder (training.csv,
# loss_vs_time.png, results.json) and the console table to table.txt. machine.txt records the FMA peak measured
# just before (`deeppcr bench kernels --peak-only`): this shared machine's speed moves by 2x between days.
set -euo pipefail
cd "$(dirname "$0")/../../.."
dotnet build src/DeepPcr.Cli -c Release -v quiet > /dev/null
{ date -u +%FT%TZ; dotnet src/DeepPcr.Cli/bin/Release/net10.0/linux-x64/DeepPcr.Cli.dll bench kernels --peak-only; } > docs/results/resnet/machine.txt
for depth in 64 256 1024; do
  out=docs/results/resnet/depth$depth
  mkdir -p $out
  dotnet src/DeepPcr.Cli/bin/Release/net10.0/linux-x64/DeepPcr.Cli.dll train resnet --depth $depth --width 8 --epochs 6 --batch 32 --solver all --out $out > $out/table.txt
  cat $out/table.txt
done
