using DeepPcr.Cli.Progress;
using DeepPcr.Cli.Files;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using DeepPcr.Models.Diffusion;
using ScottPlot;

namespace DeepPcr.Cli.Diffusion;

/// <summary>
/// `deeppcr bench diffusion`: the sampling experiment at several tolerances, written as results.csv, results.json
/// and one plot each of iterations, sequential depth and wall time against tolerance for every sampler.
/// </summary>
public static class DiffusionSweep
{
    private static readonly string[] Fields =
    {
        "method", "ms", "iterations", "sequential_depth", "function_evaluations", "jacobian_evaluations", "max_abs_diff_vs_sequential",
        "error_estimate", "frechet_distance", "mean_confidence", "termination", "fallback", "speedup_vs_sequential",
    };

    /// <summary>Runs every tolerance; returns the combined report.</summary>
    public static JsonObject Run(DiffusionSettings settings, double[] tolerances, IEnumerable<string> args, ProgressReporter progress)
    {
        var (denoiser, trainedSteps) = DiffusionFiles.LoadDenoiser(settings.Model);
        DiffusionExperiment.Memory(settings, settings.Steps ?? trainedSteps, denoiser).Check();
        progress.Total = tolerances.Length * DiffusionExperiment.Passes(settings, denoiser.Width);
        var runs = new JsonArray();
        JsonObject? last = null;
        foreach (double tolerance in tolerances)
        {
            var (report, panels) = DiffusionExperiment.Run(settings with { Tolerance = tolerance }, args, progress);
            foreach (var (_, samples) in panels) samples.Dispose();
            runs.Add(report);
            last = report;
        }
        return new JsonObject { ["runs"] = runs, ["machine"] = last?["machine"]?.DeepClone(), ["git_sha"] = last?["git_sha"]?.DeepClone() };
    }

    /// <summary>
    /// Reads a results.json written by <see cref="Run"/> for --replot, checking that it holds at least one run with
    /// an entry for every requested sampler.
    /// </summary>
    /// <exception cref="InvalidDataException">Not JSON, or no runs, or a run without a requested sampler.</exception>
    public static JsonObject Load(string path, IEnumerable<string> samplers)
    {
        JsonObject? sweep;
        try
        {
            sweep = JsonNode.Parse(File.ReadAllText(path)) as JsonObject;
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InvalidDataException($"{path} is not valid JSON ({e.Message.Split('.')[0]}).");
        }
        var runs = (sweep?["runs"] as JsonArray)?.OfType<JsonObject>().ToArray();
        if (runs is null || runs.Length == 0) throw new InvalidDataException($"{path} holds no results (no 'runs'); run `deeppcr bench diffusion --out DIR` without --replot first.");
        foreach (var run in runs)
        {
            if (run["tolerance"] is null || run["steps"] is null || run["count"] is null) throw new InvalidDataException($"{path}: a run lacks 'tolerance', 'steps' or 'count'.");
            var missing = samplers.FirstOrDefault(n => run[n] is not JsonObject entry || entry["iterations"] is null || entry["ms"] is null || entry["sequential_depth"] is null);
            if (missing is not null) throw new InvalidDataException($"{path}: the run at tolerance {run["tolerance"]} has no results for sampler '{missing}'.");
        }
        return sweep!;
    }

    /// <summary>A JSON number, integer or not, as a double.</summary>
    private static double Number(JsonNode node) => double.Parse(node.ToJsonString(), CultureInfo.InvariantCulture);

    /// <summary>CSV: one row per tolerance and sampler.</summary>
    public static string Csv(JsonObject sweep, IEnumerable<string> samplers)
    {
        var text = new StringBuilder("tolerance,count,steps,sampler," + string.Join(',', Fields) + "\n");
        foreach (var run in sweep["runs"]!.AsArray().OfType<JsonObject>())
        foreach (string name in samplers)
        {
            var entry = run[name]!;
            text.Append($"{run["tolerance"]},{run["count"]},{run["steps"]},{name},");
            text.Append(string.Join(',', Fields.Select(f => entry[f] switch
            {
                null => "",
                JsonValue v when v.TryGetValue(out double d) => d.ToString("R", CultureInfo.InvariantCulture),
                var n => n.ToString().Replace(',', ';'),
            })));
            text.Append('\n');
        }
        return text.ToString();
    }

    /// <summary>Three PNGs: iterations, sequential depth and wall time (log10) against log10 tolerance.</summary>
    public static IReadOnlyList<string> Plots(JsonObject sweep, IEnumerable<string> samplers, string folder, AtomicOutputs outputs)
    {
        var runs = sweep["runs"]!.AsArray().OfType<JsonObject>().ToArray();
        var written = new List<string>();
        foreach (var (field, label) in new[] { ("iterations", "iterations"), ("sequential_depth", "sequential depth (dependent steps)"), ("ms", "wall time, ms") })
        {
            var plot = new Plot();
            foreach (string name in samplers)
            {
                var xs = runs.Select(r => Math.Log10(Number(r["tolerance"]!))).ToArray();
                var ys = runs.Select(r => Math.Log10(Math.Max(1e-3, Number(r[name]![field]!)))).ToArray();
                var line = plot.Add.Scatter(xs, ys);
                line.LegendText = name;
                line.MarkerSize = 7;
            }
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
                runs.Select(r => Math.Log10(Number(r["tolerance"]!))).ToArray(), runs.Select(r => Number(r["tolerance"]!).ToString("0.#e0", CultureInfo.InvariantCulture)).ToArray());
            double[] decades = Enumerable.Range(-1, 8).Select(d => (double)d).ToArray();
            plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(decades, decades.Select(d => Math.Pow(10, d).ToString("0.#", CultureInfo.InvariantCulture)).ToArray());
            plot.XLabel("tolerance of the stopping rule (log scale)");
            plot.YLabel($"{label} (log scale)");
            plot.Title($"DDPM sampling, T = {runs[0]["steps"]}, N = {runs[0]["count"]}: {label} ({Environment.ProcessorCount}-core CPU)");
            plot.ShowLegend(Alignment.UpperRight);
            DeepPcr.Cli.Plots.FewPoints.Mark(plot, runs.Select(r => Math.Log10(Number(r["tolerance"]!))), runs.Length < 2,
                "one tolerance: one point per sampler, no curve (the numbers are in results.csv)");
            string path = Path.Combine(folder, $"{field}_vs_tolerance.png");
            outputs.Save(path, p => plot.SavePng(p, 900, 600));
            written.Add(path);
        }
        return written;
    }
}
