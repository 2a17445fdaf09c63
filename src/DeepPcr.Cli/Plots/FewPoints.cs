using ScottPlot;

namespace DeepPcr.Cli.Plots;

/// <summary>
/// Keeps a plot readable when its data are too few for a line (one epoch, one tolerance): the plot says so in a
/// note at its foot that points to the table holding the numbers, and a lone x value is put in the middle of a
/// widened axis instead of on the frame.
/// </summary>
public static class FewPoints
{
    /// <summary>Adds the note (and the margins around a lone x value) when <paramref name="few"/> holds; returns <paramref name="few"/>.</summary>
    /// <param name="plot">The plot, with its data added.</param>
    /// <param name="xs">Every x value plotted.</param>
    /// <param name="few">Whether each line has a single point.</param>
    /// <param name="note">What the points mean and where the table is, e.g. "one epoch: one point per solver (see training.csv)".</param>
    public static bool Mark(Plot plot, IEnumerable<double> xs, bool few, string note)
    {
        if (!few) return false;
        var annotation = plot.Add.Annotation(note, Alignment.LowerCenter);
        annotation.LabelFontSize = 16;
        var distinct = xs.Where(double.IsFinite).Distinct().ToArray();
        if (distinct.Length == 1)
        {
            plot.Axes.AutoScale();
            double x = distinct[0], half = x > 0 ? x / 2 : 1;   // a positive x (a time) keeps a positive axis
            plot.Axes.SetLimitsX(x - half, x + half);
        }
        return true;
    }
}
