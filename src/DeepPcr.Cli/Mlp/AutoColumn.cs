using System.Text.Json.Nodes;
using DeepPcr.Backward;
using DeepPcr.Cli.Measuring;
using DeepPcr.Models.Mlp;
using DeepPcr.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Cli.Mlp;

/// <summary>
/// The `auto` column of `mlp` (issue 21, item 6): what a user gets from <see cref="AutoSolver"/> forward and
/// <see cref="AdjointMethod.Auto"/> backward, timed across the same boundary as the fused loop and DeepPCR (CPU tensors
/// in, tensors out), on 1 thread and on every core like them where the method it chose runs differently on them (the
/// host sequential pass where it splits large batches, the pass from the states where it splits the batch as the fused
/// loop does). The decisions are made on the first, untimed call (the
/// cost model's calibration) and kept, as in a training loop. JSON: <c>auto_ms</c>, <c>auto_threads</c>,
/// <c>auto_method</c>, <c>auto_engine</c>, <c>auto_fallback</c>, <c>auto_max_rel_error</c> and the ratio
/// <c>auto_over_best</c> to the faster of the fused loop and DeepPCR.
/// </summary>
public static class AutoColumn
{
    private const string Label = "auto";

    /// <summary>The forward pass under auto: the solution of the first (calibrating) call, and the timed cases.</summary>
    /// <param name="chain">The network.</param>
    /// <param name="input">(B, w).</param>
    public static (ChainSolution First, IEnumerable<BenchCase> Cases) Forward(MlpChain chain, Tensor input)
    {
        var first = AutoSolver.Instance.Solve(chain, input);
        // The host sequential pass splits large batches: timed only at the thread counts it really runs on (timing one
        // thread's work under two labels would give it the better of two medians of the same code).
        bool host = first.Method == ChainMethod.Sequential && first.Engine == ChainEngine.Host;
        return (first, ThreadedCases.For(Label, () =>
        {
            using var scope = torch.NewDisposeScope();
            AutoSolver.Instance.Solve(chain, input);
        }, host ? SplitCounts(chain, input, MlpChain.SequentialThreadsFor) : null));
    }

    /// <summary>The backward pass under auto at the states of the auto forward pass: the chosen method's
    /// solution after calibration, the forward solution it ran on, and the timed cases.</summary>
    /// <param name="chain">The network.</param>
    /// <param name="input">(B, w).</param>
    /// <param name="cotangent">(B, w): dLoss/dz_L.</param>
    public static (AdjointSolution First, ChainSolution Forward, IEnumerable<BenchCase> Cases) Backward(MlpChain chain, Tensor input, Tensor cotangent)
    {
        ChainSolution forward;
        using (torch.no_grad()) forward = AutoSolver.Instance.Solve(chain, input);
        // The first call calibrates (and returns the last method it tried); the second runs the choice.
        AdjointSolver.Solve(chain, input, forward, cotangent, AdjointMethod.Auto, stateGradients: false).Dispose();
        var chosen = AdjointSolver.Solve(chain, input, forward, cotangent, AdjointMethod.Auto, stateGradients: false);
        // The backward pass from the states splits the batch as the fused loop does: timed only at the thread counts
        // it really runs on (like the fused column); PCR uses every count.
        bool fromStates = chosen.Method == AdjointMethod.Sequential && forward.Method == ChainMethod.Sequential;
        var counts = fromStates ? SplitCounts(chain, input, FusedMlpLoop<float>.ThreadsFor) : null;
        return (chosen, forward, ThreadedCases.For(Label, () =>
        {
            using var scope = torch.NewDisposeScope();
            AdjointSolver.Solve(chain, input, forward, cotangent, AdjointMethod.Auto, stateGradients: false).Dispose();
        }, counts));
    }

    /// <summary>The thread counts at which a pass that splits the batch by <paramref name="rule"/> (threads for
    /// (L, w, B) under the current limit) runs differently: 1, and every count it would really use.</summary>
    private static int[] SplitCounts(MlpChain chain, Tensor input, Func<int, int, int, int> rule) =>
        ThreadedCases.Counts.Where(t => t == 1 || ThreadsUnder(t, chain, input, rule) == t).ToArray();

    private static int ThreadsUnder(int limit, MlpChain chain, Tensor input, Func<int, int, int, int> rule)
    {
        using var scope = DeepPcr.Linear.HostThreads.Use(limit);
        return rule(chain.Length, chain.Width, (int)input.size(0));
    }

    /// <summary>Writes the column into a pass's JSON object.</summary>
    /// <param name="pass">The pass's object, with <c>fused_sequential_ms</c> and <c>deeppcr_ms</c> already written.</param>
    /// <param name="timings">The harness's timings, which include the auto cases.</param>
    /// <param name="method">The method auto ran ("sequential", "deeppcr").</param>
    /// <param name="engine">The engine it ran on.</param>
    /// <param name="fallback">Its fallback record's name.</param>
    /// <param name="error">Its max_rel_error against the float64 reference.</param>
    public static void Report(JsonObject pass, IReadOnlyList<Timing> timings, string method, string engine, string fallback, double error)
    {
        var (ms, threads) = ThreadedCases.Best(timings, Label);
        pass["auto_ms"] = ms;
        pass["auto_threads"] = threads;
        pass["auto_method"] = method;
        pass["auto_engine"] = engine;
        pass["auto_fallback"] = fallback;
        pass["auto_max_rel_error"] = error;
        double fused = pass["fused_sequential_ms"]!.GetValue<double>();
        double? deepPcr = pass["deeppcr_ms"]?.GetValue<double>();
        pass["auto_over_best"] = ms / Math.Min(fused, deepPcr ?? double.PositiveInfinity);
    }
}
