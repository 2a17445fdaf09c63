using DeepPcr.Chains;
using DeepPcr.Models.Mlp;
using DeepPcr.Solvers;
using DeepPcr.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Tests;

/// <summary>
/// Auto's decisions with an injected cost model (no wall-clock timing in the assertions): it takes the fused sequential
/// loop when that is predicted cheaper, DeepPCR when Newton is, hands over to the sequential pass at the break-even
/// iteration, names what ran and equals the sequential pass. The calibrated model is checked for sane, finite costs.
/// </summary>
public class AutoSolverTests
{
    /// <summary>Fixed predicted costs, whatever the step.</summary>
    private sealed class FixedCosts(double sequentialMs, double evaluationMs, double pcrMs) : IAutoCostModel
    {
        public AutoCosts Measure(IChainStep step, Tensor input) => new(sequentialMs, sequentialMs / step.Length, evaluationMs, pcrMs);
    }

    [Fact]
    public void AutoTakesTheFusedSequentialLoopWhenItIsPredictedCheaper()
    {
        using var scope = torch.NewDisposeScope();
        var chain = MlpChain.Random(256, 8, 1.0, Activation.Tanh, ScalarType.Float64, seed: 1);
        var input = torch.randn(new long[] { 4, 8 }, dtype: ScalarType.Float64, generator: new Generator(1));
        var auto = new AutoSolver(new FixedCosts(sequentialMs: 1, evaluationMs: 0.5, pcrMs: 0.5));
        var decision = auto.Decide(chain, input);
        Assert.Equal("sequential", decision.Method);
        Assert.Equal(6 * 0.5 + 5 * 0.5, decision.DeepPcrMs, 12);
        var result = auto.Solve(chain, input);
        Assert.Equal("sequential", result.MethodName);
        Assert.Equal(ChainEngine.Host, result.Engine);
        Assert.Equal("none", result.FallbackName);
        Assert.InRange(Recurrences.MaxAbsDiff(result.States, SequentialPass.Run(chain, input)), 0.0, 0.0);
    }

    [Fact]
    public void AutoTakesDeepPcrWhenNewtonIsPredictedCheaper()
    {
        using var scope = torch.NewDisposeScope();
        var step = TanhLayerStep.Random(200, 3, 0.9, ScalarType.Float64, seed: 2);
        var input = torch.randn(new long[] { 2, 3 }, dtype: ScalarType.Float64, generator: new Generator(2));
        var auto = new AutoSolver(new FixedCosts(sequentialMs: 100, evaluationMs: 1, pcrMs: 1));
        Assert.Equal("deeppcr", auto.Decide(step, input).Method);
        var result = auto.Solve(step, input);
        Assert.Equal("deeppcr", result.MethodName);
        Assert.Equal(Termination.Converged, result.Termination);
        Assert.Equal("none", result.FallbackName);
        Assert.InRange(Recurrences.MaxAbsDiff(result.States, SequentialPass.Run(step, input)), 0.0, 1e-8);
    }

    [Fact]
    public void AutoHandsOverToTheSequentialPassAtTheBreakEvenIteration()
    {
        using var scope = torch.NewDisposeScope();
        // Gain 3: Newton needs about half of L iterations here. The break-even budget is floor((100 - 1) / (1 + 1)) = 49
        // iterations; the options allow 5, so the hand-over comes after 5.
        var step = TanhLayerStep.Random(256, 4, 3.0, ScalarType.Float64, seed: 3);
        var input = torch.randn(new long[] { 1, 4 }, dtype: ScalarType.Float64, generator: new Generator(3));
        var auto = new AutoSolver(new FixedCosts(sequentialMs: 100, evaluationMs: 1, pcrMs: 1));
        Assert.Equal("deeppcr", auto.Decide(step, input).Method);
        var result = auto.Solve(step, input, new SolverOptions(MaxIterations: 5));
        Assert.Equal("sequential", result.MethodName);
        Assert.Equal(Termination.FellBack, result.Termination);
        Assert.Equal("sequential", result.FallbackName);
        Assert.StartsWith("auto:", result.FallbackReason);
        Assert.Equal(5, result.Iterations);
        Assert.InRange(Recurrences.MaxAbsDiff(result.States, SequentialPass.Run(step, input)), 0.0, 0.0);
    }

    [Fact]
    public void TheCalibratedModelGivesFiniteCosts()
    {
        using var scope = torch.NewDisposeScope();
        var chain = MlpChain.Random(64, 4, 0.9, Activation.Tanh, ScalarType.Float32, seed: 1);
        var input = torch.randn(new long[] { 2, 4 }, generator: new Generator(1));
        var costs = MeasuredCostModel.Instance.Measure(chain, input);
        foreach (double ms in new[] { costs.SequentialMs, costs.StepMs, costs.EvaluationMs, costs.PcrMs })
        {
            Assert.True(double.IsFinite(ms) && ms > 0, $"cost {ms} ms");
        }
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
