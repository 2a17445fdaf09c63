using DeepPcr.Backward;
using DeepPcr.Engines;
using DeepPcr.Models.Mlp;
using DeepPcr.Solvers;
using DeepPcr.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Tests;

/// <summary>
/// Deep contractive chains have tiny input gradients (near 1e-25 in float32 at L = 192, w = 4, gain 0.9): the host
/// backward must keep them to the dtype's precision instead of zeroing small products. Reference: TorchSharp autograd
/// through the float64 sequential pass. Bound: 1e-4 relative in float32, 1e-8 in float64 (near its own underflow).
/// </summary>
public class TinyGradientTests
{
    [Theory]
    [InlineData(192, ScalarType.Float32, 1e-4)]
    [InlineData(256, ScalarType.Float32, 1e-4)]
    [InlineData(2048, ScalarType.Float64, 1e-8)]
    public void TheHostInputGradientKeepsTinyValues(int length, ScalarType dtype, double bound)
    {
        using var scope = torch.NewDisposeScope();
        var reference64 = MlpChain.Random(length, 4, 0.9, Activation.Tanh, ScalarType.Float64, seed: 3);
        var chain = reference64.To(dtype);
        var input = torch.randn(new long[] { 2, 4 }, dtype: ScalarType.Float64, generator: new Generator(4));
        var cotangent = torch.randn(new long[] { 2, 4 }, dtype: ScalarType.Float64, generator: new Generator(5));

        var x = input.clone().requires_grad_(true);
        var final = SequentialPass.Run(reference64, x)[length - 1];
        var expected = torch.autograd.grad(new[] { final }, new[] { x }, new[] { cotangent })[0];
        double magnitude = Recurrences.MaxAbs(expected);
        Assert.True(magnitude > 0, "the float64 reference gradient underflowed; the test needs a smaller depth");

        var x32 = input.to_type(dtype);
        var states = SequentialPass.Run(chain, x32);
        Assert.Equal(ChainEngine.Host, EngineSelection.ForAdjoint(chain, x32));
        var adjoint = AdjointSolver.Solve(chain, x32, states, cotangent.to_type(dtype));
        Assert.Equal(ChainEngine.Host, adjoint.Engine);
        double error = Recurrences.MaxAbsDiff(adjoint.InputGradient.to_type(ScalarType.Float64), expected) / magnitude;
        Assert.InRange(error, 0.0, bound);
    }
}
