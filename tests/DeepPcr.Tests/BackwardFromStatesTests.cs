using DeepPcr.Backward;
using DeepPcr.Chains;
using DeepPcr.Models.Mlp;
using DeepPcr.Solvers;
using DeepPcr.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Tests;

/// <summary>
/// The backward pass from the sequential pass's states (no Jacobian: the fused loop's backward pass, reached through
/// <see cref="AdjointSolver.Solve(IChainStep, Tensor, ChainSolution, Tensor, AdjointMethod, bool)"/>), and the batch-major
/// sequential pass it follows, against TorchSharp autograd through the tensor path (input, weight and bias gradients)
/// and the Jacobian pass (the state gradients lambda_l), float64: each within 1e-10 relative (pooled max-abs error over max-abs value), on awkward sizes, with the
/// cotangent on the final state and on every state, for one sample and for batches.
/// </summary>
public class BackwardFromStatesTests
{
    public static TheoryData<int, int, int, Activation> Sizes()
    {
        var data = new TheoryData<int, int, int, Activation>();
        foreach (var (length, width) in new[] { (1, 1), (2, 3), (3, 8), (5, 3), (1000, 8) })
        {
            foreach (var batch in new[] { 1, 3, 9 })
            {
                data.Add(length, width, batch, Activation.Tanh);
            }
        }
        foreach (var activation in new[] { Activation.Sigmoid, Activation.Relu, Activation.Identity })
        {
            data.Add(5, 3, 3, activation);
            data.Add(17, 8, 9, activation);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void TheFinalCotangentGivesAutogradsGradients(int length, int width, int batch, Activation activation)
    {
        using var scope = torch.NewDisposeScope();
        var (chain, input) = Network(length, width, batch, activation);
        var cotangent = torch.randn(new long[] { batch, width }, dtype: ScalarType.Float64, generator: new Generator(7));
        var forward = SequentialSolver.Instance.Solve(chain, input);
        var expected = Autograd(chain, input, states => (states[length - 1] * cotangent).sum())
            .Append(AdjointSolver.Solve(chain, input, forward.States, cotangent, AdjointMethod.Sequential).StateGradients!).ToArray();

        using var adjoint = AdjointSolver.Solve(chain, input, forward, cotangent, AdjointMethod.Sequential);
        Assert.Equal(ChainEngine.Host, adjoint.Engine);
        Assert.Equal(AdjointMethod.Sequential, adjoint.Method);
        Assert.Equal(0, adjoint.PcrRounds);
        AssertClose(expected, adjoint);
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(5, 3, 3)]
    [InlineData(1000, 8, 9)]
    public void WithoutStateGradientsTheSweepWritesNoLambdaAndTheSameGradients(int length, int width, int batch)
    {
        using var scope = torch.NewDisposeScope();
        var (chain, input) = Network(length, width, batch, Activation.Tanh);
        var cotangent = torch.randn(new long[] { batch, width }, dtype: ScalarType.Float64, generator: new Generator(7));
        var forward = SequentialSolver.Instance.Solve(chain, input);
        using var full = AdjointSolver.Solve(chain, input, forward, cotangent, AdjointMethod.Sequential);
        using var lean = AdjointSolver.Solve(chain, input, forward, cotangent, AdjointMethod.Sequential, stateGradients: false);
        Assert.NotNull(full.StateGradients);
        Assert.Null(lean.StateGradients);
        Assert.True(lean.Finite);
        // The same sweep with and without writing lambda: bit for bit.
        Assert.Equal(0.0, Recurrences.MaxAbsDiff(lean.InputGradient, full.InputGradient));
        for (int p = 0; p < 2; p++) Assert.Equal(0.0, Recurrences.MaxAbsDiff(lean.ParameterGradients[p], full.ParameterGradients[p]));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void GradientsThatOverflowAreReportedNotFiniteWithOrWithoutLambda(bool stateGradients)
    {
        using var scope = torch.NewDisposeScope();
        // A linear chain growing about 8.7x per layer (10 e^-0.135, the growth of products of 4 x 4 Gaussian matrices),
        // started at 1e-30: the states stay near 1e26, the gradients reach about 1e56, past float32's largest value.
        const int length = 60, width = 4;
        var weights = torch.randn(new long[] { length, width, width }, generator: new Generator(3)) * (10.0 / Math.Sqrt(width));
        var chain = new MlpChain(weights, torch.zeros(length, width), Activation.Identity);
        var input = torch.randn(new long[] { 2, width }, generator: new Generator(4)) * 1e-30;
        var forward = SequentialSolver.Instance.Solve(chain, input);
        Assert.True(forward.States.isfinite().all().item<bool>());
        using var adjoint = AdjointSolver.Solve(chain, input, forward, torch.ones(2, width), AdjointMethod.Sequential, stateGradients);
        Assert.Equal(AdjointMethod.Sequential, adjoint.Method);
        Assert.False(adjoint.Finite);
    }

    [Theory]
    [InlineData(1, 3, 1)]
    [InlineData(5, 3, 3)]
    [InlineData(64, 8, 9)]
    public void CotangentsOnEveryStateGiveAutogradsGradients(int length, int width, int batch)
    {
        using var scope = torch.NewDisposeScope();
        var (chain, input) = Network(length, width, batch, Activation.Tanh);
        var cotangents = torch.randn(new long[] { length, batch, width }, dtype: ScalarType.Float64, generator: new Generator(8));
        var states = SequentialPass.Run(chain, input);
        var expected = Autograd(chain, input, z => (z * cotangents).sum())
            .Append(AdjointSolver.SolveAll(chain, input, states, cotangents, AdjointMethod.Sequential).StateGradients!).ToArray();

        var lambdas = new double[length * batch * width];
        var inputGradient = new double[batch * width];
        var parameters = chain.BackwardFromStatesOnHost<double>(batch, input.data<double>().ToArray(), states.data<double>().ToArray(),
            cotangents.data<double>().ToArray(), lambdas, inputGradient);
        var actual = new[] { torch.tensor(inputGradient).reshape(batch, width), parameters[0], parameters[1], torch.tensor(lambdas).reshape(length, batch, width) };
        AssertClose(expected, actual);
    }

    [Theory]
    [InlineData(1, 1, 8, Activation.Tanh)]
    [InlineData(5, 3, 9, Activation.Gelu)]
    [InlineData(1000, 8, 16, Activation.Sigmoid)]
    [InlineData(33, 4, 8, Activation.Relu)]
    public void TheBatchMajorSequentialPassEqualsTheTensorPass(int length, int width, int batch, Activation activation)
    {
        using var scope = torch.NewDisposeScope();
        var (chain, input) = Network(length, width, batch, activation);
        var host = SequentialPass.Run(chain, input);
        var tensor = SequentialPass.Run(new TensorOnlyStep(chain), input);
        Assert.InRange(Recurrences.MaxAbsDiff(host, tensor) / Recurrences.MaxAbs(tensor), 0.0, 1e-12);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(9)]
    public void OneActivationPerLayerGivesAutogradsGradients(int batch)
    {
        using var scope = torch.NewDisposeScope();
        var (uniform, input) = Network(12, 3, batch, Activation.Tanh);
        var activations = Enumerable.Range(0, 12).Select(k => new[] { Activation.Tanh, Activation.Relu, Activation.Sigmoid, Activation.Identity }[k % 4]).ToArray();
        var chain = new MlpChain(uniform.Weights, uniform.Biases, activations);
        var cotangent = torch.randn(new long[] { batch, 3 }, dtype: ScalarType.Float64, generator: new Generator(11));
        var forward = SequentialSolver.Instance.Solve(chain, input);
        var tensor = SequentialPass.Run(new TensorOnlyStep(chain), input);
        Assert.InRange(Recurrences.MaxAbsDiff(forward.States, tensor) / Recurrences.MaxAbs(tensor), 0.0, 1e-12);
        var expected = Autograd(chain, input, states => (states[11] * cotangent).sum())
            .Append(AdjointSolver.Solve(chain, input, forward.States, cotangent, AdjointMethod.Parallel).StateGradients!).ToArray();
        using var adjoint = AdjointSolver.Solve(chain, input, forward, cotangent, AdjointMethod.Sequential);
        Assert.Equal(ChainEngine.Host, adjoint.Engine);
        AssertClose(expected, adjoint);
    }

    [Fact]
    public void AutoCalibratesTheStatesPassApartAndGivesTheSameGradients()
    {
        using var scope = torch.NewDisposeScope();
        var (chain, input) = Network(200, 4, 3, Activation.Tanh);
        var cotangent = torch.randn(new long[] { 3, 4 }, dtype: ScalarType.Float64, generator: new Generator(9));
        var forward = SequentialSolver.Instance.Solve(chain, input);
        using var first = AdjointSolver.Solve(chain, input, forward, cotangent, AdjointMethod.Auto);
        Assert.NotNull(AdjointChoice.Known(chain, input, fromStates: true));
        Assert.Null(AdjointChoice.Known(chain, input, fromStates: false));
        using var parallel = AdjointSolver.Solve(chain, input, forward.States, cotangent, AdjointMethod.Parallel);
        using var chosen = AdjointSolver.Solve(chain, input, forward, cotangent, AdjointMethod.Auto);
        Assert.InRange(Recurrences.MaxAbsDiff(chosen.InputGradient, parallel.InputGradient) / Recurrences.MaxAbs(parallel.InputGradient), 0.0, 1e-10);
        Assert.InRange(Recurrences.MaxAbsDiff(chosen.ParameterGradients[0], parallel.ParameterGradients[0]) / Recurrences.MaxAbs(parallel.ParameterGradients[0]), 0.0, 1e-10);
    }

    [Fact]
    public void NewtonStatesAndGeluUseTheJacobianPass()
    {
        using var scope = torch.NewDisposeScope();
        var (chain, input) = Network(64, 4, 2, Activation.Tanh);
        var cotangent = torch.randn(new long[] { 2, 4 }, dtype: ScalarType.Float64, generator: new Generator(10));
        var newton = ParallelChainSolver.DeepPcr.Solve(chain, input);
        Assert.Equal(ChainMethod.DeepPcr, newton.Method);
        using var fromNewton = AdjointSolver.Solve(chain, input, newton, cotangent, AdjointMethod.Sequential);
        using var reference = AdjointSolver.Solve(chain, input, newton.States, cotangent, AdjointMethod.Sequential);
        Assert.Equal(0.0, Recurrences.MaxAbsDiff(fromNewton.InputGradient, reference.InputGradient));

        var (gelu, geluInput) = Network(16, 3, 2, Activation.Gelu);
        Assert.False(gelu.SupportsBackwardFromStates(ScalarType.Float64));
        var forward = SequentialSolver.Instance.Solve(gelu, geluInput);
        var expected = Autograd(gelu, geluInput, states => (states[15] * cotangent.narrow(1, 0, 3)).sum())
            .Append(AdjointSolver.Solve(gelu, geluInput, forward.States, cotangent.narrow(1, 0, 3).contiguous(), AdjointMethod.Parallel).StateGradients!).ToArray();
        using var adjoint = AdjointSolver.Solve(gelu, geluInput, forward, cotangent.narrow(1, 0, 3).contiguous(), AdjointMethod.Sequential);
        AssertClose(expected, adjoint);
    }

    private static (MlpChain Chain, Tensor Input) Network(int length, int width, int batch, Activation activation)
    {
        var chain = MlpChain.Random(length, width, 0.9, activation, ScalarType.Float64, seed: length * 31 + width);
        var input = torch.randn(new long[] { batch, width }, dtype: ScalarType.Float64, generator: new Generator((ulong)batch));
        return (chain, input);
    }

    /// <summary>[input, weights, biases] gradients of loss(states) by autograd through the tensor path.</summary>
    private static Tensor[] Autograd(MlpChain chain, Tensor input, Func<Tensor, Tensor> loss)
    {
        var w = chain.Weights.detach().clone().requires_grad_(true);
        var b = chain.Biases.detach().clone().requires_grad_(true);
        var x = input.clone().requires_grad_(true);
        loss(SequentialPass.Run(new TensorOnlyStep(new MlpChain(w, b, chain.Activations)), x)).backward();
        return new[] { x.grad!, w.grad!, b.grad! };
    }

    private static void AssertClose(Tensor[] expected, AdjointSolution adjoint) =>
        AssertClose(expected, new[] { adjoint.InputGradient, adjoint.ParameterGradients[0], adjoint.ParameterGradients[1], adjoint.StateGradients! });

    private static void AssertClose(Tensor[] expected, Tensor[] actual)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            double scale = Math.Max(Recurrences.MaxAbs(expected[i]), 1e-300);
            Assert.InRange(Recurrences.MaxAbsDiff(actual[i], expected[i]) / scale, 0.0, 1e-10);
        }
    }
}
