using System.Globalization;
using System.Text.Json.Nodes;
using DeepPcr.Cli.Files;
using ScottPlot;

namespace DeepPcr.Cli.Rnn;

/// <summary>
/// The pictures of a `bench rnn` report: per cell, pass and baseline, the parallel solve's speed-up against T (log
/// scales) with one line per H and B, a dashed line at 1x; points not run or not timed are left out and listed in a note.
/// </summary>
public static class RnnPlots
{
    private static readonly (string Field, string Words)[] Baselines =
    {
        ("torch_cell_loop", "the TorchSharp cell called step by step"),
        ("fused_sequential", "the fused sequential loop (host engine)"),
        ("torch_module", "TorchSharp nn.GRU / nn.LSTM"),
        ("dense_module", "the dense nn.GRU / nn.LSTM of the same size"),
        ("pytorch", "PyTorch CPU"),
    };

    /// <summary>Stages every PNG for <paramref name="folder"/> in <paramref name="outputs"/>; returns their paths.</summary>
    public static IReadOnlyList<string> Write(JsonObject report, string folder, AtomicOutputs outputs)
    {
        var rows = report["points"]!.AsArray().OfType<JsonObject>().ToArray();
        var written = new List<string>();
        foreach (string cell in rows.Select(r => (string)r["cell"]!).Distinct())
        foreach (string pass in RnnExperiment.Passes)
        foreach (var (field, words) in Baselines)
        {
            var mine = rows.Where(r => (string)r["cell"]! == cell && (string)r["pass"]! == pass).ToArray();
            if (!mine.Any(r => r[$"speedup_vs_{field}"] is not null)) continue;
            string path = Path.Combine(folder, $"speedup_{cell}_{pass}_vs_{field}.png");
            outputs.Save(path, p => Plot(mine, cell, pass, field, words, report).SavePng(p, 900, 600));
            written.Add(path);
        }
        return written;
    }

    private static Plot Plot(JsonObject[] rows, string cell, string pass, string field, string words, JsonObject report)
    {
        var plot = new Plot();
        var xs = new List<double>();
        foreach (var group in rows.GroupBy(r => ((int)r["H"]!, (int)r["B"]!)).OrderBy(g => g.Key))
        {
            var points = group.Where(r => (double?)r[$"speedup_vs_{field}"] is not null).OrderBy(r => (int)r["T"]!).ToArray();
            if (points.Length == 0) continue;
            double[] x = points.Select(r => Math.Log2((int)r["T"]!)).ToArray();
            double[] y = points.Select(r => Math.Log10((double)r[$"speedup_vs_{field}"]!)).ToArray();
            xs.AddRange(x);
            var line = plot.Add.Scatter(x, y);
            line.LegendText = $"H = {group.Key.Item1}, B = {group.Key.Item2}";
            line.MarkerSize = 7;
            if (group.Key.Item2 > 1) line.LinePattern = LinePattern.Dashed;
        }
        var one = plot.Add.HorizontalLine(0);
        one.LinePattern = LinePattern.Dotted;
        one.Color = Colors.Black;
        var lengths = rows.Select(r => (int)r["T"]!).Distinct().Order().ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            lengths.Select(t => Math.Log2(t)).ToArray(), lengths.Select(t => t.ToString(CultureInfo.InvariantCulture)).ToArray());
        double[] decades = Enumerable.Range(-3, 7).Select(d => (double)d).ToArray();
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(decades, decades.Select(d => Math.Pow(10, d).ToString("0.###", CultureInfo.InvariantCulture) + "x").ToArray());
        plot.XLabel("sequence length T (log scale)");
        plot.YLabel("speed-up of the parallel solve (log scale; above 1x it pays)");
        plot.Title($"{cell}, {pass.Replace('_', ' ')}: parallel vs {words} ({report["dtype"]}, {Environment.ProcessorCount}-core CPU)");
        plot.ShowLegend(Alignment.UpperLeft);
        int missing = rows.Count(r => (double?)r[$"speedup_vs_{field}"] is null);
        if (missing > 0)
        {
            var note = plot.Add.Annotation($"{missing} point(s) without a ratio (not run, not converged or no baseline): see results.csv", Alignment.LowerRight);
            note.LabelFontSize = 12;
        }
        Plots.FewPoints.Mark(plot, xs, xs.Distinct().Count() < 2, "one length: one point per (H, B), no curve (the numbers are in results.csv)");
        return plot;
    }
}
