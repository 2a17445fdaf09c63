#!/usr/bin/env bash
# Builds gpu-route/ for the GPU machine, which has no .NET: DeepPcr.GpuCheck self-contained single-file
# (gpu-route/check) and DeepPcr.TorchProbe self-contained (gpu-route/torchprobe). Run from anywhere;
# it works in the repository root. gpu-route/ is git-ignored through .git/info/exclude, so the device
# tool carries it only when named: carry ["gpu-route"] (see README.md beside this script).
#
# The device tool carries at most 64 MiB in all (the working tree included), so:
# - the check must stay under 60 MiB (the script fails otherwise);
# - the probe is published in the first of these forms that keeps gpu-route/ under 60 MiB:
#   1. self-contained single-file, compressed;
#   2. the same, trimmed (TrimMode=partial: only the framework is trimmed, TorchSharp is kept whole);
#   otherwise it is left out with a clear message (the check then reports "TorchProbe not found").
#   (A plain self-contained folder is about 84 MB and a framework-dependent one needs a dotnet that the
#   GPU machine does not have, so neither is tried.)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
mib=$((1024 * 1024))
limit_check=$((60 * mib))
limit_total=$((60 * mib))
out=gpu-route

size_of() { du -sb "$1" | cut -f1; }
in_mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }

exclude="$(git rev-parse --git-path info/exclude)"
mkdir -p "$(dirname "$exclude")"
if ! grep -qxF '/gpu-route/' "$exclude" 2>/dev/null; then
    echo '/gpu-route/' >>"$exclude"
    echo "added /gpu-route/ to $exclude"
fi

rm -rf "$out"
mkdir -p "$out"

echo "== publishing DeepPcr.GpuCheck (self-contained, single-file, compressed)"
dotnet publish src/DeepPcr.GpuCheck -c Release -r linux-x64 --self-contained true \
    -p:PublishSingleFile=true -p:EnableCompressionInSingleFile=true -p:IncludeNativeLibrariesForSelfExtract=true \
    -o "$out/check" -nologo -v:q
check_size=$(size_of "$out/check")
echo "check: $(in_mib "$check_size")"
if ((check_size > limit_check)); then
    echo "ERROR: the check publish is $(in_mib "$check_size"), over the 60 MiB limit" >&2
    exit 1
fi

probe_variants=(
    "single-file compressed|-p:PublishSingleFile=true -p:EnableCompressionInSingleFile=true -p:PublishTrimmed=false"
    "single-file compressed, trimmed (partial)|-p:PublishSingleFile=true -p:EnableCompressionInSingleFile=true -p:PublishTrimmed=true -p:TrimMode=partial"
)
probe_form=""
for variant in "${probe_variants[@]}"; do
    label="${variant%%|*}"
    # shellcheck disable=SC2206 # the properties are meant to split into words
    props=(${variant#*|})
    echo "== publishing DeepPcr.TorchProbe (self-contained, $label)"
    rm -rf "$out/torchprobe"
    # libLibTorchSharp.so stays a file beside the probe (not bundled), so that the repository's
    # post-publish step patches it and the probe can load it by path.
    dotnet publish src/DeepPcr.TorchProbe -c Release -r linux-x64 --self-contained true \
        -p:IncludeNativeLibrariesForSelfExtract=false "${props[@]}" -o "$out/torchprobe" -nologo -v:q
    total=$(size_of "$out")
    echo "torchprobe: $(in_mib "$(size_of "$out/torchprobe")"), gpu-route total: $(in_mib "$total")"
    if ((total <= limit_total)); then
        probe_form="$label"
        break
    fi
    echo "   too big: gpu-route/ would be over 60 MiB"
done
if [[ -z "$probe_form" ]]; then
    rm -rf "$out/torchprobe"
    echo "SKIPPED: no form of DeepPcr.TorchProbe keeps gpu-route/ under 60 MiB; the TorchSharp stage will report 'TorchProbe not found'" |
        tee "$out/TORCHPROBE-SKIPPED.txt"
    probe_form="skipped"
fi

echo
echo "== sizes"
find "$out" -type f -printf '%10s  %p\n' | sort -k2
total=$(size_of "$out")
tree_bytes=$(git ls-files -z --cached --others --exclude-standard | xargs -0 -r du -cb 2>/dev/null | tail -n1 | cut -f1)
echo "check:               $(in_mib "$check_size")"
echo "torchprobe:          $probe_form$([[ -d $out/torchprobe ]] && echo ", $(in_mib "$(size_of "$out/torchprobe")")")"
echo "gpu-route total:     $(in_mib "$total")"
echo "working tree:        $(in_mib "${tree_bytes:-0}") (travels too; the device tool's limit is 64 MiB for both)"
echo "carried in all:      $(in_mib $((total + ${tree_bytes:-0})))"
