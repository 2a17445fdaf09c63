#!/usr/bin/env python3
"""PyTorch CPU peers of `deeppcr bench rnn` (issue 23).

For every point file in a folder (written by the .NET bench):

    rnn_{cell}_T{T}_H{H}_B{B}.safetensors   metadata `cell` (gru, lstm, gru-diag, lstm-cifg-diag);
        weight_ih_l0 [G*H, I], weight_hh_l0 [G*H, H] (gru, lstm) or [G*H] (the diagonal cells),
        bias_ih_l0 [G*H], bias_hh_l0 [G*H]  (PyTorch's names and gate order: G = 3 [r; z; n] for gru and gru-diag,
        4 [i; f; g; o] for lstm, 3 [f; g; o] for lstm-cifg-diag), input [T, B, I], cotangent [T, B, H]  (F32)

it times, in float32 on the CPU with a warm-up and interleaved repetitions (medians, milliseconds):

    forward            torch.nn.GRU / torch.nn.LSTM under torch.inference_mode (libtorch's fused CPU kernels);
                       for the diagonal cells, which have no PyTorch module, the loop a PyTorch user writes: the
                       input projection for all steps first, then the fewest torch operations per step
    forward_backward   the same with autograd, then backward of sum(output * cotangent) (input and parameter
                       gradients)

`max_rel_error` = max|delta| / max|ref| over the output (forward) or the output, input gradient and every parameter
gradient (forward_backward) against the same computation in float64.

Output: <out>/peers.json with {"torch_version", "threads", "measurements": [{cell, T, H, B, pass, impl, ms,
max_rel_error, note}]}, progress on stderr. Exit 2 for a missing or malformed file.
Standard library, torch and mlp_peers.py's safetensors reader only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from typing import Callable, Dict, List, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from mlp_peers import FileFormatError, raw_to_torch, read_safetensors  # noqa: E402

torch = None  # imported in main() so that the file-name helpers work without it
CELLS = {"gru": 3, "lstm": 4, "gru-diag": 3, "lstm-cifg-diag": 3}
POINT_NAME = re.compile(r"^rnn_(gru|lstm|gru-diag|lstm-cifg-diag)_T(\d+)_H(\d+)_B(\d+)\.safetensors$")
PARAMETERS = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")


def parse_name(name: str):
    """(cell, T, H, B) of a point file's name, or None for any other file."""
    m = POINT_NAME.match(name)
    return None if m is None else (m.group(1), int(m.group(2)), int(m.group(3)), int(m.group(4)))


def load_point(path: str, cell: str, steps: int, hidden: int, batch: int) -> Dict[str, "torch.Tensor"]:
    """The point's tensors, checked against the layout above."""
    metadata, raw = read_safetensors(path)
    if metadata.get("cell") != cell:
        raise FileFormatError(f"{path}: metadata cell is {metadata.get('cell')!r}; {cell!r} was expected from the name")
    missing = [n for n in PARAMETERS + ("input", "cotangent") if n not in raw]
    if missing:
        raise FileFormatError(f"{path}: missing tensors {missing}")
    t = {name: raw_to_torch(value) for name, value in raw.items()}
    gates = CELLS[cell] * hidden
    inputs = t["input"].shape[2] if t["input"].dim() == 3 else -1
    diagonal = cell.endswith("diag")
    expected = {
        "input": (steps, batch, inputs), "cotangent": (steps, batch, hidden), "weight_ih_l0": (gates, inputs),
        "weight_hh_l0": (gates,) if diagonal else (gates, hidden), "bias_ih_l0": (gates,), "bias_hh_l0": (gates,),
    }
    for name, shape in expected.items():
        if tuple(t[name].shape) != shape or inputs < 1:
            raise FileFormatError(f"{path}: {name} has shape {list(t[name].shape)}; {list(shape)} was expected")
    return t


class Runner:
    """One cell's forward computation in PyTorch with given weights: a module where PyTorch has one, else a loop."""

    def __init__(self, cell: str, t: Dict[str, "torch.Tensor"], dtype):
        self.cell = cell
        self.params = {n: t[n].to(dtype).clone().requires_grad_(True) for n in PARAMETERS}
        self.module = None
        hidden, inputs = t["cotangent"].shape[2], t["input"].shape[2]
        if cell in ("gru", "lstm"):
            kind = torch.nn.GRU if cell == "gru" else torch.nn.LSTM
            self.module = kind(inputs, hidden).to(dtype)
            with torch.no_grad():
                for n in PARAMETERS:
                    getattr(self.module, n).copy_(t[n].to(dtype))
            self.params = dict(self.module.named_parameters())
        self.impl = {"gru": "nn.GRU", "lstm": "nn.LSTM"}.get(cell, "loop: input projection first, then the fewest torch operations per step")

    def __call__(self, x: "torch.Tensor") -> "torch.Tensor":
        if self.module is not None:
            return self.module(x)[0]
        p = self.params
        hidden = p["weight_hh_l0"].shape[0] // 3
        projected = torch.addmm(p["bias_ih_l0"], x.reshape(-1, x.shape[2]), p["weight_ih_l0"].t()).reshape(x.shape[0], x.shape[1], 3, hidden)
        w = p["weight_hh_l0"].reshape(3, hidden)
        b = p["bias_hh_l0"].reshape(3, hidden)
        h = x.new_zeros(x.shape[1], hidden)
        c = h
        out = []
        for xp in projected.unbind(0):
            g = torch.addcmul(b, h.unsqueeze(1), w)
            if self.cell == "gru-diag":
                rz = torch.sigmoid(xp[:, :2] + g[:, :2])
                n = torch.tanh(torch.addcmul(xp[:, 2], rz[:, 0], g[:, 2]))
                h = torch.lerp(n, h, rz[:, 1])
            else:
                pre = xp + g
                c = torch.lerp(torch.tanh(pre[:, 1]), c, torch.sigmoid(pre[:, 0]))
                h = torch.sigmoid(pre[:, 2]) * torch.tanh(c)
            out.append(h)
        return torch.stack(out)


def results(runner: Runner, x: "torch.Tensor", cotangent: "torch.Tensor", backward: bool) -> List["torch.Tensor"]:
    """The output, and for the backward pass the input gradient and every parameter gradient, in float64."""
    x = x.detach().clone().requires_grad_(backward)
    for p in runner.params.values():
        p.grad = None
    with torch.set_grad_enabled(backward):
        y = runner(x)
    found = [y.detach().double()]
    if backward:
        (y * cotangent).sum().backward()
        found += [x.grad.double()] + [runner.params[n].grad.double() for n in PARAMETERS]
    return found


def pooled_error(found: List["torch.Tensor"], reference: List["torch.Tensor"]) -> float:
    """max |delta| / max |ref| over all values at once."""
    delta = max(float((f - r).abs().max()) for f, r in zip(found, reference))
    scale = max(float(r.abs().max()) for r in reference)
    return delta / scale if scale > 0 else delta


def time_point(t: Dict[str, "torch.Tensor"], cell: str, repeats: int) -> List[Tuple[str, float, float, str]]:
    """(pass, median ms, max_rel_error, impl) for forward and forward_backward."""
    runner = Runner(cell, t, torch.float32)
    reference = Runner(cell, t, torch.float64)
    x, cot = t["input"].float(), t["cotangent"].float()

    def forward():
        with torch.inference_mode():
            runner(x)

    def forward_backward():
        xg = x.detach().requires_grad_(True)
        (runner(xg) * cot).sum().backward()

    cases: List[Tuple[str, Callable[[], None]]] = [("forward", forward), ("forward_backward", forward_backward)]
    for _, run in cases:
        run()
    samples: Dict[str, List[float]] = {name: [] for name, _ in cases}
    for r in range(repeats):
        for i in range(len(cases)):
            name, run = cases[(i + r) % len(cases)]
            start = time.perf_counter()
            run()
            samples[name].append((time.perf_counter() - start) * 1000.0)
    rows = []
    for name, _ in cases:
        backward = name == "forward_backward"
        error = pooled_error(results(runner, x, cot, backward), results(reference, t["input"].double(), t["cotangent"].double(), backward))
        rows.append((name, statistics.median(samples[name]), error, runner.impl))
    return rows


def main(argv=None) -> int:
    global torch
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", required=True, help="folder of rnn_{cell}_T{T}_H{H}_B{B}.safetensors files")
    parser.add_argument("--out", required=True, help="folder for peers.json")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    if args.threads < 1 or args.repeats < 1:
        print("rnn_peers.py: --threads and --repeats must be at least 1", file=sys.stderr)
        return 2
    try:
        import torch as imported
    except ImportError:
        print("rnn_peers.py: torch is not installed", file=sys.stderr)
        return 2
    torch = imported
    torch.set_num_threads(args.threads)
    if not os.path.isdir(args.points):
        print(f"rnn_peers.py: {args.points}: no such folder", file=sys.stderr)
        return 2
    points = sorted((parse_name(n), n) for n in os.listdir(args.points) if parse_name(n) is not None)
    os.makedirs(args.out, exist_ok=True)
    measurements = []
    for (cell, steps, hidden, batch), name in points:
        try:
            t = load_point(os.path.join(args.points, name), cell, steps, hidden, batch)
        except FileFormatError as e:
            print(f"rnn_peers.py: {e}", file=sys.stderr)
            return 2
        print(f"rnn_peers.py: {cell} T={steps} H={hidden} B={batch} on {args.threads} thread(s)", file=sys.stderr)
        for pass_name, ms, error, impl in time_point(t, cell, args.repeats):
            measurements.append({"cell": cell, "T": steps, "H": hidden, "B": batch, "pass": pass_name, "impl": impl,
                                 "ms": ms, "max_rel_error": error, "note": None})
        with open(os.path.join(args.out, "peers.json"), "w") as f:
            json.dump({"torch_version": torch.__version__, "threads": args.threads, "measurements": measurements}, f)
    if not points:
        with open(os.path.join(args.out, "peers.json"), "w") as f:
            json.dump({"torch_version": torch.__version__, "threads": args.threads, "measurements": []}, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
