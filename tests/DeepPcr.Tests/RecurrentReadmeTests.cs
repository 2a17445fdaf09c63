using DeepPcr.Models.Recurrent;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Tests;

/// <summary>The README's recurrent example runs as written (the block in the README is the code below, line for line) and says what is true.</summary>
public sealed class RecurrentReadmeTests
{
    [Fact]
    public void TheExampleRunsAndTheParallelAnswerIsTheSequentialOne()
    {
        using var scope = torch.NewDisposeScope();
        var console = Console.Out;
        using var printed = new StringWriter();
        Console.SetOut(printed);
        try
        {
            // --- README recurrent example starts
            var gru = new ParallelGru(inputSize: 8, hiddenSize: 16, numLayers: 2, batchFirst: true, dtype: ScalarType.Float64);
            var x = torch.randn(new long[] { 4, 512, 8 }, dtype: ScalarType.Float64);     // [B, T, I]
            var (output, hN) = gru.call(x);                                               // [4, 512, 16] and [2, 4, 16]
            var first = gru.LastSolutions[0];                                             // layer 0: method, iterations, fallback
            Console.WriteLine($"{first.MethodName}: {first.Iterations} iterations, fallback {first.FallbackName}");
            output.sum().backward();                                                      // gradients through the adjoint solve
            gru.Mode = RecurrentMode.Sequential;                                          // the step-by-step reference
            var (reference, _) = gru.call(x);
            Console.WriteLine($"max |parallel - sequential| = {(output - reference).abs().max().item<double>():g2}");
            // --- README recurrent example ends
            Assert.Equal(new long[] { 4, 512, 16 }, output.shape);
            Assert.Equal(new long[] { 2, 4, 16 }, hN.shape);
            Assert.Equal("deeppcr", first.MethodName);
            Assert.Equal("none", first.FallbackName);
            Assert.True((output - reference).abs().max().item<double>() < 1e-10);
            Assert.All(gru.parameters(), p => Assert.NotNull(p.grad));
        }
        finally
        {
            Console.SetOut(console);
        }
        Assert.Contains("deeppcr: ", printed.ToString());
    }

    [Fact]
    public void TheReadmeBlockIsTheTestedExample()
    {
        string root = ReadmeBlockTests.RepositoryRoot();
        var readme = File.ReadAllLines(Path.Combine(root, "README.md"));
        int section = Array.FindIndex(readme, l => l.StartsWith("## Recurrent networks", StringComparison.Ordinal));
        Assert.True(section >= 0, "the README has a Recurrent networks section");
        int start = Array.FindIndex(readme, section, l => l.Trim() == "```csharp") + 1;
        int end = Array.FindIndex(readme, start, l => l.Trim() == "```");
        var test = File.ReadAllLines(Path.Combine(root, "tests", "DeepPcr.Tests", "RecurrentReadmeTests.cs"));
        int from = Array.FindIndex(test, l => l.Contains("README recurrent example starts", StringComparison.Ordinal)) + 1;
        int to = Array.FindIndex(test, from, l => l.Contains("README recurrent example ends", StringComparison.Ordinal));
        Assert.Equal(ReadmeBlockTests.Code(test[from..to]), ReadmeBlockTests.Code(readme[start..end]));
    }
}
