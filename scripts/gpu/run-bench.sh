#!/usr/bin/env bash
# GPU benchmark of issue 10: runs ON the GPU machine, from the repository root, with the published .NET bench
# carried in gpu-bench/ (single-file exe gpu-bench/deeppcr-gpu-bench; device tool: carry ["gpu-bench"]).
# Needs python3 with torch (CUDA) there; no .NET, no network. Ends within BENCH_TOTAL_S (default 350 s).
# BENCH_PARTS (default "mlp,rnn") chooses the grids: with both, the recurrent stages keep RNN_RESERVE_S (150 s)
# and the MLP stages share the rest; with one, it has the whole time.
#
# Stages, each under its own `timeout` (clamped so that the whole script keeps to its total); a failed stage
# does not stop the next one, and each writes a status line into $OUT/stages.txt:
#   system  nvidia-smi and Python's torch               -> $OUT/system.txt
#   grid    deeppcr-gpu-bench grid (budget 200 s)       -> $OUT/grid/ (gpu_grid.csv, models/, grid.stdout.log, grid.stderr.log)
#   peers   bench/peers/mlp_peers.py (budget 100 s)     -> $OUT/peers/ (peers.csv, peers.json, peers.stderr.log)
#   merge   bench/peers/merge.py                        -> $OUT/results/ (results.csv, results.json, summary.md)
#   rnn     deeppcr-gpu-bench rnn (gru-diag, lstm-cifg-diag; T up to 2^20, H 8..64, B 1, 8)
#                                                       -> $OUT/rnn/ (rnn.json, rnn.stdout.json, rnn.stderr.log)
#   rnn_peers bench/peers/rnn_gpu_peers.py --grid rnn.json  -> $OUT/rnn_peers/ (rnn_peers.json, rnn_results.csv, rnn_summary.md)
#   pack    models moved out of $OUT; everything else tarred into $OUT/bench-out.tar.gz, and the loose files
#           trimmed to the few the device tool brings back (it returns at most 8 files); PACK=0 skips it
# Everything is written as it goes, so a killed run still leaves what it had.
set -uo pipefail

OUT="${OUT:-./gpu-out}"
BENCH="${BENCH:-gpu-bench/deeppcr-gpu-bench}"
TOTAL_S="${BENCH_TOTAL_S:-350}"
MODELS_KEEP="${MODELS_KEEP:-/tmp/deeppcr-bench-models}"
PEERS_DEVICE="${PEERS_DEVICE:-cuda}"   # cpu (or auto) only to try the script on a machine without a GPU
PARTS="${BENCH_PARTS:-mlp,rnn}"
ACCELERATOR="${BENCH_ACCELERATOR:-cuda}"   # cpu only to try the script here (ILGPU's CPU emulator: tiny sizes only)
RNN_LENGTHS="${RNN_LENGTHS:-1024,16384,131072,1048576}"
RNN_HIDDEN="${RNN_HIDDEN:-8,16,32,64}"
RNN_BATCHES="${RNN_BATCHES:-1,8}"
RNN_RESERVE_S="${RNN_RESERVE_S:-150}"
export PYTHONUNBUFFERED=1
mkdir -p "$OUT/grid" "$OUT/peers" "$OUT/results" "$OUT/rnn" "$OUT/rnn_peers"
has_part() { [[ ",$PARTS," == *",$1,"* ]]; }
reserve=0
has_part rnn && has_part mlp && reserve=$RNN_RESERVE_S
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

export DOTNET_BUNDLE_EXTRACT_BASE_DIR="${DOTNET_BUNDLE_EXTRACT_BASE_DIR:-${TMPDIR:-/tmp}/deeppcr-dotnet-bundle}"
mkdir -p "$DOTNET_BUNDLE_EXTRACT_BASE_DIR"

run_grid() {
    local seconds=$1 budget
    budget=$(min 200 $((seconds - 30)))
    stage grid "$seconds" "$OUT/grid/grid.stdout.log" "$OUT/grid/grid.stderr.log" \
        "$BENCH" grid --layers 64,256,1024 --widths 1,4,16,32,64 --batches 1,16 --repeats 5 \
        --accelerator "$ACCELERATOR" --out "$OUT/grid" --budget-s "$budget" --save-models
}

run_peers() {
    local seconds=$1 budget
    budget=$(min 100 $((seconds - 25)))
    stage peers "$seconds" "$OUT/peers/peers.stdout.log" "$OUT/peers/peers.stderr.log" \
        python3 bench/peers/mlp_peers.py --models "$OUT/grid/models" --out "$OUT/peers" --device "$PEERS_DEVICE" \
        --repeats 5 --budget-s "$budget"
}

run_rnn() {
    local seconds=$1 budget
    budget=$(min 200 $((seconds - 25)))
    stage rnn "$seconds" "$OUT/rnn/rnn.stdout.json" "$OUT/rnn/rnn.stderr.log" \
        "$BENCH" rnn --cells gru-diag,lstm-cifg-diag --lengths "$RNN_LENGTHS" --hidden "$RNN_HIDDEN" --batches "$RNN_BATCHES" \
        --repeats 3 --accelerator "$ACCELERATOR" --out "$OUT/rnn" --budget-s "$budget" --memory-fraction 0.8 --json
}

run_rnn_peers() {
    local seconds=$1 budget
    budget=$(min 100 $((seconds - 15)))
    stage rnn_peers "$seconds" "$OUT/rnn_peers/rnn_peers.stdout.log" "$OUT/rnn_peers/rnn_peers.stderr.log" \
        python3 bench/peers/rnn_gpu_peers.py --grid "$OUT/rnn/rnn.json" --out "$OUT/rnn_peers" --device "$PEERS_DEVICE" \
        --repeats 3 --budget-s "$budget" --loop-max-s 5
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
        "$(grid_csv)" "$OUT/peers/peers.csv" "$OUT/rnn_peers/rnn_results.csv")
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

if has_part mlp; then
    if [[ -f "$BENCH" ]]; then
        chmod +x "$BENCH" 2>/dev/null
        run_grid "$(min 230 $(($(left) - reserve - 75)))"   # leaves the peers at least a minute
    else
        skip grid "$BENCH is missing: publish it and carry gpu-bench (see scripts/gpu/README.md)"
    fi

    run_peers "$(min 130 $(($(left) - reserve - 15)))"

    if [[ -f "$(grid_csv)" && -f "$OUT/peers/peers.csv" ]]; then
        stage merge "$(min 30 $(($(left) - reserve)))" "$OUT/results/merge.stdout.log" "$OUT/results/merge.log" \
            python3 bench/peers/merge.py --grid "$(grid_csv)" --peers "$OUT/peers/peers.csv" --out "$OUT/results"
    else
        skip merge "no $(grid_csv) or no $OUT/peers/peers.csv"
    fi
    [[ -f "$OUT/results/summary.md" ]] && cat "$OUT/results/summary.md" >&2
fi

if has_part rnn; then
    if [[ -f "$BENCH" ]]; then
        chmod +x "$BENCH" 2>/dev/null
        run_rnn "$(min 200 $(($(left) - 45)))"   # leaves the recurrent peers at least 40 s
    else
        skip rnn "$BENCH is missing: publish it and carry gpu-bench (see scripts/gpu/README.md)"
    fi
    if [[ -f "$OUT/rnn/rnn.json" ]]; then
        run_rnn_peers "$(min 100 $(($(left) - 5)))"
    else
        skip rnn_peers "no $OUT/rnn/rnn.json"
    fi
    [[ -f "$OUT/rnn_peers/rnn_summary.md" ]] && cat "$OUT/rnn_peers/rnn_summary.md" >&2
fi

if [[ "${PACK:-1}" == 1 ]]; then
    echo "pack: running since $(now) s" >>"$STAGES"
    if pack; then echo "pack: ok at $(now) s" >>"$STAGES"; else echo "pack: failed at $(now) s" >>"$STAGES"; fi
fi
log "done in $(now) s"
cat "$STAGES" >&2
