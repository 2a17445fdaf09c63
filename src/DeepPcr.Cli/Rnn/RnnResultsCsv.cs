using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace DeepPcr.Cli.Rnn;

/// <summary>A `bench rnn` report as CSV: one row per point and pass, the JSON names as columns.</summary>
public static class RnnResultsCsv
{
    /// <summary>The columns, in order.</summary>
    public static IReadOnlyList<string> Fields { get; } = new[]
    {
        "cell", "T", "H", "B", "I", "pass", "solver", "method", "engine", "iterations", "pcr_rounds", "termination", "fallback", "max_rel_error",
        "parallel_ms", "parallel_threads", "torch_module_ms", "torch_module_threads", "dense_module_ms", "dense_module_threads",
        "torch_cell_loop_ms", "torch_cell_loop_threads", "fused_sequential_ms", "fused_sequential_threads", "pytorch_ms", "pytorch_threads",
        "speedup_vs_torch_module", "speedup_vs_dense_module", "speedup_vs_torch_cell_loop", "speedup_vs_fused_sequential", "speedup_vs_pytorch",
        "torch_cell_loop_max_rel_error", "fused_sequential_max_rel_error", "torch_module_max_rel_error", "pytorch_max_rel_error",
        "backward_engine", "backward_method", "not_run", "not_run_reason", "estimated_ms", "estimated_bytes",
    };

    /// <summary>The CSV text.</summary>
    public static string Format(JsonObject report)
    {
        var text = new StringBuilder(string.Join(',', Fields) + "\n");
        foreach (var row in report["points"]!.AsArray().OfType<JsonObject>())
        {
            text.Append(string.Join(',', Fields.Select(f => Cell(row[f])))).Append('\n');
        }
        return text.ToString();
    }

    private static string Cell(JsonNode? node)
    {
        string text = node switch
        {
            null => "",
            JsonValue v when v.TryGetValue(out double d) => d.ToString("R", CultureInfo.InvariantCulture),
            JsonValue v when v.TryGetValue(out bool b) => b ? "true" : "false",
            JsonValue v when v.TryGetValue(out string? s) => s ?? "",
            _ => node.ToJsonString(),
        };
        return text.Contains(',') || text.Contains('"') ? $"\"{text.Replace("\"", "\"\"")}\"" : text;
    }
}
