using DeepPcr.Cli.Progress;
using System.Diagnostics;
using System.Text.Json.Nodes;
using DeepPcr.Autograd;
using DeepPcr.Cli.Measuring;
using DeepPcr.Models.Modules;
using DeepPcr.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Cli.Modules;

/// <summary>
/// `deeppcr bench modules`: a user's own TorchSharp modules three ways, in float32: called one after another (the plain
/// column, best of 1 and 2 TorchSharp threads), and through <see cref="ModuleChains"/> with `auto` and with `deeppcr`,
/// forward only (no autograd on either side) and forward + backward (the loss sum(z_L^2), input and parameter
/// gradients). Every time comes from the measuring harness (warm-up, interleaved repetitions, medians); the first call
/// of each chain, which pays Auto's calibration, is timed on its own. max_rel_error pools the output, the input
/// gradient and every parameter gradient against the plain modules in float64.
/// </summary>
public static class ModuleBench
{
    /// <summary>Runs every case; returns the report (envelope and `cases`).</summary>
    public static JsonObject Run(IReadOnlyList<ModuleCase> cases, int repeats, long seed, IEnumerable<string> args, ProgressReporter progress)
    {
        progress.Total = cases.Count * 4;
        var report = Provenance.Envelope("float32", "plain: best of 1 and 2 TorchSharp threads; chains: best of 1 and 2 TorchSharp threads, host kernels on every core", args);
        var rows = new JsonArray();
        foreach (var c in cases)
        {
            foreach (string pass in new[] { "forward", "forward_backward" })
            {
                foreach (string solver in new[] { "auto", "deeppcr" })
                {
                    rows.Add(Measure(c, pass, solver, repeats, seed));
                    progress.Advance($"{c.Name} (L, w, B) = ({c.Layers}, {c.Width}, {c.Batch}), {pass}, {solver}");
                }
            }
        }
        report["warmup"] = Warmup.Harness;
        report["cases"] = rows;
        return report;
    }

    private static JsonObject Measure(ModuleCase c, string pass, string solverName, int repeats, long seed)
    {
        using var scope = torch.NewDisposeScope();
        bool backward = pass == "forward_backward";
        var modules = c.Build(ScalarType.Float32, seed);
        var reference = c.Build(ScalarType.Float64, seed);
        IChainSolver solver = solverName == "auto" ? AutoSolver.Instance : ParallelChainSolver.DeepPcr;
        var chain = ModuleChains.From(modules, solver);
        var input64 = torch.randn(new long[] { c.Batch, c.Width }, dtype: ScalarType.Float64, generator: new Generator((ulong)seed + 1));
        var input = input64.to_type(ScalarType.Float32);

        void Plain() => Pass(x => ModuleCase.CallAll(modules, x), input, backward);
        void Chain() => Pass(chain.call, input, backward);
        var first = Stopwatch.StartNew();
        Chain();
        double firstMs = first.Elapsed.TotalMilliseconds;
        var timings = Harness.Measure(new BenchCase[]
        {
            new("plain_1t", Plain, Threads: 1), new("plain_2t", Plain, Threads: 2),
            new("chain_1t", Chain, Threads: 1), new("chain_2t", Chain, Threads: 2),
        }, warmup: 1, repeats: repeats);
        double plainMs = Harness.Best(timings, "plain_1t", "plain_2t").MedianMs;
        var best = Harness.Best(timings, "chain_1t", "chain_2t");

        var value = Results(chain.call, chain.parameters(), input, backward);
        var expected = Results(x => ModuleCase.CallAll(reference, x), reference.SelectMany(m => m.parameters()), input64, backward);
        return new JsonObject
        {
            ["case"] = c.Name,
            ["L"] = c.Layers,
            ["w"] = c.Width,
            ["B"] = c.Batch,
            ["pass"] = pass,
            ["solver"] = solverName,
            ["step"] = chain.Step.GetType().Name,
            ["engine"] = chain.LastEngine?.Name(),
            ["method"] = chain.LastMethod?.Name(),
            ["backward_engine"] = backward ? chain.LastAdjoint?.Engine.Name() ?? "torch" : null,
            ["backward_method"] = backward ? chain.LastAdjoint?.Method.ToString().ToLowerInvariant() ?? "autograd" : null,
            ["ms"] = best.MedianMs,
            ["chain_threads"] = best.Label == "chain_1t" ? 1 : 2,
            ["plain_ms"] = plainMs,
            ["speedup_vs_plain"] = plainMs / best.MedianMs,
            ["first_call_ms"] = firstMs,
            ["max_rel_error"] = PooledError(value, expected),
        };
    }

    /// <summary>One pass: forward without autograd, or forward and backward of sum(z_L^2) with an input that needs its gradient.</summary>
    private static void Pass(Func<Tensor, Tensor> run, Tensor input, bool backward)
    {
        using var scope = torch.NewDisposeScope();
        if (!backward)
        {
            using var noGrad = torch.no_grad();
            run(input);
            return;
        }
        var x = input.detach().requires_grad_(true);
        run(x).square().sum().backward();
    }

    /// <summary>The output, and with <paramref name="backward"/> the input gradient and every parameter gradient, in float64.</summary>
    private static List<Tensor> Results(Func<Tensor, Tensor> run, IEnumerable<Tensor> parameters, Tensor input, bool backward)
    {
        var list = parameters.ToList();
        foreach (var p in list) p.grad?.zero_();
        var x = input.detach().clone().requires_grad_(backward);
        var output = run(x);
        var results = new List<Tensor> { output.detach().to_type(ScalarType.Float64) };
        if (!backward) return results;
        output.square().sum().backward();
        results.Add(x.grad!.to_type(ScalarType.Float64));
        results.AddRange(list.Select(p => p.grad!.to_type(ScalarType.Float64)));
        return results;
    }

    /// <summary>max |delta| / max |ref| over all values compared at once.</summary>
    private static double PooledError(IReadOnlyList<Tensor> value, IReadOnlyList<Tensor> reference)
    {
        double delta = 0, scale = 0;
        for (int i = 0; i < reference.Count; i++)
        {
            delta = Math.Max(delta, (value[i] - reference[i]).abs().max().ToDouble());
            scale = Math.Max(scale, reference[i].abs().max().ToDouble());
        }
        return delta / scale;
    }
}
