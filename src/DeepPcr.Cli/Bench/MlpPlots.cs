using DeepPcr.Cli.Files;
using System.Globalization;
using System.Text.Json.Nodes;
using ScottPlot;

namespace DeepPcr.Cli.Bench;

/// <summary>
/// The pictures of a grid report: one heatmap of speed-ups over (L, w) per pass, baseline and batch size
/// (green at or above 1x, red below 1x and marked with "slower", grey for cells not run, labelled with their
/// estimated time), and time against L at one (w, B) for both baselines and DeepPCR with its iterations.
/// </summary>
public static class MlpPlots
{
    /// <summary>Stages every PNG for <paramref name="folder"/> in <paramref name="outputs"/>; returns their paths.</summary>
    public static IReadOnlyList<string> Write(JsonObject report, string folder, AtomicOutputs outputs)
    {
        var points = report["points"]!.AsArray().OfType<JsonObject>().ToArray();
        var grid = report["grid"]!;
        int[] layers = grid["layers"]!.AsArray().Select(n => (int)n!).ToArray();
        int[] widths = grid["widths"]!.AsArray().Select(n => (int)n!).ToArray();
        int[] batches = grid["batches"]!.AsArray().Select(n => (int)n!).ToArray();
        var written = new List<string>();
        foreach (string pass in new[] { "forward", "backward" })
        foreach (string baseline in new[] { "torch_sequential", "fused_sequential" })
        foreach (int batch in batches)
        {
            string path = Path.Combine(folder, $"heatmap_{pass}_vs_{baseline}_B{batch}.png");
            outputs.Save(path, p => Heatmap(points, layers, widths, batch, pass, baseline, report).SavePng(p, 900, 650));
            written.Add(path);
        }
        int w = widths.Contains(4) ? 4 : widths[0], b = batches.Contains(1) ? 1 : batches[0];
        string linePath = Path.Combine(folder, $"time_vs_layers_w{w}_B{b}.png");
        outputs.Save(linePath, p => TimeAgainstLayers(points, w, b, report).SavePng(p, 900, 600));
        written.Add(linePath);
        return written;
    }

    private static Plot Heatmap(JsonObject[] points, int[] layers, int[] widths, int batch, string pass, string baseline, JsonObject report)
    {
        var plot = new Plot();
        for (int i = 0; i < layers.Length; i++)
        for (int j = 0; j < widths.Length; j++)
        {
            var point = points.FirstOrDefault(p => (int)p["layers"]! == layers[i] && (int)p["width"]! == widths[j] && (int)p["batch"]! == batch);
            var (label, color) = Cell(point, pass, baseline);
            var rectangle = plot.Add.Rectangle(j, j + 1, i, i + 1);
            rectangle.FillStyle.Color = color;
            rectangle.LineStyle.Color = Colors.White;
            rectangle.LineStyle.Width = 2;
            var text = plot.Add.Text(label, j + 0.5, i + 0.5);
            text.LabelAlignment = Alignment.MiddleCenter;
            text.LabelFontSize = 13;
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            widths.Select((_, j) => j + 0.5).ToArray(), widths.Select(v => v.ToString(CultureInfo.InvariantCulture)).ToArray());
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            layers.Select((_, i) => i + 0.5).ToArray(), layers.Select(v => v.ToString(CultureInfo.InvariantCulture)).ToArray());
        plot.Axes.SetLimits(0, widths.Length, 0, layers.Length);
        plot.XLabel("width w");
        plot.YLabel("layers L");
        string against = baseline == "torch_sequential" ? "TorchSharp layer by layer" : "fused sequential C# loop";
        plot.Title($"DeepPCR {pass} speed-up vs {against}, batch {batch} ({report["dtype"]}, {Environment.ProcessorCount}-core CPU)");
        return plot;
    }

    private static (string Label, Color Color) Cell(JsonObject? point, string pass, string baseline)
    {
        if (point is null) return ("-", Colors.LightGray);
        if (point["not_run"] is not null)
        {
            double seconds = (double)point["estimated_deeppcr_ms"]! / 1000;
            return ($"not run\n~{seconds:0.#} s/solve", Colors.LightGray);
        }
        if (point[pass]![$"speedup_vs_{baseline}"] is not JsonNode node) return ("fell back", Colors.Orange);
        double speedup = (double)node;
        double strength = Math.Min(1.0, Math.Abs(Math.Log10(Math.Max(speedup, 1e-9))) / 2.0);
        if (speedup >= 1)
        {
            return ($"{speedup:0.0#}x", Color.FromHex("#e8f5e9").MixedWith(Color.FromHex("#2e7d32"), strength));
        }
        return ($"{speedup:0.0##}x\nslower", Color.FromHex("#ffebee").MixedWith(Color.FromHex("#c62828"), strength));
    }

    private static Plot TimeAgainstLayers(JsonObject[] points, int width, int batch, JsonObject report)
    {
        var plot = new Plot();
        var row = points.Where(p => (int)p["width"]! == width && (int)p["batch"]! == batch && p["not_run"] is null)
            .OrderBy(p => (int)p["layers"]!).ToArray();
        double[] xs = row.Select(p => Math.Log2((int)p["layers"]!)).ToArray();
        foreach (var (label, field) in new[] { ("TorchSharp layer by layer", "torch_sequential_ms"), ("fused sequential C# loop", "fused_sequential_ms"), ("DeepPCR", "deeppcr_ms") })
        {
            var pairs = row.Select((p, i) => (x: xs[i], y: p["forward"]![field])).Where(t => t.y is not null).ToArray();
            if (pairs.Length == 0) continue;
            var line = plot.Add.Scatter(pairs.Select(t => t.x).ToArray(), pairs.Select(t => Math.Log10((double)t.y!)).ToArray());
            line.LegendText = label;
            line.MarkerSize = 8;
            if (field == "deeppcr_ms")
            {
                for (int i = 0; i < row.Length; i++)
                {
                    if (row[i]["forward"]!["deeppcr_ms"] is not JsonNode ms) continue;
                    var note = plot.Add.Text($"{row[i]["forward"]!["iterations"]} it", xs[i], Math.Log10((double)ms) + 0.08);
                    note.LabelFontSize = 12;
                    note.LabelAlignment = Alignment.LowerCenter;
                }
            }
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(xs, row.Select(p => ((int)p["layers"]!).ToString(CultureInfo.InvariantCulture)).ToArray());
        double[] decades = Enumerable.Range(-3, 8).Select(d => (double)d).ToArray();
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(decades, decades.Select(d => Math.Pow(10, d).ToString("0.###", CultureInfo.InvariantCulture)).ToArray());
        plot.XLabel("layers L (log scale)");
        plot.YLabel("forward time, ms (log scale)");
        plot.Title($"Forward pass time against depth, w = {width}, B = {batch} ({report["dtype"]}, {Environment.ProcessorCount}-core CPU)");
        plot.ShowLegend(Alignment.UpperLeft);
        DeepPcr.Cli.Plots.FewPoints.Mark(plot, xs, xs.Length < 2, "one depth: one point per method, no curve (the numbers are in results.csv)");
        return plot;
    }
}
