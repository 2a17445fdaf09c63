using DeepPcr.Gpu.Baselines;
using DeepPcr.Newton;
using DeepPcr.Solvers;
using ILGPU.Runtime;

namespace DeepPcr.Gpu.Engine;

/// <summary>
/// DeepPCR's forward pass on the device: the one Newton loop of src/DeepPcr.Core (<see cref="NewtonLoop"/>) over the
/// device backend (<see cref="DeviceNewtonBackend"/>: each iteration one fused launch sequence and one readback), or,
/// on the one-group path with <see cref="EngineOptions.DeviceLoop"/>, the same loop run inside the device
/// (<see cref="DeviceNewtonLoop"/>). Both start from the cold guess z = 0 under the settings the core resolves
/// (<see cref="EngineOptions.SettingsFor"/>) and accept z when max |update| &lt;= atol + rtol |z|, so that its exact
/// Jacobians serve the backward pass. When the safeguards are on and the run raises an alarm or ends at the iteration
/// limit, the sequential pass on the device produces the states, and the outcome says so (the core's fallback policy,
/// <see cref="FallbackPolicy"/>; the engine has no windows, so there is no windowed retry).
/// </summary>
public static class NewtonForward
{
    /// <summary>Runs the solve from the cold guess; the states end in <see cref="ChainWorkspace.States"/>.</summary>
    /// <param name="ws">The workspace.</param>
    /// <param name="options">Stopping rule, iteration limit, safeguards, thread mapping.</param>
    /// <returns>What happened.</returns>
    public static ForwardOutcome Run(ChainWorkspace ws, EngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(ws);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var settings = options.SettingsFor(ws.Dims);
        ws.States.View.MemSetToZero(ws.Device.Stream);
        var attempt = options.DeviceLoop && options.UsesOneGroup(ws.Dims)
            ? DeviceNewtonLoop.Run(ws, options, settings)
            : OnHost(ws, options, settings);
        string? reason = settings.Safeguards.FallbackReason(attempt.Run);
        if (reason is null) return attempt;
        SequentialBaselines.PerLayerForward(ws);
        ws.States.View.CopyFrom(ws.Device.Stream, ws.BaselineStates.View);
        ws.Device.Synchronize();
        return attempt with { Termination = Termination.FellBack, Fallback = Fallback.Sequential, Reason = reason };
    }

    private static ForwardOutcome OnHost(ChainWorkspace ws, EngineOptions options, NewtonSettings settings)
    {
        var backend = new DeviceNewtonBackend(ws, options);
        var run = NewtonLoop.Run(backend, settings, PlainStep.Instance);
        return new ForwardOutcome(run, backend.LastRatio, backend.DeerSteps);
    }
}
