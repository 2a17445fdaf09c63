using DeepPcr.Models.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Tests;

/// <summary>
/// The repository's Adam (held scalars) against TorchSharp's torch.optim.Adam: the same parameters after 20 steps of a
/// small float64 regression, to 1e-13 relative; zero gradients clear; bad settings are refused.
/// </summary>
public class AdamTests
{
    [Theory]
    [InlineData(1e-3)]
    [InlineData(5e-2)]
    public void TwentyStepsMatchTorchSharpsAdam(double learningRate)
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.randn(new long[] { 16, 5 }, dtype: ScalarType.Float64, generator: new Generator(1));
        var y = torch.randn(new long[] { 16, 3 }, dtype: ScalarType.Float64, generator: new Generator(2));
        var ours = torch.nn.Linear(5, 3, dtype: ScalarType.Float64);
        var theirs = torch.nn.Linear(5, 3, dtype: ScalarType.Float64);
        theirs.load_state_dict(ours.state_dict());
        var initial = ours.weight!.detach().clone();
        using var adam = new Adam(ours.parameters(), learningRate);
        using var reference = torch.optim.Adam(theirs.parameters(), learningRate);
        for (int step = 0; step < 20; step++)
        {
            adam.ZeroGrad();
            torch.nn.functional.mse_loss(ours.call(x), y).backward();
            adam.Step();
            reference.zero_grad();
            torch.nn.functional.mse_loss(theirs.call(x), y).backward();
            reference.step();
        }
        Assert.Equal(20, adam.Steps);
        foreach (var (a, b) in ours.parameters().Zip(theirs.parameters()))
        {
            double scale = b.abs().max().item<double>();
            Assert.InRange((a - b).abs().max().item<double>() / scale, 0.0, 1e-13);
        }
        // The parameters moved (about 20 lr): the comparison is not between two untouched copies.
        Assert.True((ours.weight! - initial).abs().max().item<double>() > learningRate);
    }

    [Fact]
    public void ZeroGradClearsEveryGradient()
    {
        using var scope = torch.NewDisposeScope();
        var layer = torch.nn.Linear(2, 2, dtype: ScalarType.Float64);
        using var adam = new Adam(layer.parameters());
        layer.call(torch.ones(1, 2, dtype: ScalarType.Float64)).sum().backward();
        Assert.True(layer.weight!.grad!.abs().sum().item<double>() > 0);
        adam.ZeroGrad();
        Assert.Equal(0.0, layer.weight!.grad!.abs().sum().item<double>());
        Assert.Equal(0.0, layer.bias!.grad!.abs().sum().item<double>());
    }

    [Theory]
    [InlineData(0.0, 0.9, 0.999, 1e-8)]
    [InlineData(double.NaN, 0.9, 0.999, 1e-8)]
    [InlineData(1e-3, 1.0, 0.999, 1e-8)]
    [InlineData(1e-3, 0.9, -0.1, 1e-8)]
    [InlineData(1e-3, 0.9, 0.999, -1.0)]
    public void BadSettingsAreRefused(double learningRate, double beta1, double beta2, double eps)
    {
        var layer = torch.nn.Linear(2, 2);
        Assert.Throws<ArgumentException>(() => new Adam(layer.parameters(), learningRate, beta1, beta2, eps));
    }
}
