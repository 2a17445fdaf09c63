#!/usr/bin/env bash
# Builds gpu-bench/ for the GPU machine, which has no .NET: src/DeepPcr.GpuBench published self-contained,
# single-file and compressed for linux-x64 (gpu-bench/deeppcr-gpu-bench). Run from anywhere; it works in the
# repository root. gpu-bench/ is git-ignored (.gitignore), so the device tool carries it only when named:
# carry ["gpu-bench"] (see README.md beside this script).
#
# The device tool carries at most 64 MiB in all (the working tree included), so the publish must stay under
# 60 MiB: the script fails otherwise. Then it checks the binary runs here on ILGPU's CPU accelerator.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
mib=$((1024 * 1024))
limit=$((60 * mib))
out=gpu-bench

size_of() { du -sb "$1" | cut -f1; }
in_mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }

rm -rf "$out"
mkdir -p "$out"

echo "== publishing DeepPcr.GpuBench (self-contained, single-file, compressed, linux-x64)"
dotnet publish src/DeepPcr.GpuBench -c Release -r linux-x64 --self-contained true \
    -p:PublishSingleFile=true -p:EnableCompressionInSingleFile=true -p:IncludeNativeLibrariesForSelfExtract=true \
    -p:DebugType=none -o "$out" -nologo -v:q
rm -f "$out"/*.pdb "$out"/*.xml

size=$(size_of "$out")
echo
echo "== sizes"
find "$out" -type f -printf '%10s  %p\n' | sort -k2
echo "gpu-bench: $(in_mib "$size") (du -sb)"
if ((size > limit)); then
    echo "ERROR: gpu-bench/ is $(in_mib "$size"), over the 60 MiB limit" >&2
    exit 1
fi
tree_bytes=$(git ls-files -z --cached --others --exclude-standard | xargs -0 -r du -cb 2>/dev/null | tail -n1 | cut -f1)
echo "working tree:  $(in_mib "${tree_bytes:-0}") (travels too; the device tool's limit is 64 MiB for both)"
echo "carried in all: $(in_mib $((size + ${tree_bytes:-0})))"

echo
echo "== smoke run on ILGPU's CPU accelerator"
"$out/deeppcr-gpu-bench" point --layers 8 --width 4 --batch 2 --accelerator cpu --repeats 2 --json
echo
echo "== recurrent smoke points on ILGPU's CPU accelerator (gru-diag and lstm-cifg-diag, T = 17, H = 3, B = 2)"
smoke=$(mktemp -d)
"$out/deeppcr-gpu-bench" rnn --lengths 17 --hidden 3 --batches 2 --accelerator cpu --repeats 1 --out "$smoke" --json
python3 - "$smoke/rnn.json" <<'PY'
import json, sys
points = json.load(open(sys.argv[1]))["points"]
bad = [p for p in points if p["termination"] != "converged" or not p["max_rel_error"] <= 1e-4]
assert len(points) == 4 and not bad, f"recurrent smoke points failed: {bad or points}"
print(f"recurrent smoke: {len(points)} points converged within 1e-4 of the float64 reference")
PY
rm -rf "$smoke"
echo
echo "OK: $out/deeppcr-gpu-bench ($(in_mib "$size"))"
