using DeepPcr.Cli.Errors;
using DeepPcr.Tests.Support;

namespace DeepPcr.Tests.Cli;

/// <summary>
/// Every sizing option of every command at an absurd value: refused before any work with exit 2 and one line about
/// memory (or the index types), and no output written. Each refusal must come within seconds.
/// </summary>
public sealed class AbsurdSizeTests : IDisposable
{
    private readonly TempFolder folder = new("deeppcr-sizes");

    public void Dispose() => folder.Dispose();

    public static TheoryData<string[]> Absurd() => new()
    {
        new[] { "mlp", "--layers", "100000000", "--width", "64" },
        new[] { "mlp", "--width", "1000000" },
        new[] { "mlp", "--batch", "2000000000", "--width", "64" },
        new[] { "bench", "mlp", "--out", "OUT", "--layers", "100000000", "--widths", "64", "--batches", "1" },
        new[] { "bench", "mlp", "--out", "OUT", "--layers", "8", "--widths", "1000000", "--batches", "1" },
        new[] { "bench", "mlp", "--out", "OUT", "--layers", "1024", "--widths", "64", "--batches", "2000000000" },
        new[] { "bench", "solvers", "--out", "OUT", "--layers", "100000000", "--widths", "64" },
        new[] { "bench", "solvers", "--out", "OUT", "--layers", "8", "--widths", "1000000" },
        new[] { "bench", "solvers", "--out", "OUT", "--layers", "1024", "--widths", "64", "--batch", "2000000000" },
        new[] { "bench", "diffusion", "--out", "OUT", "--count", "2000000000" },
        new[] { "sample", "diffusion", "--out", "OUT", "--steps", "100000000" },
        new[] { "sample", "diffusion", "--out", "OUT", "--count", "2000000000" },
        new[] { "train", "resnet", "--out", "OUT", "--depth", "1000000000" },
        new[] { "train", "resnet", "--out", "OUT", "--width", "1000000" },
        new[] { "train", "resnet", "--out", "OUT", "--batch", "2000000000", "--width", "64" },
        new[] { "train", "diffusion", "--out", "OUT/model.safetensors", "--steps", "2000000000" },
        new[] { "train", "diffusion", "--out", "OUT/model.safetensors", "--hidden", "2000000000" },
        new[] { "make-model", "--out", "OUT", "--layers", "100000000", "--width", "64" },
        new[] { "make-model", "--out", "OUT", "--width", "1000000" },
        new[] { "make-model", "--out", "OUT", "--batch", "2000000000", "--width", "64" },
    };

    [Theory]
    [MemberData(nameof(Absurd))]
    public void IsRefusedBeforeWorkWithOneLineAboutMemory(string[] args)
    {
        string output = folder.PathOf("out");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var result = CliInvocation.Run(args.Select(a => a.Replace("OUT", output)).ToArray());
        Assert.Equal(ExitCodes.UsageError, result.Code);
        var line = Assert.Single(result.ErrorLines);
        Assert.Matches("not enough memory|too large", line);
        Assert.DoesNotContain("Exception", line);
        Assert.False(Directory.Exists(output) || File.Exists(output), "an output was written");
        Assert.InRange(watch.Elapsed.TotalSeconds, 0, 30);
    }

    [Fact]
    public void RunRefusesAnInputWhoseBatchNeedsTooMuchMemory()
    {
        // 4 MiB of weights and a 16 MiB input are nothing to read, but DeepPCR's Jacobians L*B*w^2 would be 256 GiB.
        string files = folder.PathOf("files");
        Assert.Equal(ExitCodes.Success, CliInvocation.Run("make-model", "--out", files, "--layers", "256", "--width", "64", "--batch", "65536").Code);
        string output = folder.PathOf("out.safetensors");
        var result = CliInvocation.Run("run", "--model", Path.Combine(files, "model.safetensors"), "--input", Path.Combine(files, "input.safetensors"), "--output", output);
        Assert.Equal(ExitCodes.UsageError, result.Code);
        Assert.Contains("not enough memory: run on", Assert.Single(result.ErrorLines));
        Assert.Contains("B = 65536", result.Error);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void AnElementCountBeyondTheIndexTypesIsRefusedEvenWithoutAMemoryLimit()
    {
        var result = CliInvocation.Run("--max-memory", "100T", "mlp", "--layers", "100000000", "--width", "64");
        Assert.Equal(ExitCodes.UsageError, result.Code);
        Assert.Contains("more than one buffer can index", Assert.Single(result.ErrorLines));
    }

    [Fact]
    public void MaxMemoryLowersTheLimitAndIsNamed()
    {
        var result = CliInvocation.Run("mlp", "--layers", "64", "--width", "4", "--max-memory", "100M");
        Assert.Equal(ExitCodes.UsageError, result.Code);
        Assert.Contains("the --max-memory limit is 100 MiB", Assert.Single(result.ErrorLines));
        var bad = CliInvocation.Run("mlp", "--max-memory", "lots");
        Assert.Equal(ExitCodes.UsageError, bad.Code);
        Assert.Contains("--max-memory", Assert.Single(bad.ErrorLines));
    }

    [Theory]
    [InlineData("mlp", "--layers", "3000000000")]
    [InlineData("sample", "diffusion", "--steps", "99999999999")]
    [InlineData("train", "resnet", "--depth", "-")]
    public void ValuesBeyondTheIntegerTypeAreParseErrors(params string[] args)
    {
        var result = CliInvocation.Run(args);
        Assert.Equal(ExitCodes.UsageError, result.Code);
        Assert.InRange(result.ErrorLines.Length, 1, 3);
        Assert.Empty(result.Out);
    }
}
