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

    [Fact]
    public void FusedBackwardLoopMatchesAutograd()
    {
        using var scope = torch.NewDisposeScope();
        var chain = MlpChain.Random(12, 3, 0.9, Activation.Tanh, ScalarType.Float32, seed: 5);
        var input = torch.randn(new long[] { 2, 3 }, generator: new Generator(6));
        var cotangent = torch.randn(new long[] { 2, 3 }, generator: new Generator(7));
        var fused = new FusedMlpLoop(chain);
        var states = new float[13 * 2 * 3];
        fused.ForwardKeepingStates(input.data<float>().ToArray(), states);
        float[] gw = new float[12 * 9], gb = new float[12 * 3], gx = new float[6];
        fused.Backward(states, cotangent.data<float>().ToArray(), gw, gb, gx);

        var model = new MlpStack(chain.Weights, chain.Biases, Activation.Tanh) { Mode = DeepPcr.Autograd.ChainMode.Sequential };
        var x = input.clone().requires_grad_(true);
        (model.call(x) * cotangent).sum().backward();
        Assert.InRange(Recurrences.MaxAbsDiff(torch.tensor(gx).reshape(2, 3), x.grad!), 0.0, 1e-5);
        Assert.InRange(Recurrences.MaxAbsDiff(torch.tensor(gw).reshape(12, 3, 3), model.Chain.Weights.grad!), 0.0, 1e-5);
        Assert.InRange(Recurrences.MaxAbsDiff(torch.tensor(gb).reshape(12, 3), model.Chain.Biases.grad!), 0.0, 1e-5);
    }
}
