using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace DeepPcr.Cli.Bench;

/// <summary>Writes a grid report as CSV: one row per point and pass, the JSON vocabulary as columns.</summary>
public static class MlpResultsCsv
{
    private static readonly string[] Fields =
    {
        "method", "iterations", "pcr_rounds", "termination", "fallback", "max_rel_error",
        "deeppcr_ms", "torch_sequential_ms", "fused_sequential_ms", "speedup_vs_torch_sequential", "speedup_vs_fused_sequential",
        "deeppcr_threads", "torch_sequential_threads", "fused_sequential_threads", "fused_sequential_1t_ms", "c_reference_ms",
        "fused_sequential_1t_over_c_reference", "pytorch_ms", "pytorch_threads", "speedup_vs_pytorch",
    };

    /// <summary>The CSV text.</summary>
    public static string Format(JsonObject report)
    {
        var text = new StringBuilder("layers,width,batch,pass," + string.Join(',', Fields) + ",not_run,estimated_deeppcr_ms\n");
        foreach (var point in report["points"]!.AsArray().OfType<JsonObject>())
        {
            string prefix = $"{point["layers"]},{point["width"]},{point["batch"]}";
            string estimate = Number(point["estimated_deeppcr_ms"]);
            foreach (string pass in new[] { "forward", "backward" })
            {
                if (point["not_run"] is not null)
                {
                    text.Append($"{prefix},{pass}{new string(',', Fields.Length)},true,{estimate}\n");
                    continue;
                }
                var values = Fields.Select(f => Number(point[pass]![f]));
                text.Append($"{prefix},{pass},{string.Join(',', values)},false,{estimate}\n");
            }
        }
        return text.ToString();
    }

    private static string Number(JsonNode? node) => node switch
    {
        null => "",
        JsonValue v when v.TryGetValue(out double d) => d.ToString("R", CultureInfo.InvariantCulture),
        _ => node.ToString(),
    };
}
