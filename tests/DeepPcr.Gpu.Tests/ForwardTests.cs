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
    [MemberData(nameof(Problems.GridOnBothPaths), MemberType = typeof(Problems))]
    public void ConvergesToTheSequentialStates(string path, int layers, int width, int batch)
    {
        var (model, problem) = Problems.Make(layers, width, batch);
        using var ws = new ChainWorkspace(fixture.Device, model, problem);
        var outcome = NewtonForward.Run(ws, Problems.Path(path));
        var reference = HostReference.Forward(model, problem.Input);

        Assert.Equal(GpuTermination.Converged, outcome.Termination);
        Assert.Equal(0, outcome.DeerSteps);
        Assert.InRange(outcome.Iterations, 1, layers);
        Assert.Equal(DevicePcr.RoundsFor(layers), outcome.PcrRounds);
        Assert.InRange(ErrorMeasure.PooledRelative(ws.Read(ws.States.View), reference), 0, 1e-5);
    }

    /// <summary>Both paths take the same iterations and reach the same states (to float32 rounding).</summary>
    [Theory]
    [InlineData(16, 8, 2)]
    [InlineData(5, 3, 1)]
    public void PathsAgree(int layers, int width, int batch)
    {
        var (model, problem) = Problems.Make(layers, width, batch, seed: 12);
        using var ws = new ChainWorkspace(fixture.Device, model, problem);
        var one = NewtonForward.Run(ws, Problems.Path("one-group"));
        var oneStates = ws.Read(ws.States.View);
        var many = NewtonForward.Run(ws, Problems.Path("per-entry"));
        Assert.Equal(one.Iterations, many.Iterations);
        Assert.InRange(ErrorMeasure.PooledRelative(ws.Read(ws.States.View), oneStates), 0, 1e-6);
    }

    /// <summary>With the iteration limit below what the chain needs, the solve says so and keeps the last iterate.</summary>
    [Fact]
    public void IterationLimitIsReported()
    {
        var (model, problem) = Problems.Make(16, 3, 1);
        using var ws = new ChainWorkspace(fixture.Device, model, problem);
        var outcome = NewtonForward.Run(ws, new EngineOptions(MaxIterations: 1));
        Assert.Equal(GpuTermination.IterationLimit, outcome.Termination);
        Assert.Equal(1, outcome.Iterations);
        Assert.Equal(2, outcome.Residuals.Count);
        Assert.True(outcome.FinalRatio > 1);
    }
}
