using System.Text.Json.Nodes;
using DeepPcr.Cli.Measuring;
using DeepPcr.Linear;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Cli.Kernels;

/// <summary>
/// GFLOP/s of a whole PCR solve (all ceil(log2 L) rounds) on the host kernel and on TorchSharp operations, per block
/// structure, from the exact flop count of the reduction: per round s, (L - s) B block-vector products and
/// max(0, L - 2s) B block products.
/// </summary>
public static class PcrThroughput
{
    /// <summary>One measurement row.</summary>
    public static JsonObject Measure(string structureName, int length, int batch, int width, int repeats)
    {
        using var scope = torch.NewDisposeScope();
        var structure = structureName switch
        {
            "dense" => BlockStructure.Dense,
            "diagonal" => BlockStructure.Diagonal,
            _ => BlockStructure.Scalar,
        };
        var shape = new long[] { length, batch }.Concat(structure.BlockShape(width)).ToArray();
        var generator = new Generator(1);
        var a = torch.randn(shape, generator: generator) * (0.9 / Math.Sqrt(structureName == "dense" ? width : 1));
        var recurrence = new LinearRecurrence(structure, a, torch.randn(new long[] { length, batch, width }, generator: generator), torch.randn(new long[] { batch, width }, generator: generator));
        var cases = new List<BenchCase>();
        foreach (int threads in new[] { 1, 2 })
        {
            cases.Add(new($"torch_ops_{threads}t", () => { using var s = torch.NewDisposeScope(); ParallelCyclicReduction.SolveWithTorchOps(recurrence); }, threads));
        }
        cases.Add(new("host_kernel", () => { using var s = torch.NewDisposeScope(); ParallelCyclicReduction.SolveOnHost(recurrence); }));
        var timings = Harness.Measure(cases, warmup: 2, repeats: repeats);
        double flops = Flops(length, batch, width, structureName);
        double host = timings.Single(t => t.Label == "host_kernel").MedianMs, ops = Harness.Best(timings, "torch_ops_1t", "torch_ops_2t").MedianMs;
        return new JsonObject
        {
            ["structure"] = structureName,
            ["layers"] = length,
            ["batch"] = batch,
            ["width"] = width,
            ["pcr_rounds"] = ParallelCyclicReduction.RoundsFor(length),
            ["flops"] = flops,
            ["host_kernel_ms"] = host,
            ["torch_ops_ms"] = ops,
            ["host_kernel_gflops"] = flops / host / 1e6,
            ["torch_ops_gflops"] = flops / ops / 1e6,
            ["speedup_vs_torch_ops"] = ops / host,
        };
    }

    /// <summary>The flops of a whole PCR solve.</summary>
    public static double Flops(int length, int batch, int width, string structure)
    {
        double apply = structure == "dense" ? 2.0 * width * width : 2.0 * width;
        double compose = structure == "dense" ? 2.0 * width * width * width : structure == "diagonal" ? width : 1;
        double total = batch * apply; // folding z_0 into row 1
        for (long s = 1; s < length; s *= 2) total += (length - s) * batch * apply + Math.Max(0, length - 2 * s) * batch * compose;
        return total;
    }
}
