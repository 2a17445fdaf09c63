#!/usr/bin/env python3
"""Tests of bench/peers (stdlib unittest): python3 bench/peers/test_peers.py -v

- the safetensors reader on files of the script's own writer, and on bad files (truncated, bad header, ...)
- the model/io file checks and the command line's exit 2 for a missing or malformed file
- PCR against a sequential loop; torch_deeppcr forward and backward against float64 sequential autograd at
  tiny sizes (L in 1, 2, 3, 5, 17; w in 1, 3, 8) on the CPU
- merge.py on small hand-made CSVs
- the peers end to end on the CPU on a tiny models folder from make_models.py

Tests that need torch are skipped (with the reason) where torch is not installed.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import struct
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import make_models  # noqa: E402
import merge  # noqa: E402
import mlp_peers as mp  # noqa: E402
from mlp_peers import FileFormatError, RawTensor  # noqa: E402

torch = mp.torch
needs_torch = unittest.skipIf(torch is None, "torch is not installed")


def quiet(fn, *args):
    """Calls fn(*args) with stderr captured; returns (result, stderr text)."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        result = fn(*args)
    return result, err.getvalue()


class SafetensorsTests(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.dir.name, "t.safetensors")

    def tearDown(self):
        self.dir.cleanup()

    def write_sample(self):
        tensors = {"a": mp.raw_from_floats([1.5, -2.0, 3.25, 0.0, 1e-3, 7.0], (2, 3), "F32"),
                   "b": mp.raw_from_floats([math.pi, -1e300], (2,), "F64"),
                   "empty": mp.raw_from_floats([], (0, 4), "F32")}
        mp.write_safetensors(self.path, tensors, {"activation": "tanh", "note": "x"})
        return tensors

    def test_round_trip(self):
        tensors = self.write_sample()
        metadata, read = mp.read_safetensors(self.path)
        self.assertEqual(metadata, {"activation": "tanh", "note": "x"})
        self.assertEqual(set(read), {"a", "b", "empty"})
        self.assertEqual(read["a"].shape, (2, 3))
        self.assertEqual(read["a"].values(), [1.5, -2.0, 3.25, 0.0, struct.unpack("<f", struct.pack("<f", 1e-3))[0], 7.0])
        self.assertEqual(read["b"].values(), [math.pi, -1e300])
        self.assertEqual(read["empty"].values(), [])
        self.assertEqual(read["a"].data, tensors["a"].data)

    def test_header_is_padded_to_8_bytes(self):
        self.write_sample()
        with open(self.path, "rb") as f:
            (n,) = struct.unpack("<Q", f.read(8))
        self.assertEqual(n % 8, 0)

    @needs_torch
    def test_torch_conversion_round_trip(self):
        t = torch.randn(3, 4, dtype=torch.float64)
        raw = mp.raw_from_torch(t)
        self.assertEqual(raw.dtype, "F64")
        self.assertTrue(torch.equal(mp.raw_to_torch(raw), t))
        t32 = t.float()
        self.assertTrue(torch.equal(mp.raw_to_torch(mp.raw_from_torch(t32)), t32))

    def assert_bad(self, blob: bytes, fragment: str):
        with open(self.path, "wb") as f:
            f.write(blob)
        with self.assertRaises(FileFormatError) as ctx:
            mp.read_safetensors(self.path)
        self.assertIn(fragment, str(ctx.exception))
        self.assertIn(self.path, str(ctx.exception))
        with self.assertRaises(FileFormatError):
            mp.read_safetensors_header(self.path)

    def good_blob(self) -> bytes:
        self.write_sample()
        with open(self.path, "rb") as f:
            return f.read()

    def test_truncated_data(self):
        self.assert_bad(self.good_blob()[:-3], "truncated")

    def test_truncated_header(self):
        self.assert_bad(self.good_blob()[:20], "does not fit")

    def test_too_short(self):
        self.assert_bad(b"\x01\x02", "too short")

    def test_header_not_json(self):
        text = b"{not json}      "
        self.assert_bad(struct.pack("<Q", len(text)) + text, "not valid JSON")

    def test_header_not_object(self):
        text = b"[1,2]   "
        self.assert_bad(struct.pack("<Q", len(text)) + text, "not a JSON object")

    def test_bad_dtype(self):
        text = json.dumps({"a": {"dtype": "I64", "shape": [1], "data_offsets": [0, 8]}}).encode()
        self.assert_bad(struct.pack("<Q", len(text)) + text + bytes(8), "F32 or F64")

    def test_size_mismatch(self):
        text = json.dumps({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}).encode()
        self.assert_bad(struct.pack("<Q", len(text)) + text + bytes(8), "bytes for shape")

    def test_missing_file(self):
        with self.assertRaises(FileFormatError) as ctx:
            mp.read_safetensors(os.path.join(self.dir.name, "nope.safetensors"))
        self.assertIn("cannot be read", str(ctx.exception))


class ModelFileTests(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.models = self.dir.name

    def tearDown(self):
        self.dir.cleanup()

    def model(self, name="mlp_L2_w3.safetensors", layers=2, width=3, activation="tanh", drop=None, dtype="F32"):
        tensors = {}
        for i in range(layers):
            tensors[f"layers.{i}.weight"] = mp.raw_from_floats([0.1] * width * width, (width, width), dtype)
            tensors[f"layers.{i}.bias"] = mp.raw_from_floats([0.0] * width, (width,), dtype)
        if drop:
            del tensors[drop]
        meta = {"activation": activation} if activation else {}
        path = os.path.join(self.models, name)
        mp.write_safetensors(path, tensors, meta)
        return path

    def io(self, name="io_L2_w3_b4.safetensors", batch=4, width=3, cot_width=None):
        path = os.path.join(self.models, name)
        mp.write_safetensors(path, {"input": mp.raw_from_floats([0.5] * batch * width, (batch, width)),
                                    "cotangent": mp.raw_from_floats([1.0] * batch * (cot_width or width), (batch, cot_width or width))})
        return path

    def test_good_files(self):
        self.model()
        self.io()
        cells = mp.find_cells(self.models)
        self.assertEqual([c.key for c in cells], [(2, 3, 4)])
        self.assertEqual(mp.check_model_header(cells[0].model_path), (2, 3, "tanh"))

    def test_missing_activation(self):
        path = self.model(activation=None)
        with self.assertRaisesRegex(FileFormatError, "activation"):
            mp.check_model_header(path)

    def test_unknown_activation(self):
        path = self.model(activation="swish")
        with self.assertRaisesRegex(FileFormatError, "unknown activation"):
            mp.check_model_header(path)

    def test_gap_in_layers(self):
        path = self.model(layers=3, drop="layers.1.bias")
        with self.assertRaisesRegex(FileFormatError, "without gaps"):
            mp.check_model_header(path)

    def test_name_disagrees_with_content(self):
        self.model(name="mlp_L2_w3.safetensors", layers=3)
        self.io()
        with self.assertRaisesRegex(FileFormatError, "name says L=2"):
            mp.find_cells(self.models)

    def test_io_shape_mismatch(self):
        self.model()
        self.io(cot_width=2)
        with self.assertRaisesRegex(FileFormatError, "cotangent"):
            mp.find_cells(self.models)

    def test_missing_model_for_io(self):
        self.io()
        with self.assertRaisesRegex(FileFormatError, "missing"):
            mp.find_cells(self.models)

    def test_no_cells(self):
        with self.assertRaisesRegex(FileFormatError, "no io_L"):
            mp.find_cells(self.models)

    def test_only_filter(self):
        self.model()
        self.io()
        self.io(name="io_L2_w3_b1.safetensors", batch=1)
        self.assertEqual([c.key for c in mp.find_cells(self.models, [(2, 3, 1)])], [(2, 3, 1)])

    @needs_torch
    def test_cli_exit_2_on_missing_folder(self):
        code, err = quiet(mp.main, ["--models", os.path.join(self.models, "none"), "--out", self.models, "--device", "cpu"])
        self.assertEqual(code, 2)
        self.assertIn("no such folder", err)

    @needs_torch
    def test_cli_exit_2_on_malformed_file(self):
        self.model()
        path = self.io()
        with open(path, "r+b") as f:
            f.truncate(os.path.getsize(path) - 4)
        code, err = quiet(mp.main, ["--models", self.models, "--out", self.models, "--device", "cpu"])
        self.assertEqual(code, 2)
        self.assertIn("truncated", err)

    @needs_torch
    def test_f64_model_loads(self):
        path = self.model(dtype="F64")
        m = mp.load_model(path)
        self.assertEqual(tuple(m.weights.shape), (2, 3, 3))
        self.assertEqual(m.activation, "tanh")


def sequential_solve(a, c):
    """d_l = A_l d_{l-1} + c_l with d_{-1} = 0, one row after another."""
    out = []
    d = torch.zeros_like(c[0])
    for l in range(c.shape[0]):
        d = (a[l] @ d.unsqueeze(-1)).squeeze(-1) + c[l] if l > 0 else c[0].clone()
        out.append(d)
    return torch.stack(out)


def random_model(L, w, activation, gain=0.9, seed=0, dtype=None):
    g = torch.Generator().manual_seed(seed)
    dtype = dtype or torch.float64
    W = torch.randn(L, w, w, generator=g, dtype=torch.float64) * gain / math.sqrt(w)
    b = torch.randn(L, w, generator=g, dtype=torch.float64) * 0.1
    return mp.Mlp(W.to(dtype), b.to(dtype), activation)


@needs_torch
class DeepPcrTests(unittest.TestCase):
    SIZES = [(L, w) for L in (1, 2, 3, 5, 17) for w in (1, 3, 8)]

    def test_pcr_matches_sequential_loop(self):
        for L in (1, 2, 3, 4, 5, 8, 17, 33):
            for w in (1, 3, 8):
                with self.subTest(L=L, w=w):
                    g = torch.Generator().manual_seed(L * 100 + w)
                    a = torch.randn(L, 2, w, w, generator=g, dtype=torch.float64) / math.sqrt(w)
                    c = torch.randn(L, 2, w, generator=g, dtype=torch.float64)
                    a_copy, c_copy = a.clone(), c.clone()
                    d, rounds = mp.pcr_solve(a, c)
                    self.assertEqual(rounds, mp.pcr_rounds_for(L))
                    self.assertEqual(rounds, 0 if L == 1 else math.ceil(math.log2(L)))
                    torch.testing.assert_close(d, sequential_solve(a, c), rtol=1e-12, atol=1e-12)
                    self.assertTrue(torch.equal(a, a_copy) and torch.equal(c, c_copy), "inputs must not change")

    def test_pcr_never_uses_a0(self):
        for L in (2, 5, 17):
            with self.subTest(L=L):
                a = torch.randn(L, 1, 2, 2, dtype=torch.float64)
                c = torch.randn(L, 1, 2, dtype=torch.float64)
                expected, _ = mp.pcr_solve(a, c)
                a[0] = float("inf")  # A_0 multiplies d_{-1} = 0: it must play no part, not even as 0 * inf
                d, _ = mp.pcr_solve(a, c)
                self.assertTrue(torch.isfinite(d).all())
                torch.testing.assert_close(d, expected, rtol=0, atol=0)

    def check_against_autograd(self, L, w, activation, dtype, fwd_tol, bwd_tol, B=2):
        model64 = random_model(L, w, activation, seed=L * 10 + w)
        g = torch.Generator().manual_seed(99)
        x64 = torch.randn(B, w, generator=g, dtype=torch.float64)
        cot64 = torch.randn(B, w, generator=g, dtype=torch.float64)
        ref = mp.float64_reference(model64, x64, cot64)
        model = model64.to("cpu", dtype)
        x, cot = x64.to(dtype), cot64.to(dtype)
        fwd = mp.deeppcr_forward(model, x)
        self.assertLessEqual(fwd.iterations, L)
        self.assertEqual(fwd.pcr_rounds, mp.pcr_rounds_for(L))
        err = mp.pooled_rel_error([fwd.states], [ref.states])
        self.assertLess(err, fwd_tol, f"forward L={L} w={w} {activation} {dtype}")
        grads, rounds = mp.deeppcr_backward(model, x, fwd.states, cot)
        self.assertEqual(rounds, mp.pcr_rounds_for(L))
        self.assertEqual([tuple(t.shape) for t in grads], [(B, w), (L, w, w), (L, w)])
        err = mp.pooled_rel_error(grads, ref.gradients)
        self.assertLess(err, bwd_tol, f"backward L={L} w={w} {activation} {dtype}")
        return fwd

    def test_float64_matches_sequential_autograd(self):
        for L, w in self.SIZES:
            for activation in mp.ACTIVATIONS:
                with self.subTest(L=L, w=w, activation=activation):
                    fwd = self.check_against_autograd(L, w, activation, torch.float64, 1e-9, 1e-9)
                    self.assertTrue(fwd.converged)
                    if L >= 5 and activation != "identity":
                        self.assertFalse(fwd.by_construction, "a contractive chain meets the stop rule before L")

    def test_float32_matches_sequential_autograd(self):
        for L, w in self.SIZES:
            for activation in ("tanh", "gelu"):
                with self.subTest(L=L, w=w, activation=activation):
                    self.check_against_autograd(L, w, activation, torch.float32, 2e-5, 2e-5)

    def test_expansive_chain_exact_after_l_iterations(self):
        # Gain 3 at L = 5: the stop rule may not be met before L; L undamped Newton steps are exact anyway.
        model = random_model(5, 3, "tanh", gain=3.0, seed=1)
        x = torch.randn(2, 3, dtype=torch.float64)
        ref = mp.float64_reference(model, x, torch.ones(2, 3, dtype=torch.float64))
        fwd = mp.deeppcr_forward(model, x)
        self.assertLessEqual(fwd.iterations, 5)
        self.assertTrue(fwd.converged)
        self.assertLess(mp.pooled_rel_error([fwd.states], [ref.states]), 1e-12)
        limited = mp.deeppcr_forward(model, x, max_iterations=2)
        self.assertFalse(limited.converged)
        self.assertEqual(limited.termination, "iteration_limit")

    def test_eager_loop_matches_reference(self):
        model = random_model(17, 3, "sigmoid")
        x = torch.randn(2, 3, dtype=torch.float64)
        cot = torch.randn(2, 3, dtype=torch.float64)
        ref = mp.float64_reference(model, x, cot)
        net = mp.LayerByLayer.of(model, requires_grad=True)
        x_leaf = x.clone().requires_grad_(True)
        grads = mp.gradients_as_model(net.gradients(x_leaf, cot), 17)
        self.assertLess(mp.pooled_rel_error(grads, ref.gradients), 1e-14)
        with torch.no_grad():
            self.assertLess(mp.pooled_rel_error(mp.LayerByLayer.of(model).forward_states(x), list(ref.states)), 1e-14)

    def test_activation_derivatives_match_autograd(self):
        pre = torch.linspace(-3, 3, 61, dtype=torch.float64).requires_grad_(True)
        for name in mp.ACTIVATIONS:
            with self.subTest(activation=name):
                (grad,) = torch.autograd.grad(mp.activate(name, pre).sum(), pre)
                torch.testing.assert_close(mp.activation_derivative(name, pre.detach()), grad, rtol=1e-12, atol=1e-12)

    def test_pooled_error(self):
        ref = [torch.tensor([1.0, -4.0]), torch.tensor([0.5])]
        val = [torch.tensor([1.0, -4.0]), torch.tensor([0.7])]
        self.assertAlmostEqual(mp.pooled_rel_error(val, ref), 0.2 / 4.0)
        self.assertTrue(math.isnan(mp.pooled_rel_error([torch.tensor([float("nan")])], [torch.tensor([1.0])])))


GRID_HEADER = "layers,width,batch,pass,iterations,pcr_rounds,termination,max_rel_error,deeppcr_ms,per_layer_ms,persistent_ms,speedup_vs_per_layer,speedup_vs_persistent\n"
PEERS_HEADER = "layers,width,batch,pass,method,ms,iterations,pcr_rounds,max_rel_error,note\n"


class MergeTests(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.grid = os.path.join(self.dir.name, "gpu_grid.csv")
        self.peers = os.path.join(self.dir.name, "peers.csv")
        self.out = os.path.join(self.dir.name, "results")
        with open(self.grid, "w") as f:
            f.write(GRID_HEADER
                    + "64,4,1,forward,5,6,converged,1e-6,0.5,2.0,0.25,4,0.5\n"
                    + "64,4,1,backward,0,6,converged,2e-6,0.1,1.0,0.05,10,0.5\n"
                    + "256,4,1,forward,6,8,converged,1e-6,1.0,8.0,1.0,8,1\n"
                    + "1024,64,16,forward,,,not_run,,,,,,\n"
                    + "256,16,1,forward,300,8,iteration_limit,1e-2,9.0,4.0,2.0,0.44,0.22\n")
        with open(self.peers, "w") as f:
            f.write(PEERS_HEADER
                    + "64,4,1,forward,torch_eager,3.0,,,1e-7,\n"
                    + "64,4,1,forward,torch_graph,1.0,,,1e-7,\n"
                    + "64,4,1,forward,torch_deeppcr,5.0,5,6,1e-6,converged; check ok\n"
                    + "64,4,1,backward,torch_eager,4.0,,,1e-7,\n"
                    + "64,4,1,backward,torch_graph,,,,,RuntimeError: CUDA out of memory\n"
                    + "64,4,1,backward,torch_deeppcr,0.2,0,6,1e-6,check ok\n"
                    + "256,4,1,forward,torch_eager,10.0,,,1e-7,\n"
                    + "256,4,1,forward,torch_eager,12.0,,,1e-7,rerun\n"
                    + "256,16,1,forward,torch_eager,10.0,,,1e-7,\n"
                    + "8,2,1,forward,torch_eager,0.1,,,1e-7,\n")

    def tearDown(self):
        self.dir.cleanup()

    def run_merge(self):
        code, _ = quiet(merge.main, ["--grid", self.grid, "--peers", self.peers, "--out", self.out, "--device", "Test GPU"])
        self.assertEqual(code, 0)
        with open(os.path.join(self.out, "results.csv"), newline="") as f:
            rows = {(int(r["layers"]), int(r["width"]), int(r["batch"]), r["pass"]): r for r in csv.DictReader(f)}
        with open(os.path.join(self.out, "results.json")) as f:
            doc = json.load(f)
        with open(os.path.join(self.out, "summary.md")) as f:
            md = f.read()
        return rows, doc, md

    def test_speedups(self):
        rows, _, _ = self.run_merge()
        r = rows[(64, 4, 1, "forward")]
        self.assertEqual(float(r["speedup_vs_per_layer"]), 4.0)
        self.assertEqual(float(r["speedup_vs_persistent"]), 0.5)
        self.assertEqual(float(r["speedup_vs_torch_eager"]), 6.0)
        self.assertEqual(float(r["speedup_vs_torch_graph"]), 2.0)
        self.assertEqual(float(r["speedup_vs_torch_deeppcr"]), 10.0)
        self.assertEqual(r["torch_deeppcr_iterations"], "5")
        self.assertEqual(r["iterations"], "5")
        b = rows[(64, 4, 1, "backward")]
        self.assertEqual(float(b["speedup_vs_torch_eager"]), 40.0)
        self.assertEqual(b["speedup_vs_torch_graph"], "")
        self.assertIn("out of memory", b["note"])

    def test_last_peer_row_wins(self):
        rows, _, _ = self.run_merge()
        self.assertEqual(float(rows[(256, 4, 1, "forward")]["torch_eager_ms"]), 12.0)

    def test_not_run_and_unconverged_cells_kept_without_speedups(self):
        rows, _, _ = self.run_merge()
        nr = rows[(1024, 64, 16, "forward")]
        self.assertEqual(nr["termination"], "not_run")
        self.assertEqual(nr["speedup_vs_per_layer"], "")
        self.assertIn("not run", nr["note"])
        il = rows[(256, 16, 1, "forward")]
        self.assertEqual(float(il["deeppcr_ms"]), 9.0)
        self.assertEqual(il["speedup_vs_per_layer"], "")
        self.assertEqual(il["speedup_vs_torch_eager"], "")
        self.assertIn("iteration_limit", il["note"])
        only_peer = rows[(8, 2, 1, "forward")]
        self.assertIn("not in gpu_grid.csv", only_peer["note"])

    def test_summary(self):
        _, doc, md = self.run_merge()
        fwd = doc["summary"]["forward"]
        self.assertEqual(fwd["per_layer"]["cells"], 2)
        self.assertEqual(fwd["per_layer"]["median"], 6.0)
        self.assertEqual(fwd["per_layer"]["best"]["layers"], 256)
        self.assertEqual(fwd["persistent"]["slower_cells"], 1)
        self.assertEqual(fwd["torch_eager"]["median"], 9.0)  # 6 and 12
        self.assertIn("Test GPU", md)
        self.assertIn("## forward", md)
        self.assertIn("## backward", md)
        self.assertIn("0.5x*", md)
        self.assertIn("| 64 | 4 | 1 | 0.5 |", md)
        self.assertEqual(doc["sources"]["device"], "Test GPU")

    def test_bad_input_exit_2(self):
        with open(self.grid, "w") as f:
            f.write("layers,width\n1,2\n")
        code, err = quiet(merge.main, ["--grid", self.grid, "--peers", self.peers, "--out", self.out])
        self.assertEqual(code, 2)
        self.assertIn("missing column", err)
        code, err = quiet(merge.main, ["--grid", os.path.join(self.dir.name, "none.csv"), "--peers", self.peers, "--out", self.out])
        self.assertEqual(code, 2)
        self.assertIn("no such file", err)


@needs_torch
class EndToEndTests(unittest.TestCase):
    def test_cpu_run(self):
        with tempfile.TemporaryDirectory() as d:
            models = os.path.join(d, "models")
            out = os.path.join(d, "peers")
            quiet(make_models.main, ["--out", models, "--layers", "3,8", "--widths", "2,4", "--batches", "1,3"])
            code, err = quiet(mp.main, ["--models", models, "--out", out, "--device", "cpu", "--repeats", "5"])
            self.assertEqual(code, 0, err)
            with open(os.path.join(out, "peers.csv"), newline="") as f:
                rows = list(csv.DictReader(f))
            self.assertEqual(len(rows), 8 * 6)
            for r in rows:
                if r["method"] == "torch_graph":
                    self.assertEqual(r["ms"], "")
                    self.assertIn("skipped", r["note"])
                    continue
                self.assertGreater(float(r["ms"]), 0 if r["method"] == "torch_deeppcr" or r["pass"] == "forward" else -1e9, r)
                self.assertLess(float(r["max_rel_error"]), 1e-5, r)
                if r["method"] == "torch_deeppcr":
                    self.assertIn("check ok", r["note"])
                    self.assertEqual(int(r["pcr_rounds"]), mp.pcr_rounds_for(int(r["layers"])))
            with open(os.path.join(out, "peers.json")) as f:
                doc = json.load(f)
            self.assertEqual(doc["status"], "complete")
            self.assertEqual(doc["dtype"], "float32")
            self.assertEqual(len(doc["measurements"]), len(rows))
            # --only appends to the same CSV; a spent budget lists the cells not run
            code, _ = quiet(mp.main, ["--models", models, "--out", out, "--device", "cpu", "--only", "3,2,1", "--budget-s", "0"])
            self.assertEqual(code, 0)
            with open(os.path.join(out, "peers.json")) as f:
                doc = json.load(f)
            self.assertEqual(doc["status"], "budget spent")
            self.assertEqual(doc["cells_not_run"], [{"layers": 3, "width": 2, "batch": 1, "reason": "time budget"}])
            # merge.py reads it (no grid cells: times kept, no speed-ups)
            grid = os.path.join(d, "gpu_grid.csv")
            with open(grid, "w") as f:
                f.write(GRID_HEADER + "8,4,3,forward,5,3,converged,1e-7,0.01,1,0.5,100,50\n")
            code, _ = quiet(merge.main, ["--grid", grid, "--peers", os.path.join(out, "peers.csv"), "--out", os.path.join(d, "res")])
            self.assertEqual(code, 0)
            with open(os.path.join(d, "res", "results.csv"), newline="") as f:
                merged = {(r["layers"], r["width"], r["batch"], r["pass"]): r for r in csv.DictReader(f)}
            self.assertEqual(len(merged), 16)
            self.assertNotEqual(merged[("8", "4", "3", "forward")]["speedup_vs_torch_eager"], "")

    def test_methods_option_runs_only_the_named_methods(self):
        with tempfile.TemporaryDirectory() as d:
            models = os.path.join(d, "models")
            out = os.path.join(d, "peers")
            quiet(make_models.main, ["--out", models, "--layers", "3", "--widths", "2", "--batches", "1"])
            code, err = quiet(mp.main, ["--models", models, "--out", out, "--device", "cpu", "--repeats", "1", "--methods", "torch_eager"])
            self.assertEqual(code, 0, err)
            with open(os.path.join(out, "peers.json")) as f:
                doc = json.load(f)
            self.assertEqual({m["method"] for m in doc["measurements"]}, {"torch_eager"})
            self.assertEqual(len(doc["measurements"]), 2)
            with self.assertRaises(SystemExit):
                quiet(mp.main, ["--models", models, "--out", out, "--methods", "torch_nothing"])


class RnnPeerTests(unittest.TestCase):
    """bench/peers/rnn_peers.py: point files, the diagonal loops against the cells' equations, end to end."""

    def setUp(self):
        import rnn_peers
        self.rp = rnn_peers
        rnn_peers.torch = torch
        self.dir = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.dir.cleanup()

    def write_point(self, cell, steps, hidden, batch, inputs=3, seed=0, dtype="F32"):
        g = torch.Generator().manual_seed(seed)
        gates = self.rp.CELLS[cell] * hidden
        diagonal = cell.endswith("diag")
        tensors = {
            "weight_ih_l0": torch.rand(gates, inputs, generator=g) - 0.5,
            "weight_hh_l0": torch.rand((gates,) if diagonal else (gates, hidden), generator=g) - 0.5,
            "bias_ih_l0": torch.rand(gates, generator=g) - 0.5,
            "bias_hh_l0": torch.rand(gates, generator=g) - 0.5,
            "input": torch.randn(steps, batch, inputs, generator=g),
            "cotangent": torch.randn(steps, batch, hidden, generator=g),
        }
        raw = {n: mp.raw_from_floats(t.double().flatten().tolist(), tuple(t.shape), dtype) for n, t in tensors.items()}
        path = os.path.join(self.dir.name, f"rnn_{cell}_T{steps}_H{hidden}_B{batch}.safetensors")
        mp.write_safetensors(path, raw, {"cell": cell})
        return path, {n: t.double() for n, t in tensors.items()}

    def test_parse_name(self):
        self.assertEqual(self.rp.parse_name("rnn_gru-diag_T16_H8_B4.safetensors"), ("gru-diag", 16, 8, 4))
        self.assertEqual(self.rp.parse_name("rnn_lstm-cifg-diag_T1_H1_B1.safetensors"), ("lstm-cifg-diag", 1, 1, 1))
        self.assertIsNone(self.rp.parse_name("rnn_rnn_T1_H1_B1.safetensors"))
        self.assertIsNone(self.rp.parse_name("mlp_L4_w4.safetensors"))

    @staticmethod
    def equations(cell, t, h=None, c=None):
        """The cells' equations step by step, one sample at a time in plain Python floats (independent of the loop)."""
        wi, wh, bi, bh, x = (t[n].tolist() for n in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "input"))
        steps, batch, hidden = len(x), len(x[0]), len(t["cotangent"][0][0])
        sig = lambda v: 1 / (1 + math.exp(-v))
        out = [[[0.0] * hidden for _ in range(batch)] for _ in range(steps)]
        for b in range(batch):
            h, c = [0.0] * hidden, [0.0] * hidden
            for s in range(steps):
                proj = [sum(wi[r][k] * x[s][b][k] for k in range(len(x[s][b]))) + bi[r] for r in range(3 * hidden)]
                rec = [wh[r] * h[r % hidden] + bh[r] for r in range(3 * hidden)]
                new_h, new_c = [], []
                for j in range(hidden):
                    if cell == "gru-diag":
                        r = sig(proj[j] + rec[j])
                        z = sig(proj[hidden + j] + rec[hidden + j])
                        n = math.tanh(proj[2 * hidden + j] + r * rec[2 * hidden + j])
                        new_h.append((1 - z) * n + z * h[j])
                    else:
                        f = sig(proj[j] + rec[j])
                        g = math.tanh(proj[hidden + j] + rec[hidden + j])
                        o = sig(proj[2 * hidden + j] + rec[2 * hidden + j])
                        new_c.append(f * c[j] + (1 - f) * g)
                        new_h.append(o * math.tanh(new_c[j]))
                h, c = new_h, new_c
                out[s][b] = h
        return torch.tensor(out, dtype=torch.float64)

    @needs_torch
    def test_diagonal_loops_match_the_equations_in_float64(self):
        for cell in ("gru-diag", "lstm-cifg-diag"):
            for steps, hidden, batch in ((1, 1, 1), (2, 3, 1), (5, 3, 3), (3, 8, 2)):
                path, t = self.write_point(cell, steps, hidden, batch, dtype="F64")
                loaded = self.rp.load_point(path, cell, steps, hidden, batch)
                runner = self.rp.Runner(cell, loaded, torch.float64)
                with torch.no_grad():
                    found = runner(loaded["input"].double())
                expected = self.equations(cell, t)
                self.assertEqual(tuple(found.shape), (steps, batch, hidden))
                self.assertLess(float((found - expected).abs().max()), 1e-12, (cell, steps, hidden, batch))

    @needs_torch
    def test_module_cells_load_pytorch_weights(self):
        path, t = self.write_point("gru", 4, 3, 2, dtype="F64")
        runner = self.rp.Runner("gru", self.rp.load_point(path, "gru", 4, 3, 2), torch.float64)
        cell = torch.nn.GRUCell(3, 3).double()
        with torch.no_grad():
            for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(cell, n).copy_(t[n + "_l0"])
            h = torch.zeros(2, 3, dtype=torch.float64)
            expected = []
            for x in t["input"].unbind(0):
                h = cell(x, h)
                expected.append(h)
            found = runner(t["input"])
        self.assertLess(float((found - torch.stack(expected)).abs().max()), 1e-12)

    @needs_torch
    def test_cpu_run_reports_every_point_and_pass(self):
        for cell in ("gru", "lstm", "gru-diag", "lstm-cifg-diag"):
            self.write_point(cell, 6, 4, 2)
        out = os.path.join(self.dir.name, "out")
        code, _ = quiet(self.rp.main, ["--points", self.dir.name, "--out", out, "--repeats", "2"])
        self.assertEqual(code, 0)
        with open(os.path.join(out, "peers.json")) as f:
            report = json.load(f)
        rows = report["measurements"]
        self.assertEqual(len(rows), 8)
        for row in rows:
            self.assertGreater(row["ms"], 0)
            self.assertLess(row["max_rel_error"], 1e-4, row)
        self.assertEqual({r["impl"] for r in rows if r["cell"] == "gru"}, {"nn.GRU"})

    @needs_torch
    def test_malformed_point_exits_2(self):
        path, _ = self.write_point("gru", 3, 2, 1)
        with open(path, "r+b") as f:
            f.truncate(40)
        code, err = quiet(self.rp.main, ["--points", self.dir.name, "--out", os.path.join(self.dir.name, "o")])
        self.assertEqual(code, 2)
        self.assertIn("rnn_gru_T3_H2_B1", err)

    @needs_torch
    def test_wrong_shape_exits_2(self):
        path, t = self.write_point("gru-diag", 3, 2, 1)
        _, raw = mp.read_safetensors(path)
        raw["weight_hh_l0"] = mp.raw_from_floats([0.0] * 24, (6, 4), "F32")
        mp.write_safetensors(path, raw, {"cell": "gru-diag"})
        code, err = quiet(self.rp.main, ["--points", self.dir.name, "--out", os.path.join(self.dir.name, "o")])
        self.assertEqual(code, 2)
        self.assertIn("weight_hh_l0", err)


if __name__ == "__main__":
    unittest.main()
