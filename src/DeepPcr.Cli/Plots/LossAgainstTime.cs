using DeepPcr.Cli.Files;

namespace DeepPcr.Cli.Plots;

/// <summary>The training plots' picture: loss against training wall-clock time, one line per solver (train resnet, train charlm).</summary>
public static class LossAgainstTime
{
    /// <summary>One solver's line: its legend, the times (s) and the losses.</summary>
    public sealed record Line(string Legend, double[] Seconds, double[] Losses);

    /// <summary>Stages the PNG at <paramref name="path"/> in <paramref name="outputs"/>.</summary>
    /// <param name="lines">One line per solver.</param>
    /// <param name="yLabel">What the loss is.</param>
    /// <param name="title">The plot's title (the machine's core count is appended).</param>
    /// <param name="fewNote">The note shown when every line has a single point (see <see cref="FewPoints"/>).</param>
    /// <param name="markerSize">Marker size.</param>
    /// <param name="path">Where the PNG goes.</param>
    /// <param name="outputs">The command's staged outputs.</param>
    public static void Save(IReadOnlyList<Line> lines, string yLabel, string title, string fewNote, float markerSize, string path, AtomicOutputs outputs)
    {
        var plot = new ScottPlot.Plot();
        foreach (var l in lines)
        {
            var line = plot.Add.Scatter(l.Seconds, l.Losses);
            line.LegendText = l.Legend;
            line.MarkerSize = markerSize;
        }
        plot.XLabel("training wall-clock time, s");
        plot.YLabel(yLabel);
        plot.Title($"{title} ({Environment.ProcessorCount}-core CPU)");
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        FewPoints.Mark(plot, lines.SelectMany(l => l.Seconds), lines.Max(l => l.Seconds.Length) < 2, fewNote);
        outputs.Save(path, p => plot.SavePng(p, 900, 600));
    }
}
