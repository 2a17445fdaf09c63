using DeepPcr.Cli.Commands;
using DeepPcr.Cli.Errors;
using DeepPcr.Cli.Files;
using DeepPcr.Tests.Support;

namespace DeepPcr.Tests.Cli;

/// <summary>
/// Paths are checked before any work; an output never overwrites an input; outputs appear whole or not at all;
/// non-finite results are refused with exit 3; empty result folders are input errors.
/// </summary>
public sealed class PathAndOutputTests : IDisposable
{
    private readonly TempFolder temp = new("deeppcr-paths");

    public void Dispose() => temp.Dispose();

    private string folder => temp.Root;

    private string PathOf(string name) => temp.PathOf(name);

    private void MakeModel(string name, params string[] extra) =>
        Assert.Equal(0, CliInvocation.Run(new[] { "make-model", "--out", PathOf(name), "--layers", "16", "--width", "3", "--batch", "2" }.Concat(extra).ToArray()).Code);

    private string[] RunArgs(string model, string output) => new[]
    {
        "run", "--model", PathOf($"{model}/{MakeModelCommand.ModelName}"), "--input", PathOf($"{model}/{MakeModelCommand.InputName}"),
        "--cotangent", PathOf($"{model}/{MakeModelCommand.CotangentName}"), "--output", output,
    };

    public static TheoryData<string[]> UnwritableOutputs() => new()
    {
        new[] { "train", "resnet", "--out", "/proc/deeppcr-out", "--epochs", "1" },
        new[] { "train", "resnet", "--out", "FILE/sub", "--epochs", "1" },
        new[] { "bench", "mlp", "--out", "/proc/deeppcr-out", "--layers", "2", "--widths", "1", "--batches", "1" },
        new[] { "bench", "solvers", "--out", "/proc/deeppcr-out", "--layers", "2", "--widths", "1" },
        new[] { "bench", "diffusion", "--out", "/proc/deeppcr-out" },
        new[] { "bench", "modules", "--out", "/proc/deeppcr-out" },
        new[] { "sample", "diffusion", "--out", "/proc/deeppcr-out" },
        new[] { "train", "diffusion", "--out", "/proc/deeppcr.safetensors" },
        new[] { "train", "classifier", "--out", "FILE" + "/c.safetensors" },
        new[] { "make-model", "--out", "/proc/deeppcr-out" },
        new[] { "sample", "diffusion", "--model", "MISSING" },
    };

    [Theory]
    [MemberData(nameof(UnwritableOutputs))]
    public void UnwritableOutputsAndMissingInputsAreRefusedBeforeWork(string[] args)
    {
        File.WriteAllText(PathOf("file"), "not a folder");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var result = CliInvocation.Run(args.Select(a => a.Replace("FILE", PathOf("file")).Replace("MISSING", PathOf("missing.safetensors"))).ToArray());
        Assert.Equal(ExitCodes.UsageError, result.Code);
        var line = Assert.Single(result.ErrorLines);
        Assert.Matches("cannot write|is a file|does not exist", line);
        Assert.InRange(watch.Elapsed.TotalSeconds, 0, 30);   // no training or sampling ran first
    }

    [Fact]
    public void RunRefusesAnOutputThatIsAnInputEvenThroughALink()
    {
        MakeModel("m");
        string input = PathOf($"m/{MakeModelCommand.InputName}");
        byte[] before = File.ReadAllBytes(input);
        var same = CliInvocation.Run(RunArgs("m", input));
        Assert.Equal(ExitCodes.UsageError, same.Code);
        Assert.Contains("overwrite the input", Assert.Single(same.ErrorLines));
        File.CreateSymbolicLink(PathOf("link.safetensors"), PathOf($"m/{MakeModelCommand.ModelName}"));
        var linked = CliInvocation.Run(RunArgs("m", PathOf("link.safetensors")));
        Assert.Equal(ExitCodes.UsageError, linked.Code);
        Assert.Contains("--model", Assert.Single(linked.ErrorLines));
        Assert.Equal(before, File.ReadAllBytes(input));
    }

    [Fact]
    public void AnOverflowingModelExits3NamingTheLayerAndWritesNothing()
    {
        MakeModel("big", "--gain", "1000", "--activation", "identity");
        File.WriteAllText(PathOf("out.safetensors"), "an earlier result");
        var result = CliInvocation.Run(RunArgs("big", PathOf("out.safetensors")));
        Assert.Equal(ExitCodes.NumericalFailure, result.Code);
        var line = Assert.Single(result.ErrorLines);
        Assert.Matches(@"non-finite values .* first at layer \d+ of 16", line);
        Assert.Equal("an earlier result", File.ReadAllText(PathOf("out.safetensors")));
        Assert.Empty(Directory.GetFiles(folder, "*.tmp*"));
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"runs\": []}")]
    [InlineData("{\"runs\": [{\"tolerance\": 0.01, \"steps\": 10, \"count\": 2}]}")]
    [InlineData("not json")]
    [InlineData(null)]
    public void ReplotOfAFolderWithoutResultsIsAnInputError(string? json)
    {
        Directory.CreateDirectory(PathOf("results"));
        if (json is not null) File.WriteAllText(PathOf("results/results.json"), json);
        var result = CliInvocation.Run("bench", "diffusion", "--replot", "--out", PathOf("results"));
        Assert.Equal(ExitCodes.UsageError, result.Code);
        Assert.DoesNotContain("Exception", Assert.Single(result.ErrorLines));
        Assert.False(File.Exists(PathOf("results/results.csv")));
        Assert.Empty(Directory.GetFiles(PathOf("results"), "*.png"));
    }

    [Fact]
    public void OutputsAppearTogetherOnCommitAndNotAtAllOtherwise()
    {
        File.WriteAllText(PathOf("a.txt"), "old a");
        using (var failed = new AtomicOutputs())
        {
            failed.WriteAllText(PathOf("a.txt"), "new a");
            failed.WriteAllText(PathOf("new/b.txt"), "new b");
            Assert.Equal("old a", File.ReadAllText(PathOf("a.txt")));
        }
        Assert.Equal("old a", File.ReadAllText(PathOf("a.txt")));
        Assert.False(Directory.Exists(PathOf("new")));
        Assert.Single(Directory.GetFileSystemEntries(folder));
        using (var done = new AtomicOutputs())
        {
            done.WriteAllText(PathOf("a.txt"), "new a");
            done.Save(PathOf("new/b.png"), path => File.WriteAllText(path, Path.GetExtension(path)));
            done.Commit();
        }
        Assert.Equal("new a", File.ReadAllText(PathOf("a.txt")));
        Assert.Equal(".png", File.ReadAllText(PathOf("new/b.png")));
        Assert.Empty(Directory.GetFiles(folder, "*.tmp*", SearchOption.AllDirectories));
    }
}
