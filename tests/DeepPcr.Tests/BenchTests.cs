using System.Text.Json.Nodes;
using DeepPcr.Cli.Bench;
using DeepPcr.Cli.Mlp;
using DeepPcr.Models.Mlp;
using DeepPcr.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Tests;

/// <summary>The MLP benchmark machinery end to end on a tiny grid (correctness of its outputs, not speed).</summary>
public class BenchTests
{
    [Fact]
    public void TinyGridWritesEveryOutputAndMarksCellsNotRun()
    {
        var grid = new MlpGrid(new[] { 2, 8 }, new[] { 1, 3 }, new[] { 1 }, 0.9, Activation.Tanh, ScalarType.Float32, 0, 1, CapMs: 1e9);
        var report = MlpGridRunner.Run(grid, new[] { "bench", "mlp" }, DeepPcr.Cli.Progress.ProgressReporter.Plain(TextWriter.Null));
        var points = report["points"]!.AsArray();
        Assert.Equal(4, points.Count);
        foreach (var point in points)
        {
            Assert.Equal("deeppcr", (string?)point!["forward"]!["method"]);
            Assert.InRange((double)point["forward"]!["max_rel_error"]!, 0.0, 1e-4);
            Assert.InRange((double)point["backward"]!["max_rel_error"]!, 0.0, 1e-4);
            foreach (string pass in new[] { "forward", "backward" }) AssertBaselineColumns(point[pass]!.AsObject());
        }
        // A point over the cap is kept as "not run" with its estimate, never dropped.
        points.Add(new JsonObject { ["layers"] = 8, ["width"] = 64, ["batch"] = 1, ["not_run"] = true, ["estimated_deeppcr_ms"] = 12345.0 });
        report["grid"]!["widths"]!.AsArray().Add(64);
        string folder = Directory.CreateTempSubdirectory("deeppcr-bench").FullName;
        using var outputs = new DeepPcr.Cli.Files.AtomicOutputs();
        var pngs = MlpPlots.Write(report, folder, outputs);
        outputs.Commit();
        Assert.Equal(5, pngs.Count);
        Assert.All(pngs, p => Assert.True(new FileInfo(p).Length > 1000, p));
        string csv = MlpResultsCsv.Format(report);
        var lines = csv.TrimEnd().Split('\n');
        Assert.Equal(1 + 2 * 5, lines.Length);
        Assert.Contains(lines, l => l.StartsWith("8,64,1,forward,") && l.EndsWith(",true,12345"));
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public void GridListsAreParsedStrictly()
    {
        Assert.Equal(new[] { 4, 16 }, MlpGrid.ParseList("4, 16", "--layers"));
        Assert.Contains("--widths", Assert.Throws<ArgumentException>(() => MlpGrid.ParseList("4,x", "--widths")).Message);
        Assert.Throws<ArgumentException>(() => MlpGrid.ParseList("0", "--batches"));
        Assert.Throws<ArgumentException>(() => MlpGrid.ParseList("", "--batches"));
    }

    /// <summary>Every timed column names its threads; the compiled baselines are there and right, or say why not.</summary>
    private static void AssertBaselineColumns(JsonObject pass)
    {
        foreach (string label in new[] { "deeppcr", "torch_sequential", "fused_sequential", "auto" })
        {
            Assert.Contains((int)pass[$"{label}_threads"]!, DeepPcr.Cli.Mlp.ThreadedCases.Counts);
        }
        Assert.True((double)pass["fused_sequential_ms"]! <= (double)pass["fused_sequential_1t_ms"]!);
        Assert.InRange((double)pass["fused_sequential_max_rel_error"]!, 0.0, 1e-5);
        Assert.Contains((string)pass["auto_method"]!, new[] { "sequential", "deeppcr" });
        Assert.Equal("host", (string)pass["auto_engine"]!);
        Assert.InRange((double)pass["auto_max_rel_error"]!, 0.0, 1e-5);
        Assert.True((double)pass["auto_ms"]! > 0);
        Assert.Equal((double)pass["auto_ms"]! / Math.Min((double)pass["fused_sequential_ms"]!, (double?)pass["deeppcr_ms"] ?? double.PositiveInfinity),
            (double)pass["auto_over_best"]!, 12);
        string status = (string)pass["c_reference"]!;
        if (status.StartsWith("absent", StringComparison.Ordinal))
        {
            Assert.Null(pass["c_reference_ms"]);
        }
        else
        {
            Assert.StartsWith("gcc ", status);
            Assert.Equal(1, (int)pass["c_reference_threads"]!);
            Assert.True((double)pass["c_reference_ms"]! > 0);
            Assert.InRange((double)pass["c_reference_max_rel_error"]!, 0.0, 1e-5);
        }
        string version = (string)pass["pytorch_version"]!;
        if (version.StartsWith("absent", StringComparison.Ordinal)) Assert.Null(pass["pytorch_ms"]);
        else Assert.InRange((double)pass["pytorch_max_rel_error"]!, 0.0, 1e-5);
    }
}
