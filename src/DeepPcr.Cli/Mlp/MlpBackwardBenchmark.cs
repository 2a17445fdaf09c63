using System.Text.Json.Nodes;
using DeepPcr.Backward;
using DeepPcr.Cli.Measuring;
using DeepPcr.Models.Mlp;
using DeepPcr.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Cli.Mlp;

/// <summary>
/// The backward pass of sum(z_L * g) through a deep MLP, timed three ways: TorchSharp autograd through the
/// layer-by-layer loop (pinned: (forward + backward with autograd) minus forward with the graph), the compiled
/// sequential baselines (<see cref="SequentialBaselines"/>: the fused C# backward over its forward pass's tape and
/// the C reference), and DeepPCR's backward (one reversed PCR solve plus parameter gradients) at the states of a
/// converged DeepPCR forward; each threaded method on 1 thread and on every core, with the best and its count.
/// The error pools the input gradient and every weight and bias gradient against float64 autograd.
/// </summary>
public static class MlpBackwardBenchmark
{
    /// <summary>Runs the point; returns the JSON object `backward` of docs/measuring.md.</summary>
    public static JsonObject Run(MlpPoint point, MlpChain chain, Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        var cotangent = Cotangent(point);
        var reference = AutogradGradients(chain.To(ScalarType.Float64), input.to_type(ScalarType.Float64), cotangent.to_type(ScalarType.Float64));

        ChainSolution forward;
        using (torch.no_grad()) forward = ParallelChainSolver.DeepPcr.Solve(chain, input);
        var states = forward.States;
        var adjoint = AdjointSolver.Solve(chain, input, states, cotangent);
        double error = PooledError(new[] { adjoint.InputGradient, adjoint.ParameterGradients[0], adjoint.ParameterGradients[1] }, reference);

        using var layered = new LayerByLayerMlp(chain, requiresGrad: true);
        var x = input.detach().clone().requires_grad_(true);
        var leaves = new List<Tensor> { x };
        leaves.AddRange(layered.WeightsTransposed);
        leaves.AddRange(layered.Biases);
        var baselines = new SequentialBaselines(chain, input, cotangent);

        var cases = new List<BenchCase>();
        cases.AddRange(ThreadedCases.For("torch_forward_backward", () => TorchForwardBackward(layered, x, cotangent, leaves)));
        cases.AddRange(ThreadedCases.For("torch_forward_graph", () => TorchForwardGraph(layered, x, cotangent)));
        cases.AddRange(ThreadedCases.For("deeppcr", () => DeepPcrBackward(chain, input, states, cotangent)));
        cases.AddRange(baselines.Cases());
        var (auto, autoForward, autoCases) = AutoColumn.Backward(chain, input, cotangent);
        cases.AddRange(autoCases);
        var timings = Harness.Measure(cases, warmup: 1, repeats: point.Repeats);
        var (torchMs, torchThreads) = ThreadedCases.Counts
            .Select(t => (ThreadedCases.Median(timings, "torch_forward_backward", t) - ThreadedCases.Median(timings, "torch_forward_graph", t), t))
            .MinBy(p => p.Item1);
        var (deepPcrMs, deepPcrThreads) = ThreadedCases.Best(timings, "deeppcr");
        var (fusedMs, _) = SequentialBaselines.Best(timings);

        var report = new JsonObject
        {
            ["method"] = "deeppcr",
            ["pcr_rounds"] = adjoint.PcrRounds,
            ["engine"] = adjoint.Engine.Name(),
            ["forward_method"] = forward.MethodName,
            ["forward_engine"] = forward.EngineName,
            ["max_rel_error"] = error,
            ["deeppcr_ms"] = deepPcrMs,
            ["deeppcr_threads"] = deepPcrThreads,
            ["torch_sequential_ms"] = torchMs,
            ["torch_sequential_threads"] = torchThreads,
        };
        baselines.Report(report, timings, reference);
        AutoColumn.Report(report, timings, AutoMethodName(auto), auto.Engine.Name(), auto.Fallback.Name(),
            PooledError(new[] { auto.InputGradient, auto.ParameterGradients[0], auto.ParameterGradients[1] }, reference));
        report["auto_forward_method"] = autoForward.MethodName;
        report["speedup_vs_torch_sequential"] = torchMs / deepPcrMs;
        report["speedup_vs_fused_sequential"] = fusedMs / deepPcrMs;
        return report;
    }

    /// <summary>The point's seeded cotangent g (B, w) (seed + 2), in the point's dtype.</summary>
    public static Tensor Cotangent(MlpPoint point) =>
        torch.randn(new long[] { point.Batch, point.Width }, dtype: ScalarType.Float64, generator: new Generator((ulong)point.Seed + 2)).to_type(point.Dtype);

    /// <summary>[input (B, w), weights (L, w, w), biases (L, w)] gradients of sum(z_L * g) by autograd, sequentially.</summary>
    private static Tensor[] AutogradGradients(MlpChain chain, Tensor input, Tensor cotangent)
    {
        using var layered = new LayerByLayerMlp(chain, requiresGrad: true);
        var x = input.detach().clone().requires_grad_(true);
        var loss = (layered.ForwardWithGraph(x) * cotangent).sum();
        var leaves = new List<Tensor> { x };
        leaves.AddRange(layered.WeightsTransposed);
        leaves.AddRange(layered.Biases);
        var grads = torch.autograd.grad(new[] { loss }, leaves);
        int layers = chain.Length;
        var weights = torch.stack(grads.Skip(1).Take(layers).Select(g => g.t()), 0);
        var biases = torch.stack(grads.Skip(1 + layers), 0);
        return new[] { grads[0], weights, biases };
    }

    /// <summary>max |delta| / max |ref| pooled over all tensors compared at once.</summary>
    public static double PooledError(IReadOnlyList<Tensor> value, IReadOnlyList<Tensor> reference)
    {
        using var scope = torch.NewDisposeScope();
        double delta = 0, scale = 0;
        for (int i = 0; i < value.Count; i++)
        {
            var r = reference[i].to_type(ScalarType.Float64);
            delta = Math.Max(delta, (value[i].to_type(ScalarType.Float64) - r).abs().max().ToDouble());
            scale = Math.Max(scale, r.abs().max().ToDouble());
        }
        return scale == 0 ? delta : delta / scale;
    }

    /// <summary>"deeppcr" for the PCR solve of the reversed chain, "sequential" row by row.</summary>
    private static string AutoMethodName(AdjointSolution solution) => solution.Method == AdjointMethod.Parallel ? "deeppcr" : "sequential";

    private static void TorchForwardBackward(LayerByLayerMlp layered, Tensor x, Tensor cotangent, List<Tensor> leaves)
    {
        using var scope = torch.NewDisposeScope();
        var loss = (layered.ForwardWithGraph(x) * cotangent).sum();
        torch.autograd.grad(new[] { loss }, leaves);
    }

    private static void TorchForwardGraph(LayerByLayerMlp layered, Tensor x, Tensor cotangent)
    {
        using var scope = torch.NewDisposeScope();
        (layered.ForwardWithGraph(x) * cotangent).sum();
    }

    private static void DeepPcrBackward(MlpChain chain, Tensor input, Tensor states, Tensor cotangent)
    {
        using var scope = torch.NewDisposeScope();
        AdjointSolver.Solve(chain, input, states, cotangent);
    }
}
