using System.Diagnostics;
using System.Text.Json.Nodes;
using DeepPcr.Cli.Measuring;
using DeepPcr.Cli.Progress;
using DeepPcr.Solvers;

namespace DeepPcr.Cli.Rnn;

/// <summary>Runs every point of an <see cref="RnnGrid"/> with progress, then the PyTorch peer, and returns the report.</summary>
public static class RnnGridRunner
{
    /// <summary>The report: the envelope, the grid, and `points`: one object per cell, T, H, B and pass, measured or not run
    /// (with the estimate that stopped it).</summary>
    public static JsonObject Run(RnnGrid grid, IChainSolver solver, SolverOptions options, IEnumerable<string> args, ProgressReporter progress)
    {
        var report = Provenance.Envelope("float32", RnnExperiment.Threads, args);
        report["grid"] = new JsonObject
        {
            ["cells"] = new JsonArray(grid.Cells.Select(v => (JsonNode)v).ToArray()),
            ["lengths"] = new JsonArray(grid.Lengths.Select(v => (JsonNode)v).ToArray()),
            ["hidden"] = new JsonArray(grid.Hidden.Select(v => (JsonNode)v).ToArray()),
            ["batches"] = new JsonArray(grid.Batches.Select(v => (JsonNode)v).ToArray()),
            ["inputs"] = grid.Inputs is int i ? i : "H",
            ["solver"] = grid.Solver,
            ["seed"] = grid.Seed,
            ["repeats"] = grid.Repeats,
            ["cap_ms"] = grid.CapMs,
            ["weights"] = "U(-1/sqrt(H), 1/sqrt(H)) as PyTorch's default (the diagonal weight_hh too); input and cotangent N(0, 1); zero initial states",
            ["initial_guess"] = "the solver's documented cold initial guess, no state carried between repetitions",
        };
        report["warmup"] = Warmup.Harness;
        var rows = new JsonArray();
        var measured = new List<RnnPoint>();
        var all = grid.Points().ToArray();
        progress.Total = all.Length + 1;
        foreach (var point in all)
        {
            var watch = Stopwatch.StartNew();
            string summary;
            double bytes = RnnLimits.Memory(point).TotalBytes;
            double? estimate = null;
            if (RnnLimits.MemoryRefusal(point) is string memory)
            {
                summary = NotRun(rows, point, grid.Solver, memory, estimate, bytes);
            }
            else if ((estimate = RnnLimits.EstimateMs(point, grid.Solver, solver, options)) is double e && e > grid.CapMs)
            {
                summary = NotRun(rows, point, grid.Solver, $"estimated {estimate / 1000:0.#} s, over the cap of {grid.CapMs / 1000:0.#} s (--cap-ms)", estimate, bytes);
            }
            else
            {
                var passes = RnnExperiment.Run(point, grid.Solver, solver, options);
                foreach (var row in passes)
                {
                    row["not_run"] = false;
                    row["estimated_ms"] = estimate;
                    row["estimated_bytes"] = bytes;
                    rows.Add(row);
                }
                measured.Add(point);
                summary = Summary(passes[0]);
            }
            progress.Advance($"{point}: {summary} ({watch.Elapsed.TotalSeconds:0.0} s)");
        }
        progress.Note($"PyTorch peer ({Mlp.PyTorchPeer.Version}) on {measured.Count} points ...");
        report["pytorch_failure"] = RnnPyTorchPeer.Attach(rows, measured);
        progress.Advance("PyTorch peer done");
        report["points"] = rows;
        return report;
    }

    private static string NotRun(JsonArray rows, RnnPoint point, string solverName, string reason, double? estimateMs, double bytes)
    {
        foreach (string pass in RnnExperiment.Passes)
        {
            var row = RnnExperiment.Row(point, pass, solverName);
            row["not_run"] = true;
            row["not_run_reason"] = reason;
            row["estimated_ms"] = estimateMs;
            row["estimated_bytes"] = bytes;
            foreach (string field in new[] { "method", "engine", "iterations", "termination", "fallback", "max_rel_error", "parallel_ms", "torch_module_ms", "torch_cell_loop_ms", "fused_sequential_ms", "pytorch_ms" })
            {
                row[field] = null;
            }
            rows.Add(row);
        }
        return $"not run: {reason}";
    }

    private static string Summary(JsonObject forward)
    {
        if ((double?)forward["parallel_ms"] is not double ms) return $"parallel not timed ({forward["termination"]}, fallback {forward["fallback"]})";
        string Ratio(string baseline) => (double?)forward[$"speedup_vs_{baseline}"] is double s ? $"{s:0.00}x" : "-";
        return $"forward {ms:0.###} ms, {forward["iterations"]} it, vs cell loop {Ratio("torch_cell_loop")}, vs fused {Ratio("fused_sequential")}, vs module {Ratio("torch_module")}";
    }
}
