using System.Text.Json.Nodes;
using DeepPcr.Cli.Measuring;
using DeepPcr.Cli.Mlp;
using DeepPcr.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Cli.Rnn;

/// <summary>
/// One point of `bench rnn`, in float32: the parallel solve (the cells library with the chosen solver, from its cold
/// initial guess, no state carried between repetitions), the fused sequential loop (the same library with the
/// sequential solver, whose host engine runs the cell step by step in compiled code), TorchSharp's nn.GRU / nn.LSTM for
/// the cells it has (for the diagonal cells, the dense module of the same size as <c>dense_module</c>), and the
/// TorchSharp cell called step by step; every column on 1 thread and on every core (TorchSharp's and the host kernels'
/// threads alike), the best reported with its count, all interleaved in one harness run. Errors are pooled against the
/// float64 sequential answer (the library's sequential solver in float64).
/// </summary>
public static class RnnExperiment
{
    /// <summary>The thread policy, for the envelope.</summary>
    public const string Threads = "every column timed on 1 thread and on every core (the count bounding TorchSharp and the host kernels alike); the best is reported with <label>_threads; the PyTorch peer likewise in one process per count";

    /// <summary>The passes, in report order.</summary>
    public static IReadOnlyList<string> Passes { get; } = new[] { "forward", "forward_backward" };

    /// <summary>Measures both passes of the point; one JSON object per pass.</summary>
    /// <param name="point">The point.</param>
    /// <param name="solverName">The parallel solve's method name (for the report).</param>
    /// <param name="solver">The parallel solve's method.</param>
    /// <param name="options">Its options.</param>
    public static IReadOnlyList<JsonObject> Run(RnnPoint point, string solverName, IChainSolver solver, SolverOptions options)
    {
        using var scope = torch.NewDisposeScope();
        var t64 = RnnTensors.Draw(point);
        var t32 = t64.To(ScalarType.Float32);
        using var reference = new LibraryRnn(point, t64, SequentialSolver.Instance, null);
        using var parallel = new LibraryRnn(point, t32, solver, options);
        using var fused = new LibraryRnn(point, t32, SequentialSolver.Instance, null);
        using var module = TorchRnn.Module(point, t32);
        using var dense = module is null ? TorchRnn.DenseModule(point, ScalarType.Float32) : null;
        using var loop = TorchRnn.CellLoop(point, t32);
        var columns = new List<RnnColumn>
        {
            new("fused_sequential", fused.Forward, fused.Parameters, "the cells library's sequential solver (host engine: the fused loop)"),
            new("torch_cell_loop", loop.Forward, loop.Parameters, loop.Implementation),
        };
        if (module is not null) columns.Add(new("torch_module", module.Forward, module.Parameters, module.Implementation));
        if (dense is not null) columns.Add(new("dense_module", dense.Forward, dense.Parameters, dense.Implementation + " of the same T, H, B, I (no diagonal module in libtorch)"));
        var referenceColumn = new RnnColumn("reference", reference.Forward, reference.Parameters, "float64 sequential");
        var parallelColumn = new RnnColumn("parallel", parallel.Forward, parallel.Parameters, solverName);
        return Passes.Select(pass => Measure(point, pass, solverName, parallel, parallelColumn, referenceColumn, columns, t64, t32)).ToArray();
    }

    private static JsonObject Measure(RnnPoint point, string pass, string solverName, LibraryRnn parallel, RnnColumn parallelColumn,
        RnnColumn reference, IReadOnlyList<RnnColumn> columns, RnnTensors t64, RnnTensors t32)
    {
        using var scope = torch.NewDisposeScope();
        bool backward = pass == "forward_backward";
        var expected = reference.Results(t64.Input, t64.Cotangent, backward);
        var row = Row(point, pass, solverName);
        var notes = new JsonObject();
        List<Tensor>? found = null;
        try
        {
            found = parallelColumn.Results(t32.Input, t32.Cotangent, backward);
        }
        catch (InvalidOperationException e)
        {
            notes["parallel"] = $"not converged: {e.Message}";
        }
        var solution = parallel.LastSolution;
        Describe(row, solution, found is null ? null : MlpBackwardBenchmark.PooledError(found, expected));
        if (backward && parallel.LastResult?.Adjoint is { } adjoint)
        {
            row["backward_engine"] = adjoint.Engine.Name();
            row["backward_method"] = adjoint.Method.ToString().ToLowerInvariant();
            row["backward_fallback"] = adjoint.Fallback.Name();
        }

        // Only a solve that converged without a fallback is a parallel timing (docs/design.md section 4).
        bool timeParallel = found is not null && solution is { Fallback: Fallback.None, Termination: Termination.Converged };
        if (found is not null && !timeParallel) notes["parallel"] = $"not timed: the solve ended {row["termination"]} with fallback {row["fallback"]}";
        var timed = timeParallel ? columns.Prepend(parallelColumn).ToList() : columns.ToList();
        var cases = timed.SelectMany(c => ThreadedCases.For(c.Label, () => c.Pass(t32.Input, t32.Cotangent, backward))).ToList();
        var timings = Harness.Measure(cases, warmup: 1, repeats: point.Repeats);

        row["parallel_ms"] = null;
        row["parallel_threads"] = null;
        foreach (var column in timed)
        {
            var (ms, threads) = ThreadedCases.Best(timings, column.Label);
            row[$"{column.Label}_ms"] = ms;
            row[$"{column.Label}_threads"] = threads;
            if (column.Label == "parallel") continue;
            row[$"{column.Label}_impl"] = column.Implementation;
            if (column.Label != "dense_module") row[$"{column.Label}_max_rel_error"] = MlpBackwardBenchmark.PooledError(column.Results(t32.Input, t32.Cotangent, backward), expected);
        }
        if (point.Diagonal)
        {
            row["torch_module_ms"] = null;
            notes["torch_module"] = $"libtorch has no {point.Cell} module; dense_module_ms times the dense {(point.Cell.StartsWith("gru", StringComparison.Ordinal) ? "nn.GRU" : "nn.LSTM")} of the same size";
        }
        else
        {
            row["dense_module_ms"] = null;
        }
        row["pytorch_ms"] = null;
        row["notes"] = notes;
        Speedups(row);
        return row;
    }

    /// <summary>The identifying fields of a point's row.</summary>
    public static JsonObject Row(RnnPoint point, string pass, string solverName) => new()
    {
        ["cell"] = point.Cell,
        ["T"] = point.Steps,
        ["H"] = point.Hidden,
        ["B"] = point.Batch,
        ["I"] = point.Inputs,
        ["pass"] = pass,
        ["solver"] = solverName,
    };

    private static void Describe(JsonObject row, ChainSolution? solution, double? error)
    {
        row["method"] = solution?.MethodName;
        row["engine"] = solution?.EngineName;
        row["iterations"] = solution?.Iterations;
        row["pcr_rounds"] = solution?.PcrRounds;
        row["termination"] = solution is null ? "iteration_limit" : Names.Of(solution.Termination);
        row["fallback"] = solution?.FallbackName ?? "none";
        row["fallback_reason"] = solution?.FallbackReason;
        row["max_rel_error"] = error;
        row["error_estimate"] = solution is null || double.IsNaN(solution.FinalErrorEstimate) ? null : solution.FinalErrorEstimate;
    }

    /// <summary>speedup_vs_{baseline} = baseline ms / parallel ms for every baseline present (null where either is absent).</summary>
    public static void Speedups(JsonObject row)
    {
        double? parallel = (double?)row["parallel_ms"];
        foreach (string baseline in new[] { "torch_module", "dense_module", "torch_cell_loop", "fused_sequential", "pytorch" })
        {
            row[$"speedup_vs_{baseline}"] = (double?)row[$"{baseline}_ms"] / parallel;
        }
    }
}
