using System.Text.Json.Nodes;
using DeepPcr.Cli.Measuring;
using DeepPcr.Models.Mlp;
using DeepPcr.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Cli.Mlp;

/// <summary>
/// The forward pass of a deep MLP, timed through the harness: layer by layer in TorchSharp (the pinned framework
/// baseline), the compiled sequential baselines (<see cref="SequentialBaselines"/>: the fused C# loop and the C
/// reference), and DeepPCR from a cold start; each threaded method on 1 thread and on every core, the count bounding
/// TorchSharp and the host kernels alike, with the best and its count reported. The errors are measured against a
/// float64 sequential pass.
/// </summary>
public static class MlpForwardBenchmark
{
    /// <summary>Runs the point; returns the JSON object `forward` of docs/measuring.md.</summary>
    public static JsonObject Run(MlpPoint point, MlpChain chain, Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        Tensor reference;
        using (var chain64 = new DisposableChain(chain.To(ScalarType.Float64)))
        {
            reference = SequentialPass.Run(chain64.Chain, input.to_type(ScalarType.Float64));
        }
        var solver = ParallelChainSolver.DeepPcr;
        var solution = solver.Solve(chain, input);
        double error = MaxRelError(solution.States, reference);

        using var layered = new LayerByLayerMlp(chain);
        var baselines = new SequentialBaselines(chain, input, cotangent: null);

        // Only a run that converged without a fallback is a DeepPCR timing (docs/design.md section 4).
        bool timeDeepPcr = solution.Fallback == Fallback.None && solution.Termination == Termination.Converged;
        var cases = new List<BenchCase>(ThreadedCases.For("torch_sequential", () => TorchForward(layered, input)));
        cases.AddRange(baselines.Cases());
        if (timeDeepPcr) cases.AddRange(ThreadedCases.For("deeppcr", () => SolveOnce(solver, chain, input)));
        var (auto, autoCases) = AutoColumn.Forward(chain, input);
        cases.AddRange(autoCases);
        var timings = Harness.Measure(cases, warmup: 1, repeats: point.Repeats);
        var (torchMs, torchThreads) = ThreadedCases.Best(timings, "torch_sequential");
        var (fusedMs, _) = SequentialBaselines.Best(timings);
        (double Ms, int Threads)? deepPcr = timeDeepPcr ? ThreadedCases.Best(timings, "deeppcr") : null;

        var report = new JsonObject
        {
            ["method"] = solution.MethodName,
            ["engine"] = solution.EngineName,
            ["iterations"] = solution.Iterations,
            ["pcr_rounds"] = solution.PcrRounds,
            ["termination"] = Names.Of(solution.Termination),
            ["fallback"] = solution.FallbackName,
            ["max_rel_error"] = error,
            ["error_estimate"] = solution.FinalErrorEstimate,
            ["deeppcr_ms"] = deepPcr?.Ms,
            ["deeppcr_threads"] = deepPcr?.Threads,
            ["torch_sequential_ms"] = torchMs,
            ["torch_sequential_threads"] = torchThreads,
        };
        baselines.Report(report, timings, [reference]);
        AutoColumn.Report(report, timings, auto.MethodName, auto.EngineName, auto.FallbackName, MaxRelError(auto.States, reference));
        report["speedup_vs_torch_sequential"] = torchMs / deepPcr?.Ms;
        report["speedup_vs_fused_sequential"] = fusedMs / deepPcr?.Ms;
        report["note"] = timeDeepPcr ? null : $"DeepPCR did not converge on its own ({Names.Of(solution.Termination)}, fallback {solution.FallbackName}: {solution.FallbackReason}); no DeepPCR time is reported";
        return report;
    }

    /// <summary>max |a - b| / max |b| over all values: the error measure of docs/measuring.md.</summary>
    public static double MaxRelError(Tensor value, Tensor reference) =>
        MlpBackwardBenchmark.PooledError(new[] { value }, new[] { reference });

    private static void TorchForward(LayerByLayerMlp layered, Tensor input)
    {
        using var inference = torch.inference_mode();
        using var output = layered.Forward(input);
    }

    private static void SolveOnce(IChainSolver solver, MlpChain chain, Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        var solution = solver.Solve(chain, input);
        if (solution.Fallback != Fallback.None)
        {
            throw new InvalidOperationException("A timed DeepPCR run fell back; it would not be a DeepPCR timing.");
        }
    }

    private sealed class DisposableChain(MlpChain chain) : IDisposable
    {
        public MlpChain Chain => chain;
        public void Dispose()
        {
            chain.Weights.Dispose();
            chain.Biases.Dispose();
        }
    }
}
