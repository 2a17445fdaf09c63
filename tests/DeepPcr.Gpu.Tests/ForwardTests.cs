using DeepPcr.Gpu.Engine;
using DeepPcr.Solvers;
using DeepPcr.Gpu.Reference;

namespace DeepPcr.Gpu.Tests;

/// <summary>The whole DeepPCR forward pass on the CPU accelerator against the float64 sequential pass.</summary>
[Collection(CpuDeviceCollection.Name)]
public sealed class ForwardTests(CpuDeviceFixture fixture)
{
    /// <summary>
    /// Converged states agree with the float64 reference to 1e-5 relative (pooled over all states): the stopping
    /// rule asks for 1e-6 + 1e-5 |z|, and float32 rounding over 16 layers stays far below that.
    /// </summary>
    [Theory]
    [MemberData(nameof(Problems.GridOnForwardPaths), MemberType = typeof(Problems))]
    public void ConvergesToTheSequentialStates(string path, int layers, int width, int batch)
    {
        var (model, problem) = Problems.Make(layers, width, batch);
        using var ws = new ChainWorkspace(fixture.Device, model, problem);
        var outcome = NewtonForward.Run(ws, Problems.Path(path));
        var reference = HostReference.Forward(model, problem.Input);

        Assert.Equal(Termination.Converged, outcome.Termination);
        Assert.Equal(Fallback.None, outcome.Fallback);
        Assert.Null(outcome.Reason);
        Assert.Equal(0, outcome.DeerSteps);
        Assert.Equal(outcome.Iterations + 1, outcome.Residuals.Count);
        Assert.Equal(outcome.Iterations + 1, outcome.Run.ErrorEstimates.Count);
        Assert.InRange(outcome.FinalRatio, 0, 1);
        Assert.All(outcome.Residuals, r => Assert.True(double.IsFinite(r)));
        Assert.InRange(outcome.Iterations, 1, layers);
        Assert.Equal(DevicePcr.RoundsFor(layers), outcome.PcrRounds);
        Assert.InRange(ErrorMeasure.PooledRelative(ws.Read(ws.States.View), reference), 0, 1e-5);
    }

    /// <summary>
    /// (L, w, B) = (1025, 3, 2) on every path and (17, 16, 4) on the tiled one: past the tiny grid, where PCR runs
    /// eleven rounds and the one-group kernels stride over many values per thread. The tiled mapping's whole solve at
    /// L = 1025 takes about two minutes on the CPU emulator (a group per block row and round), so at that size it is
    /// checked step by step instead (NewtonStepTests, PcrKernelTests, BackwardTests).
    /// </summary>
    [Theory]
    [InlineData("device-loop", 1025, 3, 2)]
    [InlineData("one-group", 1025, 3, 2)]
    [InlineData("per-entry", 1025, 3, 2)]
    [InlineData("tiled", 17, 16, 4)]
    public void ConvergesAtLargerSizes(string path, int layers, int width, int batch) => ConvergesToTheSequentialStates(path, layers, width, batch);

    /// <summary>With the safeguards off and the iteration limit below what the chain needs, the solve says so and keeps the last iterate (on every path).</summary>
    [Theory]
    [InlineData("device-loop")]
    [InlineData("one-group")]
    [InlineData("per-entry")]
    public void IterationLimitIsReported(string path)
    {
        var (model, problem) = Problems.Make(16, 3, 1);
        using var ws = new ChainWorkspace(fixture.Device, model, problem);
        var outcome = NewtonForward.Run(ws, Problems.Path(path) with { MaxIterations = 1, Safeguards = Safeguards.Off });
        Assert.Equal(Termination.IterationLimit, outcome.Termination);
        Assert.Equal(Fallback.None, outcome.Fallback);
        Assert.Equal(1, outcome.Iterations);
        Assert.Equal(2, outcome.Residuals.Count);
        Assert.True(outcome.FinalRatio > 1);
        var limited = ws.Read(ws.States.View);
        NewtonForward.Run(ws, Problems.Path("one-group") with { MaxIterations = 1, Safeguards = Safeguards.Off });
        Assert.Equal(ws.Read(ws.States.View), limited);
    }

    /// <summary>With the safeguards on (the default), the same limit falls back to the sequential pass on the device, and the outcome says why.</summary>
    [Theory]
    [InlineData("device-loop")]
    [InlineData("per-entry")]
    public void IterationLimitFallsBackToTheSequentialPass(string path)
    {
        var (model, problem) = Problems.Make(16, 3, 1);
        using var ws = new ChainWorkspace(fixture.Device, model, problem);
        var outcome = NewtonForward.Run(ws, Problems.Path(path) with { MaxIterations = 1 });
        Assert.Equal(Termination.FellBack, outcome.Termination);
        Assert.Equal(Fallback.Sequential, outcome.Fallback);
        Assert.Equal(Termination.IterationLimit, outcome.Run.Termination);
        Assert.Contains("no convergence within 1 iterations", outcome.Reason);
        Assert.Equal(1, outcome.Iterations);
        Assert.InRange(ErrorMeasure.PooledRelative(ws.Read(ws.States.View), HostReference.Forward(model, problem.Input)), 0, 1e-5);
    }

    /// <summary>
    /// An overflowing chain (identity layers with weights of order 1e15: z_3 exceeds float32) makes the update
    /// non-finite: with the safeguards off, every path then recomputes the step in the DEER form, counts it, and
    /// ends the same way; with them on, the non-finite residual raises the alarm and the sequential pass runs.
    /// </summary>
    [Fact]
    public void NonFiniteStepsFallBackToTheDeerFormOnEveryPath()
    {
        var (model, problem) = Problems.Make(5, 1, 1, seed: 4, gain: 1e15, activation: Model.MlpActivation.Identity);
        using var ws = new ChainWorkspace(fixture.Device, model, problem);
        var paths = new[] { "device-loop", "one-group", "per-entry" };
        var outcomes = paths.Select(path => NewtonForward.Run(ws, Problems.Path(path) with { Safeguards = Safeguards.Off })).ToArray();
        Assert.All(outcomes, o => Assert.True(o.DeerSteps > 0));
        Assert.All(outcomes, o => Assert.Equal((outcomes[0].Iterations, outcomes[0].Termination, outcomes[0].DeerSteps), (o.Iterations, o.Termination, o.DeerSteps)));
        var guarded = paths.Select(path => NewtonForward.Run(ws, Problems.Path(path))).ToArray();
        Assert.All(guarded, o => Assert.Equal((Termination.FellBack, Fallback.Sequential, "non-finite residual"), (o.Termination, o.Fallback, o.Reason)));
    }
}
