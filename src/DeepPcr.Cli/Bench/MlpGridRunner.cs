using DeepPcr.Cli.Progress;
using System.Diagnostics;
using System.Text.Json.Nodes;
using DeepPcr.Cli.Measuring;
using DeepPcr.Cli.Mlp;

namespace DeepPcr.Cli.Bench;

/// <summary>Runs every point of an <see cref="MlpGrid"/>, with progress, and returns the grid report.</summary>
public static class MlpGridRunner
{
    /// <summary>The report: the envelope, the grid, and one object per point (measured, or not run with its estimate).</summary>
    public static JsonObject Run(MlpGrid grid, IEnumerable<string> args, ProgressReporter progress)
    {
        var report = Provenance.Envelope(grid.Dtype == TorchSharp.torch.ScalarType.Float32 ? "float32" : "float64", MlpExperiment.Threads, args);
        report["grid"] = new JsonObject
        {
            ["layers"] = new JsonArray(grid.Layers.Select(v => (JsonNode)v).ToArray()),
            ["widths"] = new JsonArray(grid.Widths.Select(v => (JsonNode)v).ToArray()),
            ["batches"] = new JsonArray(grid.Batches.Select(v => (JsonNode)v).ToArray()),
            ["activation"] = grid.Activation.ToString().ToLowerInvariant(),
            ["gain"] = grid.Gain,
            ["seed"] = grid.Seed,
            ["repeats"] = grid.Repeats,
            ["cap_ms"] = grid.CapMs,
        };
        var cost = CostModel.Calibrate(grid.Dtype);
        var points = new JsonArray();
        var all = grid.Points().ToArray();
        progress.Total = all.Length;
        for (int i = 0; i < all.Length; i++)
        {
            var p = all[i];
            double estimate = cost.EstimateMs(p.Layers, p.Width, p.Batch);
            var watch = Stopwatch.StartNew();
            JsonObject result;
            if (estimate > grid.CapMs)
            {
                result = new JsonObject { ["layers"] = p.Layers, ["width"] = p.Width, ["batch"] = p.Batch, ["not_run"] = true, ["estimated_deeppcr_ms"] = estimate };
            }
            else
            {
                result = MlpExperiment.RunPoint(p);
                result["estimated_deeppcr_ms"] = estimate;
            }
            points.Add(result);
            progress.Advance($"L={p.Layers} w={p.Width} B={p.Batch}: {Summary(result)} ({watch.Elapsed.TotalSeconds:0.0} s)");
        }
        var measured = all.Where((p, i) => points[i]!["not_run"] is null).ToArray();
        progress.Note($"PyTorch peer ({PyTorchPeer.Version}) on {measured.Length} points ...");
        var pytorch = PyTorchPeer.Measure(measured);
        foreach (var point in points) PyTorchPeer.Attach(point!.AsObject(), pytorch);
        report["points"] = points;
        return report;
    }

    private static string Summary(JsonObject point)
    {
        if (point["not_run"] is not null) return $"not run, estimated {(double)point["estimated_deeppcr_ms"]! / 1000:0.0} s per DeepPCR solve";
        var f = point["forward"]!;
        var b = point["backward"]!;
        string forward = f["speedup_vs_torch_sequential"] is JsonNode s ? $"{(double)s:0.00}x" : "fell back";
        return $"forward {forward} vs torch ({f["iterations"]} it), backward {(double)b["speedup_vs_torch_sequential"]!:0.00}x vs torch";
    }
}
