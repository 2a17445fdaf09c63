using System.Text.Json.Nodes;
using DeepPcr.Gpu.Engine;
using DeepPcr.Gpu.Recurrent;
using DeepPcr.GpuBench.Bench;

namespace DeepPcr.Gpu.Tests;

/// <summary>The recurrent grid's points and bookkeeping on the CPU accelerator at tiny sizes (timings are not checked, only what is written).</summary>
[Collection(CpuDeviceCollection.Name)]
public sealed class RnnBenchTests(CpuDeviceFixture fixture) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("deeppcr-gpu-rnn-bench-tests-").FullName;

    /// <inheritdoc />
    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>Both passes of a point carry the vocabulary: cell, T, H, B, pass, iterations, termination, max_rel_error (float64 reference, within 1e-4) and both times.</summary>
    [Theory]
    [InlineData(RecurrentCell.GruDiag)]
    [InlineData(RecurrentCell.LstmCifgDiag)]
    public void PointReportsEveryField(RecurrentCell cell)
    {
        var passes = RnnBenchmark.Run(fixture.Device, new RnnPoint(cell, 9, 3, 2, 4), repeats: 1, seed: 2, EngineOptions.Default);
        Assert.Equal(["forward", "forward_backward"], passes.Select(p => (string?)p["pass"]));
        foreach (var p in passes)
        {
            Assert.Equal(cell.Name(), (string?)p["cell"]);
            Assert.Equal((9, 3, 2), ((int)p["T"]!, (int)p["H"]!, (int)p["B"]!));
            Assert.Equal(("converged", "none"), ((string?)p["termination"], (string?)p["fallback"]));
            Assert.InRange((int)p["iterations"]!, 1, 9);
            Assert.InRange((double)p["max_rel_error"]!, 0, 1e-4);
            Assert.Equal("float64 host sequential", (string?)p["error_reference"]);
            Assert.True((double)p["deeppcr_ms"]! > 0 && (double)p["sequential_ms"]! > 0);
        }
    }

    /// <summary>
    /// The grid runs its points smallest first and writes rnn.json with the envelope; a point over the memory limit and
    /// one whose index space does not fit in an int are written as not run with the reason, not dropped.
    /// </summary>
    [Fact]
    public void GridReportsPointsItCannotRun()
    {
        RnnPoint small = new(RecurrentCell.GruDiag, 4, 2, 1, 2), big = new(RecurrentCell.LstmCifgDiag, 300, 4, 1, 4), huge = new(RecurrentCell.LstmCifgDiag, 1 << 20, 64, 8, 64);
        long limit = RnnGrid.Estimate(small)!.Value + 1;
        Assert.True(RnnGrid.Estimate(big) > limit);
        Assert.Null(RnnGrid.Estimate(huge));
        var result = RnnGrid.Run(fixture.Device, [big, huge, small], 1, 1, EngineOptions.Default, limit, 600, _folder, new JsonObject { ["device"] = "test" }, TextWriter.Null);

        var written = JsonNode.Parse(File.ReadAllText(Path.Combine(_folder, "rnn.json")))!.AsObject();
        Assert.Equal("test", (string?)written["device"]);
        var points = written["points"]!.AsArray();
        Assert.Equal(6, points.Count);
        Assert.Equal(result["points"]!.ToJsonString(), points.ToJsonString());
        Assert.Equal(("gru-diag", "converged"), ((string?)points[0]!["cell"], (string?)points[0]!["termination"]));
        Assert.Contains("device memory", (string?)points[2]!["note"]);
        Assert.Contains("int", (string?)points[4]!["note"]);
        Assert.All(points.Skip(2), p => Assert.Equal("not_run", (string?)p!["termination"]));
    }
}
