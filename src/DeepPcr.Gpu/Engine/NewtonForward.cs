using DeepPcr.Newton;
using DeepPcr.Solvers;

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
        var settings = options.SettingsFor(ws.Dims.Layers);
        var chain = new MlpChain(ws, options);
        return Solve(chain, settings, () => options.DeviceLoop && options.UsesOneGroup(ws.Dims)
            ? DeviceNewtonLoop.Run(ws, options, settings)
            : OnHost(chain, options, settings));
    }

    /// <summary>
    /// The part every chain shares: the cold guess, the attempt (the core's loop over the device backend, or the device
    /// loop), and the core's fallback policy: the sequential pass into States when the safeguards call for it.
    /// </summary>
    /// <param name="chain">The chain.</param>
    /// <param name="settings">The resolved settings.</param>
    /// <param name="attempt">The Newton solve from the cold guess.</param>
    internal static ForwardOutcome Solve(IDeviceChain chain, NewtonSettings settings, Func<ForwardOutcome> attempt)
    {
        chain.ColdGuess();
        var outcome = attempt();
        string? reason = settings.Safeguards.FallbackReason(outcome.Run);
        if (reason is null) return outcome;
        chain.SequentialIntoStates();
        return outcome with { Termination = Termination.FellBack, Fallback = Fallback.Sequential, Reason = reason };
    }

    /// <summary>The core's one Newton loop (<see cref="NewtonLoop"/>) over the device backend, one fused iteration and readback per iteration.</summary>
    /// <param name="chain">The chain.</param>
    /// <param name="options">The engine's options (the backend checks the rule against them).</param>
    /// <param name="settings">The resolved settings.</param>
    internal static ForwardOutcome OnHost(IDeviceChain chain, EngineOptions options, NewtonSettings settings)
    {
        var backend = new DeviceNewtonBackend(chain, options);
        var run = NewtonLoop.Run(backend, settings, PlainStep.Instance);
        return new ForwardOutcome(run, backend.LastRatio, backend.DeerSteps);
    }
}
