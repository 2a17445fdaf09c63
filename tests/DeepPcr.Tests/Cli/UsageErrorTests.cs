using DeepPcr.Cli.Errors;
using DeepPcr.Tests.Support;

namespace DeepPcr.Tests.Cli;

/// <summary>Parse errors and bad values: exit 2, at most three lines on stderr, nothing on stdout, no .NET type names.</summary>
public sealed class UsageErrorTests
{
    public static TheoryData<string[]> WrongTypes() => new()
    {
        new[] { "mlp", "--batch", "lots" },
        new[] { "mlp", "--gain", "x" },
        new[] { "demo", "--repeats", "1.5" },
        new[] { "bench", "mlp", "--out", "o", "--repeats", "many" },
        new[] { "bench", "diffusion", "--out", "o", "--count", "1e3" },
        new[] { "bench", "solvers", "--out", "o", "--batch", "two" },
        new[] { "bench", "kernels", "--repeats", "seven" },
        new[] { "bench", "modules", "--repeats", "five" },
        new[] { "bench", "rnn", "--repeats", "five" },
        new[] { "train", "charlm", "--steps", "many" },
        new[] { "sample", "diffusion", "--steps", "lots" },
        new[] { "train", "resnet", "--lr", "fast" },
        new[] { "train", "diffusion", "--out", "m.safetensors", "--hidden", "wide" },
        new[] { "make-model", "--out", "o", "--layers", "deep" },
        new[] { "run", "--model", "m", "--input", "x" },
        new[] { "mlp", "--no-such-option" },
        new[] { "no-such-command" },
        System.Array.Empty<string>(),
    };

    [Theory]
    [MemberData(nameof(WrongTypes))]
    public void ParseErrorsPrintAtMostThreeLinesOnStderrAndExit2(string[] args)
    {
        var result = CliInvocation.Run(args);
        Assert.Equal(ExitCodes.UsageError, result.Code);
        Assert.Empty(result.Out);
        Assert.InRange(result.ErrorLines.Length, 1, 3);
        Assert.StartsWith("error: ", result.ErrorLines[0]);
        Assert.Contains("--help", result.ErrorLines[^1]);
        Assert.DoesNotContain("System.", result.Error);
    }

    public static TheoryData<string[], string> BadValues() => new()
    {
        { new[] { "mlp", "--layers", "0" }, "--layers" },
        { new[] { "mlp", "--dtype", "float16" }, "float16" },
        { new[] { "mlp", "--activation", "swish" }, "swish" },
        { new[] { "bench", "kernels", "--repeats", "0" }, "--repeats" },
        { new[] { "bench", "modules", "--out", "OUT", "--repeats", "0" }, "--repeats" },
        { new[] { "bench", "mlp", "--out", "OUT", "--layers", "8,x" }, "--layers" },
        { new[] { "bench", "solvers", "--out", "OUT", "--gains", "-1" }, "--gains" },
        { new[] { "bench", "diffusion", "--out", "OUT", "--tolerances", "0" }, "--tolerances" },
        { new[] { "bench", "diffusion", "--out", "OUT", "--chunk", "0" }, "--chunk" },
        { new[] { "sample", "diffusion", "--solver", "magic" }, "magic" },
        { new[] { "train", "resnet", "--epochs", "0" }, "--epochs" },
        { new[] { "train", "resnet", "--data", "cifar" }, "cifar" },
        { new[] { "train", "diffusion", "--out", "OUT/m.safetensors", "--steps", "1" }, "--steps" },
        { new[] { "train", "classifier", "--out", "OUT/c.safetensors", "--epochs", "0" }, "--epochs" },
        { new[] { "make-model", "--out", "OUT", "--width", "0" }, "--width" },
        { new[] { "bench", "rnn", "--out", "OUT", "--cells", "rnn-tanh" }, "rnn-tanh" },
        { new[] { "bench", "rnn", "--out", "OUT", "--lengths", "16,0" }, "--lengths" },
        { new[] { "bench", "rnn", "--out", "OUT", "--hidden", "x" }, "--hidden" },
        { new[] { "bench", "rnn", "--out", "OUT", "--repeats", "0" }, "--repeats" },
        { new[] { "bench", "rnn", "--out", "OUT", "--solver", "sequential" }, "--solver" },
        { new[] { "bench", "rnn", "--out", "OUT", "--solver", "magic" }, "magic" },
        { new[] { "train", "charlm", "--out", "OUT", "--cell", "rnn-tanh" }, "rnn-tanh" },
        { new[] { "train", "charlm", "--out", "OUT", "--log-every", "6" }, "--log-every" },
        { new[] { "train", "charlm", "--out", "OUT", "--solver", "deeppcr,elk" }, "--solver" },
        { new[] { "train", "charlm", "--out", "OUT", "--layers", "0" }, "--layers" },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public void BadValuesAreOneLineWithExit2AndNoOutput(string[] args, string named)
    {
        string output = Path.Combine(Path.GetTempPath(), $"deeppcr-bad-{Guid.NewGuid():N}");
        var result = CliInvocation.Run(args.Select(a => a.Replace("OUT", output)).ToArray());
        Assert.Equal(ExitCodes.UsageError, result.Code);
        var line = Assert.Single(result.ErrorLines);
        Assert.Contains(named, line);
        Assert.DoesNotContain("Exception", line);
        Assert.DoesNotContain("(Parameter", line);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void HelpDocumentsTheExitCodes()
    {
        var result = CliInvocation.Run("--help");
        Assert.Equal(ExitCodes.Success, result.Code);
        Assert.Contains(ExitCodes.Summary, result.Out.ReplaceLineEndings(" ").Replace("  ", " "));
    }

    [Fact]
    public void InternalErrorsHideTheTypeUnlessVerbose()
    {
        var quiet = new StringWriter();
        Assert.Equal(ExitCodes.InternalError, ErrorReporter.Report(new InvalidOperationException("a broken invariant"), quiet, verbose: false));
        Assert.Equal("error: internal error: a broken invariant (rerun with --verbose for details)", quiet.ToString().Trim());
        var verbose = new StringWriter();
        ErrorReporter.Report(new InvalidOperationException("a broken invariant"), verbose, verbose: true);
        Assert.Contains("System.InvalidOperationException", verbose.ToString());
    }

    [Fact]
    public void LibraryArgumentMessagesLoseTheirDotNetAdditions()
    {
        var error = new StringWriter();
        int code = ErrorReporter.Report(new ArgumentOutOfRangeException("repeats", 0, "The repeats must be at least 1."), error, verbose: false);
        Assert.Equal(ExitCodes.UsageError, code);
        Assert.Equal("error: The repeats must be at least 1.", error.ToString().Trim());
        Assert.Equal(ExitCodes.NumericalFailure, ErrorReporter.CodeOf(new NumericalFailureException("NaN")));
    }
}
