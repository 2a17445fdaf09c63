using System.Text.Json.Nodes;
using DeepPcr.Gpu.Engine;
using DeepPcr.Gpu.Model;
using DeepPcr.GpuBench.Bench;
using DeepPcr.GpuBench.Commands;

namespace DeepPcr.Gpu.Tests;

/// <summary>The benchmark's point and grid logic on the CPU accelerator at tiny sizes (timings are not checked, only what is written).</summary>
[Collection(CpuDeviceCollection.Name)]
public sealed class BenchTests(CpuDeviceFixture fixture) : IDisposable
{
    private static readonly BenchSettings Settings = new(Repeats: 1, Seed: 3, Gain: 1.0, AcceleratorKind.Cpu, EngineOptions.Default);
    private readonly string _folder = Directory.CreateTempSubdirectory("deeppcr-gpu-bench-tests-").FullName;

    /// <inheritdoc />
    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void PointReportsEveryField()
    {
        var json = PointBenchmark.Run(fixture.Device, new Cell(5, 3, 2), Settings);
        foreach (string pass in new[] { "forward", "backward" })
        {
            var m = json[pass]!.AsObject();
            Assert.Equal("deeppcr", (string?)m["method"]);
            Assert.Equal("none", (string?)m["fallback"]);
            Assert.Equal("converged", (string?)m["termination"]);
            Assert.Equal(3, (int)m["pcr_rounds"]!);
            Assert.InRange((double)m["max_rel_error"]!, 0, 1e-4);
            foreach (string key in new[] { "deeppcr_ms", "per_layer_ms", "persistent_ms", "speedup_vs_per_layer", "speedup_vs_persistent", "one_group_ms", "multi_launch_ms" })
                Assert.True((double)m[key]! > 0, key);
        }
    }

    /// <summary>A forward pass that hits its limit under the safeguards reports the fallback that produced the states and no DeepPCR time.</summary>
    [Fact]
    public void PointReportsTheFallback()
    {
        var json = PointBenchmark.Run(fixture.Device, new Cell(5, 3, 2), Settings with { Engine = EngineOptions.Default with { MaxIterations = 1 } });
        foreach (string pass in new[] { "forward", "backward" })
        {
            var m = json[pass]!.AsObject();
            Assert.Equal(("fell_back", "sequential"), ((string?)m["termination"], (string?)m["fallback"]));
            Assert.Null(m["deeppcr_ms"]);
            Assert.NotNull(m["note"]);
        }
        Assert.Contains("no convergence within 1 iterations", (string?)json["forward"]!["note"]);
    }

    [Fact]
    public void GridWritesRowsCellsAndModels()
    {
        Cell[] cells = [new(2, 1, 1), new(3, 3, 2)];
        var envelope = new JsonObject { ["dtype"] = "float32" };
        int measured = GridRunner.Run(fixture.Device, cells, Settings, _folder, budgetSeconds: 600, saveModels: true, envelope, TextWriter.Null);

        Assert.Equal(2, measured);
        var lines = File.ReadAllLines(Path.Combine(_folder, "gpu_grid.csv"));
        Assert.Equal(string.Join(',', GridCsv.Columns), lines[0]);
        Assert.Equal("layers,width,batch,pass,iterations,pcr_rounds,termination,max_rel_error,deeppcr_ms,per_layer_ms,persistent_ms,speedup_vs_per_layer,speedup_vs_persistent", lines[0]);
        Assert.Equal(5, lines.Length);
        Assert.StartsWith("3,3,2,backward,0,2,converged,", lines[4]);
        var cell = JsonNode.Parse(File.ReadAllText(Path.Combine(_folder, "cells", "L3_w3_b2.json")))!.AsObject();
        Assert.Equal("float32", (string?)cell["dtype"]);
        Assert.NotNull(cell["forward"]!["deeppcr_ms"]);

        var model = MlpModelFiles.Load(Path.Combine(_folder, "models", "mlp_L3_w3.safetensors"));
        Assert.Equal(MlpModel.Random(3, 3, 1.0, 3).RoundedToFloat32().Weights, model.Weights);
        Assert.True(File.Exists(Path.Combine(_folder, "models", "io_L3_w3_b2.safetensors")));
        Assert.True(File.Exists(Path.Combine(_folder, "models", "mlp_L2_w1.safetensors")));
    }

    [Fact]
    public void SpentBudgetMarksCellsNotRun()
    {
        Cell[] cells = [new(2, 1, 1), new(3, 3, 2)];
        int measured = GridRunner.Run(fixture.Device, cells, Settings, _folder, budgetSeconds: 0, saveModels: false, new JsonObject(), TextWriter.Null);
        Assert.Equal(0, measured);
        var lines = File.ReadAllLines(Path.Combine(_folder, "gpu_grid.csv"));
        Assert.Equal(["2,1,1,forward,,,not_run,,,,,,", "2,1,1,backward,,,not_run,,,,,,", "3,3,2,forward,,,not_run,,,,,,", "3,3,2,backward,,,not_run,,,,,,"], lines.Skip(1));
    }

    [Theory]
    [InlineData("64,256,1024", new[] { 64, 256, 1024 })]
    [InlineData(" 1, 4 ,16", new[] { 1, 4, 16 })]
    public void ListsParse(string text, int[] expected) => Assert.Equal(expected, SharedOptions.ParseList(text, "--layers"));

    [Theory]
    [InlineData("")]
    [InlineData("4,-1")]
    [InlineData("4,x")]
    public void BadListsAreRefused(string text) => Assert.Throws<ArgumentException>(() => SharedOptions.ParseList(text, "--widths"));

    [Fact]
    public void CheckPassesEveryPathOnTheCpuAccelerator()
    {
        var report = EngineCheck.Run(fixture.Device, [new Cell(3, 3, 2), new Cell(4, 1, 1)], seed: 2, gain: 1.0, TextWriter.Null);
        Assert.True((bool)report["ok"]!);
        Assert.Equal(10, report["checks"]!.AsArray().Count);
    }

    [Fact]
    public void CellsParse()
    {
        Assert.Equal([new Cell(1024, 4, 1), new Cell(2, 3, 16)], CheckCommand.ParseCells("1024:4:1, 2:3:16"));
        Assert.Throws<ArgumentException>(() => CheckCommand.ParseCells("4:4"));
        Assert.Throws<ArgumentException>(() => CheckCommand.ParseCells("4:65:1"));
        Assert.Throws<ArgumentException>(() => CheckCommand.ParseCells(""));
    }

    [Fact]
    public void BadSettingsAreRefused()
    {
        Assert.Throws<ArgumentException>(() => SharedOptions.ParseAccelerator("gpu"));
        Assert.Throws<ArgumentException>(() => (Settings with { Repeats = 0 }).Validate());
        Assert.Throws<ArgumentException>(() => BenchSettings.Validate(new Cell(4, 65, 1)));
    }
}
