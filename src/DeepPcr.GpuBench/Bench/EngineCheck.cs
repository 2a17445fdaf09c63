using System.Text.Json.Nodes;
using DeepPcr.Gpu.Baselines;
using DeepPcr.Gpu.Engine;
using DeepPcr.Gpu.Model;
using DeepPcr.Gpu.Reference;
using DeepPcr.Solvers;

namespace DeepPcr.GpuBench.Bench;

/// <summary>
/// The engine's correctness on the device at hand, for a machine where the test suite cannot run (the GPU
/// machine has no .NET): every engine path (device loop, one group, per entry, tiled) and both baselines, forward and
/// backward, against the float64 host reference, with fixed tolerances. No timing.
/// </summary>
public static class EngineCheck
{
    /// <summary>Largest pooled relative error of the states accepted.</summary>
    public const double ForwardTolerance = 1e-4;

    /// <summary>Largest pooled relative error of the gradients accepted.</summary>
    public const double BackwardTolerance = 1e-3;

    /// <summary>The default cells: tiny on the CPU emulator, up to w = 64 and L = 1024 on a GPU.</summary>
    /// <param name="cpu">True for the CPU accelerator.</param>
    /// <returns>The cells.</returns>
    public static IReadOnlyList<Cell> DefaultCells(bool cpu) => cpu
        ? [new(1, 1, 1), new(2, 3, 2), new(5, 8, 1), new(16, 4, 2), new(33, 3, 1)]
        : [new(1, 1, 1), new(2, 3, 2), new(5, 8, 1), new(16, 4, 2), new(33, 3, 1), new(64, 16, 2), new(256, 32, 1), new(64, 64, 2), new(1024, 4, 1), new(1024, 1, 16)];

    /// <summary>Runs every cell on every path.</summary>
    /// <param name="device">The device.</param>
    /// <param name="cells">The cells.</param>
    /// <param name="seed">The problems' seed.</param>
    /// <param name="gain">The weight scale.</param>
    /// <param name="log">Progress lines.</param>
    /// <returns><c>checks</c> (one object per cell and path) and <c>ok</c>.</returns>
    public static JsonObject Run(GpuDevice device, IReadOnlyList<Cell> cells, int seed, double gain, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(cells);
        ArgumentNullException.ThrowIfNull(log);
        var checks = new JsonArray();
        bool allOk = true;
        foreach (var cell in cells)
        {
            BenchSettings.Validate(cell);
            var model = MlpModel.Random(cell.Layers, cell.Width, gain, seed).RoundedToFloat32();
            var problem = ChainProblem.Random(cell.Batch, cell.Width, seed);
            var states = HostReference.Forward(model, problem.Input);
            var gradients = HostReference.Backward(model, problem.Input, states, problem.Cotangent);
            using var ws = new ChainWorkspace(device, model, problem);
            foreach (var (path, options) in Paths())
            {
                var result = CheckPath(ws, options, states, gradients);
                result["layers"] = cell.Layers;
                result["width"] = cell.Width;
                result["batch"] = cell.Batch;
                result["path"] = path;
                allOk &= (bool)result["ok"]!;
                log.WriteLine($"[check] {cell.Name} {path,-10} forward {result["forward_error"]} backward {result["backward_error"]} {((bool)result["ok"]! ? "ok" : "FAILED")}");
                checks.Add(result);
            }
            var baselines = CheckBaselines(ws, states, gradients);
            baselines["layers"] = cell.Layers;
            baselines["width"] = cell.Width;
            baselines["batch"] = cell.Batch;
            baselines["path"] = "baselines";
            allOk &= (bool)baselines["ok"]!;
            log.WriteLine($"[check] {cell.Name} baselines  {((bool)baselines["ok"]! ? "ok" : "FAILED")}");
            checks.Add(baselines);
        }
        return new JsonObject
        {
            ["forward_tolerance"] = ForwardTolerance,
            ["backward_tolerance"] = BackwardTolerance,
            ["checks"] = checks,
            ["ok"] = allOk,
        };
    }

    private static IEnumerable<(string Path, EngineOptions Options)> Paths()
    {
        yield return ("device-loop", EngineOptions.Default with { OneGroupMaxWork = long.MaxValue, DeviceLoop = true });
        yield return ("one-group", EngineOptions.Default with { OneGroupMaxWork = long.MaxValue, DeviceLoop = false });
        yield return ("per-entry", EngineOptions.Default with { OneGroupMaxWork = 0, TiledFromWidth = MlpModel.MaxWidth + 1 });
        yield return ("tiled", EngineOptions.Default with { OneGroupMaxWork = 0, TiledFromWidth = 1 });
    }

    private static JsonObject CheckPath(ChainWorkspace ws, EngineOptions options, double[] states, Gradients gradients)
    {
        var outcome = NewtonForward.Run(ws, options);
        double forward = ErrorMeasure.PooledRelative(ws.Read(ws.States.View), states);
        var adjoint = AdjointBackward.Run(ws, ws.States.View, options);
        double backward = DeviceGradients.Read(ws).MaxRelativeError(gradients);
        bool ok = outcome.Termination == Termination.Converged && forward <= ForwardTolerance && backward <= BackwardTolerance;
        return new JsonObject
        {
            ["iterations"] = outcome.Iterations,
            ["termination"] = outcome.Termination.Name(),
            ["forward_error"] = Finite(forward),
            ["backward_error"] = Finite(backward),
            ["backward_fallback"] = adjoint.Run.Fallback.Name(),
            ["ok"] = ok,
        };
    }

    private static JsonObject CheckBaselines(ChainWorkspace ws, double[] states, Gradients gradients)
    {
        SequentialBaselines.PerLayerForward(ws);
        double perLayerForward = ErrorMeasure.PooledRelative(ws.Read(ws.BaselineStates.View), states);
        SequentialBaselines.PerLayerBackward(ws, ws.BaselineStates.View);
        double perLayerBackward = DeviceGradients.Read(ws).MaxRelativeError(gradients);
        SequentialBaselines.PersistentForward(ws);
        double persistentForward = ErrorMeasure.PooledRelative(ws.Read(ws.BaselineStates.View), states);
        SequentialBaselines.PersistentBackward(ws, ws.BaselineStates.View);
        double persistentBackward = DeviceGradients.Read(ws).MaxRelativeError(gradients);
        bool ok = perLayerForward <= ForwardTolerance && persistentForward <= ForwardTolerance
                  && perLayerBackward <= BackwardTolerance && persistentBackward <= BackwardTolerance;
        return new JsonObject
        {
            ["per_layer_forward_error"] = Finite(perLayerForward),
            ["per_layer_backward_error"] = Finite(perLayerBackward),
            ["persistent_forward_error"] = Finite(persistentForward),
            ["persistent_backward_error"] = Finite(persistentBackward),
            ["ok"] = ok,
        };
    }

    private static double? Finite(double value) => double.IsFinite(value) ? value : null;
}
