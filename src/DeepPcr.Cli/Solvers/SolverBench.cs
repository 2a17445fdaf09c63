using DeepPcr.Cli.Progress;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using DeepPcr.Cli.Measuring;
using DeepPcr.Cli.Mlp;
using DeepPcr.Models.Mlp;
using DeepPcr.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Cli.Solvers;

/// <summary>The grid of `deeppcr bench solvers`: chains by weight gain, depth and width; every method on each.</summary>
/// <param name="Gains">Weight gains: below 1 contractive, 1 neutral, above 1 expansive.</param>
/// <param name="Layers">Depths L.</param>
/// <param name="Widths">Widths w.</param>
/// <param name="Batch">B.</param>
/// <param name="Dtype">float32 or float64 states.</param>
/// <param name="Methods">The methods compared.</param>
/// <param name="Repeats">Timed repetitions per method (interleaved within a chain).</param>
/// <param name="Seed">Seed of every chain's weights and input.</param>
/// <param name="SlowMs">A method whose first solve takes longer is timed by that one solve (repeats 1).</param>
public sealed record SolverGrid(
    IReadOnlyList<double> Gains, IReadOnlyList<int> Layers, IReadOnlyList<int> Widths, int Batch, ScalarType Dtype,
    IReadOnlyList<(string Name, IChainSolver Solver, SolverOptions Options)> Methods, int Repeats, long Seed, double SlowMs);

/// <summary>Runs a <see cref="SolverGrid"/>: for each chain, every method once (outcome and error against a float64
/// sequential pass), then the fast ones timed together by the harness.</summary>
public static class SolverBench
{
    /// <summary>Runs the grid, reporting progress to <paramref name="progress"/>; returns the report (envelope and rows).</summary>
    public static JsonObject Run(SolverGrid grid, IEnumerable<string> args, ProgressReporter progress)
    {
        var report = Provenance.Envelope(grid.Dtype == ScalarType.Float32 ? "float32" : "float64", "host kernels: their own threads; TorchSharp: default", args);
        var rows = new JsonArray();
        int cells = grid.Gains.Count * grid.Layers.Count * grid.Widths.Count;
        progress.Total = cells;
        Warmup.Run(grid.Methods.SelectMany(m => grid.Widths.Select(w => (Action)(() => WarmUp(grid, m.Solver, m.Options, w)))));
        report["warmup"] = Warmup.Solvers;
        foreach (double gain in grid.Gains)
        foreach (int width in grid.Widths)
        foreach (int layers in grid.Layers)
        {
            foreach (var row in Cell(grid, gain, layers, width)) rows.Add(row);
            progress.Advance($"gain {gain:g}, L = {layers}, w = {width}");
        }
        report["batch"] = grid.Batch;
        report["seed"] = grid.Seed;
        report["rows"] = rows;
        return report;
    }

    /// <summary>One untimed solve of a 4-layer chain of the given width, errors ignored (the cell reports them).</summary>
    private static void WarmUp(SolverGrid grid, IChainSolver solver, SolverOptions options, int width)
    {
        using var scope = torch.NewDisposeScope();
        var chain = MlpChain.Random(4, width, 0.5, Activation.Tanh, grid.Dtype, grid.Seed);
        var input = torch.zeros(new long[] { grid.Batch, width }, dtype: grid.Dtype);
        try
        {
            solver.Solve(chain, input, options);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            // The cell's own solve reports what this method cannot do.
        }
    }

    private static IEnumerable<JsonObject> Cell(SolverGrid grid, double gain, int layers, int width)
    {
        using var scope = torch.NewDisposeScope();
        var chain = MlpChain.Random(layers, width, gain, Activation.Tanh, grid.Dtype, grid.Seed);
        var input = torch.randn(new long[] { grid.Batch, width }, dtype: ScalarType.Float64, generator: new Generator((ulong)grid.Seed + 1)).to_type(grid.Dtype);
        // The float64 copy of the chain lives in this cell's dispose scope.
        var reference = SequentialPass.Run(chain.To(ScalarType.Float64), input.to_type(ScalarType.Float64));

        var rows = new List<JsonObject>();
        var fast = new List<BenchCase>();
        foreach (var (name, solver, options) in grid.Methods)
        {
            var watch = Stopwatch.StartNew();
            ChainSolution result;
            string? error = null;
            try
            {
                result = solver.Solve(chain, input, options);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                error = e.Message;
                result = null!;
            }
            double firstMs = watch.Elapsed.TotalMilliseconds;
            var row = new JsonObject
            {
                ["gain"] = gain,
                ["layers"] = layers,
                ["width"] = width,
                ["batch"] = grid.Batch,
                ["solver"] = name,
            };
            if (error is not null)
            {
                row["note"] = error;
                rows.Add(row);
                continue;
            }
            row["method"] = result.MethodName;
            row["engine"] = result.EngineName;
            row["iterations"] = result.Iterations;
            row["pcr_rounds"] = result.PcrRounds;
            row["termination"] = Names.Of(result.Termination);
            row["fallback"] = result.FallbackName;
            row["fallback_reason"] = result.FallbackReason;
            row["max_rel_error"] = MlpForwardBenchmark.MaxRelError(result.States, reference);
            row["time_ms"] = firstMs;
            row["repeats"] = 1;
            result.States.Dispose();
            rows.Add(row);
            if (firstMs < grid.SlowMs) fast.Add(new BenchCase(name, () => { using var s = torch.NewDisposeScope(); solver.Solve(chain, input, options); }));
        }
        if (fast.Count > 0)
        {
            foreach (var timing in Harness.Measure(fast, warmup: 0, repeats: grid.Repeats))
            {
                var row = rows.Single(r => (string)r["solver"]! == timing.Label);
                row["time_ms"] = timing.MedianMs;
                row["repeats"] = grid.Repeats;
            }
        }
        double? sequential = rows.FirstOrDefault(r => (string)r["solver"]! == "sequential")?["time_ms"]?.GetValue<double>();
        foreach (var row in rows)
        {
            if (sequential is double s && row["time_ms"] is JsonNode t) row["speedup_vs_sequential"] = s / t.GetValue<double>();
        }
        return rows;
    }

    /// <summary>One CSV line per row.</summary>
    public static string Csv(JsonObject report)
    {
        string[] columns = { "gain", "layers", "width", "batch", "solver", "method", "iterations", "pcr_rounds", "termination", "fallback", "max_rel_error", "time_ms", "repeats", "speedup_vs_sequential", "fallback_reason", "note" };
        var text = new StringBuilder(string.Join(',', columns) + "\n");
        foreach (var row in report["rows"]!.AsArray().OfType<JsonObject>())
        {
            text.AppendLine(string.Join(',', columns.Select(c => Field(row[c]))));
        }
        return text.ToString();
    }

    /// <summary>The console table: per chain, one line per method.</summary>
    public static string Table(JsonObject report)
    {
        var text = new StringBuilder();
        text.AppendLine($"{"gain",5} {"L",5} {"w",3} {"requested",-22} {"ran",-22} {"it",5} {"termination",-16} {"fallback",-10} {"max rel err",11} {"ms",10} {"vs seq",8}");
        foreach (var row in report["rows"]!.AsArray().OfType<JsonObject>())
        {
            string speed = row["speedup_vs_sequential"] is JsonNode s ? $"{s.GetValue<double>():0.00}x" : "";
            string ms = row["time_ms"] is JsonNode t ? t.GetValue<double>().ToString("0.000", CultureInfo.InvariantCulture) : "";
            string err = row["max_rel_error"] is JsonNode e ? e.GetValue<double>().ToString("0.0e+0", CultureInfo.InvariantCulture) : "";
            text.AppendLine($"{(double)row["gain"]!,5:0.##} {row["layers"],5} {row["width"],3} {row["solver"],-22} {row["method"] ?? "error",-22} {row["iterations"],5} {row["termination"],-16} {row["fallback"],-10} {err,11} {ms,10} {speed,8}");
        }
        return text.ToString();
    }

    private static string Field(JsonNode? node)
    {
        if (node is null) return "";
        string value = node is JsonValue v && v.TryGetValue<double>(out double d) ? d.ToString("R", CultureInfo.InvariantCulture) : node.ToString();
        return value.Contains(',') || value.Contains('"') ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;
    }
}
