using System.Text.Json.Nodes;
using DeepPcr.Gpu.Engine;
using DeepPcr.Gpu.Recurrent;
using DeepPcr.Gpu.Reference;
using DeepPcr.GpuBench.Measuring;
using DeepPcr.Solvers;

namespace DeepPcr.GpuBench.Bench;

/// <summary>One point of the recurrent grid: a cell at T steps, H units, batch B, input size I.</summary>
/// <param name="Cell">The cell.</param>
/// <param name="Length">T.</param>
/// <param name="Hidden">H.</param>
/// <param name="Batch">B.</param>
/// <param name="InputSize">I.</param>
public sealed record RnnPoint(RecurrentCell Cell, int Length, int Hidden, int Batch, int InputSize)
{
    /// <summary>The point's name, e.g. "gru-diag_T1024_H8_B1".</summary>
    public string Name => $"{Cell.Name()}_T{Length}_H{Hidden}_B{Batch}";

    /// <summary>The fields every JSON point of one pass starts with: cell, T, H, B, I, pass, method, engine.</summary>
    /// <param name="pass"><c>forward</c> or <c>forward_backward</c>.</param>
    public JsonObject Json(string pass) => new()
    {
        ["cell"] = Cell.Name(),
        ["T"] = Length,
        ["H"] = Hidden,
        ["B"] = Batch,
        ["I"] = InputSize,
        ["pass"] = pass,
        ["method"] = "deeppcr",
        ["engine"] = "gpu",
    };
}

/// <summary>
/// One point of the recurrent grid on the device: a seeded model (PyTorch's U(±1/√H)) and problem (x ~ N(0, 1)), then
/// two passes, each timed interleaved against the device's own sequential pass (one thread per sample and unit walking
/// T, the projections computed first: the fastest sequential loop a user could write on the device):
/// <c>forward</c> (projections + DeepPCR's Newton solve from the cold guess) and <c>forward_backward</c> (the same plus
/// the backward pass: one block-diagonal PCR solve and the gradients; the baseline adds the sequential adjoint and the
/// same gradient kernels). max_rel_error is measured against the float64 host reference where it is cheap
/// (T B 3H I up to 2^27 multiply-adds) and against the device's float32 sequential pass above that; the point's
/// <c>error_reference</c> says which.
/// </summary>
public static class RnnBenchmark
{
    /// <summary>Largest T B 3H I for which the float64 host reference is computed.</summary>
    public const long HostReferenceMaxWork = 1L << 27;

    /// <summary>Runs the point; returns its forward and forward_backward objects.</summary>
    /// <param name="device">The device.</param>
    /// <param name="point">The point.</param>
    /// <param name="repeats">Timed repetitions.</param>
    /// <param name="seed">The seed.</param>
    /// <param name="options">The engine's options.</param>
    public static JsonObject[] Run(GpuDevice device, RnnPoint point, int repeats, int seed, EngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(point);
        ArgumentNullException.ThrowIfNull(options);
        var model = RecurrentModel.Random(point.Cell, point.Hidden, point.InputSize, seed);
        var problem = RecurrentProblem.Random(model, point.Batch, point.Length, seed);
        using var ws = new RecurrentWorkspace(device, model, problem);

        var forwardMedians = Interleaved.Medians(device,
        [
            new TimedCase("deeppcr", () => RecurrentForward.Run(ws, options)),
            new TimedCase("sequential", () => SequentialForward(ws)),
        ], repeats);
        var backwardMedians = Interleaved.Medians(device,
        [
            new TimedCase("deeppcr", () =>
            {
                RecurrentForward.Run(ws, options);
                RecurrentAdjoint.Run(ws, ws.States.View);
            }),
            new TimedCase("sequential", () =>
            {
                SequentialForward(ws);
                RecurrentAdjoint.Run(ws, ws.BaselineStates.View, sequential: true);
            }),
        ], repeats);

        // Untimed, last: the outcome and states the errors are measured on.
        var outcome = RecurrentForward.Run(ws, options);
        var states = ws.ReadStates(ws.States.View);
        var adjoint = RecurrentAdjoint.Run(ws, ws.States.View);
        var gradients = ws.ReadGradients();
        bool host = (long)point.Length * point.Batch * 3 * point.Hidden * point.InputSize <= HostReferenceMaxWork;
        double[] referenceStates;
        RecurrentGradients referenceGradients;
        if (host)
        {
            referenceStates = RecurrentReference.Forward(model, problem);
            referenceGradients = RecurrentReference.Backward(model, problem, referenceStates);
        }
        else
        {
            SequentialForward(ws);
            referenceStates = ws.ReadStates(ws.BaselineStates.View);
            RecurrentAdjoint.Run(ws, ws.BaselineStates.View, sequential: true);
            referenceGradients = ws.ReadGradients();
        }
        string reference = host ? "float64 host sequential" : "float32 device sequential";
        double stateError = ErrorMeasure.PooledRelative(states, referenceStates);
        double gradientError = Math.Max(stateError, gradients.MaxRelativeError(referenceGradients));
        long bytes = RecurrentWorkspace.BytesFor(ws.Dims);
        return
        [
            Pass(point, "forward", outcome, null, forwardMedians, stateError, reference, bytes),
            Pass(point, "forward_backward", outcome, adjoint, backwardMedians, gradientError, reference, bytes),
        ];
    }

    /// <summary>The baseline's forward pass: projections, then the sequential kernel into BaselineStates.</summary>
    private static void SequentialForward(RecurrentWorkspace ws)
    {
        RecurrentForward.Project(ws);
        RecurrentForward.Sequential(ws, ws.BaselineStates.View);
    }

    private static JsonObject Pass(RnnPoint point, string pass, ForwardOutcome outcome, DeepPcr.Newton.AdjointRun? adjoint,
        IReadOnlyDictionary<string, CaseTiming> medians, double error, string reference, long bytes)
    {
        bool counts = outcome.Termination == Termination.Converged && adjoint?.Fallback is null or Fallback.None;
        double? deepPcr = counts ? medians["deeppcr"].WallMs : null;
        double sequential = medians["sequential"].WallMs;
        var json = point.Json(pass);
        json["structure"] = point.Cell.BlockSize() == 1 ? "diagonal" : "block-diagonal(2)";
        json["iterations"] = outcome.Iterations;
        json["pcr_rounds"] = outcome.PcrRounds;
        json["termination"] = outcome.Termination.Name();
        json["fallback"] = (adjoint is { Fallback: not Fallback.None } ? adjoint.Fallback : outcome.Fallback).Name();
        json["max_rel_error"] = Finite(error);
        json["error_reference"] = reference;
        json["deeppcr_ms"] = Round(deepPcr);
        json["sequential_ms"] = Round(sequential);
        json["speedup_vs_sequential"] = Round(sequential / deepPcr);
        json["deeppcr_device_ms"] = Round(counts ? medians["deeppcr"].DeviceMs : null);
        json["sequential_device_ms"] = Round(medians["sequential"].DeviceMs);
        json["deer_steps"] = outcome.DeerSteps;
        json["workspace_bytes"] = bytes;
        if (!counts) json["note"] = outcome.Reason is not null
            ? $"DeepPCR did not converge ({outcome.Reason}); the states are the {outcome.Fallback.Name()} fallback's: its time is not reported."
            : "DeepPCR did not converge (or its backward solve fell back): its time is not reported.";
        return json;
    }

    private static double? Round(double? value) => value is double v && double.IsFinite(v) ? Math.Round(v, 6) : null;

    private static double? Finite(double value) => double.IsFinite(value) ? value : null;
}
