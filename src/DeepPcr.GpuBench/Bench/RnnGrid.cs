using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using DeepPcr.Gpu.Engine;
using DeepPcr.Gpu.Recurrent;

namespace DeepPcr.GpuBench.Bench;

/// <summary>
/// Runs the recurrent grid on one device, smallest workspace first, writing DIR/rnn.json (the envelope and every point so
/// far) after each point, so that a killed run keeps what it measured. Before a point runs, its device memory is
/// estimated (<see cref="RecurrentWorkspace.BytesFor"/>): a point over the memory limit, or whose index space does not
/// fit in an int, is written as not run with the estimate; once the time budget is spent, the rest are written as not
/// run too. Never silently dropped.
/// </summary>
public static class RnnGrid
{
    /// <summary>Runs the grid.</summary>
    /// <param name="device">The device.</param>
    /// <param name="points">The points (any order; run by estimated memory).</param>
    /// <param name="repeats">Timed repetitions per point and pass.</param>
    /// <param name="seed">The seed.</param>
    /// <param name="options">The engine's options.</param>
    /// <param name="memoryLimitBytes">Largest workspace a point may allocate.</param>
    /// <param name="budgetSeconds">No point starts after this many seconds.</param>
    /// <param name="outDir">The output folder (created).</param>
    /// <param name="envelope">The provenance.</param>
    /// <param name="log">Progress lines.</param>
    /// <returns>The envelope with its <c>points</c> list.</returns>
    public static JsonObject Run(GpuDevice device, IReadOnlyList<RnnPoint> points, int repeats, int seed, EngineOptions options,
        long memoryLimitBytes, double budgetSeconds, string outDir, JsonObject envelope, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(points);
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(log);
        var clock = Stopwatch.StartNew();
        Directory.CreateDirectory(outDir);
        var result = envelope.DeepClone().AsObject();
        result["memory_limit_bytes"] = memoryLimitBytes;
        result["budget_s"] = budgetSeconds;
        var list = new JsonArray();
        result["points"] = list;
        string file = Path.Combine(outDir, "rnn.json");
        var ordered = points.Select(p => (Point: p, Bytes: Estimate(p))).OrderBy(p => p.Bytes ?? long.MaxValue).ToArray();
        foreach (var (point, bytes) in ordered)
        {
            string? skip = bytes is null ? $"the index space of (T, B, H, I) does not fit in an int"
                : bytes > memoryLimitBytes ? $"needs an estimated {bytes / 1048576.0:0} MiB of device memory, over the limit of {memoryLimitBytes / 1048576.0:0} MiB"
                : clock.Elapsed.TotalSeconds >= budgetSeconds ? $"the time budget of {budgetSeconds:0} s was spent" : null;
            if (skip is not null)
            {
                foreach (string pass in new[] { "forward", "forward_backward" }) list.Add(NotRun(point, pass, skip, bytes));
                log.WriteLine($"[rnn {clock.Elapsed.TotalSeconds:0.0}s] {point.Name}: not run ({skip})");
            }
            else
            {
                log.WriteLine($"[rnn {clock.Elapsed.TotalSeconds:0.0}s] {point.Name}: {bytes / 1048576.0:0.0} MiB");
                try
                {
                    foreach (var pass in RnnBenchmark.Run(device, point, repeats, seed, options))
                    {
                        list.Add(pass);
                        log.WriteLine($"[rnn {clock.Elapsed.TotalSeconds:0.0}s]   {pass["pass"]}: deeppcr {pass["deeppcr_ms"]?.ToString() ?? "-"} ms, sequential {pass["sequential_ms"]} ms, " +
                                      $"{pass["iterations"]} iterations, {pass["termination"]}, err {pass["max_rel_error"]}");
                    }
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    foreach (string pass in new[] { "forward", "forward_backward" }) list.Add(NotRun(point, pass, $"error: {e.GetType().Name}: {e.Message}", bytes));
                    log.WriteLine($"[rnn {clock.Elapsed.TotalSeconds:0.0}s]   error: {e.GetType().Name}: {e.Message}");
                }
            }
            File.WriteAllText(file, result.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }
        log.WriteLine($"[rnn {clock.Elapsed.TotalSeconds:0.0}s] done; {file}");
        return result;
    }

    /// <summary>The workspace's bytes for a point, or null when its index space does not fit in an int.</summary>
    public static long? Estimate(RnnPoint point)
    {
        ArgumentNullException.ThrowIfNull(point);
        var probe = new RecurrentModel(point.Cell, point.Hidden, point.InputSize, new double[3L * point.Hidden * point.InputSize], new double[3 * point.Hidden],
            new double[3 * point.Hidden], new double[3 * point.Hidden]);
        try
        {
            return RecurrentWorkspace.BytesFor(RecurrentWorkspace.DimsFor(probe, point.Batch, point.Length));
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static JsonObject NotRun(RnnPoint point, string pass, string reason, long? bytes)
    {
        var json = point.Json(pass);
        json["iterations"] = null;
        json["termination"] = "not_run";
        json["fallback"] = null;
        json["max_rel_error"] = null;
        json["deeppcr_ms"] = null;
        json["sequential_ms"] = null;
        json["workspace_bytes"] = bytes;
        json["note"] = $"not run: {reason}";
        return json;
    }
}
