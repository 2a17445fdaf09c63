using System.Diagnostics;
using DeepPcr.Linear;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Cli.Bench;

/// <summary>
/// Estimates the time of a DeepPCR forward solve before running it, so that grid cells that would take too
/// long are shown as not run with their estimate instead of being dropped. The dense PCR dominates:
/// about B L log2(L) block products of 2 w^3 flops per Newton iteration, at a rate measured once on this machine.
/// </summary>
public sealed class CostModel
{
    private CostModel(double flopsPerMs, double overheadMs) { FlopsPerMs = flopsPerMs; OverheadMs = overheadMs; }

    /// <summary>Measured dense-PCR throughput, flops per millisecond.</summary>
    public double FlopsPerMs { get; }

    /// <summary>Measured fixed cost of one Newton iteration (framework calls), milliseconds.</summary>
    public double OverheadMs { get; }

    /// <summary>Iterations assumed by the estimate (the demo's chain needs 5).</summary>
    public const int AssumedIterations = 6;

    /// <summary>Calibrates on a (256, 1, 16) dense PCR solve and a (1, 1, 1) one, in the given dtype.</summary>
    public static CostModel Calibrate(ScalarType dtype)
    {
        using var scope = torch.NewDisposeScope();
        double big = Time(256, 16, dtype), tiny = Time(2, 1, dtype);
        double flops = Flops(256, 1, 16);
        return new CostModel(flops / Math.Max(big - tiny, 1e-3), tiny * 20);
    }

    /// <summary>Estimated milliseconds of one DeepPCR forward solve.</summary>
    public double EstimateMs(int layers, int width, int batch) =>
        AssumedIterations * (Flops(layers, batch, width) / FlopsPerMs + OverheadMs);

    private static double Flops(int layers, int batch, int width) =>
        (double)batch * layers * Math.Max(1, ParallelCyclicReduction.RoundsFor(layers)) * 2.0 * width * width * width;

    private static double Time(int length, int width, ScalarType dtype)
    {
        var a = torch.randn(new long[] { length, 1, width, width }, dtype: dtype) * (0.5 / Math.Sqrt(width));
        var recurrence = new LinearRecurrence(BlockStructure.Dense, a, torch.randn(new long[] { length, 1, width }, dtype: dtype), torch.zeros(new long[] { 1, width }, dtype: dtype));
        ParallelCyclicReduction.Solve(recurrence);
        var times = new List<double>();
        for (int i = 0; i < 5; i++)
        {
            var watch = Stopwatch.StartNew();
            using var s = torch.NewDisposeScope();
            ParallelCyclicReduction.Solve(recurrence);
            times.Add(watch.Elapsed.TotalMilliseconds);
        }
        return times.Min();
    }
}
