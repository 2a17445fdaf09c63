using DeepPcr.Gpu.Engine;
using DeepPcr.Solvers;
using DeepPcr.Gpu.Model;
using DeepPcr.Gpu.Reference;

namespace DeepPcr.Gpu.Tests;

/// <summary>The DeepPCR backward pass (one reversed PCR solve, then the gradients) against the float64 reference.</summary>
[Collection(CpuDeviceCollection.Name)]
public sealed class BackwardTests(CpuDeviceFixture fixture)
{
    /// <summary>
    /// At DeepPCR's own converged states, the input, weight and bias gradients agree with the float64 reference
    /// (at the reference states) to 1e-4 relative, pooled; the state gradients to 1e-4 as well.
    /// </summary>
    [Theory]
    [MemberData(nameof(Problems.GridOnBothPaths), MemberType = typeof(Problems))]
    public void GradientsMatchTheReference(string path, int layers, int width, int batch)
    {
        var options = Problems.Path(path);
        var (model, problem) = Problems.Make(layers, width, batch);
        using var ws = new ChainWorkspace(fixture.Device, model, problem);
        Assert.Equal(Termination.Converged, NewtonForward.Run(ws, options).Termination);
        var adjoint = AdjointBackward.Run(ws, ws.States.View, options);
        Assert.Equal((Fallback.None, true, true), (adjoint.Run.Fallback, adjoint.Run.Finite, adjoint.Reversed));
        Assert.Equal(DevicePcr.RoundsFor(layers), adjoint.Run.PcrRounds);

        var reference = HostReference.Backward(model, problem.Input, HostReference.Forward(model, problem.Input), problem.Cotangent);
        Assert.InRange(DeviceGradients.Read(ws).MaxRelativeError(reference), 0, 1e-4);
        var lambda = Reverse(ws.Read(adjoint.Lambda), layers, batch * width);
        Assert.InRange(ErrorMeasure.PooledRelative(lambda, reference.StateGradients!), 0, 1e-4);
    }

    /// <summary>
    /// The core's backward pass with the row-by-row solve (the persistent sequential kernel) on either path: no PCR
    /// rounds, the state gradients in natural order, and the same gradients as the reference within 1e-4.
    /// </summary>
    [Theory]
    [InlineData("one-group", 5, 3, 2)]
    [InlineData("per-entry", 17, 8, 1)]
    public void SequentialSolveThroughTheCorePass(string path, int layers, int width, int batch)
    {
        var (model, problem) = Problems.Make(layers, width, batch);
        using var ws = new ChainWorkspace(fixture.Device, model, problem);
        Assert.Equal(Termination.Converged, NewtonForward.Run(ws, Problems.Path(path)).Termination);
        var adjoint = AdjointBackward.Run(ws, ws.States.View, Problems.Path(path), sequential: true);
        Assert.Equal((0, false, true), (adjoint.Run.PcrRounds, adjoint.Reversed, adjoint.Run.Finite));

        var reference = HostReference.Backward(model, problem.Input, HostReference.Forward(model, problem.Input), problem.Cotangent);
        Assert.InRange(DeviceGradients.Read(ws).MaxRelativeError(reference), 0, 1e-4);
        Assert.InRange(ErrorMeasure.PooledRelative(ws.Read(adjoint.Lambda), reference.StateGradients!), 0, 1e-4);
    }

    /// <summary>
    /// (L, w, B) = (1025, 3, 2) on every backward path and (17, 16, 4) on the tiled one, at states from the one-group
    /// forward pass (the backward pass is one PCR solve whichever path found them).
    /// </summary>
    [Theory]
    [InlineData("one-group", 1025, 3, 2)]
    [InlineData("per-entry", 1025, 3, 2)]
    [InlineData("tiled", 1025, 3, 2)]
    [InlineData("tiled", 17, 16, 4)]
    public void GradientsAtLargerSizes(string path, int layers, int width, int batch)
    {
        var (model, problem) = Problems.Make(layers, width, batch);
        using var ws = new ChainWorkspace(fixture.Device, model, problem);
        Assert.Equal(Termination.Converged, NewtonForward.Run(ws, Problems.Path("one-group")).Termination);
        var reversed = AdjointBackward.Run(ws, ws.States.View, Problems.Path(path)).Lambda;

        var reference = HostReference.Backward(model, problem.Input, HostReference.Forward(model, problem.Input), problem.Cotangent);
        Assert.InRange(DeviceGradients.Read(ws).MaxRelativeError(reference), 0, 1e-4);
        Assert.InRange(ErrorMeasure.PooledRelative(Reverse(ws.Read(reversed), layers, batch * width), reference.StateGradients!), 0, 1e-4);
    }

    /// <summary>ReLU and identity chains: forward and backward agree with the reference too.</summary>
    [Theory]
    [InlineData(MlpActivation.Relu, 5, 3, 2)]
    [InlineData(MlpActivation.Identity, 5, 3, 2)]
    [InlineData(MlpActivation.Relu, 16, 8, 1)]
    [InlineData(MlpActivation.Identity, 16, 8, 1)]
    public void OtherActivations(MlpActivation activation, int layers, int width, int batch)
    {
        var (model, problem) = Problems.Make(layers, width, batch, seed: 3, gain: 0.9, activation: activation);
        using var ws = new ChainWorkspace(fixture.Device, model, problem);
        Assert.Equal(Termination.Converged, NewtonForward.Run(ws, EngineOptions.Default).Termination);
        var states = HostReference.Forward(model, problem.Input);
        Assert.InRange(ErrorMeasure.PooledRelative(ws.Read(ws.States.View), states), 0, 1e-5);
        AdjointBackward.Run(ws, ws.States.View, EngineOptions.Default);
        var reference = HostReference.Backward(model, problem.Input, states, problem.Cotangent);
        Assert.InRange(DeviceGradients.Read(ws).MaxRelativeError(reference), 0, 1e-4);
    }

    /// <summary>The tiled PCR kernel (forced at small widths) gives the same forward and backward results.</summary>
    [Theory]
    [InlineData(16, 3, 2)]
    [InlineData(5, 8, 1)]
    [InlineData(16, 8, 2)]
    public void TiledMappingMatches(int layers, int width, int batch)
    {
        var options = Problems.Path("tiled");
        var (model, problem) = Problems.Make(layers, width, batch);
        using var ws = new ChainWorkspace(fixture.Device, model, problem);
        Assert.Equal(Termination.Converged, NewtonForward.Run(ws, options).Termination);
        var states = HostReference.Forward(model, problem.Input);
        Assert.InRange(ErrorMeasure.PooledRelative(ws.Read(ws.States.View), states), 0, 1e-5);
        AdjointBackward.Run(ws, ws.States.View, options);
        var reference = HostReference.Backward(model, problem.Input, states, problem.Cotangent);
        Assert.InRange(DeviceGradients.Read(ws).MaxRelativeError(reference), 0, 1e-4);
    }

    internal static double[] Reverse(double[] rows, int layers, int rowLength)
    {
        var result = new double[rows.Length];
        for (int r = 0; r < layers; r++) Array.Copy(rows, r * rowLength, result, (layers - 1 - r) * rowLength, rowLength);
        return result;
    }
}
