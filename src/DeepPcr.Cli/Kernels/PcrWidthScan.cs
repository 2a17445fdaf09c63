using System.Text.Json.Nodes;
using DeepPcr.Cli.Measuring;
using DeepPcr.Linear;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Cli.Kernels;

/// <summary>
/// Whole dense PCR solves by block width, float32: the tiled host kernel (where the CPU has AVX-512), the row-major
/// host kernel and TorchSharp operations on the same recurrence, timed in one harness run, with the flop count of
/// <see cref="PcrThroughput.Flops"/>. The evidence behind the widths the tiled kernel takes (HostPcr.TiledMaxWidth).
/// </summary>
public static class PcrWidthScan
{
    /// <summary>One row: the three solves of an (L, B, w) dense recurrence.</summary>
    public static JsonObject Measure(int length, int batch, int width, int repeats)
    {
        using var scope = torch.NewDisposeScope();
        var generator = new Generator((ulong)(1000 + width));
        var a = torch.randn(new long[] { length, batch, width, width }, generator: generator) * (0.9 / Math.Sqrt(width));
        var recurrence = new LinearRecurrence(BlockStructure.Dense, a, torch.randn(new long[] { length, batch, width }, generator: generator), torch.randn(new long[] { batch, width }, generator: generator));
        bool tiled = ParallelCyclicReduction.SupportsHostKernel(recurrence, HostPcrKernel.Tiled);
        var cases = new List<BenchCase>
        {
            new("row_major", () => { using var s = torch.NewDisposeScope(); ParallelCyclicReduction.SolveOnHost(recurrence, HostPcrKernel.RowMajor); }),
            new("torch_1t", () => { using var s = torch.NewDisposeScope(); ParallelCyclicReduction.SolveWithTorchOps(recurrence); }, 1),
            new("torch_2t", () => { using var s = torch.NewDisposeScope(); ParallelCyclicReduction.SolveWithTorchOps(recurrence); }, 2),
        };
        if (tiled) cases.Add(new("tiled", () => { using var s = torch.NewDisposeScope(); ParallelCyclicReduction.SolveOnHost(recurrence, HostPcrKernel.Tiled); }));
        var timings = Harness.Measure(cases, warmup: 1, repeats: repeats);
        double flops = PcrThroughput.Flops(length, batch, width, "dense");
        double rowMajor = timings.Single(t => t.Label == "row_major").MedianMs;
        double torchOps = Harness.Best(timings, "torch_1t", "torch_2t").MedianMs;
        double? tiledMs = tiled ? timings.Single(t => t.Label == "tiled").MedianMs : null;
        return new JsonObject
        {
            ["structure"] = "dense",
            ["layers"] = length,
            ["batch"] = batch,
            ["width"] = width,
            ["pcr_rounds"] = ParallelCyclicReduction.RoundsFor(length),
            ["flops"] = flops,
            ["tiled_solve_ms"] = tiledMs,
            ["row_major_solve_ms"] = rowMajor,
            ["torch_ops_ms"] = torchOps,
            ["tiled_solve_gflops"] = flops / tiledMs / 1e6,
            ["row_major_solve_gflops"] = flops / rowMajor / 1e6,
            ["torch_ops_gflops"] = flops / torchOps / 1e6,
            ["tiled_speedup_vs_row_major"] = rowMajor / tiledMs,
            ["tiled_speedup_vs_torch_ops"] = torchOps / tiledMs,
        };
    }
}
