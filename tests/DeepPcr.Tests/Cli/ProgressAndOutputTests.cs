using System.Text.Json.Nodes;
using DeepPcr.Cli.Diffusion;
using DeepPcr.Cli.Progress;
using DeepPcr.Tests.Support;
using SkiaSharp;
using TorchSharp;

namespace DeepPcr.Tests.Cli;

/// <summary>Progress goes to stderr in plain lines when redirected; --json keeps stdout one JSON object; samples are drawn at a viewable size.</summary>
public sealed class ProgressAndOutputTests
{
    [Fact]
    public void PlainProgressPrintsTheFirstAndLastUnitsWithElapsedAndRemainingTime()
    {
        var lines = new StringWriter();
        using (var progress = ProgressReporter.Plain(lines, TimeSpan.FromHours(1)))
        {
            progress.Total = 3;
            progress.Advance("first");
            progress.Advance("second");   // within the hour-long interval after the first: not printed
            progress.Advance("third");
        }
        var printed = lines.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, printed.Length);
        Assert.Matches(@"^\[1/3\] first \(\d+:\d\d elapsed, about \d+:\d\d left\)", printed[0]);
        Assert.StartsWith("[3/3] third", printed[1]);
    }

    [Fact]
    public void JsonOnStdoutStaysCleanWhileProgressGoesToStderr()
    {
        var result = CliInvocation.Run("sample", "diffusion", "--steps", "16", "--count", "2", "--solver", "picard", "--json");
        Assert.Equal(0, result.Code);
        var report = JsonNode.Parse(result.Out)!.AsObject();
        Assert.Equal("converged", (string?)report["picard"]!["termination"]);
        Assert.Contains("untimed", (string?)report["warmup"]);
        Assert.Contains(result.ErrorLines, l => l.StartsWith("[1/2] sequential", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(8, 1)]
    [InlineData(64, 6)]
    public void SampleImagesAreDrawnLargeEnoughToSee(int count, int panels)
    {
        using var scope = torch.NewDisposeScope();
        string path = Path.Combine(Path.GetTempPath(), $"deeppcr-samples-{Guid.NewGuid():N}.png");
        var samples = Enumerable.Range(0, panels).Select(p => ($"sampler{p}", torch.rand(count, 64) * 2 - 1)).ToArray();
        SampleGrid.Write(samples, path);
        using var image = SKBitmap.Decode(path);
        File.Delete(path);
        int shown = Math.Min(64, count), columns = SampleGrid.ColumnsFor(shown);
        Assert.InRange(SampleGrid.PixelFor(shown) * 8, 48, 80);   // one 8x8 digit is 48 to 80 screen pixels
        Assert.InRange(image.Height, SampleGrid.PixelFor(shown) * 8 * ((shown + columns - 1) / columns), 1000);
        Assert.InRange(image.Width, 160 * panels, 600 * panels);
    }
}
