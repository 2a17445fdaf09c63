using DeepPcr.Gpu.Engine;
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

        Assert.Equal(GpuTermination.Converged, outcome.Termination);
        Assert.Equal(0, outcome.DeerSteps);
        Assert.Equal(outcome.Iterations + 1, outcome.Residuals.Count);
        Assert.All(outcome.Residuals, r => Assert.True(double.IsFinite(r)));
        Assert.InRange(outcome.Iterations, 1, layers);
        Assert.Equal(DevicePcr.RoundsFor(layers), outcome.PcrRounds);
        Assert.InRange(ErrorMeasure.PooledRelative(ws.Read(ws.States.View), reference), 0, 1e-5);
    }

    /// <summary>Every path takes the same iterations with the same residuals and reaches the same states (to float32 rounding).</summary>
    [Theory]
    [InlineData(16, 8, 2)]
    [InlineData(5, 3, 1)]
    [InlineData(33, 3, 2)]
    public void PathsAgree(int layers, int width, int batch)
    {
        var (model, problem) = Problems.Make(layers, width, batch, seed: 12);
        using var ws = new ChainWorkspace(fixture.Device, model, problem);
        var loop = NewtonForward.Run(ws, Problems.Path("device-loop"));
        var loopStates = ws.Read(ws.States.View);
        foreach (string path in new[] { "one-group", "per-entry", "tiled" })
        {
            var other = NewtonForward.Run(ws, Problems.Path(path));
            Assert.Equal(loop.Iterations, other.Iterations);
            Assert.Equal(loop.Residuals.Count, other.Residuals.Count);
            for (int i = 0; i < loop.Residuals.Count; i++) Assert.Equal(loop.Residuals[i], other.Residuals[i], Math.Max(1e-6, 1e-4 * loop.Residuals[i]));
            Assert.InRange(ErrorMeasure.PooledRelative(ws.Read(ws.States.View), loopStates), 0, 1e-6);
        }
    }

    /// <summary>With the iteration limit below what the chain needs, the solve says so and keeps the last iterate (on every path).</summary>
    [Theory]
    [InlineData("device-loop")]
    [InlineData("one-group")]
    [InlineData("per-entry")]
    public void IterationLimitIsReported(string path)
    {
        var (model, problem) = Problems.Make(16, 3, 1);
        using var ws = new ChainWorkspace(fixture.Device, model, problem);
        var outcome = NewtonForward.Run(ws, Problems.Path(path) with { MaxIterations = 1 });
        Assert.Equal(GpuTermination.IterationLimit, outcome.Termination);
        Assert.Equal(1, outcome.Iterations);
        Assert.Equal(2, outcome.Residuals.Count);
        Assert.True(outcome.FinalRatio > 1);
        var limited = ws.Read(ws.States.View);
        NewtonForward.Run(ws, Problems.Path("one-group") with { MaxIterations = 1 });
        Assert.Equal(ws.Read(ws.States.View), limited);
    }

    /// <summary>
    /// An overflowing chain (identity layers with weights of order 1e15: z_3 exceeds float32) makes the update
    /// non-finite: every path then recomputes the step in the DEER form, counts it, and ends the same way.
    /// </summary>
    [Fact]
    public void NonFiniteStepsFallBackToTheDeerFormOnEveryPath()
    {
        var (model, problem) = Problems.Make(5, 1, 1, seed: 4, gain: 1e15, activation: Model.MlpActivation.Identity);
        using var ws = new ChainWorkspace(fixture.Device, model, problem);
        var outcomes = new[] { "device-loop", "one-group", "per-entry" }.Select(path => NewtonForward.Run(ws, Problems.Path(path))).ToArray();
        Assert.All(outcomes, o => Assert.True(o.DeerSteps > 0));
        Assert.All(outcomes, o => Assert.Equal((outcomes[0].Iterations, outcomes[0].Termination, outcomes[0].DeerSteps), (o.Iterations, o.Termination, o.DeerSteps)));
    }
}
