using DeepPcr.Gpu.Kernels;
using DeepPcr.Newton;
using DeepPcr.Solvers;
using ILGPU.Runtime;

namespace DeepPcr.Gpu.Engine;

/// <summary>
/// The backend primitive that runs the Newton loop inside the device (<see cref="OneGroupKernels.NewtonLoop"/>) for
/// the one-group path: the same iterations as <see cref="NewtonLoop"/> over <see cref="DeviceNewtonBackend"/>, under
/// the same resolved settings (iteration limit, atol and rtol of the core's stopping rule), with one launch and one
/// readback per solve instead of one per iteration. A launch ends early only at a non-finite step, which the host
/// recomputes in the DEER form before it relaunches, or at the last iteration the history buffer holds (L + 1), after
/// which it relaunches below the limit. The safeguards' growth watch (<see cref="GrowthWatch"/>) runs on the host over
/// each launch's residual history: an alarm ends the solve after that launch, and the run reports every iteration the
/// device made.
/// </summary>
internal static class DeviceNewtonLoop
{
    /// <summary>Runs the loop from the iterate in <see cref="ChainWorkspace.States"/>; the last iterate ends there.</summary>
    /// <param name="ws">The workspace.</param>
    /// <param name="options">The thread mapping and the rule (as in <paramref name="settings"/>).</param>
    /// <param name="settings">The resolved settings.</param>
    public static ForwardOutcome Run(ChainWorkspace ws, EngineOptions options, NewtonSettings settings)
    {
        var k = ws.Device.Kernels;
        var flags = new int[NewtonKernels.FlagCount];
        var residuals = new List<double>();
        var estimates = new List<double>();
        var watch = new GrowthWatch(settings.Safeguards);
        string? alarm = null;
        int deerSteps = 0;
        for (int first = 0; ;)
        {
            k.OneGroupNewtonLoop(ws.Device.Stream, k.OneGroupLoopShape, ws.Views, ws.Dims, (float)settings.Rule.Atol, (float)settings.Rule.Rtol, first, settings.MaxIterations);
            ws.Flags.View.CopyToCPU(ws.Device.Stream, flags);
            ws.Device.Stream.Synchronize();
            int iteration = flags[NewtonKernels.IterationSlot], status = flags[NewtonKernels.StatusSlot];
            if (flags[NewtonKernels.ParitySlot] == 1) ws.SwapStates();   // States holds the last iterate, Next its successor
            var measure = IterationMeasure.FromFlags(flags);
            var history = ws.Read(ws.History.View.SubView(0, NewtonKernels.HistoryStride * (iteration - first + 1)));
            if (status == 2)
            {
                measure = FusedIteration.Deer(ws, options);
                deerSteps++;
                history[^2] = measure.Residual;
                history[^1] = measure.Update;
            }
            for (int i = 0; i < history.Length; i += NewtonKernels.HistoryStride)
            {
                residuals.Add(history[i]);
                estimates.Add(history[i + 1]);
                alarm ??= watch.Check(history[i]);
            }
            var termination = alarm is not null ? Termination.IterationLimit
                : measure.Ratio <= 1.0 ? Termination.Converged
                : iteration >= settings.MaxIterations ? Termination.IterationLimit : (Termination?)null;
            if (termination is { } done)
            {
                var run = new NewtonRun(iteration, measure.Rounds, residuals, estimates, done, alarm);
                return new ForwardOutcome(run, measure.Ratio, deerSteps);
            }
            ws.SwapStates();
            first = iteration + 1;
        }
    }
}
