using DeepPcr.Models.Mlp;
using DeepPcr.Solvers;
using TorchSharp;

namespace DeepPcr.Tests;

/// <summary>The README's API example, kept compiling and true.</summary>
public class ReadmeExampleTests
{
    [Fact]
    public void ApiExampleRuns()
    {
        using var scope = torch.NewDisposeScope();
        // --- README example starts
        var chain = MlpChain.Random(layers: 1024, width: 4, gain: 0.9, Activation.Tanh, torch.float32, seed: 0);
        var x = torch.randn(8, 4);
        var result = ParallelChainSolver.DeepPcr.Solve(chain, x);   // states (L, B, w) = (1024, 8, 4)
        Console.WriteLine($"{result.MethodName}: {result.Iterations} iterations, {result.PcrRounds} PCR rounds, {result.Termination}");

        var model = new MlpStack(chain.Weights, chain.Biases, Activation.Tanh);  // a TorchSharp module
        var loss = model.call(x).square().mean();   // forward: Newton + PCR
        loss.backward();                            // backward: one reversed PCR solve fills the .grad of every parameter
        // --- README example ends
        Assert.Equal("deeppcr", result.MethodName);
        Assert.Equal(Termination.Converged, result.Termination);
        Assert.Equal(10, result.PcrRounds);
        Assert.Equal(new long[] { 1024, 8, 4 }, result.States.shape);
        Assert.All(model.parameters(), p => Assert.True(p.grad is not null && p.grad.abs().sum().item<float>() > 0));
    }
}
