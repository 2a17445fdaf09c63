using DeepPcr.Linear;
using DeepPcr.Models.Mlp;
using DeepPcr.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Tests.Support;

/// <summary>
/// What every globalised method (damped Newton, trust region) must do, written once and bound per method.
/// Float64 agreement bound: max |delta| &lt;= 1e-9 max(1, max |z|) (rtol 1e-10, atol 1e-12 by default).
/// </summary>
public abstract class GlobalizedSolverContract
{
    /// <summary>The method with its default rule.</summary>
    protected abstract IChainSolver Solver { get; }

    /// <summary>The method with a rule that never accepts an undamped step, so the damping or clipping does the work.</summary>
    protected abstract IChainSolver AlwaysDamped { get; }

    public static TheoryData<int, int> Sizes()
    {
        var data = new TheoryData<int, int>();
        foreach (int length in new[] { 1, 2, 3, 5 })
        foreach (int width in new[] { 1, 3, 8 })
            data.Add(length, width);
        data.Add(1000, 3);
        return data;
    }

    internal static (TanhLayerStep Step, Tensor Input, Tensor Reference) Contractive(int length, int width)
    {
        var step = TanhLayerStep.Random(length, width, 0.9, ScalarType.Float64, seed: 200 + length + width);
        var input = torch.randn(new long[] { 2, width }, dtype: ScalarType.Float64, generator: new Generator(13));
        return (step, input, SequentialPass.Run(step, input));
    }

    private static void AssertAgrees(Tensor states, Tensor reference) =>
        Assert.InRange(Recurrences.MaxAbsDiff(states, reference), 0.0, 1e-9 * Math.Max(1.0, Recurrences.MaxAbs(reference)));

    private void AssertParallel(ChainSolution result)
    {
        Assert.Equal(Solver.Name, result.MethodName);
        Assert.Equal(Termination.Converged, result.Termination);
        Assert.Equal("none", result.FallbackName);
        Assert.Null(result.FallbackReason);
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void AgreesWithTheSequentialPass(int length, int width)
    {
        using var scope = torch.NewDisposeScope();
        var (step, input, reference) = Contractive(length, width);
        var result = Solver.Solve(step, input);
        AssertParallel(result);
        Assert.Equal(ParallelCyclicReduction.RoundsFor(length), result.PcrRounds);
        Assert.InRange(result.Iterations, 0, 8);
        AssertAgrees(result.States, reference);
    }

    [Theory]
    [InlineData(2, 3)]
    [InlineData(5, 1)]
    [InlineData(64, 3)]
    public void TheDampedPathReachesTheSameStates(int length, int width)
    {
        using var scope = torch.NewDisposeScope();
        var (step, input, reference) = Contractive(length, width);
        var result = AlwaysDamped.Solve(step, input, new SolverOptions(MaxIterations: 200));
        AssertParallel(result);
        Assert.True(result.Iterations > Solver.Solve(step, input).Iterations, "the damped path took no damped step");
        AssertAgrees(result.States, reference);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void ConvergesInFloat32AtGainOneAndAHalf(long seed)
    {
        using var scope = torch.NewDisposeScope();
        var chain64 = MlpChain.Random(256, 4, 1.5, Activation.Tanh, ScalarType.Float64, seed);
        var input = torch.randn(new long[] { 2, 4 }, dtype: ScalarType.Float64, generator: new Generator(7));
        var reference = SequentialPass.Run(chain64, input);
        var result = Solver.Solve(chain64.To(ScalarType.Float32), input.to_type(ScalarType.Float32));
        AssertParallel(result);
        Assert.InRange(Recurrences.MaxAbsDiff(result.States, reference) / Recurrences.MaxAbs(reference), 0.0, 1e-4);
    }

    [Fact]
    public void NeedsNoMoreIterationsThanDeepPcrAtGainThree()
    {
        using var scope = torch.NewDisposeScope();
        var chain = MlpChain.Random(256, 4, 3.0, Activation.Tanh, ScalarType.Float64, seed: 1);
        var input = torch.randn(new long[] { 2, 4 }, dtype: ScalarType.Float64, generator: new Generator(7));
        var reference = SequentialPass.Run(chain, input);
        var deepPcr = ParallelChainSolver.DeepPcr.Solve(chain, input);
        Assert.Equal("none", deepPcr.FallbackName);
        var result = Solver.Solve(chain, input);
        AssertParallel(result);
        Assert.InRange(result.Iterations, 1, deepPcr.Iterations);
        AssertAgrees(result.States, reference);
    }

    [Fact]
    public void ADiagonalJacobianServesTheDampedPathToo()
    {
        using var scope = torch.NewDisposeScope();
        var step = new ExpStep(40, 3, 0.5, -1.0);
        var input = torch.randn(new long[] { 2, 3 }, dtype: ScalarType.Float64, generator: new Generator(3));
        var reference = SequentialPass.Run(step, input);
        AssertAgrees(Solver.Solve(step, input).States, reference);
        var damped = AlwaysDamped.Solve(step, input, new SolverOptions(MaxIterations: 200));
        AssertParallel(damped);
        AssertAgrees(damped.States, reference);
    }

    [Fact]
    public void ADivergentRunFallsBackAndSaysWhy()
    {
        using var scope = torch.NewDisposeScope();
        var step = new ExpStep(8, 2, 1.0, 1.0);
        var input = torch.ones(2, 2, dtype: ScalarType.Float64);
        var sequential = SequentialPass.Run(step, input);
        Assert.False(sequential.isfinite().all().item<bool>());   // the chain itself overflows: nothing can converge
        var result = Solver.Solve(step, input);
        Assert.Equal(Termination.FellBack, result.Termination);
        Assert.Equal("sequential", result.FallbackName);
        Assert.Equal("sequential", result.MethodName);
        Assert.NotNull(result.FallbackReason);
        Assert.True(result.Iterations > 0);
        Assert.True(sequential.isnan().logical_not().all().item<bool>());
        Assert.Equal(0.0, (result.States - sequential).nan_to_num(0.0).abs().max().item<double>());
    }

    [Fact]
    public void TheIterationLimitFallsBackUnlessSafeguardsAreOff()
    {
        using var scope = torch.NewDisposeScope();
        var chain = MlpChain.Random(64, 4, 1.5, Activation.Tanh, ScalarType.Float64, seed: 2);
        var input = torch.randn(new long[] { 2, 4 }, dtype: ScalarType.Float64, generator: new Generator(7));
        var limited = Solver.Solve(chain, input, new SolverOptions(MaxIterations: 2));
        Assert.Equal(Termination.FellBack, limited.Termination);
        Assert.Equal("sequential", limited.FallbackName);
        Assert.Contains("2 iterations", limited.FallbackReason);
        Assert.Equal(2, limited.Iterations);
        var off = Solver.Solve(chain, input, new SolverOptions(MaxIterations: 2, Safeguards: Safeguards.Off));
        Assert.Equal(Termination.IterationLimit, off.Termination);
        Assert.Equal("none", off.FallbackName);
        Assert.Equal(Solver.Name, off.MethodName);
    }

    [Fact]
    public void StartsFromAGivenGuessOrTheInput()
    {
        using var scope = torch.NewDisposeScope();
        var (step, input, reference) = Contractive(64, 3);
        var warm = Solver.Solve(step, input, new SolverOptions(InitialGuess: InitialGuess.Given, Guess: reference));
        Assert.Equal(0, warm.Iterations);
        AssertParallel(warm);
        var fromInput = Solver.Solve(step, input, new SolverOptions(InitialGuess: InitialGuess.Input));
        AssertParallel(fromInput);
        AssertAgrees(fromInput.States, reference);
    }

    [Fact]
    public void BadInputIsRejectedWithItsName()
    {
        using var scope = torch.NewDisposeScope();
        var (step, input, reference) = Contractive(5, 3);
        Assert.Contains("input", Assert.ThrowsAny<ArgumentException>(() => Solver.Solve(step, torch.zeros(2, 4, dtype: ScalarType.Float64))).Message);
        Assert.Contains("(2, 3, 1)", Assert.ThrowsAny<ArgumentException>(() => Solver.Solve(step, torch.zeros(2, 3, 1, dtype: ScalarType.Float64))).Message);
        var nan = input.clone();
        nan[0, 1] = double.NaN;
        Assert.Contains("non-finite", Assert.ThrowsAny<ArgumentException>(() => Solver.Solve(step, nan)).Message);
        var guess = new SolverOptions(InitialGuess: InitialGuess.Given, Guess: reference.narrow(0, 0, 3));
        Assert.Contains("Guess", Assert.ThrowsAny<ArgumentException>(() => Solver.Solve(step, input, guess)).Message);
        Assert.ThrowsAny<ArgumentException>(() => Solver.Solve(step, input, new SolverOptions(MaxIterations: -1)));
    }
}
