#!/usr/bin/env python3
"""Tests of bench/peers/rnn_gpu_peers.py (stdlib unittest): python3 bench/peers/test_rnn_gpu_peers.py -v

- the PyTorch loop of each diagonal cell equals PyTorch's own dense module with the weights that make it that cell
  (float64, CPU): gru-diag is nn.GRU with weight_hh = diag(w_hr), diag(w_hz), diag(w_hn) stacked; lstm-cifg-diag is
  nn.LSTM with the same diagonal weight_hh and an input gate that is the negated forget gate (sigma(-a) = 1 - sigma(a))
- the script end to end on the CPU (--device auto without CUDA): every point carries the fields, the envelope names the device
- bad arguments exit 2

Skipped (with the reason) where torch is not installed.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import rnn_gpu_peers as rnn_peers  # noqa: E402

torch = rnn_peers.torch


@unittest.skipIf(torch is None, "torch is not installed")
class DiagonalLoopTests(unittest.TestCase):
    H, I, B, T = 3, 2, 2, 7

    def setUp(self):
        torch.manual_seed(0)
        self.x = torch.randn(self.B, self.T, self.I, dtype=torch.float64)

    def test_gru_diag_is_nn_gru_with_diagonal_weights(self):
        p = rnn_peers.make_params("gru-diag", self.H, self.I, 3, "cpu", torch.float64)
        h0 = torch.randn(self.B, self.H, dtype=torch.float64)
        gru = torch.nn.GRU(self.I, self.H, batch_first=True).double()
        with torch.no_grad():
            gru.weight_ih_l0.copy_(p["weight_ih"])
            gru.weight_hh_l0.copy_(torch.cat([torch.diag(w) for w in p["weight_hh"].split(self.H)]))
            gru.bias_ih_l0.copy_(p["bias_ih"])
            gru.bias_hh_l0.copy_(p["bias_hh"])
            expected, _ = gru(self.x, h0.unsqueeze(0))
            actual = rnn_peers.diagonal_loop("gru-diag", p, self.x, h0)
        self.assertLess((actual - expected).abs().max().item(), 1e-12)

    def test_lstm_cifg_diag_is_nn_lstm_with_a_negated_forget_gate_as_input_gate(self):
        p = rnn_peers.make_params("lstm-cifg-diag", self.H, self.I, 4, "cpu", torch.float64)
        state0 = torch.randn(self.B, 2 * self.H, dtype=torch.float64)
        lstm = torch.nn.LSTM(self.I, self.H, batch_first=True).double()
        f_ih, g_ih, o_ih = p["weight_ih"].split(self.H)
        f_hh, g_hh, o_hh = [torch.diag(w) for w in p["weight_hh"].split(self.H)]
        fb_ih, gb_ih, ob_ih = p["bias_ih"].split(self.H)
        fb_hh, gb_hh, ob_hh = p["bias_hh"].split(self.H)
        with torch.no_grad():   # nn.LSTM rows [i; f; g; o]
            lstm.weight_ih_l0.copy_(torch.cat([-f_ih, f_ih, g_ih, o_ih]))
            lstm.weight_hh_l0.copy_(torch.cat([-f_hh, f_hh, g_hh, o_hh]))
            lstm.bias_ih_l0.copy_(torch.cat([-fb_ih, fb_ih, gb_ih, ob_ih]))
            lstm.bias_hh_l0.copy_(torch.cat([-fb_hh, fb_hh, gb_hh, ob_hh]))
            expected, _ = lstm(self.x, (state0[:, :self.H].unsqueeze(0), state0[:, self.H:].unsqueeze(0)))
            actual = rnn_peers.diagonal_loop("lstm-cifg-diag", p, self.x, state0)
        self.assertLess((actual - expected).abs().max().item(), 1e-12)


@unittest.skipIf(torch is None, "torch is not installed")
class ScriptTests(unittest.TestCase):
    def run_main(self, *args):
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            code = rnn_peers.main(list(args))
        return code, err.getvalue()

    def test_end_to_end_on_the_cpu(self):
        with tempfile.TemporaryDirectory() as out:
            code, _ = self.run_main("--out", out, "--device", "auto", "--lengths", "5", "--hidden", "2", "--batches", "1", "--repeats", "1")
            self.assertEqual(code, 0)
            with open(os.path.join(out, "rnn_peers.json")) as f:
                result = json.load(f)
            if not torch.cuda.is_available():
                self.assertIn("CPU", result["device"])
            self.assertEqual(len(result["points"]), 4)
            for p in result["points"]:
                self.assertIn(p["cell"], rnn_peers.CELLS)
                self.assertEqual((p["T"], p["H"], p["B"]), (5, 2, 1))
                self.assertGreater(p["cudnn_ms"], 0)
                self.assertGreater(p["torch_loop_ms"], 0)
            self.assertLess(result["points"][0]["torch_loop_max_rel_error"], 1e-5)

    def test_bad_arguments_exit_2(self):
        with tempfile.TemporaryDirectory() as out:
            self.assertEqual(self.run_main("--out", out, "--cells", "gru")[0], 2)
            self.assertEqual(self.run_main("--out", out, "--grid", os.path.join(out, "missing.json"))[0], 2)
            self.assertEqual(self.run_main("--out", out, "--lengths", "0")[0], 2)


if __name__ == "__main__":
    unittest.main()
