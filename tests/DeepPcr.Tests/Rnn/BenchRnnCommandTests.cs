using System.Text.Json.Nodes;
using DeepPcr.Cli.Errors;
using DeepPcr.Tests.Support;

namespace DeepPcr.Tests.Rnn;

/// <summary>`deeppcr bench rnn` end to end at tiny sizes: the JSON fields of the issue, converged parallel solves that agree
/// with the float64 sequential answer, every baseline's column where it exists and null with a reason where not, the
/// not-run report with its estimate, and the files of --out. No timing is asserted.</summary>
[Collection(HostThreadsCollection.Name)]
public sealed class BenchRnnCommandTests
{
    private static readonly string[] Fields =
    {
        "cell", "T", "H", "B", "pass", "method", "engine", "iterations", "termination", "fallback", "max_rel_error",
        "parallel_ms", "torch_module_ms", "torch_cell_loop_ms", "fused_sequential_ms", "pytorch_ms",
    };

    [Fact]
    public void EveryPointAndPassCarriesTheIssuesFields()
    {
        using var folder = new TempFolder("deeppcr-bench-rnn");
        var result = CliInvocation.Run("bench", "rnn", "--json", "--cells", "gru-diag,lstm", "--lengths", "5,16", "--hidden", "3",
            "--batches", "2", "--repeats", "1", "--out", folder.Root);
        Assert.True(result.Code == 0, result.Error);
        var report = JsonNode.Parse(result.Out)!.AsObject();
        var points = report["points"]!.AsArray().Select(p => p!.AsObject()).ToArray();
        Assert.Equal(2 * 2 * 2, points.Length);
        foreach (var p in points)
        {
            foreach (string field in Fields) Assert.True(p.ContainsKey(field), $"missing {field}");
            Assert.Equal("converged", (string)p["termination"]!);
            Assert.Equal("none", (string)p["fallback"]!);
            Assert.True((double)p["max_rel_error"]! < 1e-4, $"{p["cell"]} {p["T"]} {p["pass"]}: {p["max_rel_error"]}");
            Assert.True((double)p["parallel_ms"]! > 0);
            Assert.True((double)p["torch_cell_loop_ms"]! > 0);
            Assert.True((double)p["fused_sequential_ms"]! > 0);
            Assert.True((double)p["torch_cell_loop_max_rel_error"]! < 1e-4);
            Assert.True((double)p["fused_sequential_max_rel_error"]! < 1e-4);
            Assert.NotNull(p["speedup_vs_fused_sequential"]);
            if ((string)p["cell"]! == "lstm")
            {
                Assert.True((double)p["torch_module_ms"]! > 0);
                Assert.NotNull(p["speedup_vs_torch_module"]);
            }
            else
            {
                Assert.Null(p["torch_module_ms"]);
                Assert.Contains("no gru-diag module", (string)p["notes"]!["torch_module"]!);
                Assert.True((double)p["dense_module_ms"]! > 0);
                Assert.NotNull(p["speedup_vs_dense_module"]);
            }
            Assert.True(p["pytorch_ms"] is not null || p["notes"]!["pytorch"] is not null, "pytorch_ms is null without a reason");
        }
        Assert.Equal(new[] { "forward", "forward_backward" }, points.Take(2).Select(p => (string)p["pass"]!));
        Assert.True(File.Exists(folder.PathOf("results.json")));
        string[] csv = File.ReadAllLines(folder.PathOf("results.csv"));
        Assert.Equal(1 + points.Length, csv.Length);
        Assert.StartsWith("cell,T,H,B,I,pass,", csv[0]);
        Assert.NotEmpty(Directory.GetFiles(folder.Root, "speedup_gru-diag_forward_vs_torch_cell_loop.png"));
    }

    [Fact]
    public void PointsOverTheCapAreReportedAsNotRunWithTheirEstimate()
    {
        var result = CliInvocation.Run("bench", "rnn", "--json", "--cells", "gru", "--lengths", "4096", "--hidden", "4", "--batches", "1",
            "--repeats", "1", "--cap-ms", "1");
        Assert.True(result.Code == 0, result.Error);
        var points = JsonNode.Parse(result.Out)!["points"]!.AsArray();
        Assert.Equal(2, points.Count);
        foreach (var p in points)
        {
            Assert.True((bool)p!["not_run"]!);
            Assert.True((double)p["estimated_ms"]! > 1);
            Assert.Contains("--cap-ms", (string)p["not_run_reason"]!);
            Assert.Null(p["parallel_ms"]);
        }
    }

    [Fact]
    public void TheTableNamesTheDenseModuleComparison()
    {
        var result = CliInvocation.Run("bench", "rnn", "--cells", "gru-diag", "--lengths", "4", "--hidden", "2", "--batches", "1", "--repeats", "1");
        Assert.Equal(ExitCodes.Success, result.Code);
        Assert.Contains("gru-diag", result.Out);
        Assert.Contains("dense nn.GRU", result.Out);
    }
}
