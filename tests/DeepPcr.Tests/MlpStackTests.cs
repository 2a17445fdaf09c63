using DeepPcr.Autograd;
using DeepPcr.Models.Mlp;
using DeepPcr.Solvers;
using DeepPcr.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Tests;

/// <summary>
/// MlpStack in parallel mode against the same module in sequential mode (plain TorchSharp autograd), float64:
/// outputs, and the input and parameter gradients pooled, within max_rel_error 1e-8.
/// </summary>
public class MlpStackTests
{
    public static TheoryData<Activation, int> Cases()
    {
        var data = new TheoryData<Activation, int>();
        foreach (var activation in Enum.GetValues<Activation>())
        foreach (int length in new[] { 1, 2, 3, 7, 64 })
            data.Add(activation, length);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ParallelEqualsSequential(Activation activation, int length)
    {
        using var scope = torch.NewDisposeScope();
        var chain = MlpChain.Random(length, 5, 0.9, activation, ScalarType.Float64, seed: length);
        var input = torch.randn(new long[] { 3, 5 }, dtype: ScalarType.Float64, generator: new Generator(2));
        var target = torch.randn(new long[] { 3, 5 }, dtype: ScalarType.Float64, generator: new Generator(3));
        var results = new List<Tensor[]>();
        foreach (var mode in new[] { ChainMode.Parallel, ChainMode.Sequential })
        {
            var model = new MlpStack(chain.Weights, chain.Biases, activation) { Mode = mode };
            var x = input.detach().clone().requires_grad_(true);
            var output = model.call(x);
            (output - target).square().sum().backward();
            results.Add(new[] { output.detach(), x.grad!, model.Chain.Weights.grad!, model.Chain.Biases.grad! });
            if (mode == ChainMode.Parallel)
            {
                Assert.Equal("deeppcr", model.LastSolution!.MethodName);
                Assert.Equal("none", model.LastSolution.FallbackName);
                // Float64 GELU has no host kernel (HostActivation.ExactFor); everything else reaches the host engine.
                Assert.Equal(activation == Activation.Gelu ? ChainEngine.Torch : ChainEngine.Host, model.LastSolution.Engine);
            }
        }
        Assert.InRange(Recurrences.MaxAbsDiff(results[0][0], results[1][0]) / Recurrences.MaxAbs(results[1][0]), 0.0, 1e-8);
        double delta = 0, scale = 0;
        for (int i = 1; i < 4; i++)
        {
            delta = Math.Max(delta, Recurrences.MaxAbsDiff(results[0][i], results[1][i]));
            scale = Math.Max(scale, Recurrences.MaxAbs(results[1][i]));
        }
        Assert.InRange(delta / scale, 0.0, 1e-8);
    }

    [Theory]
    [InlineData("tanh", Activation.Tanh)]
    [InlineData("GELU", Activation.Gelu)]
    [InlineData("identity", Activation.Identity)]
    public void ActivationNamesParse(string name, Activation expected) => Assert.Equal(expected, Activations.Parse(name));

    [Theory]
    [InlineData("swish")]
    [InlineData("3")]
    [InlineData("")]
    public void UnknownActivationIsNamed(string name) =>
        Assert.Contains("Unknown activation", Assert.Throws<ArgumentException>(() => Activations.Parse(name)).Message);

    [Fact]
    public void FusedLoopMatchesTheChainForEveryActivation()
    {
        using var scope = torch.NewDisposeScope();
        foreach (var activation in Enum.GetValues<Activation>())
        {
            var chain = MlpChain.Random(16, 4, 0.9, activation, ScalarType.Float32, seed: 1);
            var input = torch.randn(new long[] { 2, 4 }, generator: new Generator(4));
            var expected = DeepPcr.Solvers.SequentialPass.Run(chain, input)[15];
            var fused = new FusedMlpLoop<float>(chain);
            var output = new float[8];
            fused.Forward(input.data<float>().ToArray(), output);
            Assert.InRange(Recurrences.MaxAbsDiff(torch.tensor(output).reshape(2, 4), expected), 0.0, 1e-5);
        }
    }
}
