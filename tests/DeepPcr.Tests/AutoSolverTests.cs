using System.Diagnostics;
using DeepPcr.Chains;
using DeepPcr.Models.Mlp;
using DeepPcr.Solvers;
using DeepPcr.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Tests;

/// <summary>
/// Auto against the two situations it must tell apart: a host MLP, whose fused sequential loop beats any Newton
/// iteration on a CPU (Auto must take the loop), and a step whose every call carries a large fixed cost, as a
/// framework call per layer does (Auto must take DeepPCR). Either way it names what ran and equals sequential.
/// </summary>
public class AutoSolverTests
{
    /// <summary>A step that spins for a fixed time on every call, whatever the number of steps evaluated.</summary>
    private sealed class FixedCostStep(IChainStep inner, double microseconds) : IChainStep
    {
        public int Length => inner.Length;
        public int Width => inner.Width;
        public JacobianStructure JacobianStructure => inner.JacobianStructure;
        public Tensor Evaluate(int first, Tensor inputs) { Spin(); return inner.Evaluate(first, inputs); }
        public Tensor? Jacobian(int first, Tensor inputs) { Spin(); return inner.Jacobian(first, inputs); }
        private void Spin()
        {
            var watch = Stopwatch.StartNew();
            while (watch.Elapsed.TotalMicroseconds < microseconds) { }
        }
    }

    [Fact]
    public void AutoTakesTheFusedSequentialLoopForAHostMlp()
    {
        using var scope = torch.NewDisposeScope();
        var chain = MlpChain.Random(256, 8, 1.0, Activation.Tanh, ScalarType.Float64, seed: 1);
        var input = torch.randn(new long[] { 4, 8 }, dtype: ScalarType.Float64, generator: new Generator(1));
        var decision = AutoSolver.Instance.Decide(chain, input);
        Assert.Equal("sequential", decision.Method);
        Assert.True(decision.DeepPcrMs > decision.SequentialMs);
        var result = AutoSolver.Instance.Solve(chain, input);
        Assert.Equal("sequential", result.MethodName);
        Assert.Equal("none", result.FallbackName);
        Assert.InRange(Recurrences.MaxAbsDiff(result.States, SequentialPass.Run(chain, input)), 0.0, 0.0);
    }

    [Fact]
    public void AutoTakesDeepPcrWhenEveryCallCostsAFixedOverhead()
    {
        using var scope = torch.NewDisposeScope();
        var inner = TanhLayerStep.Random(200, 3, 0.9, ScalarType.Float64, seed: 2);
        var step = new FixedCostStep(inner, 300);
        var input = torch.randn(new long[] { 2, 3 }, dtype: ScalarType.Float64, generator: new Generator(2));
        var decision = AutoSolver.Instance.Decide(step, input);
        Assert.Equal("deeppcr", decision.Method);
        var result = AutoSolver.Instance.Solve(step, input);
        Assert.Equal("deeppcr", result.MethodName);
        Assert.Equal(Termination.Converged, result.Termination);
        Assert.Equal("none", result.FallbackName);
        Assert.InRange(Recurrences.MaxAbsDiff(result.States, SequentialPass.Run(inner, input)), 0.0, 1e-8);
    }

    [Fact]
    public void AutoHandsOverToTheSequentialPassAtTheBreakEvenIteration()
    {
        using var scope = torch.NewDisposeScope();
        // Gain 3: Newton needs about half of L iterations here, far more than the 5 the options allow (the budget is
        // the smaller of the options' limit and the break-even count, so the hand-over does not hang on timings).
        var inner = TanhLayerStep.Random(256, 4, 3.0, ScalarType.Float64, seed: 3);
        var step = new FixedCostStep(inner, 300);
        var input = torch.randn(new long[] { 1, 4 }, dtype: ScalarType.Float64, generator: new Generator(3));
        Assert.Equal("deeppcr", AutoSolver.Instance.Decide(step, input).Method);
        var result = AutoSolver.Instance.Solve(step, input, new SolverOptions(MaxIterations: 5));
        Assert.Equal("sequential", result.MethodName);
        Assert.Equal(Termination.FellBack, result.Termination);
        Assert.Equal("sequential", result.FallbackName);
        Assert.StartsWith("auto:", result.FallbackReason);
        Assert.InRange(Recurrences.MaxAbsDiff(result.States, SequentialPass.Run(inner, input)), 0.0, 0.0);
    }

    [Fact]
    public void BadInputIsRefused()
    {
        using var scope = torch.NewDisposeScope();
        var chain = MlpChain.Random(4, 3, 1.0, Activation.Tanh, ScalarType.Float64, seed: 1);
        Assert.Throws<ArgumentException>(() => AutoSolver.Instance.Solve(chain, torch.zeros(2, 5, dtype: ScalarType.Float64)));
        Assert.Throws<ArgumentException>(() => AutoSolver.Instance.Solve(chain, torch.full(new long[] { 2, 3 }, double.NaN, dtype: ScalarType.Float64)));
    }
}
