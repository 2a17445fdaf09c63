#!/usr/bin/env bash
# GPU benchmark of issue 10: runs ON the GPU machine, from the repository root, with the published .NET bench
# carried in gpu-bench/ (single-file exe gpu-bench/deeppcr-gpu-bench; device tool: carry ["gpu-bench"]).
# Needs python3 with torch (CUDA) there; no .NET, no network. Ends within BENCH_TOTAL_S (default 350 s).
#
# Stages, each under its own `timeout` (clamped so that the whole script keeps to its total); a failed stage
# does not stop the next one, and each writes a status line into $OUT/stages.txt:
#   system  nvidia-smi and Python's torch               -> $OUT/system.txt
#   grid    deeppcr-gpu-bench grid (budget 200 s)       -> $OUT/grid/ (gpu_grid.csv, models/, grid.stdout.log, grid.stderr.log)
#   peers   bench/peers/mlp_peers.py (budget 100 s)     -> $OUT/peers/ (peers.csv, peers.json, peers.stderr.log)
#   merge   bench/peers/merge.py                        -> $OUT/results/ (results.csv, results.json, summary.md)
#   pack    models moved out of $OUT; everything else tarred into $OUT/bench-out.tar.gz, and the loose files
#           trimmed to the few the device tool brings back (it returns at most 8 files); PACK=0 skips it
# Everything is written as it goes, so a killed run still leaves what it had.
set -uo pipefail

OUT="${OUT:-./gpu-out}"
BENCH="${BENCH:-gpu-bench/deeppcr-gpu-bench}"
TOTAL_S="${BENCH_TOTAL_S:-350}"
MODELS_KEEP="${MODELS_KEEP:-/tmp/deeppcr-bench-models}"
PEERS_DEVICE="${PEERS_DEVICE:-cuda}"   # cpu only to try the script on a machine without a GPU
export PYTHONUNBUFFERED=1
mkdir -p "$OUT/grid" "$OUT/peers" "$OUT/results"
start=$(date +%s)
deadline=$((start + TOTAL_S))
STAGES="$OUT/stages.txt"
: >"$STAGES"

now() { echo $(($(date +%s) - start)); }
log() { echo "[bench $(now)s] $*" | tee -a "$OUT/bench.log" >&2; }
left() { echo $((deadline - $(date +%s))); }
min() { (($1 < $2)) && echo "$1" || echo "$2"; }

# stage NAME SECONDS STDOUT STDERR COMMAND...: runs COMMAND under `timeout SECONDS` (SIGTERM, then SIGKILL
# 10 s later) with its output in the two files, and writes NAME's status line: ok, failed (rc), timed_out or
# skipped. Always returns 0.
stage() {
    local name=$1 seconds=$2 stdout=$3 stderr=$4
    shift 4
    if ((seconds < 5)); then
        echo "$name: skipped (only ${seconds} s left) at $(now) s" >>"$STAGES"
        log "$name: skipped, only ${seconds} s left"
        return 0
    fi
    echo "$name: running (timeout ${seconds} s) since $(now) s" >>"$STAGES"
    log "$name: timeout ${seconds} s: $*"
    local t0 rc status
    t0=$(date +%s)
    timeout --kill-after=10 "$seconds" "$@" >"$stdout" 2>"$stderr"
    rc=$?
    case $rc in
        0) status=ok ;;
        124 | 137) status=timed_out ;;
        *) status=failed ;;
    esac
    echo "$name: $status rc=$rc in $(($(date +%s) - t0)) s" >>"$STAGES"
    log "$name: $status rc=$rc"
    return 0
}

# skip NAME REASON: a stage that cannot run.
skip() {
    echo "$1: skipped ($2) at $(now) s" >>"$STAGES"
    log "$1: skipped: $2"
}

SYSTEM_INFO='echo "===== nvidia-smi"; nvidia-smi
echo "===== nvidia-smi --query-gpu"; nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv
echo "===== python3 torch"
python3 -c "import torch, sys; print(sys.version.split()[0], torch.__version__, \"cuda\", torch.version.cuda, torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else \"-\")"'

run_grid() {
    local seconds=$1 budget
    budget=$(min 200 $((seconds - 30)))
    export DOTNET_BUNDLE_EXTRACT_BASE_DIR="${DOTNET_BUNDLE_EXTRACT_BASE_DIR:-${TMPDIR:-/tmp}/deeppcr-dotnet-bundle}"
    mkdir -p "$DOTNET_BUNDLE_EXTRACT_BASE_DIR"
    stage grid "$seconds" "$OUT/grid/grid.stdout.log" "$OUT/grid/grid.stderr.log" \
        "$BENCH" grid --layers 64,256,1024 --widths 1,4,16,32,64 --batches 1,16 --repeats 5 \
        --accelerator cuda --out "$OUT/grid" --budget-s "$budget" --save-models
}

run_peers() {
    local seconds=$1 budget
    budget=$(min 100 $((seconds - 25)))
    stage peers "$seconds" "$OUT/peers/peers.stdout.log" "$OUT/peers/peers.stderr.log" \
        python3 bench/peers/mlp_peers.py --models "$OUT/grid/models" --out "$OUT/peers" --device "$PEERS_DEVICE" \
        --repeats 5 --budget-s "$budget"
}

grid_csv() {
    local found
    found=$(find "$OUT/grid" -maxdepth 2 -name gpu_grid.csv -not -path '*/models/*' 2>/dev/null | head -1)
    echo "${found:-$OUT/grid/gpu_grid.csv}"
}

pack() {
    if [[ -d "$OUT/grid/models" ]]; then
        rm -rf "$MODELS_KEEP" && mv "$OUT/grid/models" "$MODELS_KEEP" && log "models moved to $MODELS_KEEP (not brought back)"
    fi
    tar -czf /tmp/bench-out.tar.gz -C "$OUT" --exclude=bench-out.tar.gz . && mv /tmp/bench-out.tar.gz "$OUT/bench-out.tar.gz" || return 1
    # Keep loose only what a reader wants first; the rest is in the tarball.
    local keep=("$STAGES" "$OUT/bench.log" "$OUT/bench-out.tar.gz" "$OUT/results/summary.md" "$OUT/results/results.csv"
        "$(grid_csv)" "$OUT/peers/peers.csv")
    local f k drop
    while IFS= read -r f; do
        drop=1
        for k in "${keep[@]}"; do [[ "$f" -ef "$k" ]] && drop=0; done
        ((drop)) && rm -f "$f"
    done < <(find "$OUT" -type f)
    find "$OUT" -mindepth 1 -type d -empty -delete
}

log "start in $(pwd); OUT=$OUT; total ${TOTAL_S} s"
stage system "$(min 20 "$(left)")" "$OUT/system.txt" "$OUT/system.stderr.txt" bash -c "$SYSTEM_INFO"

if [[ -f "$BENCH" ]]; then
    chmod +x "$BENCH" 2>/dev/null
    run_grid "$(min 230 $(($(left) - 75)))"   # leaves the peers at least a minute
else
    skip grid "$BENCH is missing: publish it and carry gpu-bench (see scripts/gpu/README.md)"
fi

run_peers "$(min 130 $(($(left) - 15)))"

if [[ -f "$(grid_csv)" && -f "$OUT/peers/peers.csv" ]]; then
    stage merge "$(min 30 "$(left)")" "$OUT/results/merge.stdout.log" "$OUT/results/merge.log" \
        python3 bench/peers/merge.py --grid "$(grid_csv)" --peers "$OUT/peers/peers.csv" --out "$OUT/results"
else
    skip merge "no $(grid_csv) or no $OUT/peers/peers.csv"
fi
[[ -f "$OUT/results/summary.md" ]] && cat "$OUT/results/summary.md" >&2

if [[ "${PACK:-1}" == 1 ]]; then
    echo "pack: running since $(now) s" >>"$STAGES"
    if pack; then echo "pack: ok at $(now) s" >>"$STAGES"; else echo "pack: failed at $(now) s" >>"$STAGES"; fi
fi
log "done in $(now) s"
cat "$STAGES" >&2
