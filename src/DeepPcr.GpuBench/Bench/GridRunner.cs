using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using DeepPcr.Gpu.Engine;
using DeepPcr.Gpu.Model;

namespace DeepPcr.GpuBench.Bench;

/// <summary>
/// Runs every cell of a grid (layers outermost, then widths, then batches) on one device, writing as it goes:
/// DIR/gpu_grid.csv (one flushed row per cell and pass), DIR/cells/L{L}_w{w}_b{B}.json (the envelope and the
/// cell's measurements), progress lines on stderr. A cell starts only while the time budget lasts; once it is
/// spent, the remaining cells are written as <c>not_run</c>. A cell that throws is written as <c>error</c>
/// (its JSON file holds the message) and the grid goes on.
/// With <c>saveModels</c>, every (L, w) model and (L, w, B) input/cotangent is written first, under DIR/models/.
/// </summary>
public static class GridRunner
{
    /// <summary>Runs the grid.</summary>
    /// <param name="device">The device.</param>
    /// <param name="cells">The cells, in order.</param>
    /// <param name="settings">Repeats, seed, gain.</param>
    /// <param name="outDir">The output folder (created).</param>
    /// <param name="budgetSeconds">Time after which no new cell starts.</param>
    /// <param name="saveModels">Also write the problems for PyTorch peers.</param>
    /// <param name="envelope">The provenance every cell file starts with.</param>
    /// <param name="log">Progress lines (stderr).</param>
    /// <returns>How many cells were measured.</returns>
    public static int Run(GpuDevice device, IReadOnlyList<Cell> cells, BenchSettings settings, string outDir, double budgetSeconds,
        bool saveModels, JsonObject envelope, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(cells);
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(log);
        var clock = Stopwatch.StartNew();
        Directory.CreateDirectory(Path.Combine(outDir, "cells"));
        if (saveModels) SaveModels(cells, settings, Path.Combine(outDir, "models"), log, clock);
        using var csv = new GridCsv(Path.Combine(outDir, "gpu_grid.csv"));
        int measured = 0;
        for (int i = 0; i < cells.Count; i++)
        {
            var cell = cells[i];
            if (clock.Elapsed.TotalSeconds >= budgetSeconds)
            {
                log.WriteLine($"[grid {clock.Elapsed.TotalSeconds:0.0}s] budget of {budgetSeconds:0} s spent: {cell.Name} and {cells.Count - i - 1} more not run");
                for (int j = i; j < cells.Count; j++) csv.Unmeasured(cells[j], "not_run");
                break;
            }
            log.WriteLine($"[grid {clock.Elapsed.TotalSeconds:0.0}s] cell {i + 1}/{cells.Count} {cell.Name}");
            var json = envelope.DeepClone().AsObject();
            try
            {
                foreach (var pair in PointBenchmark.Run(device, cell, settings).ToArray()) json[pair.Key] = pair.Value?.DeepClone();
                csv.Measured(json);
                measured++;
                log.WriteLine($"[grid {clock.Elapsed.TotalSeconds:0.0}s]   {Summary(json)}");
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                json["layers"] = cell.Layers;
                json["width"] = cell.Width;
                json["batch"] = cell.Batch;
                json["error"] = $"{e.GetType().Name}: {e.Message}";
                csv.Unmeasured(cell, "error");
                log.WriteLine($"[grid {clock.Elapsed.TotalSeconds:0.0}s]   error: {e.GetType().Name}: {e.Message}");
            }
            File.WriteAllText(Path.Combine(outDir, "cells", cell.Name + ".json"), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }
        log.WriteLine($"[grid {clock.Elapsed.TotalSeconds:0.0}s] done: {measured} of {cells.Count} cells measured");
        return measured;
    }

    private static void SaveModels(IReadOnlyList<Cell> cells, BenchSettings settings, string folder, TextWriter log, Stopwatch clock)
    {
        Directory.CreateDirectory(folder);
        foreach (var (layers, width) in cells.Select(c => (c.Layers, c.Width)).Distinct())
            MlpModelFiles.Save(MlpModel.Random(layers, width, settings.Gain, settings.Seed), Path.Combine(folder, $"mlp_L{layers}_w{width}.safetensors"));
        foreach (var cell in cells)
            ChainProblem.Random(cell.Batch, cell.Width, settings.Seed).Save(Path.Combine(folder, $"io_L{cell.Layers}_w{cell.Width}_b{cell.Batch}.safetensors"));
        log.WriteLine($"[grid {clock.Elapsed.TotalSeconds:0.0}s] models and inputs written to {folder}");
    }

    private static string Summary(JsonObject json)
    {
        string Pass(string name)
        {
            var m = json[name]!.AsObject();
            return $"{name} {m["deeppcr_ms"]?.ToString() ?? "-"} ms ({m["speedup_vs_per_layer"]?.ToString() ?? "-"}x vs per-layer, {m["speedup_vs_persistent"]?.ToString() ?? "-"}x vs persistent, err {m["max_rel_error"]})";
        }
        return $"{Pass("forward")}; {Pass("backward")}; {json["forward"]!["iterations"]} iterations, {json["forward"]!["termination"]}";
    }
}
