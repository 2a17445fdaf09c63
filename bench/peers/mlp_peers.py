#!/usr/bin/env python3
"""PyTorch peers for the deep-MLP forward and backward passes (issue 10).

For every cell (L, w, B) found in a models folder (the files the .NET GPU bench writes with --save-models):

    mlp_L{L}_w{w}.safetensors      layers.{i}.weight [w, w], layers.{i}.bias [w]  (F32 or F64),
                                   metadata `activation` (tanh, relu, gelu, sigmoid, identity);
                                   z_{i+1} = act(W_i z_i + b_i), row j of W_i maps to output j
    io_L{L}_w{w}_b{B}.safetensors  input [B, w], cotangent [B, w]  (F32 or F64)

it times, in float32 on one device, with a warm-up and interleaved repetitions (order rotated each
repetition; CUDA events around every timed call on a GPU), and reports medians in milliseconds:

    torch_eager    the network layer by layer (torch.addmm + in-place activation); forward under
                   torch.inference_mode; backward = (forward + backward with autograd) minus forward with
                   the graph, as DESIGN.md section 4 defines it
    torch_graph    the same loops captured in CUDA graphs (forward, forward with the graph and forward +
                   backward captured separately; static buffers); skipped with a reason on a CPU
    torch_deeppcr  DeepPCR in plain PyTorch ops: Newton from zeros, all L layers at once with batched
                   matmuls, dense Jacobians (L, B, w, w), each Newton step solved by Parallel Cyclic
                   Reduction in ceil(log2 L) rounds; backward = one PCR solve on the reversed chain with the
                   transposed Jacobians at the converged states, then the parameter gradients

The loss of the backward pass is sum(z_L * cotangent); its gradients are those of the input and of every
weight and bias. `max_rel_error` = max|delta| / max|ref| pooled over all values compared at once (all states
z_1..z_L for the forward pass; the input gradient and every weight and bias gradient for the backward pass)
against a float64 sequential reference computed with torch on the same device.

Output: <out>/peers.csv (appended and flushed row by row), <out>/peers.json (rewritten after every cell),
progress on stderr. Exit 2 with a message for a missing or malformed file.

Standard library and torch only: safetensors files are read and written here with struct + json.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import platform
import re
import signal
import statistics
import struct
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

try:  # the file-format helpers work without torch (make_models.py, test_peers.py)
    import torch
except ImportError:  # pragma: no cover - reported by main()
    torch = None

ACTIVATIONS = ("tanh", "relu", "gelu", "sigmoid", "identity")
CSV_COLUMNS = ["layers", "width", "batch", "pass", "method", "ms", "iterations", "pcr_rounds", "max_rel_error", "note"]
METHODS = ("torch_eager", "torch_graph", "torch_deeppcr")
ATOL = 1e-6
RTOL = 1e-5
MODEL_NAME = re.compile(r"^mlp_L(\d+)_w(\d+)\.safetensors$")
IO_NAME = re.compile(r"^io_L(\d+)_w(\d+)_b(\d+)\.safetensors$")


# --------------------------------------------------------------------------------------------------
# safetensors, by hand
# --------------------------------------------------------------------------------------------------

class FileFormatError(ValueError):
    """A model or io file that is missing, truncated or not what the layout above describes."""


# safetensors dtype name -> (struct code, item size). Only float tensors are meaningful here.
SAFETENSORS_DTYPES = {"F32": ("f", 4), "F64": ("d", 8)}
MAX_HEADER_BYTES = 100_000_000


@dataclass
class RawTensor:
    """One tensor of a safetensors file: dtype name, shape and its little-endian bytes."""

    dtype: str
    shape: Tuple[int, ...]
    data: bytes

    @property
    def numel(self) -> int:
        """Number of elements."""
        return math.prod(self.shape)

    def values(self) -> List[float]:
        """The elements as Python floats, row-major (for tests and small tensors)."""
        code, _ = SAFETENSORS_DTYPES[self.dtype]
        return list(struct.unpack(f"<{self.numel}{code}", self.data))


def _parse_header(path: str, blob: bytes, file_size: int) -> Tuple[Dict[str, str], Dict[str, dict], int]:
    """Validates the header of a safetensors file; returns (metadata, tensor entries, data start)."""
    if file_size < 8:
        raise FileFormatError(f"{path}: {file_size} bytes is too short for a safetensors file (8-byte header length missing)")
    (header_len,) = struct.unpack("<Q", blob[:8])
    if header_len > MAX_HEADER_BYTES or 8 + header_len > file_size:
        raise FileFormatError(f"{path}: header length {header_len} does not fit in a file of {file_size} bytes (truncated or not safetensors)")
    try:
        header = json.loads(blob[8:8 + header_len].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise FileFormatError(f"{path}: the header is not valid JSON ({e})") from None
    if not isinstance(header, dict):
        raise FileFormatError(f"{path}: the header is not a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise FileFormatError(f"{path}: __metadata__ must map strings to strings")
    data_start = 8 + header_len
    data_len = file_size - data_start
    for name, entry in header.items():
        if not isinstance(entry, dict) or not {"dtype", "shape", "data_offsets"} <= entry.keys():
            raise FileFormatError(f"{path}: tensor '{name}' lacks dtype, shape or data_offsets")
        dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
        if dtype not in SAFETENSORS_DTYPES:
            raise FileFormatError(f"{path}: tensor '{name}' has dtype {dtype}; F32 or F64 was expected")
        if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
            raise FileFormatError(f"{path}: tensor '{name}' has a bad shape {shape!r}")
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(isinstance(o, int) for o in offsets)
                and 0 <= offsets[0] <= offsets[1]):
            raise FileFormatError(f"{path}: tensor '{name}' has bad data_offsets {offsets!r}")
        if offsets[1] > data_len:
            raise FileFormatError(f"{path}: tensor '{name}' ends at byte {offsets[1]} of the data but the file holds {data_len} (truncated)")
        if offsets[1] - offsets[0] != math.prod(shape) * SAFETENSORS_DTYPES[dtype][1]:
            raise FileFormatError(f"{path}: tensor '{name}' has {offsets[1] - offsets[0]} bytes for shape {shape} of {dtype}")
    return metadata, header, data_start


def read_safetensors_header(path: str) -> Tuple[Dict[str, str], Dict[str, dict]]:
    """Reads and validates only the header (cheap): (metadata, {name: {dtype, shape, data_offsets}})."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            head = f.read(8)
            header_len = struct.unpack("<Q", head)[0] if len(head) == 8 else 0
            blob = head + f.read(min(header_len, MAX_HEADER_BYTES + 1))
    except OSError as e:
        raise FileFormatError(f"{path}: cannot be read ({e.strerror})") from None
    metadata, entries, _ = _parse_header(path, blob, size)
    return metadata, entries


def read_safetensors(path: str) -> Tuple[Dict[str, str], Dict[str, RawTensor]]:
    """Reads a whole safetensors file: (metadata, {name: RawTensor})."""
    try:
        with open(path, "rb") as f:
            blob = f.read()
    except OSError as e:
        raise FileFormatError(f"{path}: cannot be read ({e.strerror})") from None
    metadata, entries, start = _parse_header(path, blob, len(blob))
    tensors = {}
    for name, entry in entries.items():
        begin, end = entry["data_offsets"]
        tensors[name] = RawTensor(entry["dtype"], tuple(entry["shape"]), blob[start + begin:start + end])
    return metadata, tensors


def write_safetensors(path: str, tensors: Dict[str, RawTensor], metadata: Optional[Dict[str, str]] = None) -> None:
    """Writes a minimal safetensors file (header padded to 8 bytes), atomically through a temporary file."""
    header: Dict[str, object] = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    offset = 0
    for name, t in tensors.items():
        header[name] = {"dtype": t.dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(t.data)]}
        offset += len(t.data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for t in tensors.values():
            f.write(t.data)
    os.replace(tmp, path)


def raw_from_floats(values: Sequence[float], shape: Sequence[int], dtype: str = "F32") -> RawTensor:
    """Packs Python floats (row-major) into a RawTensor of F32 or F64."""
    code, _ = SAFETENSORS_DTYPES[dtype]
    if len(values) != math.prod(shape):
        raise ValueError(f"{len(values)} values for shape {list(shape)}")
    return RawTensor(dtype, tuple(shape), struct.pack(f"<{len(values)}{code}", *values))


def raw_to_torch(raw: RawTensor) -> "torch.Tensor":
    """A CPU torch tensor (float32 or float64) holding a copy of the raw bytes."""
    if sys.byteorder != "little":  # pragma: no cover
        raise RuntimeError("safetensors data is little-endian; this reader needs a little-endian host")
    dtype = {"F32": torch.float32, "F64": torch.float64}[raw.dtype]
    if raw.numel == 0:
        return torch.zeros(raw.shape, dtype=dtype)
    return torch.frombuffer(bytearray(raw.data), dtype=dtype).reshape(raw.shape).clone()


def raw_from_torch(t: "torch.Tensor") -> RawTensor:
    """A RawTensor (F32 or F64) from a torch tensor."""
    t = t.detach().cpu().contiguous()
    name = {torch.float32: "F32", torch.float64: "F64"}.get(t.dtype)
    if name is None:
        raise ValueError(f"dtype {t.dtype}: only float32 and float64 are written")
    code, _ = SAFETENSORS_DTYPES[name]
    return RawTensor(name, tuple(t.shape), struct.pack(f"<{t.numel()}{code}", *t.reshape(-1).tolist()))


# --------------------------------------------------------------------------------------------------
# The model and io files
# --------------------------------------------------------------------------------------------------

@dataclass
class Mlp:
    """A deep MLP: weights (L, w, w), biases (L, w), activation name."""

    weights: "torch.Tensor"
    biases: "torch.Tensor"
    activation: str

    @property
    def layers(self) -> int:
        return self.weights.shape[0]

    @property
    def width(self) -> int:
        return self.weights.shape[1]

    def to(self, device, dtype) -> "Mlp":
        """The same model on a device and dtype."""
        return Mlp(self.weights.to(device, dtype), self.biases.to(device, dtype), self.activation)


def _count_layers(path: str, names) -> int:
    """Number of layers of a model file; raises on a gap or an unexpected tensor."""
    layers = 0
    while f"layers.{layers}.weight" in names:
        layers += 1
    if layers == 0:
        raise FileFormatError(f"{path}: no tensor 'layers.0.weight'; a model holds layers.{{i}}.weight [w, w] and layers.{{i}}.bias [w]")
    expected = {f"layers.{i}.{k}" for i in range(layers) for k in ("weight", "bias")}
    extra = sorted(set(names) - expected)
    missing = sorted(expected - set(names))
    if extra or missing:
        raise FileFormatError(f"{path}: layers must be numbered 0..{layers - 1} without gaps, each with weight and bias"
                              + (f"; unexpected: {', '.join(extra[:5])}" if extra else "")
                              + (f"; missing: {', '.join(missing[:5])}" if missing else ""))
    return layers


def check_model_header(path: str, layers: Optional[int] = None, width: Optional[int] = None) -> Tuple[int, int, str]:
    """Validates a model file's header (shapes, dtypes, activation) without reading its data; (L, w, activation)."""
    metadata, entries = read_safetensors_header(path)
    count = _count_layers(path, entries.keys())
    activation = metadata.get("activation")
    if activation is None:
        raise FileFormatError(f"{path}: the metadata has no 'activation' entry")
    if activation.lower() not in ACTIVATIONS:
        raise FileFormatError(f"{path}: unknown activation '{activation}'; use {', '.join(ACTIVATIONS)}")
    shape0 = entries["layers.0.weight"]["shape"]
    if len(shape0) != 2 or shape0[0] != shape0[1]:
        raise FileFormatError(f"{path}: layers.0.weight has shape {shape0}; a square [w, w] was expected")
    w = shape0[0]
    for i in range(count):
        for kind, shape in (("weight", [w, w]), ("bias", [w])):
            got = entries[f"layers.{i}.{kind}"]["shape"]
            if got != shape:
                raise FileFormatError(f"{path}: layers.{i}.{kind} has shape {got}; {shape} was expected")
    if layers is not None and count != layers:
        raise FileFormatError(f"{path}: holds {count} layers but its name says L={layers}")
    if width is not None and w != width:
        raise FileFormatError(f"{path}: has width {w} but its name says w={width}")
    return count, w, activation.lower()


def check_io_header(path: str, width: int, batch: Optional[int] = None) -> int:
    """Validates an io file's header: `input` and `cotangent` [B, w]; returns B."""
    _, entries = read_safetensors_header(path)
    shapes = {}
    for name in ("input", "cotangent"):
        if name not in entries:
            raise FileFormatError(f"{path}: no tensor '{name}'; an io file holds input [B, w] and cotangent [B, w]")
        shapes[name] = entries[name]["shape"]
        if len(shapes[name]) != 2 or shapes[name][1] != width:
            raise FileFormatError(f"{path}: '{name}' has shape {shapes[name]}; [B, {width}] was expected")
    if shapes["input"] != shapes["cotangent"]:
        raise FileFormatError(f"{path}: input {shapes['input']} and cotangent {shapes['cotangent']} differ in shape")
    b = shapes["input"][0]
    if batch is not None and b != batch:
        raise FileFormatError(f"{path}: batch {b} but its name says b={batch}")
    return b


def load_model(path: str) -> Mlp:
    """Reads a model file (F32 or F64) as float64 tensors on the CPU."""
    check_model_header(path)
    metadata, tensors = read_safetensors(path)
    layers = _count_layers(path, tensors.keys())
    weights = torch.stack([raw_to_torch(tensors[f"layers.{i}.weight"]).double() for i in range(layers)])
    biases = torch.stack([raw_to_torch(tensors[f"layers.{i}.bias"]).double() for i in range(layers)])
    return Mlp(weights, biases, metadata["activation"].lower())


def load_io(path: str, width: int) -> Tuple["torch.Tensor", "torch.Tensor"]:
    """Reads an io file: (input, cotangent), float64 on the CPU."""
    check_io_header(path, width)
    _, tensors = read_safetensors(path)
    return raw_to_torch(tensors["input"]).double(), raw_to_torch(tensors["cotangent"]).double()


@dataclass(frozen=True)
class Cell:
    """One (L, w, B) of the grid and its two files."""

    layers: int
    width: int
    batch: int
    model_path: str
    io_path: str

    @property
    def key(self) -> Tuple[int, int, int]:
        return self.layers, self.width, self.batch


def find_cells(models_dir: str, only: Optional[List[Tuple[int, int, int]]] = None) -> List[Cell]:
    """Every (L, w, B) with an io file and its model file in the folder, headers checked, sorted by size."""
    if not os.path.isdir(models_dir):
        raise FileFormatError(f"{models_dir}: no such folder (expected the models the GPU bench saved with --save-models)")
    names = sorted(os.listdir(models_dir))
    cells = []
    checked_models: Dict[str, str] = {}
    for name in names:
        m = IO_NAME.match(name)
        if not m:
            continue
        L, w, B = (int(g) for g in m.groups())
        if only and (L, w, B) not in only:
            continue
        model_path = os.path.join(models_dir, f"mlp_L{L}_w{w}.safetensors")
        if not os.path.isfile(model_path):
            raise FileFormatError(f"{model_path}: missing (needed by {name})")
        if model_path not in checked_models:
            checked_models[model_path] = check_model_header(model_path, L, w)[2]
        io_path = os.path.join(models_dir, name)
        check_io_header(io_path, w, B)
        cells.append(Cell(L, w, B, model_path, io_path))
    if not cells:
        what = f" matching --only {only}" if only else ""
        raise FileFormatError(f"{models_dir}: no io_L{{L}}_w{{w}}_b{{B}}.safetensors files{what}")
    return sorted(cells, key=lambda c: (c.layers * c.width * c.width * c.batch, c.key))


# --------------------------------------------------------------------------------------------------
# Activations
# --------------------------------------------------------------------------------------------------

def activate(name: str, x: "torch.Tensor") -> "torch.Tensor":
    """act(x), out of place. gelu is the exact (erf) one, as in the .NET code."""
    if name == "tanh":
        return torch.tanh(x)
    if name == "relu":
        return torch.relu(x)
    if name == "gelu":
        return torch.nn.functional.gelu(x)
    if name == "sigmoid":
        return torch.sigmoid(x)
    if name == "identity":
        return x
    raise ValueError(f"unknown activation {name}")


def activate_(name: str, x: "torch.Tensor") -> "torch.Tensor":
    """act(x) in place where torch has an in-place op (gelu has none: out of place)."""
    if name == "tanh":
        return x.tanh_()
    if name == "relu":
        return x.relu_()
    if name == "sigmoid":
        return x.sigmoid_()
    if name == "gelu":
        return torch.nn.functional.gelu(x)
    if name == "identity":
        return x
    raise ValueError(f"unknown activation {name}")


def activation_derivative(name: str, pre: "torch.Tensor") -> "torch.Tensor":
    """act'(pre), elementwise."""
    if name == "tanh":
        return 1 - torch.tanh(pre).square()
    if name == "relu":
        return (pre > 0).to(pre.dtype)
    if name == "gelu":
        return 0.5 * (1 + torch.erf(pre * (1 / math.sqrt(2)))) + pre * torch.exp(-0.5 * pre.square()) * (1 / math.sqrt(2 * math.pi))
    if name == "sigmoid":
        s = torch.sigmoid(pre)
        return s * (1 - s)
    if name == "identity":
        return torch.ones_like(pre)
    raise ValueError(f"unknown activation {name}")


# --------------------------------------------------------------------------------------------------
# The layer-by-layer network (torch_eager, torch_graph and the float64 reference)
# --------------------------------------------------------------------------------------------------

@dataclass
class LayerByLayer:
    """The network as L separate parameters, as nn.Linear layers hold them: W_i^T (w, w) and b_i (w)."""

    weights_t: List["torch.Tensor"]
    biases: List["torch.Tensor"]
    activation: str

    @staticmethod
    def of(model: Mlp, requires_grad: bool = False) -> "LayerByLayer":
        wt = [model.weights[i].t().contiguous().requires_grad_(requires_grad) for i in range(model.layers)]
        b = [model.biases[i].clone().requires_grad_(requires_grad) for i in range(model.layers)]
        return LayerByLayer(wt, b, model.activation)

    def leaves(self, x: "torch.Tensor") -> List["torch.Tensor"]:
        """[x, W_0^T.., b_0..]: what the backward pass differentiates."""
        return [x] + self.weights_t + self.biases

    def forward(self, x: "torch.Tensor") -> "torch.Tensor":
        """z_L: addmm + in-place activation, layer by layer."""
        z = x
        for wt, b in zip(self.weights_t, self.biases):
            z = activate_(self.activation, torch.addmm(b, z, wt))
        return z

    def forward_states(self, x: "torch.Tensor") -> List["torch.Tensor"]:
        """[z_1, .., z_L] with the same ops as forward()."""
        states = []
        z = x
        for wt, b in zip(self.weights_t, self.biases):
            z = activate_(self.activation, torch.addmm(b, z, wt))
            states.append(z)
        return states

    def loss(self, x: "torch.Tensor", cotangent: "torch.Tensor") -> "torch.Tensor":
        """sum(z_L * cotangent), building the autograd graph when the leaves require it."""
        return (self.forward(x) * cotangent).sum()

    def gradients(self, x: "torch.Tensor", cotangent: "torch.Tensor") -> List["torch.Tensor"]:
        """Gradients of the loss w.r.t. [x, W^T.., b..] by autograd (x must require grad)."""
        return list(torch.autograd.grad(self.loss(x, cotangent), self.leaves(x)))


def gradients_as_model(grads: Sequence["torch.Tensor"], layers: int) -> List["torch.Tensor"]:
    """[dx, dW (L, w, w) in W's layout, db (L, w)] from the leaf gradients [dx, dW^T.., db..]."""
    dx = grads[0]
    dw = torch.stack([g.t() for g in grads[1:1 + layers]])
    db = torch.stack(list(grads[1 + layers:1 + 2 * layers]))
    return [dx, dw, db]


@dataclass
class Reference:
    """Float64 sequential results: states (L, B, w) and [dx, dW, db]."""

    states: "torch.Tensor"
    gradients: List["torch.Tensor"]


def float64_reference(model: Mlp, x: "torch.Tensor", cotangent: "torch.Tensor") -> Reference:
    """The float64 sequential forward states and autograd gradients on the model's device."""
    m64 = model.to(model.weights.device, torch.float64)
    with torch.no_grad():
        states = torch.stack(LayerByLayer.of(m64).forward_states(x.double()))
    net = LayerByLayer.of(m64, requires_grad=True)
    x_leaf = x.double().clone().requires_grad_(True)
    with torch.enable_grad():
        grads = gradients_as_model(net.gradients(x_leaf, cotangent.double()), model.layers)
    return Reference(states, [g.detach() for g in grads])


def pooled_rel_error(values: Sequence["torch.Tensor"], reference: Sequence["torch.Tensor"]) -> float:
    """max|value - ref| / max|ref| over all tensors at once (max|delta| when the reference is all zero)."""
    delta = 0.0
    scale = 0.0
    for v, r in zip(values, reference):
        r64 = r.double()
        d = (v.double() - r64).abs().max().item()
        delta = d if math.isnan(d) else max(delta, d)
        scale = max(scale, r64.abs().max().item())
        if math.isnan(delta):
            return float("nan")
    return delta / scale if scale > 0 else delta


# --------------------------------------------------------------------------------------------------
# DeepPCR in plain PyTorch ops
# --------------------------------------------------------------------------------------------------

def pcr_rounds_for(layers: int) -> int:
    """ceil(log2 L): the PCR rounds of one solve."""
    return 0 if layers <= 1 else math.ceil(math.log2(layers))


def pcr_solve(a: "torch.Tensor", c: "torch.Tensor") -> Tuple["torch.Tensor", int]:
    """Solves d_l = A_l d_{l-1} + c_l (l = 0..L-1, d_{-1} = 0, so A_0 is never used) by Parallel Cyclic Reduction.

    a: (L, B, w, w), c: (L, B, w); returns (d (L, B, w), rounds = ceil(log2 L)). For s = 1, 2, 4, .. < L and
    every row l >= s at once, from the previous round's values: c_l += A_l c_{l-s}, A_l <- A_l A_{l-s};
    rows l < s are solved and left alone (their A rows are zeroed in the new buffer so that they stay
    finite). Two ping-pong buffers of A; `a` and `c` are not modified.
    """
    L, B, w = c.shape
    rounds = 0
    s = 1
    a_src, a_bufs = a, [None, None]
    while s < L:
        c_next = torch.empty_like(c)
        c_next[:s].copy_(c[:s])
        torch.baddbmm(c[s:].reshape(-1, w, 1), a_src[s:].reshape(-1, w, w), c[:-s].reshape(-1, w, 1),
                      out=c_next[s:].view(-1, w, 1))
        if 2 * s < L:  # the last round needs no new A
            dst = a_bufs[rounds % 2]
            if dst is None:
                dst = a_bufs[rounds % 2] = torch.empty((L, B, w, w), dtype=a.dtype, device=a.device)
            dst[:s].zero_()
            torch.bmm(a_src[s:].reshape(-1, w, w), a_src[:-s].reshape(-1, w, w), out=dst[s:].view(-1, w, w))
            a_src = dst
        c = c_next
        s *= 2
        rounds += 1
    return c, rounds


@dataclass
class DeepPcrForward:
    """A DeepPCR forward solve: states (L, B, w), Newton iterations, whether it converged, PCR rounds per solve."""

    states: "torch.Tensor"
    iterations: int
    converged: bool
    pcr_rounds: int
    by_construction: bool = False  # converged because L undamped Newton steps were taken, not by the stop rule

    @property
    def termination(self) -> str:
        return "converged" if self.converged else "iteration_limit"


def layer_inputs(x: "torch.Tensor", states: "torch.Tensor") -> "torch.Tensor":
    """(z_0, .., z_{L-1}) stacked: the input of every layer."""
    return torch.cat([x.unsqueeze(0), states[:-1]], 0)


def deeppcr_forward(model: Mlp, x: "torch.Tensor", atol: float = ATOL, rtol: float = RTOL,
                    max_iterations: Optional[int] = None) -> DeepPcrForward:
    """Newton's method from zeros on r_l = f_l(z_{l-1}) - z_l, each step solved by PCR (correction form z += d).

    Stops when every element satisfies |d| <= atol + rtol |z| (z after the update), or after max_iterations
    (default L). Undamped Newton makes layer k exact after k iterations, so L iterations are exact by
    construction (DESIGN.md 1.1): such a run counts as converged, with `by_construction` set.
    """
    W, b, act = model.weights, model.biases, model.activation
    L = model.layers
    wt = W.transpose(1, 2)
    bias = b.unsqueeze(1)
    z = torch.zeros((L,) + tuple(x.shape), dtype=x.dtype, device=x.device)
    max_iterations = L if max_iterations is None else max_iterations
    rounds = pcr_rounds_for(L)
    for iteration in range(1, max_iterations + 1):
        pre = torch.baddbmm(bias, layer_inputs(x, z), wt)             # (L, B, w): W_l z_{l-1} + b_l
        residual = activate(act, pre) - z
        jac = activation_derivative(act, pre).unsqueeze(-1) * W.unsqueeze(1)  # (L, B, w, w): diag(act') W_l
        d, rounds = pcr_solve(jac, residual)
        z = z + d
        if bool((d.abs() <= atol + rtol * z.abs()).all()):
            return DeepPcrForward(z, iteration, True, rounds)
    return DeepPcrForward(z, max_iterations, max_iterations >= L, rounds, by_construction=max_iterations >= L)


def deeppcr_backward(model: Mlp, x: "torch.Tensor", states: "torch.Tensor", cotangent: "torch.Tensor"
                     ) -> Tuple[List["torch.Tensor"], int]:
    """Gradients of sum(z_L * cotangent) at converged states: ([dx, dW (L, w, w), db (L, w)], PCR rounds).

    lambda_L = g, lambda_{l-1} = J_l^T lambda_l: one PCR solve on the reversed chain with the transposed
    Jacobians J_l = diag(act'(pre_l)) W_l at the states; then delta_l = act'(pre_l) * lambda_l,
    dW_l = delta_l^T z_{l-1}, db_l = sum over the batch of delta_l, dx = J_1^T lambda_1 = W_1^T delta_1.
    """
    W, b, act = model.weights, model.biases, model.activation
    L = model.layers
    inputs = layer_inputs(x, states)
    pre = torch.baddbmm(b.unsqueeze(1), inputs, W.transpose(1, 2))
    slope = activation_derivative(act, pre)                           # (L, B, w)
    # Reversed chain: u_k = lambda_{L-k} (0-based k), u_0 = g, u_k = J_{L-k}^T u_{k-1} (J 0-based by layer).
    a_rev = torch.empty((L,) + tuple(slope.shape[1:]) + (slope.shape[-1],), dtype=x.dtype, device=x.device)
    a_rev[0].zero_()
    if L > 1:
        torch.mul(W.transpose(1, 2).flip(0)[:-1].unsqueeze(1), slope.flip(0)[:-1].unsqueeze(-2), out=a_rev[1:])
    c_rev = torch.zeros_like(states)
    c_rev[0].copy_(cotangent)
    u, rounds = pcr_solve(a_rev, c_rev)
    lam = u.flip(0)
    delta = slope * lam
    dw = torch.bmm(delta.transpose(1, 2), inputs)
    db = delta.sum(1)
    dx = delta[0] @ W[0]
    return [dx, dw, db], rounds


# --------------------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------------------

class Timer:
    """Times one call: CUDA events around it on a GPU (after a synchronize), perf_counter on a CPU."""

    def __init__(self, device: "torch.device"):
        self.cuda = device.type == "cuda"

    def sync(self) -> None:
        if self.cuda:
            torch.cuda.synchronize()

    def __call__(self, fn: Callable[[], object]) -> float:
        """Milliseconds of fn()."""
        if self.cuda:
            torch.cuda.synchronize()
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            fn()
            end.record()
            end.synchronize()
            return start.elapsed_time(end)
        t0 = time.perf_counter()
        fn()
        return (time.perf_counter() - t0) * 1e3


@dataclass
class Case:
    """One timed callable of a cell, and the method it belongs to."""

    label: str
    method: str
    fn: Callable[[], object]
    times: List[float] = field(default_factory=list)
    error: Optional[str] = None

    @property
    def median(self) -> Optional[float]:
        return statistics.median(self.times) if self.times and self.error is None else None


def measure(cases: List[Case], timer: Timer, repeats: int, deadline: float, log: Callable[[str], None]) -> str:
    """Warm-up once, then `repeats` interleaved repetitions with the order rotated by the repetition.

    A case that raises is marked with its error and dropped (its method's other cases go too). Fewer
    repetitions run when the deadline would be passed; returns a note saying so ("" otherwise).
    """
    def run(case: Case) -> Optional[float]:
        try:
            return timer(case.fn)
        except Exception as e:  # OOM, CUDA errors: recorded per method
            fail(case.method, f"{type(e).__name__}: {first_line(e)}")
            return None

    def fail(method: str, message: str) -> None:
        log(f"  {method} failed: {message}")
        for c in cases:
            if c.method == method and c.error is None:
                c.error = message
        release_memory()

    t0 = time.perf_counter()
    for case in cases:
        if case.error is None:
            run(case)
    warm = time.perf_counter() - t0
    reps = repeats
    left = deadline - time.perf_counter()
    if warm * repeats > left:
        reps = max(0, int(left / max(warm, 1e-9)))
    if reps == 0:
        for c in cases:
            if c.error is None:
                c.error = "not_run: time budget spent after the warm-up"
        return "not timed: time budget"
    for r in range(reps):
        live = [c for c in cases if c.error is None]
        k = r % max(1, len(live))
        for case in live[k:] + live[:k]:
            if case.error is None:
                t = run(case)
                if t is not None:
                    case.times.append(t)
    return f"repeats={reps} (time budget)" if reps < repeats else ""


def first_line(e: BaseException) -> str:
    """The first line of an exception's message (CUDA errors are long)."""
    text = str(e).strip().splitlines()
    return text[0][:300] if text else ""


def release_memory() -> None:
    """Frees cached GPU memory after a failure or a cell."""
    if torch is not None and torch.cuda.is_available():
        try:
            torch.cuda.empty_cache()
        except Exception:  # a sticky CUDA error: the next cell will report it
            pass


# --------------------------------------------------------------------------------------------------
# One cell
# --------------------------------------------------------------------------------------------------

@dataclass
class Row:
    """One line of peers.csv / one measurement object of peers.json."""

    layers: int
    width: int
    batch: int
    pass_: str
    method: str
    ms: Optional[float] = None
    iterations: Optional[int] = None
    pcr_rounds: Optional[int] = None
    max_rel_error: Optional[float] = None
    note: str = ""
    extra: Dict[str, object] = field(default_factory=dict)

    def csv_values(self) -> List[str]:
        def fmt(v):
            if v is None:
                return ""
            if isinstance(v, float):
                return f"{v:.6g}"
            return str(v)
        return [fmt(v) for v in (self.layers, self.width, self.batch, self.pass_, self.method, self.ms,
                                 self.iterations, self.pcr_rounds, self.max_rel_error, self.note)]

    def json_object(self) -> Dict[str, object]:
        obj: Dict[str, object] = {"layers": self.layers, "width": self.width, "batch": self.batch, "pass": self.pass_,
                                  "method": self.method, "ms": self.ms, f"{self.method}_ms": self.ms,
                                  "iterations": self.iterations, "pcr_rounds": self.pcr_rounds,
                                  "max_rel_error": None if self.max_rel_error is None or math.isnan(self.max_rel_error) else self.max_rel_error,
                                  "note": self.note}
        obj.update(self.extra)
        return obj


class GraphRunner:
    """The layer-by-layer loops captured in CUDA graphs: forward (inference), forward with the graph, forward + backward."""

    def __init__(self, model: Mlp, x: "torch.Tensor", cotangent: "torch.Tensor", warmups: int = 3):
        self.net = LayerByLayer.of(model)
        self.train_net = LayerByLayer.of(model, requires_grad=True)
        self.x = x.clone()
        self.x_leaf = x.clone().requires_grad_(True)
        self.cotangent = cotangent.clone()
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):  # warm-up on a side stream, as the CUDA-graph docs ask
            for _ in range(warmups):
                with torch.no_grad():
                    self.net.forward_states(self.x)
                self.train_net.gradients(self.x_leaf, self.cotangent)
        torch.cuda.current_stream().wait_stream(side)
        torch.cuda.synchronize()
        self.forward_graph = torch.cuda.CUDAGraph()
        with torch.no_grad(), torch.cuda.graph(self.forward_graph):
            self.states = self.net.forward_states(self.x)
        self.with_graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self.with_graph):
            self.loss = self.train_net.loss(self.x_leaf, self.cotangent)
        self.backward_graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self.backward_graph):
            self.grads = self.train_net.gradients(self.x_leaf, self.cotangent)
        torch.cuda.synchronize()


def run_cell(cell: Cell, device: "torch.device", repeats: int, deadline: float, log: Callable[[str], None],
             methods: Sequence[str] = METHODS) -> List[Row]:
    """Measures one cell with the given methods; every method's failure becomes a row with its message in `note`."""
    L, w, B = cell.key
    model64 = load_model(cell.model_path)
    x64, cot64 = load_io(cell.io_path, w)
    model = model64.to(device, torch.float32)
    x, cot = x64.to(device, torch.float32), cot64.to(device, torch.float32)
    log(f"L={L} w={w} B={B} ({model.activation}): float64 reference")
    ref = float64_reference(model64.to(device, torch.float64), x64.to(device), cot64.to(device))
    timer = Timer(device)
    cases: List[Case] = []
    fwd_err: Dict[str, Optional[float]] = {}
    bwd_err: Dict[str, Optional[float]] = {}
    setup_errors: Dict[str, str] = {}
    info: Dict[str, object] = {}

    def setup(method: str, fn: Callable[[], None]) -> None:
        try:
            fn()
        except Exception as e:
            setup_errors[method] = f"{type(e).__name__}: {first_line(e)}"
            log(f"  {method} setup failed: {setup_errors[method]}")
            release_memory()

    def eager() -> None:
        net = LayerByLayer.of(model)
        train = LayerByLayer.of(model, requires_grad=True)
        x_leaf = x.clone().requires_grad_(True)
        with torch.no_grad():
            fwd_err["torch_eager"] = pooled_rel_error(net.forward_states(x), list(ref.states))
        bwd_err["torch_eager"] = pooled_rel_error(gradients_as_model(train.gradients(x_leaf, cot), L), ref.gradients)

        def forward():
            with torch.inference_mode():
                return net.forward(x)
        cases.append(Case("eager_forward", "torch_eager", forward))
        cases.append(Case("eager_forward_graph", "torch_eager", lambda: train.loss(x_leaf, cot)))
        cases.append(Case("eager_forward_backward", "torch_eager", lambda: train.gradients(x_leaf, cot)))

    def graph() -> None:
        runner = GraphRunner(model, x, cot)
        runner.forward_graph.replay()
        runner.backward_graph.replay()
        torch.cuda.synchronize()
        fwd_err["torch_graph"] = pooled_rel_error(runner.states, list(ref.states))
        bwd_err["torch_graph"] = pooled_rel_error(gradients_as_model(runner.grads, L), ref.gradients)
        cases.append(Case("graph_forward", "torch_graph", runner.forward_graph.replay))
        cases.append(Case("graph_forward_graph", "torch_graph", runner.with_graph.replay))
        cases.append(Case("graph_forward_backward", "torch_graph", runner.backward_graph.replay))

    def deeppcr() -> None:
        with torch.no_grad():
            result = deeppcr_forward(model, x)
            grads, rounds = deeppcr_backward(model, x, result.states, cot)
        fwd_err["torch_deeppcr"] = pooled_rel_error([result.states], [ref.states])
        bwd_err["torch_deeppcr"] = pooled_rel_error(grads, ref.gradients)
        info.update(iterations=result.iterations, termination=result.termination, pcr_rounds=result.pcr_rounds,
                    backward_pcr_rounds=rounds, by_construction=result.by_construction)
        states = result.states

        def forward():
            with torch.no_grad():
                return deeppcr_forward(model, x)

        def backward():
            with torch.no_grad():
                return deeppcr_backward(model, x, states, cot)
        cases.append(Case("deeppcr_forward", "torch_deeppcr", forward))
        cases.append(Case("deeppcr_backward", "torch_deeppcr", backward))

    if "torch_eager" in methods:
        setup("torch_eager", eager)
    if "torch_graph" not in methods:
        pass
    elif device.type == "cuda":
        setup("torch_graph", graph)
    else:
        setup_errors["torch_graph"] = "skipped: CUDA graphs need --device cuda"
    if "torch_deeppcr" in methods:
        setup("torch_deeppcr", deeppcr)
    log(f"  timing {len(cases)} cases x {repeats} repetitions")
    budget_note = measure(cases, timer, repeats, deadline, log)
    by_label = {c.label: c for c in cases}
    rows = []
    for method in [m for m in METHODS if m in methods]:
        for pass_ in ("forward", "backward"):
            rows.append(make_row(cell, method, pass_, by_label, setup_errors, fwd_err, bwd_err, info, budget_note))
    release_memory()
    return rows


def make_row(cell: Cell, method: str, pass_: str, by_label: Dict[str, Case], setup_errors: Dict[str, str],
             fwd_err: Dict[str, Optional[float]], bwd_err: Dict[str, Optional[float]], info: Dict[str, object],
             budget_note: str) -> Row:
    """One row: the median (a difference of medians for the layer-by-layer backward), errors and notes."""
    L, w, B = cell.key
    row = Row(L, w, B, pass_, method)
    row.max_rel_error = (fwd_err if pass_ == "forward" else bwd_err).get(method)
    if method in setup_errors:
        row.note = setup_errors[method]
        return row
    prefix = {"torch_eager": "eager", "torch_graph": "graph", "torch_deeppcr": "deeppcr"}[method]
    notes = []
    if method == "torch_deeppcr":
        case = by_label[f"{prefix}_{pass_}"]
        row.ms = case.median
        row.iterations = info["iterations"] if pass_ == "forward" else 0
        row.pcr_rounds = info["pcr_rounds"] if pass_ == "forward" else info["backward_pcr_rounds"]
        row.extra["termination"] = info["termination"] if pass_ == "forward" else "converged"
        row.extra["fallback"] = "none"
        if pass_ == "forward":
            notes.append(str(info["termination"]))
            if info["by_construction"]:
                notes.append("after L iterations: exact by construction, stop rule not met")
        errors = [case.error]
    elif pass_ == "forward":
        case = by_label[f"{prefix}_forward"]
        row.ms = case.median
        errors = [case.error]
    else:
        both = by_label[f"{prefix}_forward_backward"], by_label[f"{prefix}_forward_graph"]
        errors = [c.error for c in both]
        if all(c.median is not None for c in both):
            row.ms = both[0].median - both[1].median
            row.extra.update({f"{method}_forward_backward_ms": both[0].median, f"{method}_forward_graph_ms": both[1].median})
            notes.append("(forward+backward) - forward with graph")
            if row.ms <= 0:
                notes.append("non-positive difference: noise exceeds the backward time")
    errors = [e for e in errors if e]
    if errors:
        row.ms = None
        notes.append(errors[0])
    if method == "torch_deeppcr" and row.max_rel_error is not None:
        notes.append(check_note(row.max_rel_error, (fwd_err if pass_ == "forward" else bwd_err).get("torch_eager")))
    if budget_note and not errors:
        notes.append(budget_note)
    row.note = "; ".join(n for n in notes if n)
    return row


def check_note(error: float, eager_error: Optional[float]) -> str:
    """'check ok' when DeepPCR's error is within 1e-4 + 10x the layer-by-layer float32 loop's, else 'check FAILED'."""
    bound = 1e-4 + 10 * (eager_error if eager_error is not None and not math.isnan(eager_error) else 0.0)
    if math.isnan(error) or error > bound:
        return f"check FAILED: max_rel_error {error:.3g} > {bound:.3g}"
    return "check ok"


# --------------------------------------------------------------------------------------------------
# Output and the command line
# --------------------------------------------------------------------------------------------------

class Output:
    """peers.csv (appended, flushed per row) and peers.json (rewritten after every cell)."""

    def __init__(self, out_dir: str, envelope: Dict[str, object]):
        os.makedirs(out_dir, exist_ok=True)
        self.csv_path = os.path.join(out_dir, "peers.csv")
        self.json_path = os.path.join(out_dir, "peers.json")
        self.envelope = envelope
        self.rows: List[Row] = []
        self.cells_not_run: List[Dict[str, object]] = []
        fresh = not os.path.exists(self.csv_path) or os.path.getsize(self.csv_path) == 0
        if not fresh:
            with open(self.csv_path, newline="") as f:
                if next(csv.reader(f), None) != CSV_COLUMNS:
                    raise FileFormatError(f"{self.csv_path}: exists with other columns; move it away or pick another --out")
        self.csv_file = open(self.csv_path, "a", newline="")
        self.writer = csv.writer(self.csv_file)
        if fresh:
            self.writer.writerow(CSV_COLUMNS)
            self.csv_file.flush()

    def add(self, row: Row) -> None:
        self.rows.append(row)
        self.writer.writerow(row.csv_values())
        self.csv_file.flush()

    def write_json(self, status: str) -> None:
        doc = dict(self.envelope)
        doc["status"] = status
        doc["measurements"] = [r.json_object() for r in self.rows]
        doc["cells_not_run"] = self.cells_not_run
        tmp = self.json_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(doc, f, indent=1, allow_nan=False, default=str)
        os.replace(tmp, self.json_path)

    def close(self) -> None:
        self.csv_file.close()


def git_sha() -> str:
    """The commit of this checkout ("-dirty" when tracked files changed), or "unknown" outside git."""
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        sha = subprocess.run(["git", "-C", here, "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", here, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return (sha + ("-dirty" if dirty else "")) if sha else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def make_envelope(device: "torch.device") -> Dict[str, object]:
    """Provenance only (docs/measuring.md)."""
    env: Dict[str, object] = {
        "dtype": "float32",
        "threads": f"torch intra-op threads {torch.get_num_threads()}",
        "jit": f"PyTorch {torch.__version__} eager ops" + (" and CUDA graphs" if device.type == "cuda" else ""),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, {platform.platform()}, Python {platform.python_version()}, torch {torch.__version__}",
        "git_sha": git_sha(),
        "command": " ".join([os.path.basename(sys.executable)] + sys.argv),
        "stop_rule": f"|d| <= {ATOL} + {RTOL} |z| per element, at most L iterations, Newton from zeros",
    }
    if device.type == "cuda":
        env["device"] = torch.cuda.get_device_name(device)
        env["machine"] = f"{env['machine']}, CUDA {torch.version.cuda}, {env['device']}"
    return env


def parse_only(values: Optional[List[str]]) -> Optional[List[Tuple[int, int, int]]]:
    """--only L,w,B (repeatable) -> [(L, w, B)]."""
    if not values:
        return None
    cells = []
    for v in values:
        parts = v.split(",")
        if len(parts) != 3 or not all(p.strip().isdigit() for p in parts):
            raise argparse.ArgumentTypeError(f"--only {v}: expected L,w,B such as 64,4,1")
        cells.append(tuple(int(p) for p in parts))
    return cells


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                epilog="Exit status: 0 done (also when the budget ran out), 1 interrupted, 2 bad arguments or a missing/malformed file.")
    p.add_argument("--models", required=True, help="folder with mlp_L{L}_w{w}.safetensors and io_L{L}_w{w}_b{B}.safetensors")
    p.add_argument("--out", required=True, help="output folder for peers.csv (appended) and peers.json")
    p.add_argument("--device", default="cuda", choices=["cuda", "cpu"], help="where to run (default cuda)")
    p.add_argument("--repeats", type=int, default=5, help="timed repetitions per case, interleaved (default 5; at least 5 for a median)")
    p.add_argument("--budget-s", type=float, default=float("inf"), help="stop cleanly after this many seconds: cells not started are listed as not run")
    p.add_argument("--only", action="append", metavar="L,w,B", help="measure only this cell (repeatable)")
    p.add_argument("--threads", type=int, default=0, help="torch intra-op threads on a CPU (default: torch's)")
    p.add_argument("--methods", type=parse_methods, default=list(METHODS),
                   help=f"comma-separated methods to run (default all: {','.join(METHODS)})")
    return p


def parse_methods(text: str) -> List[str]:
    """--methods torch_eager,torch_deeppcr -> ['torch_eager', 'torch_deeppcr'] (known names, at least one)."""
    names = [m.strip() for m in text.split(",") if m.strip()]
    unknown = [m for m in names if m not in METHODS]
    if not names or unknown:
        raise argparse.ArgumentTypeError(f"--methods {text}: expected a comma-separated list of {', '.join(METHODS)}")
    return names


class Interrupted(Exception):
    """SIGTERM (for example from `timeout`): stop and write what was measured."""


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    start = time.perf_counter()
    deadline = start + args.budget_s

    def log(msg: str) -> None:
        print(f"[peers {time.perf_counter() - start:6.1f}s] {msg}", file=sys.stderr, flush=True)

    if torch is None:
        print("error: torch is not installed; mlp_peers.py needs PyTorch", file=sys.stderr)
        return 2
    if args.repeats < 1:
        print("error: --repeats must be at least 1", file=sys.stderr)
        return 2
    try:
        only = parse_only(args.only)
        cells = find_cells(args.models, only)
    except (FileFormatError, argparse.ArgumentTypeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.device == "cuda" and not torch.cuda.is_available():
        print("error: --device cuda but torch.cuda.is_available() is False (use --device cpu)", file=sys.stderr)
        return 2
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    try:
        out = Output(args.out, make_envelope(device))
    except FileFormatError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

    def on_term(signum, frame):
        raise Interrupted()
    signal.signal(signal.SIGTERM, on_term)
    log(f"{len(cells)} cells on {out.envelope.get('device', args.device)}; budget {args.budget_s} s; writing {out.csv_path}")
    status = "complete"
    try:
        for i, cell in enumerate(cells):
            if time.perf_counter() >= deadline:
                status = "budget spent"
                out.cells_not_run.extend({"layers": c.layers, "width": c.width, "batch": c.batch, "reason": "time budget"} for c in cells[i:])
                log(f"budget spent: {len(cells) - i} cells not run")
                break
            try:
                rows = run_cell(cell, device, args.repeats, deadline, log, args.methods)
            except FileFormatError as e:
                print(f"error: {e}", file=sys.stderr)
                out.write_json("bad file")
                return 2
            except Exception as e:  # OOM or a CUDA error outside one method: the whole cell
                message = f"{type(e).__name__}: {first_line(e)}"
                log(f"  cell failed: {message}")
                release_memory()
                rows = [Row(*cell.key, pass_, method, note=message) for method in args.methods for pass_ in ("forward", "backward")]
            for row in rows:
                out.add(row)
                log(f"  {row.pass_:8} {row.method:14} ms={row.csv_values()[5] or '-':>10} err={row.csv_values()[8] or '-':>10} {row.note}")
            out.write_json("running")
    except (Interrupted, KeyboardInterrupt):
        status = "interrupted"
        log("interrupted: writing what was measured")
        out.write_json(status)
        out.close()
        return 1
    out.write_json(status)
    out.close()
    log(f"done ({status}) in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
