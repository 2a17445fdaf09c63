#!/usr/bin/env python3
"""PyTorch peers of the recurrent GPU grid (issue 25): the diagonal cells of issue 23 on the same device.

For every point (cell, T, H, B, I) of the .NET bench's rnn.json (`deeppcr-gpu-bench rnn`; points it ran), or of the
lists given, it times in float32 on one device, with a warm-up and interleaved repetitions (medians, milliseconds):

    cudnn       torch.nn.GRU (for gru-diag) / torch.nn.LSTM (for lstm-cifg-diag), batch_first, one layer: the
                nearest *dense* cells (H x H recurrent weights; LSTM with four gates), run by cuDNN on a GPU. They
                are not the same cell: labelled `cudnn_module` in every point.
    torch_loop  the same diagonal cell as the .NET engine, in PyTorch: the input projections for all T steps in one
                matmul, then a Python loop over t of the cell's elementwise operations (what a user writes for a
                custom cell). Loops whose estimated time (from a timed prefix) exceeds --loop-max-s are not run:
                the point carries `torch_loop_estimated_ms` instead, labelled as an estimate.

Passes: `forward` (torch.inference_mode) and `forward_backward` (autograd; loss = sum(output * cotangent), gradients
of the input, the initial state and every parameter). `torch_loop_max_rel_error` is the loop's output against the
same loop in float64 (max |delta| / max |ref|), where the loop ran and T <= 4096.

Output: <out>/rnn_peers.json (an envelope with `device` = the torch device's name, and `points`), rewritten after
every point; with --grid also <out>/rnn_results.csv and <out>/rnn_summary.md joining the .NET points. The script
falls back to the CPU only with --device auto and no CUDA (for smoke tests); the envelope says which device ran.

Standard library and torch only.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import platform
import statistics
import sys
import time
from typing import Dict, List, Optional, Tuple

try:
    import torch
except ImportError:  # pragma: no cover - reported by main()
    torch = None

CELLS = ("gru-diag", "lstm-cifg-diag")
PASSES = ("forward", "forward_backward")


# ------------------------------------------------------------------------------------------------
# the diagonal cells (PyTorch conventions; gate rows [r; z; n] and [f; g; o])
# ------------------------------------------------------------------------------------------------

def make_params(cell: str, hidden: int, inputs: int, seed: int, device, dtype) -> Dict[str, "torch.Tensor"]:
    """weight_ih [3H, I], weight_hh [3H] (diagonal), bias_ih, bias_hh [3H], all U(-1/sqrt(H), 1/sqrt(H))."""
    g = torch.Generator().manual_seed(seed)
    bound = 1.0 / math.sqrt(hidden)
    draw = lambda *shape: ((torch.rand(*shape, generator=g, dtype=torch.float64) * 2 - 1) * bound).to(device, dtype)
    return {"weight_ih": draw(3 * hidden, inputs), "weight_hh": draw(3 * hidden), "bias_ih": draw(3 * hidden), "bias_hh": draw(3 * hidden)}


def diagonal_loop(cell: str, p: Dict[str, "torch.Tensor"], x: "torch.Tensor", state0: "torch.Tensor") -> "torch.Tensor":
    """Output [B, T, H] of the diagonal cell from x [B, T, I] and the initial state [B, S] (h0, then c0)."""
    hidden = p["weight_hh"].shape[0] // 3
    proj = torch.matmul(x, p["weight_ih"].t()) + p["bias_ih"]          # [B, T, 3H], all steps at once
    w_r, w_z, w_n = p["weight_hh"].split(hidden)
    b_r, b_z, b_n = p["bias_hh"].split(hidden)
    h = state0[:, :hidden]
    c = state0[:, hidden:] if cell == "lstm-cifg-diag" else None
    outputs = []
    for t in range(x.shape[1]):
        a = proj[:, t]
        a_r, a_z, a_n = a[:, :hidden], a[:, hidden:2 * hidden], a[:, 2 * hidden:]
        if cell == "gru-diag":
            r = torch.sigmoid(a_r + w_r * h + b_r)
            z = torch.sigmoid(a_z + w_z * h + b_z)
            n = torch.tanh(a_n + r * (w_n * h + b_n))
            h = (1 - z) * n + z * h
        else:
            f = torch.sigmoid(a_r + w_r * h + b_r)
            g = torch.tanh(a_z + w_z * h + b_z)
            o = torch.sigmoid(a_n + w_n * h + b_n)
            c = f * c + (1 - f) * g
            h = o * torch.tanh(c)
        outputs.append(h)
    return torch.stack(outputs, dim=1)


def dense_module(cell: str, hidden: int, inputs: int, device, dtype):
    """The nearest dense cuDNN module: nn.GRU for gru-diag, nn.LSTM for lstm-cifg-diag."""
    module = (torch.nn.GRU if cell == "gru-diag" else torch.nn.LSTM)(inputs, hidden, batch_first=True)
    return module.to(device, dtype), ("nn.GRU" if cell == "gru-diag" else "nn.LSTM")


# ------------------------------------------------------------------------------------------------
# timing
# ------------------------------------------------------------------------------------------------

def sync(device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(device, fn) -> float:
    sync(device)
    t0 = time.perf_counter()
    fn()
    sync(device)
    return (time.perf_counter() - t0) * 1e3


def medians(device, cases: Dict[str, callable], repeats: int) -> Dict[str, float]:
    for fn in cases.values():  # warm-up
        timed(device, fn)
    names = list(cases)
    times = {n: [] for n in names}
    for r in range(repeats):
        for i in range(len(names)):
            n = names[(i + r) % len(names)]
            times[n].append(timed(device, cases[n]))
    return {n: statistics.median(v) for n, v in times.items()}


def rel_error(actual: "torch.Tensor", reference: "torch.Tensor") -> float:
    delta = (actual.double() - reference.double()).abs().max().item()
    scale = reference.double().abs().max().item()
    return delta / scale if scale > 0 else delta


# ------------------------------------------------------------------------------------------------
# one point
# ------------------------------------------------------------------------------------------------

def run_point(cell: str, T: int, H: int, B: int, I: int, device, repeats: int, loop_max_s: float, seed: int) -> List[dict]:
    torch.manual_seed(seed)
    dtype = torch.float32
    S = 2 * H if cell == "lstm-cifg-diag" else H
    x = torch.randn(B, T, I, device=device, dtype=dtype)
    state0 = 0.5 * torch.randn(B, S, device=device, dtype=dtype)
    cot = torch.randn(B, T, H, device=device, dtype=dtype)
    p = make_params(cell, H, I, seed, device, dtype)
    module, module_name = dense_module(cell, H, I, device, dtype)
    h0 = state0[:, :H].unsqueeze(0).contiguous()
    hx = h0 if cell == "gru-diag" else (h0, state0[:, H:].unsqueeze(0).contiguous())

    def cudnn_forward():
        with torch.inference_mode():
            module(x, hx)

    def cudnn_backward():
        xg = x.detach().requires_grad_(True)
        out, _ = module(xg, hx)
        (out * cot).sum().backward()

    def loop_forward(steps: int = T):
        with torch.inference_mode():
            diagonal_loop(cell, p, x[:, :steps], state0)

    leaves = {k: v.detach().requires_grad_(True) for k, v in p.items()}

    def loop_backward(steps: int = T):
        xg = x[:, :steps].detach().requires_grad_(True)
        sg = state0.detach().requires_grad_(True)
        out = diagonal_loop(cell, leaves, xg, sg)
        (out * cot[:, :steps]).sum().backward()

    # Estimate the loop's time from a prefix before committing to all T steps.
    prefix = min(T, 256)
    per_step_ms = {"forward": timed(device, lambda: loop_forward(prefix)) / prefix, "forward_backward": timed(device, lambda: loop_backward(prefix)) / prefix}
    results = []
    for pass_name, cudnn_fn, loop_fn in (("forward", cudnn_forward, loop_forward), ("forward_backward", cudnn_backward, loop_backward)):
        estimate_ms = per_step_ms[pass_name] * T
        run_loop = estimate_ms * (repeats + 1) <= loop_max_s * 1e3
        cases = {"cudnn": cudnn_fn}
        if run_loop:
            cases["torch_loop"] = loop_fn
        m = medians(device, cases, repeats)
        point = {"cell": cell, "T": T, "H": H, "B": B, "I": I, "pass": pass_name, "cudnn_module": module_name + " (dense cell, nearest cuDNN peer)",
                 "cudnn_ms": round(m["cudnn"], 6), "torch_loop_ms": round(m["torch_loop"], 6) if run_loop else None,
                 "torch_loop_estimated_ms": None if run_loop else round(estimate_ms, 3), "torch_loop_max_rel_error": None}
        if not run_loop:
            point["note"] = f"torch_loop not run: estimated {estimate_ms / 1e3:.1f} s per call from a {prefix}-step prefix, over --loop-max-s {loop_max_s}"
        results.append(point)
    if T <= 4096 and results[0]["torch_loop_ms"] is not None:
        with torch.inference_mode():
            out32 = diagonal_loop(cell, p, x, state0)
            out64 = diagonal_loop(cell, {k: v.double() for k, v in p.items()}, x.double(), state0.double())
        results[0]["torch_loop_max_rel_error"] = rel_error(out32, out64)
    return results


# ------------------------------------------------------------------------------------------------
# command line
# ------------------------------------------------------------------------------------------------

def device_name(device) -> str:
    if device.type == "cuda":
        return f"{torch.cuda.get_device_name(device)} (torch {torch.__version__}, CUDA {torch.version.cuda})"
    return f"CPU {platform.processor() or platform.machine()} (torch {torch.__version__}, no CUDA: smoke test only)"


def points_from_grid(path: str) -> Tuple[List[Tuple[str, int, int, int, int]], List[dict]]:
    with open(path) as f:
        grid = json.load(f)
    ran = [p for p in grid.get("points", []) if p.get("termination") != "not_run"]
    keys = sorted({(p["cell"], p["T"], p["H"], p["B"], p.get("I", p["H"])) for p in ran}, key=lambda k: (k[1] * k[2] * k[3], k))
    return keys, grid.get("points", [])


def ints(text: str) -> List[int]:
    values = [int(v) for v in text.split(",") if v.strip()]
    if not values or min(values) < 1:
        raise ValueError(f"'{text}' is not a list of positive integers")
    return values


def join(out: str, dotnet: List[dict], peers: List[dict]) -> None:
    """rnn_results.csv and rnn_summary.md: the .NET points beside the peers' (same cell, T, H, B, pass)."""
    index = {(p["cell"], p["T"], p["H"], p["B"], p["pass"]): p for p in peers}
    columns = ["cell", "T", "H", "B", "pass", "iterations", "termination", "max_rel_error", "deeppcr_ms", "sequential_ms", "cudnn_ms", "torch_loop_ms",
               "torch_loop_estimated_ms", "speedup_vs_sequential", "speedup_vs_cudnn", "speedup_vs_torch_loop"]
    rows = []
    for p in dotnet:
        q = index.get((p["cell"], p["T"], p["H"], p["B"], p["pass"]), {})
        d = p.get("deeppcr_ms")
        ratio = lambda other: round(other / d, 3) if d and other else None
        rows.append({**{k: p.get(k) for k in columns[:10]}, "cudnn_ms": q.get("cudnn_ms"), "torch_loop_ms": q.get("torch_loop_ms"),
                     "torch_loop_estimated_ms": q.get("torch_loop_estimated_ms"), "speedup_vs_sequential": p.get("speedup_vs_sequential"),
                     "speedup_vs_cudnn": ratio(q.get("cudnn_ms")), "speedup_vs_torch_loop": ratio(q.get("torch_loop_ms") or q.get("torch_loop_estimated_ms"))})
    with open(os.path.join(out, "rnn_results.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    with open(os.path.join(out, "rnn_summary.md"), "w") as f:
        f.write("| " + " | ".join(columns) + " |\n|" + "---|" * len(columns) + "\n")
        for r in rows:
            f.write("| " + " | ".join("-" if r[c] is None else str(r[c]) for c in columns) + " |\n")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--grid", help="rnn.json of deeppcr-gpu-bench rnn: measure the points it ran, and join them")
    parser.add_argument("--cells", default=",".join(CELLS))
    parser.add_argument("--lengths", default="1024,16384")
    parser.add_argument("--hidden", default="8,16,32,64")
    parser.add_argument("--batches", default="1,8")
    parser.add_argument("--input-size", type=int, default=None, help="I (default I = H)")
    parser.add_argument("--out", required=True)
    parser.add_argument("--device", default="cuda", help="cuda, cpu, or auto (cuda when available, else cpu: smoke tests only)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--budget-s", type=float, default=100.0, help="no point starts after this many seconds")
    parser.add_argument("--loop-max-s", type=float, default=20.0, help="the Python loop runs only where its estimated total time is below this")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if torch is None:
        print("error: python3 has no torch", file=sys.stderr)
        return 2
    try:
        cells = [c for c in args.cells.split(",") if c]
        bad = [c for c in cells if c not in CELLS]
        if bad:
            raise ValueError(f"unknown cell(s) {bad}; use {', '.join(CELLS)}")
        if args.grid:
            keys, dotnet = points_from_grid(args.grid)
        else:
            dotnet = []
            keys = [(c, t, h, b, args.input_size or h) for c in cells for t in ints(args.lengths) for h in ints(args.hidden) for b in ints(args.batches)]
    except (OSError, ValueError, KeyError, json.JSONDecodeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    wanted = args.device
    if wanted == "auto":
        wanted = "cuda" if torch.cuda.is_available() else "cpu"
    if wanted == "cuda" and not torch.cuda.is_available():
        print("error: --device cuda but torch.cuda.is_available() is False (use --device auto for a CPU smoke test)", file=sys.stderr)
        return 2
    device = torch.device(wanted)
    os.makedirs(args.out, exist_ok=True)
    envelope = {"tool": "bench/peers/rnn_gpu_peers.py", "dtype": "float32", "device": device_name(device), "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.platform()}",
                "command": " ".join(["python3"] + sys.argv), "torch": torch.__version__, "cuda": torch.version.cuda, "points": []}
    start = time.time()
    for cell, T, H, B, I in keys:
        if time.time() - start >= args.budget_s:
            for pass_name in PASSES:
                envelope["points"].append({"cell": cell, "T": T, "H": H, "B": B, "I": I, "pass": pass_name, "note": f"not run: the budget of {args.budget_s} s was spent"})
        else:
            print(f"[rnn-peers {time.time() - start:.1f}s] {cell} T={T} H={H} B={B}", file=sys.stderr)
            try:
                envelope["points"].extend(run_point(cell, T, H, B, I, device, args.repeats, args.loop_max_s, args.seed))
            except RuntimeError as e:  # out of memory and the like: recorded, the grid goes on
                for pass_name in PASSES:
                    envelope["points"].append({"cell": cell, "T": T, "H": H, "B": B, "I": I, "pass": pass_name, "note": f"error: {e}"[:500]})
                if device.type == "cuda":
                    torch.cuda.empty_cache()
        with open(os.path.join(args.out, "rnn_peers.json"), "w") as f:
            json.dump(envelope, f, indent=1)
    if dotnet:
        join(args.out, dotnet, envelope["points"])
    print(f"[rnn-peers {time.time() - start:.1f}s] done: {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
