using DeepPcr.Autograd;
using DeepPcr.Backward;
using DeepPcr.Chains;
using DeepPcr.Linear;
using DeepPcr.Models.Mlp;
using DeepPcr.Models.ResNet;
using DeepPcr.Solvers;
using DeepPcr.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Tests;

/// <summary>
/// The parallel backward pass against TorchSharp autograd through the sequential loop, float64.
/// Error: max |delta| / max |ref| pooled over the input gradient and every parameter gradient, at most 1e-8.
/// </summary>
public class BackwardTests
{
    public enum StepKind { Mlp, Residual, Modules }

    public static TheoryData<StepKind, int, int> Cases()
    {
        var data = new TheoryData<StepKind, int, int>();
        foreach (var kind in Enum.GetValues<StepKind>())
        foreach (int length in new[] { 1, 2, 3, 5, 7, 64 })
        foreach (int width in new[] { 1, 3, 8 })
            data.Add(kind, length, width);
        return data;
    }

    private static IDifferentiableChainStep Make(StepKind kind, int length, int width, long seed)
    {
        var generator = new Generator((ulong)seed);
        var w = torch.randn(new long[] { length, width, width }, dtype: ScalarType.Float64, generator: generator) * (0.9 / Math.Sqrt(width));
        var b = torch.randn(new long[] { length, width }, dtype: ScalarType.Float64, generator: generator) * 0.1;
        switch (kind)
        {
            case StepKind.Mlp:
                return new MlpStack(w, b, Activation.Tanh);
            case StepKind.Residual:
                return new ResidualChain(w.requires_grad_(true), b.requires_grad_(true), stepScale: 0.5);
            default:
                var layers = Enumerable.Range(0, length).Select(k =>
                {
                    var linear = nn.Linear(width, width, dtype: ScalarType.Float64);
                    using (torch.no_grad())
                    {
                        linear.weight!.copy_(w[k]);
                        linear.bias!.copy_(b[k]);
                    }
                    return (nn.Module<Tensor, Tensor>)nn.Sequential(linear, nn.Tanh());
                });
                return new ModuleListStep(layers, width);
        }
    }

    private static double PooledError(IReadOnlyList<Tensor> value, IReadOnlyList<Tensor> reference)
    {
        double delta = 0, scale = 0;
        for (int i = 0; i < value.Count; i++)
        {
            delta = Math.Max(delta, Recurrences.MaxAbsDiff(value[i], reference[i]));
            scale = Math.Max(scale, Recurrences.MaxAbs(reference[i]));
        }
        return delta / scale;
    }

    /// <summary>Input and parameter gradients of sum(states * cotangents) by autograd through the sequential pass.</summary>
    private static Tensor[] Reference(IDifferentiableChainStep step, Tensor input, Tensor cotangents)
    {
        var x = input.detach().clone().requires_grad_(true);
        var states = SequentialPass.Run(step, x);
        var loss = (states * cotangents).sum();
        var leaves = new List<Tensor> { x };
        leaves.AddRange(step.Parameters);
        return torch.autograd.grad(new[] { loss }, leaves).Select(g => g.detach()).ToArray();
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void BridgeGradientsMatchAutograd(StepKind kind, int length, int width)
    {
        using var scope = torch.NewDisposeScope();
        var step = Make(kind, length, width, seed: 7 * length + width);
        var input = torch.randn(new long[] { 3, width }, dtype: ScalarType.Float64, generator: new Generator(5));
        var generator = new Generator(6);
        var finalOnly = torch.zeros(new long[] { length, 3, width }, dtype: ScalarType.Float64);
        finalOnly[length - 1] = torch.randn(new long[] { 3, width }, dtype: ScalarType.Float64, generator: generator);
        var everywhere = torch.randn(new long[] { length, 3, width }, dtype: ScalarType.Float64, generator: generator);

        foreach (var cotangents in new[] { finalOnly, everywhere })
        {
            var reference = Reference(step, input, cotangents);
            var x = input.detach().clone().requires_grad_(true);
            foreach (var p in step.Parameters) p.grad?.zero_();
            ChainSolution? solution = null;
            var states = ChainFunction.Apply(step, ParallelChainSolver.DeepPcr, null, x, s => solution = s);
            (states * cotangents).sum().backward();
            var got = new List<Tensor> { x.grad! };
            got.AddRange(step.Parameters.Select(p => p.grad!));

            Assert.Equal("deeppcr", solution!.MethodName);
            Assert.Equal("none", solution.FallbackName);
            Assert.InRange(PooledError(got, reference), 0.0, 1e-8);
        }
    }

    [Theory]
    [InlineData(JacobianStructure.Diagonal)]
    [InlineData(JacobianStructure.Scalar)]
    public void QuasiNewtonForwardStillGivesExactGradients(JacobianStructure structure)
    {
        using var scope = torch.NewDisposeScope();
        var step = Make(StepKind.Mlp, 64, 8, seed: 3);
        var input = torch.randn(new long[] { 2, 8 }, dtype: ScalarType.Float64, generator: new Generator(4));
        var cotangents = torch.randn(new long[] { 64, 2, 8 }, dtype: ScalarType.Float64, generator: new Generator(5));
        var reference = Reference(step, input, cotangents);
        var x = input.detach().clone().requires_grad_(true);
        ChainSolution? solution = null;
        var states = ChainFunction.Apply(step, ParallelChainSolver.QuasiNewton(structure), null, x, s => solution = s);
        (states * cotangents).sum().backward();
        Assert.StartsWith("quasi-newton", solution!.MethodName);
        var got = new List<Tensor> { x.grad! };
        got.AddRange(step.Parameters.Select(p => p.grad!));
        Assert.InRange(PooledError(got, reference), 0.0, 1e-8);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(64)]
    public void BackwardIsOnePcrSolveWithoutNewtonIterations(int length)
    {
        using var scope = torch.NewDisposeScope();
        using var step = TanhLayerStep.Random(length, 3, 0.9, ScalarType.Float64, seed: 8);
        var input = torch.randn(new long[] { 2, 3 }, dtype: ScalarType.Float64, generator: new Generator(9));
        var states = SequentialPass.Run(step, input);
        step.Evaluations = 0;
        var adjoint = AdjointSolver.Solve(step, input, states, torch.ones(2, 3, dtype: ScalarType.Float64));
        Assert.Equal(ParallelCyclicReduction.RoundsFor(length), adjoint.PcrRounds);
        Assert.Equal(0, step.Evaluations); // analytic Jacobians: no step evaluation, so no Newton iteration
        Assert.Equal(new long[] { length, 2, 3 }, adjoint.StateGradients!.shape);
    }

    [Fact]
    public void TwoSgdStepsMoveWeightsExactlyAsSequential()
    {
        using var scope = torch.NewDisposeScope();
        var generator = new Generator(12);
        var w = torch.randn(new long[] { 32, 4, 4 }, dtype: ScalarType.Float64, generator: generator) * 0.45;
        var b = torch.randn(new long[] { 32, 4 }, dtype: ScalarType.Float64, generator: generator) * 0.1;
        var parallel = new MlpStack(w, b, Activation.Tanh);
        var sequential = new MlpStack(w, b, Activation.Tanh) { Mode = ChainMode.Sequential };
        var x = torch.randn(new long[] { 5, 4 }, dtype: ScalarType.Float64, generator: generator);
        var target = torch.randn(new long[] { 5, 4 }, dtype: ScalarType.Float64, generator: generator);
        foreach (var model in new[] { parallel, sequential })
        {
            var optimizer = torch.optim.SGD(model.parameters(), 0.1);
            for (int i = 0; i < 2; i++)
            {
                optimizer.zero_grad();
                var loss = (model.call(x) - target).square().mean();
                loss.backward();
                optimizer.step();
            }
        }
        Assert.True(Recurrences.MaxAbsDiff(parallel.Chain.Weights, w) > 1e-6); // the weights did move
        Assert.InRange(Recurrences.MaxAbsDiff(parallel.Chain.Weights, sequential.Chain.Weights), 0.0, 1e-12);
        Assert.InRange(Recurrences.MaxAbsDiff(parallel.Chain.Biases, sequential.Chain.Biases), 0.0, 1e-12);
        Assert.Equal("deeppcr", parallel.LastSolution!.MethodName);
    }

    [Fact]
    public void ChainModuleTrainsAnyModulesLikeTheSequentialLoop()
    {
        using var scope = torch.NewDisposeScope();
        var gradients = new List<Tensor[]>();
        var outputs = new List<Tensor>();
        foreach (var mode in new[] { ChainMode.Parallel, ChainMode.Sequential })
        {
            var step = (ModuleListStep)Make(StepKind.Modules, 12, 3, seed: 21);
            var module = new ChainModule(step) { Mode = mode };
            Assert.Equal(step.Parameters.Count, module.parameters().Count());
            var x = torch.randn(new long[] { 4, 3 }, dtype: ScalarType.Float64, generator: new Generator(22)).requires_grad_(true);
            var y = module.call(x);
            y.square().sum().backward();
            outputs.Add(y.detach());
            gradients.Add(new[] { x.grad! }.Concat(module.parameters().Select(p => p.grad!)).ToArray());
            if (mode == ChainMode.Parallel) Assert.Equal("deeppcr", module.LastSolution!.MethodName);
        }
        Assert.InRange(Recurrences.MaxAbsDiff(outputs[0], outputs[1]), 0.0, 1e-10);
        Assert.InRange(PooledError(gradients[0], gradients[1]), 0.0, 1e-8);
    }

    [Fact]
    public void BadCotangentsAreNamed()
    {
        using var scope = torch.NewDisposeScope();
        using var step = TanhLayerStep.Random(4, 3, 0.9, ScalarType.Float64, seed: 8);
        var input = torch.zeros(2, 3, dtype: ScalarType.Float64);
        var states = SequentialPass.Run(step, input);
        Assert.Contains("finalCotangent", Assert.ThrowsAny<ArgumentException>(() => AdjointSolver.Solve(step, input, states, torch.ones(2, 4, dtype: ScalarType.Float64))).Message);
        var nan = torch.zeros(4, 2, 3, dtype: ScalarType.Float64);
        nan[1, 1, 1] = double.NaN;
        Assert.Contains("non-finite", Assert.ThrowsAny<ArgumentException>(() => AdjointSolver.SolveAll(step, input, states, nan)).Message);
    }
}
