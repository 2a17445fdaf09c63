using ILGPU;

namespace DeepPcr.Gpu.Engine;

/// <summary>
/// The forward pass of a diagonal recurrent layer on the device: the input projections W_ih x_t + b_ih for all T steps
/// first (one batched matmul launch), then DeepPCR along T: the core's one Newton loop over the device backend
/// (<see cref="DeviceNewtonBackend"/> on a <see cref="RecurrentChain"/>) from the cold guess, under the settings the
/// core resolves (<see cref="EngineOptions.SettingsFor"/>: float32 stopping rule, at most T iterations, the
/// safeguards), with the core's fallback policy (the sequential pass on the device when the safeguards call for it;
/// <see cref="NewtonForward.Solve"/>). The states end in <see cref="RecurrentWorkspace.States"/>.
/// </summary>
public static class RecurrentForward
{
    /// <summary>Runs DeepPCR's forward solve.</summary>
    /// <param name="ws">The workspace.</param>
    /// <param name="options">Stopping rule, iteration limit, safeguards (the thread-mapping options do not apply).</param>
    /// <returns>What happened.</returns>
    public static ForwardOutcome Run(RecurrentWorkspace ws, EngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(ws);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var settings = options.SettingsFor(ws.Dims.Length);
        Project(ws);
        var chain = new RecurrentChain(ws, options);
        return NewtonForward.Solve(chain, settings, () => NewtonForward.OnHost(chain, options, settings));
    }

    /// <summary>The input projections for all T steps (one launch, queued).</summary>
    /// <param name="ws">The workspace.</param>
    public static void Project(RecurrentWorkspace ws)
    {
        ArgumentNullException.ThrowIfNull(ws);
        var d = ws.Dims;
        ws.Device.RecurrentKernels.Project(ws.Device.Stream, d.Rows * d.GateRows, d, ws.Views);
    }

    /// <summary>
    /// The sequential pass on the device at the projections already computed: one thread per sample and unit walks the
    /// T steps (queued, not waited for). The baseline of the benchmark (after <see cref="Project"/>) and the fallback.
    /// </summary>
    /// <param name="ws">The workspace.</param>
    /// <param name="target">(T, B, S): where the states go.</param>
    public static void Sequential(RecurrentWorkspace ws, ArrayView<float> target)
    {
        ArgumentNullException.ThrowIfNull(ws);
        var d = ws.Dims;
        ws.Device.RecurrentKernels.Sequential(ws.Device.Stream, d.Batch * d.Hidden, d, ws.Views, target);
    }
}
