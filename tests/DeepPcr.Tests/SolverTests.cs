using DeepPcr.Chains;
using DeepPcr.Linear;
using DeepPcr.Solvers;
using DeepPcr.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Tests;

/// <summary>
/// The parallel methods against the sequential pass, in float64. Agreement bound: max |delta| &lt;= 1e-8
/// for Newton (rtol 1e-10, atol 1e-12 by default) and 1e-7 for Picard and quasi-Newton, whose stop rule
/// uses an estimated gain.
/// </summary>
public class SolverTests
{
    public static TheoryData<int, int> Sizes()
    {
        var data = new TheoryData<int, int>();
        foreach (int length in new[] { 1, 2, 3, 5, 64, 1000 })
        foreach (int width in new[] { 1, 3, 8 })
            data.Add(length, width);
        return data;
    }

    private static (TanhLayerStep Step, Tensor Input, Tensor Reference) Contractive(int length, int width, bool analytic = true)
    {
        var step = TanhLayerStep.Random(length, width, 0.9, ScalarType.Float64, seed: 100 + length + width, analytic);
        var input = torch.randn(new long[] { 2, width }, dtype: ScalarType.Float64, generator: new Generator(11));
        var reference = SequentialPass.Run(step, input);
        step.Evaluations = 0;
        return (step, input, reference);
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void NewtonConvergesQuicklyAndEqualsSequential(int length, int width)
    {
        using var scope = torch.NewDisposeScope();
        var (step, input, reference) = Contractive(length, width);
        var result = ParallelChainSolver.DeepPcr.Solve(step, input);

        Assert.Equal("deeppcr", result.MethodName);
        Assert.Equal(Termination.Converged, result.Termination);
        Assert.Equal("none", result.FallbackName);
        Assert.InRange(result.Iterations, 0, 8);
        Assert.Equal(ParallelCyclicReduction.RoundsFor(length), result.PcrRounds);
        Assert.Equal(result.Iterations + 1, step.Evaluations);
        Assert.Equal(result.Iterations + 1, result.ResidualNorms.Count);
        Assert.InRange(Recurrences.MaxAbsDiff(result.States, reference), 0.0, 1e-8);
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void PicardAndQuasiNewtonReachTheSameStates(int length, int width)
    {
        using var scope = torch.NewDisposeScope();
        var (step, input, reference) = Contractive(length, width);
        var solvers = new[] { ParallelChainSolver.Picard, ParallelChainSolver.QuasiNewton(JacobianStructure.Diagonal), ParallelChainSolver.QuasiNewton(JacobianStructure.Scalar) };
        foreach (var solver in solvers)
        {
            var result = solver.Solve(step, input);
            Assert.Equal(Termination.Converged, result.Termination);
            Assert.Equal("none", result.FallbackName);
            Assert.Equal(solver.Name, result.MethodName);
            Assert.InRange(Recurrences.MaxAbsDiff(result.States, reference), 0.0, 1e-7);
        }
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void WindowedEqualsUnwindowed(int length, int width)
    {
        using var scope = torch.NewDisposeScope();
        var (step, input, _) = Contractive(length, width);
        int window = Math.Max(1, length / 3);
        var whole = ParallelChainSolver.DeepPcr.Solve(step, input);
        var windowed = ParallelChainSolver.DeepPcr.Solve(step, input, new SolverOptions(Window: window));
        Assert.Equal(window < length ? "deeppcr-window" : "deeppcr", windowed.MethodName);
        Assert.Equal(Termination.Converged, windowed.Termination);
        Assert.Equal("none", windowed.FallbackName);
        Assert.Equal(ParallelCyclicReduction.RoundsFor(window), windowed.PcrRounds);
        Assert.InRange(Recurrences.MaxAbsDiff(windowed.States, whole.States), 0.0, 1e-8);
        var picard = ParallelChainSolver.Picard.Solve(step, input, new SolverOptions(Window: window));
        Assert.Equal(window < length ? "picard-window" : "picard", picard.MethodName);
        Assert.InRange(Recurrences.MaxAbsDiff(picard.States, whole.States), 0.0, 1e-7);
    }

    [Fact]
    public void AutogradJacobiansServeNewtonToo()
    {
        using var scope = torch.NewDisposeScope();
        var (step, input, reference) = Contractive(64, 3, analytic: false);
        var result = ParallelChainSolver.DeepPcr.Solve(step, input);
        Assert.Equal(Termination.Converged, result.Termination);
        Assert.InRange(Recurrences.MaxAbsDiff(result.States, reference), 0.0, 1e-8);
    }

    [Fact]
    public void NewtonIsExactAfterLIterationsOnAnExpansiveChain()
    {
        using var scope = torch.NewDisposeScope();
        using var step = TanhLayerStep.Random(16, 3, 3.0, ScalarType.Float64, seed: 21);
        var input = torch.randn(new long[] { 2, 3 }, dtype: ScalarType.Float64, generator: new Generator(22));
        var reference = SequentialPass.Run(step, input);
        var options = new SolverOptions(MaxIterations: 16, AbsoluteTolerance: 0, RelativeTolerance: 0, Safeguards: Safeguards.Off);
        var result = ParallelChainSolver.DeepPcr.Solve(step, input, options);
        Assert.Equal("none", result.FallbackName);
        Assert.True(result.Iterations <= 16);
        Assert.InRange(Recurrences.MaxAbsDiff(result.States, reference), 0.0, 1e-9);
    }

    [Fact]
    public void DeerFormRecoversFromOverflowInFloat32()
    {
        using var scope = torch.NewDisposeScope();
        using var step64 = TanhLayerStep.Random(128, 3, 3.0, ScalarType.Float64, seed: 23);
        using var step32 = new TanhLayerStep(step64.Weights.to_type(ScalarType.Float32), step64.Biases.to_type(ScalarType.Float32));
        var input = torch.randn(new long[] { 2, 3 }, dtype: ScalarType.Float64, generator: new Generator(24));
        var reference = SequentialPass.Run(step64, input);
        var options = new SolverOptions(MaxIterations: 128, AbsoluteTolerance: 0, RelativeTolerance: 0, Safeguards: Safeguards.Off);
        var result = ParallelChainSolver.DeepPcr.Solve(step32, input.to_type(ScalarType.Float32), options);
        Assert.Contains(result.ResidualNorms, r => !double.IsFinite(r) || r > 1e6); // it did overflow on the way
        Assert.True(result.States.isfinite().all().item<bool>());
        Assert.InRange(Recurrences.MaxAbsDiff(result.States, reference), 0.0, 1e-4);
    }

    [Theory]
    [InlineData(16)]
    [InlineData(0)]
    public void SafeguardsFallBackAndSayWhich(int fallbackWindow)
    {
        using var scope = torch.NewDisposeScope();
        using var step = TanhLayerStep.Random(128, 3, 3.0, ScalarType.Float32, seed: 23);
        var input = torch.randn(new long[] { 2, 3 }, dtype: ScalarType.Float32, generator: new Generator(24));
        var sequential = SequentialPass.Run(step, input);
        var options = new SolverOptions(Safeguards: Safeguards.Default with { FallbackWindow = fallbackWindow });
        var result = ParallelChainSolver.DeepPcr.Solve(step, input, options);
        Assert.Equal(Termination.FellBack, result.Termination);
        Assert.NotNull(result.FallbackReason);
        if (fallbackWindow == 0)
        {
            Assert.Equal("sequential", result.FallbackName);
            Assert.Equal("sequential", result.MethodName);
            Assert.Equal(0.0, Recurrences.MaxAbsDiff(result.States, sequential));
        }
        else
        {
            Assert.Contains(result.FallbackName, new[] { "window", "sequential" });
            Assert.InRange(Recurrences.MaxAbsDiff(result.States, sequential), 0.0, 1e-4);
        }
    }

    [Fact]
    public void WarmStartFromTheAnswerNeedsNoIteration()
    {
        using var scope = torch.NewDisposeScope();
        var (step, input, reference) = Contractive(64, 3);
        var result = ParallelChainSolver.DeepPcr.Solve(step, input, new SolverOptions(InitialGuess: InitialGuess.Given, Guess: reference));
        Assert.Equal(0, result.Iterations);
        Assert.Equal(Termination.Converged, result.Termination);
        var bad = Assert.ThrowsAny<ArgumentException>(() => ParallelChainSolver.DeepPcr.Solve(step, input, new SolverOptions(InitialGuess: InitialGuess.Given, Guess: reference.narrow(0, 0, 3))));
        Assert.Contains("Guess", bad.Message);
    }

    [Fact]
    public void QuasiNewtonNeedsACheaperStructure()
    {
        using var scope = torch.NewDisposeScope();
        var (step, input, _) = Contractive(5, 3);
        Assert.Contains("richer", Assert.ThrowsAny<ArgumentException>(() => ParallelChainSolver.QuasiNewton(JacobianStructure.Dense).Solve(step, input)).Message);
    }
}
