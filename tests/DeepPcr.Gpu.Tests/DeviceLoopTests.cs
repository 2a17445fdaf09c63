using DeepPcr.Gpu.Engine;
using DeepPcr.Gpu.Kernels;
using DeepPcr.Gpu.Reference;
using DeepPcr.Solvers;
using ILGPU.Runtime;

namespace DeepPcr.Gpu.Tests;

/// <summary>
/// The device-resident Newton loop (<see cref="OneGroupKernels.NewtonLoop"/>) against the one Newton loop of the core
/// (<see cref="DeepPcr.Newton.NewtonLoop"/>) run on the host over the device backend, under the same settings.
/// </summary>
[Collection(CpuDeviceCollection.Name)]
public sealed class DeviceLoopTests(CpuDeviceFixture fixture)
{
    /// <summary>
    /// Same iterations, same termination, the same residual and error-estimate histories (to float32 rounding) and
    /// the same states (to float32 tolerance) as the host loop on each multi-launch path.
    /// </summary>
    [Theory]
    [InlineData(16, 8, 2)]
    [InlineData(5, 3, 1)]
    [InlineData(33, 3, 2)]
    public void MatchesTheHostNewtonLoop(int layers, int width, int batch)
    {
        var (model, problem) = Problems.Make(layers, width, batch, seed: 12);
        using var ws = new ChainWorkspace(fixture.Device, model, problem);
        var device = NewtonForward.Run(ws, Problems.Path("device-loop"));
        var deviceStates = ws.Read(ws.States.View);
        Assert.Equal(Termination.Converged, device.Termination);
        foreach (string path in new[] { "one-group", "per-entry", "tiled" })
        {
            var host = NewtonForward.Run(ws, Problems.Path(path));
            Assert.Equal((device.Iterations, device.Termination, device.PcrRounds), (host.Iterations, host.Termination, host.PcrRounds));
            AssertSameHistory(device.Residuals, host.Residuals);
            AssertSameHistory(device.Run.ErrorEstimates, host.Run.ErrorEstimates);
            Assert.InRange(ErrorMeasure.PooledRelative(ws.Read(ws.States.View), deviceStates), 0, 1e-6);
        }
    }

    /// <summary>
    /// An iteration limit of 2L (past the L + 1 iterations the history holds) on a chain that never converges in
    /// float32 (identity layers of gain 1e15 overflow): the device loop runs all 2L iterations, records 2L + 1
    /// residuals, and ends as the host loop does.
    /// </summary>
    [Theory]
    [InlineData(5, 1, 1)]
    [InlineData(8, 3, 2)]
    public void IterationLimitOfTwiceTheLength(int layers, int width, int batch)
    {
        var (model, problem) = Problems.Make(layers, width, batch, seed: 4, gain: 1e15, activation: Model.MlpActivation.Identity);
        using var ws = new ChainWorkspace(fixture.Device, model, problem);
        var device = NewtonForward.Run(ws, Problems.Path("device-loop") with { MaxIterations = 2 * layers, Safeguards = Safeguards.Off });
        Assert.Equal((Termination.IterationLimit, 2 * layers), (device.Termination, device.Iterations));
        Assert.Equal(2 * layers + 1, device.Residuals.Count);
        Assert.Equal(2 * layers + 1, device.Run.ErrorEstimates.Count);
        var host = NewtonForward.Run(ws, Problems.Path("one-group") with { MaxIterations = 2 * layers, Safeguards = Safeguards.Off });
        Assert.Equal((host.Iterations, host.Termination, host.DeerSteps), (device.Iterations, device.Termination, device.DeerSteps));
        Assert.Equal(host.Residuals.Select(double.IsFinite), device.Residuals.Select(double.IsFinite));
    }

    /// <summary>A converging chain under a limit of 2L stops where it converges, as under the default limit L.</summary>
    [Fact]
    public void ConvergingChainIgnoresTheLongerLimit()
    {
        var (model, problem) = Problems.Make(16, 3, 2);
        using var ws = new ChainWorkspace(fixture.Device, model, problem);
        var standard = NewtonForward.Run(ws, Problems.Path("device-loop"));
        var states = ws.Read(ws.States.View);
        var longer = NewtonForward.Run(ws, Problems.Path("device-loop") with { MaxIterations = 32 });
        Assert.Equal((Termination.Converged, standard.Iterations), (longer.Termination, longer.Iterations));
        Assert.Equal(states, ws.Read(ws.States.View));
    }

    /// <summary>
    /// The kernel never writes past its history view: given room for three iterations, a launch that needs more
    /// stops after the third with status 1, and a sentinel just past the view is untouched.
    /// </summary>
    [Fact]
    public void LaunchStopsAtTheLastIterationItsHistoryHolds()
    {
        var (model, problem) = Problems.Make(16, 3, 2, gain: 2.0);
        using var ws = new ChainWorkspace(fixture.Device, model, problem);
        var k = fixture.Device.Kernels;
        int room = 3 * NewtonKernels.HistoryStride;
        ws.Write(ws.History.View, Enumerable.Repeat(-7f, (int)ws.History.Length).ToArray());
        ws.States.MemSetToZero();
        var views = ws.Views;
        views.History = ws.History.View.SubView(0, room);
        k.OneGroupNewtonLoop(fixture.Device.Stream, k.OneGroupLoopShape, views, ws.Dims, 1e-6f, 1e-5f, 0, 16);
        fixture.Device.Synchronize();
        var flags = ws.Flags.GetAsArray1D();
        Assert.Equal((1, 2), (flags[NewtonKernels.StatusSlot], flags[NewtonKernels.IterationSlot]));
        var history = ws.Read(ws.History.View);
        Assert.All(history.Take(room), v => Assert.True(v >= 0));
        Assert.All(history.Skip(room), v => Assert.Equal(-7, v));
    }

    private static void AssertSameHistory(IReadOnlyList<double> expected, IReadOnlyList<double> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++) Assert.Equal(expected[i], actual[i], Math.Max(1e-6, 1e-4 * expected[i]));
    }
}
