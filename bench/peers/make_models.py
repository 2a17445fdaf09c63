#!/usr/bin/env python3
"""Writes a small, seeded models folder in the layout mlp_peers.py reads (the .NET GPU bench normally writes it).

    mlp_L{L}_w{w}.safetensors      layers.{i}.weight [w, w] ~ N(0, gain^2 / w), layers.{i}.bias [w] ~ N(0, bias_std^2),
                                   metadata activation
    io_L{L}_w{w}_b{B}.safetensors  input [B, w] ~ N(0, 1), cotangent [B, w] ~ N(0, 1)

Standard library only (random.Random with a seed per file), so that it runs without torch.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
from typing import List

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mlp_peers import ACTIVATIONS, raw_from_floats, write_safetensors  # noqa: E402


def int_list(text: str) -> List[int]:
    """'1,2,4' -> [1, 2, 4] (positive integers)."""
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}': expected comma-separated integers") from None
    if not values or any(v <= 0 for v in values):
        raise argparse.ArgumentTypeError(f"'{text}': expected positive integers")
    return values


def gaussians(rng: random.Random, count: int, std: float) -> List[float]:
    """count draws of N(0, std^2)."""
    return [rng.gauss(0.0, std) for _ in range(count)]


def write_model(path: str, layers: int, width: int, activation: str, gain: float, bias_std: float, seed: int, dtype: str) -> None:
    """One model file, seeded."""
    rng = random.Random(seed)
    tensors = {}
    for i in range(layers):
        tensors[f"layers.{i}.weight"] = raw_from_floats(gaussians(rng, width * width, gain / math.sqrt(width)), (width, width), dtype)
        tensors[f"layers.{i}.bias"] = raw_from_floats(gaussians(rng, width, bias_std), (width,), dtype)
    write_safetensors(path, tensors, {"activation": activation})


def write_io(path: str, width: int, batch: int, seed: int, dtype: str) -> None:
    """One io file (input and cotangent), seeded."""
    rng = random.Random(seed)
    tensors = {"input": raw_from_floats(gaussians(rng, batch * width, 1.0), (batch, width), dtype),
               "cotangent": raw_from_floats(gaussians(rng, batch * width, 1.0), (batch, width), dtype)}
    write_safetensors(path, tensors)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Writes seeded deep-MLP model and io files for mlp_peers.py.")
    p.add_argument("--out", required=True, help="folder to write into (created)")
    p.add_argument("--layers", type=int_list, default=[3, 8], help="comma-separated L values (default 3,8)")
    p.add_argument("--widths", type=int_list, default=[2, 4], help="comma-separated w values (default 2,4)")
    p.add_argument("--batches", type=int_list, default=[1, 3], help="comma-separated B values (default 1,3)")
    p.add_argument("--activation", default="tanh", choices=ACTIVATIONS, help="activation (default tanh)")
    p.add_argument("--gain", type=float, default=0.9, help="weights ~ N(0, gain^2 / w) (default 0.9: contractive)")
    p.add_argument("--bias-std", type=float, default=0.1, help="biases ~ N(0, bias_std^2) (default 0.1)")
    p.add_argument("--seed", type=int, default=0, help="base seed (default 0)")
    p.add_argument("--dtype", default="F32", choices=["F32", "F64"], help="stored dtype (default F32)")
    args = p.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    count = 0
    for L in args.layers:
        for w in args.widths:
            seed = args.seed * 1_000_003 + L * 1009 + w
            write_model(os.path.join(args.out, f"mlp_L{L}_w{w}.safetensors"), L, w, args.activation, args.gain, args.bias_std, seed, args.dtype)
            count += 1
            for B in args.batches:
                write_io(os.path.join(args.out, f"io_L{L}_w{w}_b{B}.safetensors"), w, B, seed * 31 + B, args.dtype)
                count += 1
    print(f"wrote {count} files to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
