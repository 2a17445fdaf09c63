#!/usr/bin/env bash
# Runs ON the GPU machine, from the repository root, after scripts/gpu/build-route-check.sh built
# gpu-route/ here and the device tool carried it (carry ["gpu-route"]). Writes into "${OUT:-/tmp/route-out}",
# file by file as it goes (at most 8 files come back from the device tool):
#   system.txt         nvidia-smi, CUDA libraries known to ldconfig, OS, glibc, Python's torch
#   route.json         the check's JSON, rewritten after every stage (kept if the check dies)
#   check.stdout.json  the check's stdout (the same JSON, complete)
#   check.stderr.txt   the check's progress and errors
#   run.log            what ran, exit codes and times
# Keeps going after a failed step; the whole script ends within 3 minutes.
set -uo pipefail

OUT="${OUT:-/tmp/route-out}"
mkdir -p "$OUT"
start=$(date +%s)
deadline=$((start + 175))
log() { echo "[route $(($(date +%s) - start))s] $*" | tee -a "$OUT/run.log" >&2; }
section() { printf '\n===== %s\n' "$*" >>"$OUT/system.txt"; }
# run_into SECONDS COMMAND...: runs the command with a timeout, output appended to system.txt.
run_into() {
    local seconds=$1
    shift
    section "$*"
    timeout "$seconds" bash -c "set -o pipefail; $*" >>"$OUT/system.txt" 2>&1
    local rc=$?
    log "rc=$rc$( ((rc == 141)) && echo ' (SIGPIPE: head stopped reading, fine)'): $*"
    return 0
}

log "start in $(pwd); OUT=$OUT"
: >"$OUT/system.txt"
run_into 10 "nvidia-smi -q | head -60"
run_into 5 "nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv"
run_into 5 "ldconfig -p | grep -i cuda | head"
run_into 5 "uname -a; cat /etc/os-release | head -4; ldd --version | head -1"

section "python3 torch"
torch_info=$(timeout 40 python3 -c 'import os, torch; print(torch.__version__); print(os.path.dirname(torch.__file__) + "/lib"); print(torch.version.cuda); print(torch.cuda.is_available())' 2>>"$OUT/system.txt")
log "rc=$? python3 torch: $(echo "$torch_info" | tr '\n' ' ')"
echo "$torch_info" >>"$OUT/system.txt"
torch_lib=$(echo "$torch_info" | sed -n 2p)
if [[ -n "$torch_lib" && -d "$torch_lib" ]]; then
    ls -la "$torch_lib" 2>&1 | head -40 >>"$OUT/system.txt"
    torch_args=(--torch-lib "$torch_lib" --torch-probe gpu-route/torchprobe/DeepPcr.TorchProbe)
else
    log "no torch lib folder found: the TorchSharp stage is skipped"
    torch_args=()
fi

check=gpu-route/check/DeepPcr.GpuCheck
if [[ ! -f "$check" ]]; then
    log "ERROR: $check is missing: build it here with scripts/gpu/build-route-check.sh and carry gpu-route"
    exit 1
fi
chmod +x "$check" gpu-route/torchprobe/DeepPcr.TorchProbe 2>/dev/null
export DOTNET_BUNDLE_EXTRACT_BASE_DIR="${TMPDIR:-/tmp}/deeppcr-dotnet-bundle"
mkdir -p "$DOTNET_BUNDLE_EXTRACT_BASE_DIR"

run_check() {
    local budget=$((deadline - $(date +%s)))
    ((budget > 150)) && budget=150
    if ((budget < 20)); then
        log "no time left for the check ($budget s)"
        return 1
    fi
    log "running the check (timeout $budget s) $*"
    timeout "$budget" "$check" --out "$OUT/route.json" --driver-api always --probe-timeout 90 "${torch_args[@]}" \
        >"$OUT/check.stdout.json" 2>"$OUT/check.stderr.txt"
    local rc=$?
    log "check rc=$rc ($([[ $rc == 124 ]] && echo "timed out" || echo "exited"))"
    return $rc
}

run_check
# If the runtime never started (no JSON at all), try once more without W^X double mapping, which some
# sandboxed kernels refuse.
if [[ ! -s "$OUT/route.json" ]]; then
    log "no route.json: retrying with DOTNET_EnableWriteXorExecute=0"
    cp "$OUT/check.stderr.txt" "$OUT/check.stderr.first-try.txt" 2>/dev/null
    DOTNET_EnableWriteXorExecute=0 run_check
fi

if [[ -s "$OUT/route.json" ]]; then
    python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); [print(k, ":", v) for k, v in (d.get("summary") or {}).items()]' "$OUT/route.json" 2>&1 |
        tee -a "$OUT/run.log" >&2
fi
log "done in $(($(date +%s) - start)) s"
