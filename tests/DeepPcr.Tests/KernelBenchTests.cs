using System.Text.Json.Nodes;
using DeepPcr.Cli.Commands;
using DeepPcr.Cli.Kernels;

namespace DeepPcr.Tests;

/// <summary>The flop count behind the kernel GFLOP/s figures, and `bench kernels --peak-only`.</summary>
public class KernelBenchTests
{
    [Fact]
    public void FlopCountFollowsTheReduction()
    {
        // L = 2, B = 1, w = 2 dense: folding z_0 (8 flops), round 1 updates one row (8), composes none.
        Assert.Equal(16.0, PcrThroughput.Flops(2, 1, 2, "dense"));
        // L = 4: fold 8; round 1: 3 rows x 8 + 2 compositions x 16; round 2: 2 rows x 8.
        Assert.Equal(8 + 24 + 32 + 16.0, PcrThroughput.Flops(4, 1, 2, "dense"));
        Assert.Equal(2 * (4 + 3 * 4 + 2 * 2 + 2 * 4.0), PcrThroughput.Flops(4, 2, 2, "diagonal"));
    }

    [Fact]
    public void PeakOnlyMeasuresThePeakAndNoRounds()
    {
        string[] args = ["bench", "kernels", "--peak-only", "--json"];
        var output = new StringWriter();
        var original = Console.Out;
        Console.SetOut(output);
        int exit;
        try
        {
            exit = BenchKernelsCommand.Create(args).Parse(args[2..]).Invoke();
        }
        finally
        {
            Console.SetOut(original);
        }
        Assert.Equal(0, exit);
        var report = JsonNode.Parse(output.ToString())!.AsObject();
        Assert.True((double)report["fma_peak_measured_gflops"]! > 0);
        Assert.Empty(report["rows"]!.AsArray());
        Assert.Empty(report["width_rows"]!.AsArray());
    }
}
