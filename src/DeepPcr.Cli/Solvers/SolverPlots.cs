using DeepPcr.Cli.Files;
using System.Globalization;
using System.Text.Json.Nodes;
using ScottPlot;

namespace DeepPcr.Cli.Solvers;

/// <summary>The plots of `deeppcr bench solvers`: time against depth per method, one PNG per gain and width.</summary>
public static class SolverPlots
{
    /// <summary>Stages the PNGs for <paramref name="folder"/> in <paramref name="outputs"/>; returns their paths.</summary>
    public static IReadOnlyList<string> Write(JsonObject report, string folder, AtomicOutputs outputs)
    {
        var rows = report["rows"]!.AsArray().OfType<JsonObject>().Where(r => r["time_ms"] is not null).ToArray();
        var paths = new List<string>();
        foreach (var group in rows.GroupBy(r => ((double)r["gain"]!, (int)r["width"]!)))
        {
            var (gain, width) = group.Key;
            string path = Path.Combine(folder, $"time_gain{gain.ToString("0.##", CultureInfo.InvariantCulture)}_w{width}.png");
            outputs.Save(path, p => Plot(group.ToArray(), gain, width, report).SavePng(p, 900, 600));
            paths.Add(path);
        }
        return paths;
    }

    private static Plot Plot(JsonObject[] rows, double gain, int width, JsonObject report)
    {
        var plot = new Plot();
        int[] depths = rows.Select(r => (int)r["layers"]!).Distinct().Order().ToArray();
        foreach (var method in rows.GroupBy(r => (string)r["solver"]!))
        {
            var points = method.OrderBy(r => (int)r["layers"]!).ToArray();
            var line = plot.Add.Scatter(points.Select(r => Math.Log2((int)r["layers"]!)).ToArray(), points.Select(r => Math.Log10((double)r["time_ms"]!)).ToArray());
            // A method that did not converge on its own is labelled with what happened.
            var failed = points.Where(r => (string?)r["termination"] != "converged").Select(r => $"L={r["layers"]}: {r["termination"]}").ToArray();
            line.LegendText = failed.Length == 0 ? method.Key : $"{method.Key} ({string.Join("; ", failed)})";
            line.MarkerSize = 7;
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(depths.Select(d => Math.Log2(d)).ToArray(), depths.Select(d => d.ToString(CultureInfo.InvariantCulture)).ToArray());
        double[] decades = Enumerable.Range(-3, 9).Select(d => (double)d).ToArray();
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(decades, decades.Select(d => Math.Pow(10, d).ToString("0.###", CultureInfo.InvariantCulture)).ToArray());
        plot.XLabel("layers L (log scale)");
        plot.YLabel("solve time, ms (log scale)");
        string kind = gain < 1 ? "contractive" : gain == 1 ? "neutral" : "expansive";
        plot.Title($"Every method on a {kind} tanh chain (gain {gain:0.##}), w = {width}, B = {report["batch"]} ({report["dtype"]}, {Environment.ProcessorCount}-core CPU)");
        plot.ShowLegend(Alignment.UpperLeft);
        DeepPcr.Cli.Plots.FewPoints.Mark(plot, depths.Select(d => Math.Log2(d)), depths.Length < 2, "one depth: one point per method, no curve (the numbers are in results.csv)");
        return plot;
    }
}
