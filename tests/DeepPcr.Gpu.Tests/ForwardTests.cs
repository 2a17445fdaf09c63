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
    [MemberData(nameof(Problems.Grid), MemberType = typeof(Problems))]
    public void ConvergesToTheSequentialStates(int layers, int width, int batch)
    {
        var (model, problem) = Problems.Make(layers, width, batch);
        using var ws = new ChainWorkspace(fixture.Device, model, problem);
        var outcome = NewtonForward.Run(ws, EngineOptions.Default);
        var reference = HostReference.Forward(model, problem.Input);

        Assert.Equal(GpuTermination.Converged, outcome.Termination);
        Assert.Equal(0, outcome.DeerSteps);
        Assert.InRange(outcome.Iterations, 1, layers);
        Assert.Equal(DevicePcr.RoundsFor(layers), outcome.PcrRounds);
        Assert.InRange(ErrorMeasure.PooledRelative(ws.Read(ws.States.View), reference), 0, 1e-5);
    }
}
