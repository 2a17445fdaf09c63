using System.Text.Json.Nodes;
using DeepPcr.Cli.Measuring;
using DeepPcr.Models.Mlp;
using DeepPcr.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Cli.Mlp;

/// <summary>
/// The forward pass of a deep MLP, timed three ways through the harness: layer by layer in TorchSharp
/// (the pinned framework baseline, best of 1 and 2 threads), the fused sequential C# loop, and DeepPCR
/// from a cold start (best of 1 and 2 threads). The error is measured against a float64 sequential pass.
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
        var fused = new FusedMlpLoop(chain);
        float[] fusedInput = input.to_type(ScalarType.Float32).data<float>().ToArray();
        float[] fusedOutput = new float[fusedInput.Length];

        // Only a run that converged without a fallback is a DeepPCR timing (DESIGN.md section 4).
        bool timeDeepPcr = solution.Fallback == Fallback.None && solution.Termination == Termination.Converged;
        var cases = new List<BenchCase>
        {
            new("torch_sequential_1t", () => TorchForward(layered, input), Threads: 1),
            new("torch_sequential_2t", () => TorchForward(layered, input), Threads: 2),
            new("fused_sequential", () => fused.Forward(fusedInput, fusedOutput)),
        };
        if (timeDeepPcr)
        {
            cases.Add(new("deeppcr_1t", () => SolveOnce(solver, chain, input), Threads: 1));
            cases.Add(new("deeppcr_2t", () => SolveOnce(solver, chain, input), Threads: 2));
        }
        var timings = Harness.Measure(cases, warmup: 1, repeats: point.Repeats);
        double torchMs = Harness.Best(timings, "torch_sequential_1t", "torch_sequential_2t").MedianMs;
        double fusedMs = Harness.Best(timings, "fused_sequential").MedianMs;
        double? deepPcrMs = timeDeepPcr ? Harness.Best(timings, "deeppcr_1t", "deeppcr_2t").MedianMs : null;

        return new JsonObject
        {
            ["method"] = solution.MethodName,
            ["engine"] = solution.EngineName,
            ["iterations"] = solution.Iterations,
            ["pcr_rounds"] = solution.PcrRounds,
            ["termination"] = Names.Of(solution.Termination),
            ["fallback"] = solution.FallbackName,
            ["max_rel_error"] = error,
            ["error_estimate"] = solution.FinalErrorEstimate,
            ["deeppcr_ms"] = deepPcrMs,
            ["torch_sequential_ms"] = torchMs,
            ["fused_sequential_ms"] = fusedMs,
            ["speedup_vs_torch_sequential"] = torchMs / deepPcrMs,
            ["speedup_vs_fused_sequential"] = fusedMs / deepPcrMs,
            ["note"] = timeDeepPcr ? null : $"DeepPCR did not converge on its own ({Names.Of(solution.Termination)}, fallback {solution.Fallback}: {solution.FallbackReason}); no DeepPCR time is reported",
        };
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
