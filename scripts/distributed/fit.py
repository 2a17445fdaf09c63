#!/usr/bin/env python3
"""Fits docs/distributed.md's cost model to the one-machine runs in docs/results/distributed/ and prints the
prediction for 16-1024 ranks on a cluster network. Usage: python3 scripts/distributed/fit.py [results folder]

Model of one linear solve (one Newton iteration) on P ranks, n = ceil(L / P) rows per rank, B samples, width w:
  T(P) = n B t_row  +  R (alpha + bytes_round / bandwidth + B t_combine)  +  (alpha + B w e / bandwidth)  +  3 R alpha
with R = ceil(log2 P) PCR rounds across ranks, bytes_round = (w^2 + w) B e, t_row the per-row, per-sample work of one
iteration on one core (evaluation, Jacobian, segment reduction, back-substitution: about 2 w^3 + 8 w^2 flops) and
t_combine one map composition and application (2 w^3 + 2 w^2 flops); the last term is the three all-reduces of norms.
"""
import glob, json, math, os, sys

folder = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "docs", "results", "distributed")
runs = []
for path in sorted(glob.glob(os.path.join(folder, "*.json"))):
    d = json.load(open(path))
    solves = d["forward"]["iterations"] + 1
    runs.append(dict(L=d["layers"], w=d["width"], B=d["batch"], P=d["ranks"], threads=d["threads_per_rank"],
                     solve_ms=d["forward"]["deeppcr_ms"] / solves, backward_ms=d["backward"]["deeppcr_ms"],
                     relay_ms=d["forward"]["sequential_relay_ms"], iters=d["forward"]["iterations"],
                     comm_ms=d["communication_ms"]["forward_repeats"] / max(1, d["repeats"]) / solves,
                     bytes=d["bytes_exchanged"], jac=d["jacobian_bytes"], err_f=d["forward"]["max_rel_error"],
                     err_b=d["backward"]["max_rel_error"], peak=max(m["peak_working_set_bytes"] for m in d["rank_memory"])))
if not runs:
    sys.exit(f"no results in {folder}")

print("| L | P | threads/rank | iterations | forward ms | per solve ms | of which in exchanges ms | backward ms | sequential relay ms | bytes exchanged | Jacobian bytes | max peak MiB | errors fwd / bwd |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for r in runs:
    print(f"| {r['L']} | {r['P']} | {r['threads']} | {r['iters']} | {r['solve_ms'] * (r['iters'] + 1):.0f} | {r['solve_ms']:.1f} | {r['comm_ms']:.1f} | "
          f"{r['backward_ms']:.0f} | {r['relay_ms']:.0f} | {r['bytes']} | {r['jac']} | {r['peak'] / 2**20:.0f} | {r['err_f']:.1e} / {r['err_b']:.1e} |")

# t_row from the single-rank runs (no exchanges): per-solve time / (L B), per core used.
single = [r for r in runs if r["P"] == 1]
t_row = sum(r["solve_ms"] * 1e-3 * r["threads"] / (r["L"] * r["B"]) for r in single) / len(single)
w16 = single[0]["w"]
flops_row = lambda w: 2 * w**3 + 8 * w**2
rate = flops_row(w16) / t_row
print(f"\nfitted t_row = {t_row * 1e9:.0f} ns per row and sample at w = {w16} on one core: {rate / 1e9:.2f} GFLOP/s effective")
# What the exchanges cost here: the measured in-exchange time per solve beyond the single-rank share, per round.
multi = [r for r in runs if r["P"] > 1]
alpha_here = [r["comm_ms"] * 1e-3 / (math.ceil(math.log2(r["P"])) * 4 + 1) for r in multi]
print("one-machine time inside exchanges per message (transfers and waits for slower ranks, oversubscribed): "
      + ", ".join(f"P = {r['P']}, L = {r['L']}: {a * 1e6:.0f} us" for r, a in zip(multi, alpha_here)))

# Prediction on a cluster: the issue's size, float32.
L, w, B, e = 10**6, 64, 16, 4
alpha, bandwidth = 2e-6, 12.5e9          # InfiniBand HDR-class: 2 us MPI latency, 100 Gb/s per link
iters = 8                                # a contractive chain's Newton iterations (4-6 measured here) plus margin
t_row64 = flops_row(w) / rate
t_combine = (2 * w**3 + 2 * w**2) / rate
print(f"\nprediction: L = {L}, w = {w}, B = {B}, float32, {iters} Newton iterations, alpha = {alpha * 1e6:.0f} us, "
      f"bandwidth = {bandwidth / 1e9:.1f} GB/s, {rate / 1e9:.2f} GFLOP/s per rank (one core)")
print("| P | rows per rank | compute per solve s | exchange per solve ms | forward s | sequential s | speed-up | Jacobians per rank GB | bytes exchanged per solve MB |")
print("|---|---|---|---|---|---|---|---|---|")
sequential = L * B * 2 * w**2 / rate
for P in (16, 32, 64, 128, 256, 512, 1024):
    n = math.ceil(L / P)
    R = math.ceil(math.log2(P))
    compute = n * B * t_row64
    exchange = R * (alpha + (w * w + w) * B * e / bandwidth + B * t_combine) + alpha + B * w * e / bandwidth + 3 * R * alpha
    forward = (iters + 1) * (compute + exchange)
    jac = n * B * w * w * e / 1e9
    sent = sum((B * w if q < s else B * (w * w + w)) for s in (2**k for k in range(R)) for q in range(P - s)) + (P - 1) * B * w
    print(f"| {P} | {n} | {compute:.2f} | {exchange * 1e3:.2f} | {forward:.1f} | {sequential:.1f} | {sequential / forward:.2f} | {jac:.2f} | {sent * e / 1e6:.1f} |")
