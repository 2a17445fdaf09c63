using DeepPcr.Models.Mlp;
using DeepPcr.Solvers;
using DeepPcr.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Tests;

/// <summary>
/// The safeguards, the DEER form's recovery from overflow and the fallbacks on the host engine (an MlpChain on CPU
/// tensors), as SolverTests checks them on the TorchSharp engine. Bounds: 1e-9 in float64, 1e-4 in float32 against the
/// float64 sequential pass (gain 3 at L = 128 is expansive but not chaotic at w = 3).
/// </summary>
public class HostSafeguardTests
{
    [Fact]
    public void NewtonIsExactAfterLIterationsOnAnExpansiveChain()
    {
        using var scope = torch.NewDisposeScope();
        var chain = MlpChain.Random(16, 3, 3.0, Activation.Tanh, ScalarType.Float64, seed: 21);
        var input = torch.randn(new long[] { 2, 3 }, dtype: ScalarType.Float64, generator: new Generator(22));
        var options = new SolverOptions(MaxIterations: 16, AbsoluteTolerance: 0, RelativeTolerance: 0, Safeguards: Safeguards.Off);
        var result = ParallelChainSolver.DeepPcr.Solve(chain, input, options);
        Assert.Equal(ChainEngine.Host, result.Engine);
        Assert.Equal(Fallback.None, result.Fallback);
        Assert.True(result.Iterations <= 16);
        Assert.InRange(Recurrences.MaxAbsDiff(result.States, SequentialPass.Run(chain, input)), 0.0, 1e-9);
    }

    [Fact]
    public void TheDeerFormRecoversFromOverflowInFloat32()
    {
        using var scope = torch.NewDisposeScope();
        var chain64 = MlpChain.Random(128, 3, 3.0, Activation.Tanh, ScalarType.Float64, seed: 23);
        var chain = chain64.To(ScalarType.Float32);
        var input = torch.randn(new long[] { 2, 3 }, dtype: ScalarType.Float64, generator: new Generator(24));
        var options = new SolverOptions(MaxIterations: 128, AbsoluteTolerance: 0, RelativeTolerance: 0, Safeguards: Safeguards.Off);
        var result = ParallelChainSolver.DeepPcr.Solve(chain, input.to_type(ScalarType.Float32), options);
        Assert.Equal(ChainEngine.Host, result.Engine);
        Assert.Contains(result.ResidualNorms, r => !double.IsFinite(r) || r > 1e6); // it did overflow on the way
        Assert.True(result.States.isfinite().all().item<bool>());
        Assert.InRange(Recurrences.MaxAbsDiff(result.States, SequentialPass.Run(chain64, input)), 0.0, 1e-4);
    }

    [Theory]
    [InlineData(16)]
    [InlineData(0)]
    public void SafeguardsFallBackSayWhichAndCountTheFailedAttempt(int fallbackWindow)
    {
        using var scope = torch.NewDisposeScope();
        var chain = MlpChain.Random(128, 3, 3.0, Activation.Tanh, ScalarType.Float32, seed: 23);
        var input = torch.randn(new long[] { 2, 3 }, dtype: ScalarType.Float32, generator: new Generator(24));
        var sequential = SequentialPass.Run(chain, input);
        var options = new SolverOptions(Safeguards: Safeguards.Default with { FallbackWindow = fallbackWindow });
        var result = ParallelChainSolver.DeepPcr.Solve(chain, input, options);
        Assert.Equal(Termination.FellBack, result.Termination);
        Assert.NotNull(result.FallbackReason);
        Assert.True(result.Iterations > 0, "the failed attempt's iterations are reported");
        Assert.Equal(ChainEngine.Host, result.Engine);
        if (fallbackWindow == 0)
        {
            Assert.Equal(Fallback.Sequential, result.Fallback);
            Assert.Equal(ChainMethod.Sequential, result.Method);
            Assert.Equal(0.0, Recurrences.MaxAbsDiff(result.States, sequential));
        }
        else
        {
            Assert.Contains(result.Fallback, new[] { Fallback.Window, Fallback.Sequential });
            Assert.InRange(Recurrences.MaxAbsDiff(result.States, sequential), 0.0, 1e-4);
        }
    }

    [Fact]
    public void TheIterationLimitFallsBackUnlessSafeguardsAreOff()
    {
        using var scope = torch.NewDisposeScope();
        var chain = MlpChain.Random(64, 3, 0.9, Activation.Tanh, ScalarType.Float64, seed: 5);
        var input = torch.randn(new long[] { 2, 3 }, dtype: ScalarType.Float64, generator: new Generator(6));
        var on = ParallelChainSolver.DeepPcr.Solve(chain, input, new SolverOptions(MaxIterations: 1, Safeguards: Safeguards.Default with { FallbackWindow = 0 }));
        Assert.Equal(Termination.FellBack, on.Termination);
        Assert.Equal(Fallback.Sequential, on.Fallback);
        Assert.StartsWith("no convergence within 1 iterations", on.FallbackReason);
        Assert.Equal(1, on.Iterations);
        var off = ParallelChainSolver.DeepPcr.Solve(chain, input, new SolverOptions(MaxIterations: 1, Safeguards: Safeguards.Off));
        Assert.Equal(Termination.IterationLimit, off.Termination);
        Assert.Equal(Fallback.None, off.Fallback);
        Assert.Equal(ChainEngine.Host, off.Engine);
    }
}
