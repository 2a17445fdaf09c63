#!/usr/bin/env python3
"""Joins the .NET GPU engine's gpu_grid.csv with the PyTorch peers' peers.csv (issue 10).

gpu_grid.csv columns: layers,width,batch,pass,iterations,pcr_rounds,termination,max_rel_error,deeppcr_ms,
per_layer_ms,persistent_ms,speedup_vs_per_layer,speedup_vs_persistent (termination `not_run`: skipped).
peers.csv columns: layers,width,batch,pass,method,ms,iterations,pcr_rounds,max_rel_error,note
(method torch_eager, torch_graph or torch_deeppcr; a later row for the same cell and method wins).

Writes into --out, per (layers, width, batch, pass):
    results.csv / results.json  deeppcr_ms and every baseline's <label>_ms, speedup_vs_<label> = time(<label>) /
                                deeppcr_ms, iterations, pcr_rounds, max_rel_error, termination, notes
    summary.md                  per pass: the best cell and the median over the grid of each speed-up, and a
                                table of all cells with those where DeepPCR is slower than the baseline marked

A speed-up is given only where the GPU engine's DeepPCR run converged (DESIGN.md section 4); other cells keep
their times and say why. Standard library only.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import statistics
import sys
from typing import Dict, List, Optional, Tuple

GRID_COLUMNS = ["layers", "width", "batch", "pass", "iterations", "pcr_rounds", "termination", "max_rel_error",
                "deeppcr_ms", "per_layer_ms", "persistent_ms", "speedup_vs_per_layer", "speedup_vs_persistent"]
PEER_COLUMNS = ["layers", "width", "batch", "pass", "method", "ms", "iterations", "pcr_rounds", "max_rel_error", "note"]
GRID_BASELINES = ("per_layer", "persistent")
PEER_BASELINES = ("torch_eager", "torch_graph", "torch_deeppcr")
BASELINES = GRID_BASELINES + PEER_BASELINES
PASSES = ("forward", "backward")
RESULT_COLUMNS = (["layers", "width", "batch", "pass", "termination", "iterations", "pcr_rounds", "max_rel_error", "deeppcr_ms"]
                  + [f"{b}_ms" for b in BASELINES] + [f"speedup_vs_{b}" for b in BASELINES]
                  + ["torch_deeppcr_iterations", "torch_deeppcr_pcr_rounds", "torch_deeppcr_max_rel_error", "note"])

Key = Tuple[int, int, int, str]


class InputError(ValueError):
    """A missing or malformed input CSV."""


def number(text: Optional[str]) -> Optional[float]:
    """A float from a CSV field; None for an empty field (NaN stays NaN)."""
    if text is None or text.strip() == "":
        return None
    try:
        return float(text)
    except ValueError:
        raise InputError(f"'{text}' is not a number") from None


def integer(text: Optional[str]) -> Optional[int]:
    """An int from a CSV field; None for an empty field."""
    value = number(text)
    return None if value is None or math.isnan(value) else int(value)


def read_csv(path: str, required: List[str]) -> List[Dict[str, str]]:
    """The rows of a CSV file that has at least the required columns."""
    if not os.path.isfile(path):
        raise InputError(f"{path}: no such file")
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise InputError(f"{path}: missing column(s) {', '.join(missing)} (has {reader.fieldnames})")
        return list(reader)


def row_key(path: str, line: int, row: Dict[str, str]) -> Key:
    """(layers, width, batch, pass) of a row, validated."""
    try:
        key = (int(row["layers"]), int(row["width"]), int(row["batch"]), row["pass"].strip())
    except (TypeError, ValueError):
        raise InputError(f"{path}:{line}: layers, width and batch must be integers") from None
    if key[3] not in PASSES:
        raise InputError(f"{path}:{line}: pass '{key[3]}' is neither forward nor backward")
    return key


def read_grid(path: str) -> Dict[Key, Dict[str, object]]:
    """gpu_grid.csv as {key: fields} (numbers parsed)."""
    cells = {}
    for line, row in enumerate(read_csv(path, GRID_COLUMNS), start=2):
        key = row_key(path, line, row)
        try:
            cells[key] = {
                "termination": (row["termination"] or "").strip(),
                "iterations": integer(row["iterations"]),
                "pcr_rounds": integer(row["pcr_rounds"]),
                "max_rel_error": number(row["max_rel_error"]),
                "deeppcr_ms": number(row["deeppcr_ms"]),
                "per_layer_ms": number(row["per_layer_ms"]),
                "persistent_ms": number(row["persistent_ms"]),
                "grid_speedup_vs_per_layer": number(row["speedup_vs_per_layer"]),
                "grid_speedup_vs_persistent": number(row["speedup_vs_persistent"]),
            }
        except InputError as e:
            raise InputError(f"{path}:{line}: {e}") from None
    return cells


def read_peers(path: str) -> Dict[Key, Dict[str, Dict[str, object]]]:
    """peers.csv as {key: {method: fields}}; the last row of a cell and method wins."""
    cells: Dict[Key, Dict[str, Dict[str, object]]] = {}
    for line, row in enumerate(read_csv(path, PEER_COLUMNS), start=2):
        key = row_key(path, line, row)
        method = row["method"].strip()
        if method not in PEER_BASELINES:
            raise InputError(f"{path}:{line}: unknown method '{method}'")
        try:
            cells.setdefault(key, {})[method] = {
                "ms": number(row["ms"]), "iterations": integer(row["iterations"]), "pcr_rounds": integer(row["pcr_rounds"]),
                "max_rel_error": number(row["max_rel_error"]), "note": row["note"] or "",
            }
        except InputError as e:
            raise InputError(f"{path}:{line}: {e}") from None
    return cells


def speedup(baseline_ms: Optional[float], deeppcr_ms: Optional[float]) -> Optional[float]:
    """baseline / deeppcr where both are positive finite times, else None."""
    if baseline_ms is None or deeppcr_ms is None or not (baseline_ms > 0 and deeppcr_ms > 0):
        return None
    if math.isinf(baseline_ms) or math.isinf(deeppcr_ms):
        return None
    return baseline_ms / deeppcr_ms


def merge(grid: Dict[Key, Dict[str, object]], peers: Dict[Key, Dict[str, Dict[str, object]]]) -> List[Dict[str, object]]:
    """One result per key of either input, sorted by pass, batch, layers, width."""
    results = []
    for key in sorted(set(grid) | set(peers), key=lambda k: (PASSES.index(k[3]), k[2], k[0], k[1])):
        g = grid.get(key, {})
        p = peers.get(key, {})
        r: Dict[str, object] = dict(zip(("layers", "width", "batch", "pass"), key))
        notes = []
        termination = g.get("termination") if g else ""
        r.update(termination=termination, iterations=g.get("iterations"), pcr_rounds=g.get("pcr_rounds"),
                 max_rel_error=g.get("max_rel_error"), deeppcr_ms=g.get("deeppcr_ms"))
        for b in GRID_BASELINES:
            r[f"{b}_ms"] = g.get(f"{b}_ms")
        for b in PEER_BASELINES:
            r[f"{b}_ms"] = p.get(b, {}).get("ms")
            if b in p and r[f"{b}_ms"] is None and p[b]["note"]:
                notes.append(f"{b}: {p[b]['note']}")
        tp = p.get("torch_deeppcr", {})
        r.update(torch_deeppcr_iterations=tp.get("iterations"), torch_deeppcr_pcr_rounds=tp.get("pcr_rounds"),
                 torch_deeppcr_max_rel_error=tp.get("max_rel_error"))
        if "FAILED" in str(tp.get("note", "")):
            notes.append(f"torch_deeppcr: {tp['note']}")
        counts = termination == "converged"
        if not g:
            notes.append("not in gpu_grid.csv")
        elif termination == "not_run":
            notes.append("GPU engine: not run")
        elif not counts:
            notes.append(f"GPU engine termination {termination}: no speed-ups (DESIGN.md section 4)")
        for b in BASELINES:
            r[f"speedup_vs_{b}"] = speedup(r[f"{b}_ms"], r["deeppcr_ms"]) if counts else None
        for b in GRID_BASELINES:  # the engine's own ratio where the printed times give none
            if counts and r[f"speedup_vs_{b}"] is None:
                r[f"speedup_vs_{b}"] = g.get(f"grid_speedup_vs_{b}")
        r["note"] = "; ".join(notes)
        results.append(r)
    return results


def fmt(value: object) -> str:
    """CSV text of a value: empty for None, 6 significant digits for floats."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def write_csv(path: str, results: List[Dict[str, object]]) -> None:
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(RESULT_COLUMNS)
        for r in results:
            w.writerow([fmt(r.get(c)) for c in RESULT_COLUMNS])


def json_safe(value: object) -> object:
    """NaN and infinities become None (JSON has none)."""
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


def summarize(results: List[Dict[str, object]]) -> Dict[str, Dict[str, Dict[str, object]]]:
    """Per pass and baseline: cells with a speed-up, how many below 1, the median and the best cell."""
    summary: Dict[str, Dict[str, Dict[str, object]]] = {}
    for pass_ in PASSES:
        rows = [r for r in results if r["pass"] == pass_]
        per = {}
        for b in BASELINES:
            have = [r for r in rows if r[f"speedup_vs_{b}"] is not None]
            entry: Dict[str, object] = {"cells": len(have), "slower_cells": sum(1 for r in have if r[f"speedup_vs_{b}"] < 1)}
            if have:
                best = max(have, key=lambda r: r[f"speedup_vs_{b}"])
                entry["median"] = statistics.median(r[f"speedup_vs_{b}"] for r in have)
                entry["best"] = {"layers": best["layers"], "width": best["width"], "batch": best["batch"],
                                 "speedup": best[f"speedup_vs_{b}"], "deeppcr_ms": best["deeppcr_ms"], f"{b}_ms": best[f"{b}_ms"]}
            per[b] = entry
        summary[pass_] = per
    return summary


def write_json(path: str, results: List[Dict[str, object]], summary: Dict[str, object], sources: Dict[str, object]) -> None:
    doc = {"sources": sources, "summary": summary,
           "measurements": [{k: json_safe(v) for k, v in r.items()} for r in results]}
    with open(path, "w") as f:
        json.dump(doc, f, indent=1, allow_nan=False)


def x(value: Optional[float]) -> str:
    """A speed-up as '3.21x', with '*' where DeepPCR is slower than the baseline; '-' for none."""
    if value is None:
        return "-"
    return f"{value:.3g}x" + ("*" if value < 1 else "")


def ms(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:.4g}"


def write_summary(path: str, results: List[Dict[str, object]], summary: Dict[str, Dict[str, Dict[str, object]]],
                  sources: Dict[str, object]) -> None:
    """summary.md: per pass the best cell and median of each speed-up, then every cell."""
    lines = ["# DeepPCR GPU engine vs baselines", ""]
    if sources.get("device"):
        lines += [f"Device: {sources['device']}.", ""]
    lines += [f"Sources: `{sources['grid']}` and `{sources['peers']}`. Speed-up = baseline time / DeepPCR time "
              "(GPU engine), medians of interleaved repetitions; `*` marks cells where DeepPCR is slower than the "
              "baseline (speed-up below 1). Speed-ups are given only where the GPU engine's DeepPCR converged.", ""]
    for pass_ in PASSES:
        rows = [r for r in results if r["pass"] == pass_]
        if not rows:
            continue
        lines += [f"## {pass_}", "", "| baseline | cells | median | best cell (L, w, B) | best | slower cells |",
                  "|---|---|---|---|---|---|"]
        for b in BASELINES:
            e = summary[pass_][b]
            best = e.get("best")
            where = f"({best['layers']}, {best['width']}, {best['batch']})" if best else "-"
            lines.append(f"| {b} | {e['cells']} | {x(e.get('median'))} | {where} | {x(best['speedup']) if best else '-'} | {e['slower_cells']} |")
        lines += ["", "| L | w | B | DeepPCR ms | iters | vs per_layer | vs persistent | vs torch_eager | vs torch_graph | vs torch_deeppcr | max_rel_error | note |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in rows:
            err = r["max_rel_error"]
            lines.append(f"| {r['layers']} | {r['width']} | {r['batch']} | {ms(r['deeppcr_ms'])} | {fmt(r['iterations']) or '-'} | "
                         + " | ".join(x(r[f'speedup_vs_{b}']) for b in BASELINES)
                         + f" | {'-' if err is None else f'{err:.2g}'} | {r['note']} |")
        lines.append("")
    with open(path, "w") as f:
        f.write("\n".join(lines))


def device_of(peers_csv: str) -> Optional[str]:
    """The device named in peers.json beside peers.csv, if any."""
    path = os.path.join(os.path.dirname(os.path.abspath(peers_csv)), "peers.json")
    try:
        with open(path) as f:
            return json.load(f).get("device")
    except (OSError, ValueError):
        return None


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description="Joins gpu_grid.csv (the .NET GPU engine) and peers.csv (PyTorch peers) into results.csv, results.json and summary.md.",
                                epilog="Exit status: 0 done, 2 a missing or malformed input.")
    p.add_argument("--grid", required=True, help="gpu_grid.csv of the .NET GPU bench")
    p.add_argument("--peers", required=True, help="peers.csv of mlp_peers.py")
    p.add_argument("--out", required=True, help="output folder (created)")
    p.add_argument("--device", default=None, help="device name for summary.md (default: from peers.json beside peers.csv)")
    args = p.parse_args(argv)
    try:
        grid = read_grid(args.grid)
        peers = read_peers(args.peers)
    except InputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    results = merge(grid, peers)
    summary = summarize(results)
    sources = {"grid": args.grid, "peers": args.peers, "device": args.device or device_of(args.peers)}
    os.makedirs(args.out, exist_ok=True)
    write_csv(os.path.join(args.out, "results.csv"), results)
    write_json(os.path.join(args.out, "results.json"), results, summary, sources)
    write_summary(os.path.join(args.out, "summary.md"), results, summary, sources)
    print(f"merged {len(grid)} grid rows and {sum(len(v) for v in peers.values())} peer rows into {len(results)} cells in {args.out}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
