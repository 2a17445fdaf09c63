using System.Text.Json.Nodes;
using DeepPcr.Gpu.Baselines;
using DeepPcr.Gpu.Engine;
using DeepPcr.Gpu.Model;
using DeepPcr.Gpu.Reference;
using DeepPcr.GpuBench.Measuring;
using DeepPcr.Solvers;

namespace DeepPcr.GpuBench.Bench;

/// <summary>
/// One cell: a seeded tanh model and problem, DeepPCR forward and backward against (a) the per-layer and (b) the
/// persistent sequential passes on the same device, interleaved, with every method's error against the float64
/// host reference. One workspace per cell, allocated once and reused by every run.
/// </summary>
public static class PointBenchmark
{
    /// <summary>Runs the cell and returns its <c>forward</c> and <c>backward</c> measurement objects and sizes.</summary>
    /// <param name="device">The device.</param>
    /// <param name="cell">L, w, B.</param>
    /// <param name="settings">Repeats, seed, gain.</param>
    /// <returns>A JSON object with <c>layers</c>, <c>width</c>, <c>batch</c>, <c>gain</c>, <c>seed</c>, <c>repeats</c>, <c>forward</c>, <c>backward</c>.</returns>
    public static JsonObject Run(GpuDevice device, Cell cell, BenchSettings settings)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(settings);
        BenchSettings.Validate(cell);
        var model = MlpModel.Random(cell.Layers, cell.Width, settings.Gain, settings.Seed).RoundedToFloat32();
        var problem = ChainProblem.Random(cell.Batch, cell.Width, settings.Seed);
        var referenceStates = HostReference.Forward(model, problem.Input);
        var referenceGradients = HostReference.Backward(model, problem.Input, referenceStates, problem.Cotangent);
        var options = settings.Engine;

        using var ws = new ChainWorkspace(device, model, problem);
        var forward = Forward(ws, options, settings.Repeats, referenceStates);
        var backward = Backward(ws, options, settings.Repeats, referenceGradients, forward);
        return new JsonObject
        {
            ["layers"] = cell.Layers,
            ["width"] = cell.Width,
            ["batch"] = cell.Batch,
            ["activation"] = "tanh",
            ["gain"] = settings.Gain,
            ["seed"] = settings.Seed,
            ["repeats"] = settings.Repeats,
            ["engine_path"] = options.PathName(ws.Dims),
            ["forward"] = forward.Json,
            ["backward"] = backward,
        };
    }

    private sealed record ForwardResult(JsonObject Json, bool Counts, ForwardOutcome Outcome);

    /// <summary>Cells up to this L B w^3 also time the path the engine did not choose (one group or multi-launch), for tuning its limit.</summary>
    private const long AlternativeMaxWork = 1L << 24;

    private static ForwardResult Forward(ChainWorkspace ws, EngineOptions options, int repeats, double[] reference)
    {
        var other = Alternative(ws, options);
        var cases = new List<TimedCase>
        {
            new("deeppcr", () => NewtonForward.Run(ws, options)),
            new("per_layer", () => SequentialBaselines.PerLayerForward(ws)),
            new("persistent", () => SequentialBaselines.PersistentForward(ws)),
        };
        ForwardOutcome? otherOutcome = null;
        if (other is not null) cases.Add(new TimedCase("other_path", () => otherOutcome = NewtonForward.Run(ws, other)));
        var medians = Interleaved.Medians(ws.Device, cases, repeats);
        // Untimed, last: the states every error figure and the backward pass use come from the engine's own path.
        var last = NewtonForward.Run(ws, options);
        double error = ErrorMeasure.PooledRelative(ws.Read(ws.States.View), reference);
        SequentialBaselines.PerLayerForward(ws);
        double perLayerError = ErrorMeasure.PooledRelative(ws.Read(ws.BaselineStates.View), reference);
        SequentialBaselines.PersistentForward(ws);
        double persistentError = ErrorMeasure.PooledRelative(ws.Read(ws.BaselineStates.View), reference);
        bool counts = last.Termination == Termination.Converged;
        var json = Measurement(counts, last.Fallback, medians, error, perLayerError, persistentError);
        json["iterations"] = last.Iterations;
        json["pcr_rounds"] = last.PcrRounds;
        json["termination"] = last.Termination.Name();
        json["deer_steps"] = last.DeerSteps;
        json["final_ratio"] = last.FinalRatio;
        json["residuals"] = new JsonArray(last.Residuals.Select(r => (JsonNode?)JsonValue.Create(Finite(r))).ToArray());
        PathTimes(json, ws, options, medians, otherOutcome is null || otherOutcome.Termination == Termination.Converged);
        if (last.Reason is not null) json["note"] = $"DeepPCR did not converge ({last.Reason}); the states are the {last.Fallback.Name()} fallback's: its time is not reported.";
        else if (!counts) json["note"] = $"DeepPCR stopped at the iteration limit ({last.Iterations}) without converging: its time is not reported.";
        else if (last.DeerSteps > 0) json["note"] = $"{last.DeerSteps} iteration(s) met a non-finite correction and were recomputed in the DEER form.";
        return new ForwardResult(Order(json), counts, last);
    }

    private static JsonObject Backward(ChainWorkspace ws, EngineOptions options, int repeats, Gradients reference, ForwardResult forward)
    {
        // DeepPCR's backward runs at DeepPCR's accepted states (ws.States), the baselines at the per-layer states.
        SequentialBaselines.PerLayerForward(ws);
        var other = Alternative(ws, options);
        var cases = new List<TimedCase>
        {
            new("deeppcr", () => AdjointBackward.Run(ws, ws.States.View, options)),
            new("per_layer", () => SequentialBaselines.PerLayerBackward(ws, ws.BaselineStates.View)),
            new("persistent", () => SequentialBaselines.PersistentBackward(ws, ws.BaselineStates.View)),
        };
        if (other is not null) cases.Add(new TimedCase("other_path", () => AdjointBackward.Run(ws, ws.States.View, other)));
        var medians = Interleaved.Medians(ws.Device, cases, repeats);
        var adjoint = AdjointBackward.Run(ws, ws.States.View, options);
        double error = DeviceGradients.Read(ws).MaxRelativeError(reference);
        SequentialBaselines.PerLayerBackward(ws, ws.BaselineStates.View);
        double perLayerError = DeviceGradients.Read(ws).MaxRelativeError(reference);
        SequentialBaselines.PersistentBackward(ws, ws.BaselineStates.View);
        double persistentError = DeviceGradients.Read(ws).MaxRelativeError(reference);
        var json = Measurement(forward.Counts, forward.Outcome.Fallback, medians, error, perLayerError, persistentError);
        json["iterations"] = 0;
        json["pcr_rounds"] = adjoint.Run.PcrRounds;
        json["adjoint_fallback"] = adjoint.Run.Fallback.Name();
        // The backward pass is one linear solve, exact up to rounding; it counts exactly when the forward pass it
        // runs at converged, so it carries the forward pass's termination.
        json["termination"] = forward.Outcome.Termination.Name();
        PathTimes(json, ws, options, medians, true);
        if (!forward.Counts) json["note"] = "The forward pass did not converge, so the backward pass ran at unconverged states: its time is not reported.";
        return Order(json);
    }

    /// <summary>The engine's options on the path it did not choose, or null when that path is not worth timing here.</summary>
    private static EngineOptions? Alternative(ChainWorkspace ws, EngineOptions options)
    {
        var d = ws.Dims;
        if (options.UsesOneGroup(d)) return options with { OneGroupMaxWork = 0 };
        long work = (long)d.Layers * d.Batch * d.Width * d.Width * d.Width;
        return work <= AlternativeMaxWork ? options with { OneGroupMaxWork = work } : null;
    }

    /// <summary><c>one_group_ms</c> and <c>multi_launch_ms</c>: DeepPCR's median on each path where timed (null otherwise).</summary>
    private static void PathTimes(JsonObject json, ChainWorkspace ws, EngineOptions options, IReadOnlyDictionary<string, CaseTiming> medians, bool otherConverged)
    {
        double? chosen = medians["deeppcr"].WallMs;
        double? other = medians.TryGetValue("other_path", out var o) && otherConverged ? o.WallMs : null;
        bool oneGroup = options.UsesOneGroup(ws.Dims);
        json["one_group_ms"] = Round(oneGroup ? chosen : other);
        json["multi_launch_ms"] = Round(oneGroup ? other : chosen);
    }

    private static JsonObject Measurement(bool counts, Fallback fallback, IReadOnlyDictionary<string, CaseTiming> medians, double error, double perLayerError, double persistentError)
    {
        double? deepPcr = counts ? medians["deeppcr"].WallMs : null;
        double perLayer = medians["per_layer"].WallMs, persistent = medians["persistent"].WallMs;
        return new JsonObject
        {
            ["method"] = "deeppcr",
            ["fallback"] = fallback.Name(),
            ["max_rel_error"] = Finite(error),
            ["deeppcr_ms"] = Round(deepPcr),
            ["per_layer_ms"] = Round(perLayer),
            ["persistent_ms"] = Round(persistent),
            ["speedup_vs_per_layer"] = Round(perLayer / deepPcr),
            ["speedup_vs_persistent"] = Round(persistent / deepPcr),
            ["per_layer_max_rel_error"] = Finite(perLayerError),
            ["persistent_max_rel_error"] = Finite(persistentError),
            ["deeppcr_device_ms"] = Round(counts ? medians["deeppcr"].DeviceMs : null),
            ["per_layer_device_ms"] = Round(medians["per_layer"].DeviceMs),
            ["persistent_device_ms"] = Round(medians["persistent"].DeviceMs),
        };
    }

    /// <summary>Puts the vocabulary's fields first, in the order of docs/measuring.md.</summary>
    private static JsonObject Order(JsonObject json)
    {
        string[] first = ["method", "iterations", "pcr_rounds", "termination", "fallback", "max_rel_error", "deeppcr_ms", "per_layer_ms",
            "persistent_ms", "speedup_vs_per_layer", "speedup_vs_persistent"];
        var ordered = new JsonObject();
        foreach (string key in first.Concat(json.Select(p => p.Key).Where(k => !first.Contains(k))).ToArray())
        {
            var node = json[key];
            json.Remove(key);
            ordered[key] = node;
        }
        return ordered;
    }

    private static double? Round(double? value) => value is double v && double.IsFinite(v) ? Math.Round(v, 6) : null;

    private static double? Finite(double value) => double.IsFinite(value) ? value : null;
}
