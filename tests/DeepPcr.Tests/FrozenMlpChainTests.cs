using DeepPcr.Models.Mlp;
using DeepPcr.Solvers;
using DeepPcr.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Tests;

/// <summary>
/// <see cref="MlpChain.Freeze"/>: the frozen chain's fused sequential pass reads a transposed copy of the weights made
/// when it was frozen and gives the unfrozen chain's states bit for bit (the same products in the same order), in
/// float32 and float64, on awkward sizes; it does not see later in-place changes of the weights, which the unfrozen
/// chain does.
/// </summary>
public class FrozenMlpChainTests
{
    [Theory]
    [InlineData(1, 1, 1, ScalarType.Float64)]
    [InlineData(2, 3, 1, ScalarType.Float64)]
    [InlineData(3, 8, 3, ScalarType.Float64)]
    [InlineData(5, 3, 9, ScalarType.Float32)]
    [InlineData(1000, 8, 16, ScalarType.Float32)]
    [InlineData(1000, 3, 2, ScalarType.Float64)]
    public void TheFrozenSequentialPassGivesTheSameStatesBitForBit(int length, int width, int batch, ScalarType dtype)
    {
        using var scope = torch.NewDisposeScope();
        var chain = MlpChain.Random(length, width, 0.9, Activation.Tanh, dtype, seed: length + width);
        var input = torch.randn(new long[] { batch, width }, generator: new Generator(5)).to_type(dtype);
        var frozen = chain.Freeze();
        Assert.True(frozen.IsFrozen);
        Assert.False(chain.IsFrozen);
        var expected = SequentialPass.Run(chain, input);
        var actual = SequentialPass.Run(frozen, input);
        Assert.Equal(0.0, Recurrences.MaxAbsDiff(actual, expected));
        // And the plain tensor loop agrees to rounding.
        var reference = SequentialPass.Run(new TensorOnlyStep(chain), input);
        double tolerance = dtype == ScalarType.Float64 ? 1e-12 : 1e-5;
        Assert.InRange(Recurrences.MaxAbsDiff(actual, reference), 0.0, tolerance);
    }

    [Fact]
    public void AFrozenChainKeepsTheWeightsOfTheMomentItWasFrozen()
    {
        using var scope = torch.NewDisposeScope();
        var chain = MlpChain.Random(4, 3, 0.9, Activation.Tanh, ScalarType.Float64, seed: 1);
        var input = torch.randn(new long[] { 2, 3 }, dtype: ScalarType.Float64, generator: new Generator(2));
        var frozen = chain.Freeze();
        var before = SequentialPass.Run(frozen, input);
        using (torch.no_grad()) chain.Weights.mul_(0.5);
        Assert.Equal(0.0, Recurrences.MaxAbsDiff(SequentialPass.Run(frozen, input), before));
        Assert.True(Recurrences.MaxAbsDiff(SequentialPass.Run(chain, input), before) > 1e-3);
    }

    [Fact]
    public void ParametersThatRequireGradCanBeFrozen()
    {
        using var scope = torch.NewDisposeScope();
        var chain = MlpChain.Random(3, 2, 0.9, Activation.Tanh, ScalarType.Float64, seed: 3);
        var trained = new MlpChain(chain.Weights.detach().clone().requires_grad_(true), chain.Biases.detach().clone().requires_grad_(true), Activation.Tanh);
        var frozen = trained.Freeze();
        var input = torch.ones(new long[] { 1, 2 }, dtype: ScalarType.Float64);
        using (torch.no_grad())
        {
            Assert.Equal(0.0, Recurrences.MaxAbsDiff(SequentialPass.Run(frozen, input), SequentialPass.Run(chain, input)));
        }
    }
}
