using ILGPU.Runtime;
using DeepPcr.Gpu.Baselines;
using DeepPcr.Gpu.Engine;
using DeepPcr.Gpu.Reference;

namespace DeepPcr.Gpu.Tests;

/// <summary>The sequential baselines (a) per layer and (b) persistent against the float64 reference.</summary>
[Collection(CpuDeviceCollection.Name)]
public sealed class BaselineTests(CpuDeviceFixture fixture)
{
    /// <summary>States to 1e-5 and gradients to 1e-4 relative (pooled), for both baselines.</summary>
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(2, 3, 2)]
    [InlineData(3, 8, 1)]
    [InlineData(5, 3, 1)]
    [InlineData(16, 8, 2)]
    [InlineData(16, 1, 2)]
    public void BothBaselinesMatchTheReference(int layers, int width, int batch)
    {
        var (model, problem) = Problems.Make(layers, width, batch);
        using var ws = new ChainWorkspace(fixture.Device, model, problem);
        var states = HostReference.Forward(model, problem.Input);
        var reference = HostReference.Backward(model, problem.Input, states, problem.Cotangent);

        SequentialBaselines.PerLayerForward(ws);
        Assert.InRange(ErrorMeasure.PooledRelative(ws.Read(ws.BaselineStates.View), states), 0, 1e-5);
        SequentialBaselines.PerLayerBackward(ws, ws.BaselineStates.View);
        Assert.InRange(DeviceGradients.Read(ws).MaxRelativeError(reference), 0, 1e-4);
        Assert.InRange(ErrorMeasure.PooledRelative(ws.Read(ws.Lambda.View), reference.StateGradients!), 0, 1e-4);

        ws.BaselineStates.MemSetToZero();
        ws.Lambda.MemSetToZero();
        SequentialBaselines.PersistentForward(ws);
        Assert.InRange(ErrorMeasure.PooledRelative(ws.Read(ws.BaselineStates.View), states), 0, 1e-5);
        SequentialBaselines.PersistentBackward(ws, ws.BaselineStates.View);
        Assert.InRange(DeviceGradients.Read(ws).MaxRelativeError(reference), 0, 1e-4);
        Assert.InRange(ErrorMeasure.PooledRelative(ws.Read(ws.Lambda.View), reference.StateGradients!), 0, 1e-4);
    }
}
