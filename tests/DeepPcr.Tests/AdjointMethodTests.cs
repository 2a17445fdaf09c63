using DeepPcr.Backward;
using DeepPcr.Models.Mlp;
using DeepPcr.Solvers;
using DeepPcr.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Tests;

/// <summary>
/// The row-by-row backward pass (AdjointMethod.Sequential) on both engines against TorchSharp autograd through the
/// sequential pass, float64: input and parameter gradients pooled, max_rel_error at most 1e-10.
/// </summary>
public class AdjointMethodTests
{
    [Theory]
    [InlineData(1, 3, true)]
    [InlineData(2, 1, true)]
    [InlineData(5, 8, true)]
    [InlineData(300, 4, true)]
    [InlineData(5, 8, false)]
    [InlineData(64, 3, false)]
    public void TheRowByRowSolveEqualsAutograd(int length, int width, bool host)
    {
        using var scope = torch.NewDisposeScope();
        var chain = MlpChain.Random(length, width, 0.9, Activation.Tanh, ScalarType.Float64, seed: length + width);
        var step = host ? (DeepPcr.Chains.IDifferentiableChainStep)chain : new TensorOnlyStep(chain);
        var input = torch.randn(new long[] { 3, width }, dtype: ScalarType.Float64, generator: new Generator(1));
        var cotangent = torch.randn(new long[] { 3, width }, dtype: ScalarType.Float64, generator: new Generator(2));
        var w = chain.Weights.detach().clone().requires_grad_(true);
        var b = chain.Biases.detach().clone().requires_grad_(true);
        var x = input.clone().requires_grad_(true);
        var final = SequentialPass.Run(new MlpChain(w, b, Activation.Tanh), x)[length - 1];
        var expected = torch.autograd.grad(new[] { final }, new[] { x, w, b }, new[] { cotangent });

        var states = SequentialPass.Run(chain, input);
        var adjoint = AdjointSolver.Solve(step, input, states, cotangent, AdjointMethod.Sequential);
        Assert.Equal(AdjointMethod.Sequential, adjoint.Method);
        Assert.Equal(host ? ChainEngine.Host : ChainEngine.Torch, adjoint.Engine);
        Assert.Equal(0, adjoint.PcrRounds);
        var actual = new[] { adjoint.InputGradient, adjoint.ParameterGradients[0], adjoint.ParameterGradients[1] };
        double delta = 0, scale = 0;
        for (int i = 0; i < 3; i++)
        {
            delta = Math.Max(delta, Recurrences.MaxAbsDiff(actual[i], expected[i]));
            scale = Math.Max(scale, Recurrences.MaxAbs(expected[i]));
        }
        Assert.InRange(delta / scale, 0.0, 1e-10);
    }
}
