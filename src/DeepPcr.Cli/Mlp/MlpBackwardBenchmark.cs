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
/// layer-by-layer loop (pinned: (forward + backward with autograd) minus forward with the graph, best of 1 and
/// 2 threads), a hand-written sequential C# backward loop over stored states, and DeepPCR's backward (one
/// reversed PCR solve plus parameter gradients) at the states of a converged DeepPCR forward.
/// The error pools the input gradient and every weight and bias gradient against float64 autograd.
/// </summary>
public static class MlpBackwardBenchmark
{
    /// <summary>Runs the point; returns the JSON object `backward` of docs/measuring.md.</summary>
    public static JsonObject Run(MlpPoint point, MlpChain chain, Tensor input)
    {
        using var scope = torch.NewDisposeScope();
        var cotangent = torch.randn(new long[] { point.Batch, point.Width }, dtype: ScalarType.Float64, generator: new Generator((ulong)point.Seed + 2))
            .to_type(point.Dtype);
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
        var fused = new FusedMlpLoop(chain);
        var fusedStates = new float[(point.Layers + 1) * point.Batch * point.Width];
        float[] fusedCotangent = cotangent.to_type(ScalarType.Float32).data<float>().ToArray();
        fused.ForwardKeepingStates(input.to_type(ScalarType.Float32).data<float>().ToArray(), fusedStates);
        var gradW = new float[point.Layers * point.Width * point.Width];
        var gradB = new float[point.Layers * point.Width];
        var gradX = new float[point.Batch * point.Width];

        var cases = new List<BenchCase>();
        foreach (int threads in new[] { 1, 2 })
        {
            cases.Add(new($"torch_forward_backward_{threads}t", () => TorchForwardBackward(layered, x, cotangent, leaves), threads));
            cases.Add(new($"torch_forward_graph_{threads}t", () => TorchForwardGraph(layered, x, cotangent), threads));
            cases.Add(new($"deeppcr_{threads}t", () => DeepPcrBackward(chain, input, states, cotangent), threads));
        }
        cases.Add(new("fused_sequential", () => fused.Backward(fusedStates, fusedCotangent, gradW, gradB, gradX)));
        var timings = Harness.Measure(cases, warmup: 1, repeats: point.Repeats);
        double Median(string label) => timings.Single(t => t.Label == label).MedianMs;
        double torchMs = new[] { 1, 2 }.Min(t => Median($"torch_forward_backward_{t}t") - Median($"torch_forward_graph_{t}t"));
        double deepPcrMs = Harness.Best(timings, "deeppcr_1t", "deeppcr_2t").MedianMs;
        double fusedMs = Median("fused_sequential");

        return new JsonObject
        {
            ["method"] = "deeppcr",
            ["pcr_rounds"] = adjoint.PcrRounds,
            ["engine"] = adjoint.Engine.Name(),
            ["forward_method"] = forward.MethodName,
            ["forward_engine"] = forward.EngineName,
            ["max_rel_error"] = error,
            ["deeppcr_ms"] = deepPcrMs,
            ["torch_sequential_ms"] = torchMs,
            ["fused_sequential_ms"] = fusedMs,
            ["speedup_vs_torch_sequential"] = torchMs / deepPcrMs,
            ["speedup_vs_fused_sequential"] = fusedMs / deepPcrMs,
        };
    }

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
