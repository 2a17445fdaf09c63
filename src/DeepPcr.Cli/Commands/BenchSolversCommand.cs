using DeepPcr.Cli.Progress;
using DeepPcr.Cli.Limits;
using DeepPcr.Cli.Files;
using DeepPcr.Cli.Errors;
using DeepPcr.Chains;
using System.CommandLine;
using System.Text.Json;
using DeepPcr.Cli.Bench;
using DeepPcr.Cli.Mlp;
using DeepPcr.Cli.Solvers;

namespace DeepPcr.Cli.Commands;

/// <summary>`deeppcr bench solvers`: every method on contractive, neutral and expansive chains.</summary>
public static class BenchSolversCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(string[] args)
    {
        var output = new Option<string>("--out") { Description = "Folder for results.csv, results.json and the PNG plots.", Required = true };
        var gains = new Option<string>("--gains") { Description = "Comma-separated weight gains (below 1 contractive, 1 neutral, above 1 expansive).", DefaultValueFactory = _ => "0.5,1,1.5,3" };
        var layers = new Option<string>("--layers") { Description = "Comma-separated depths L.", DefaultValueFactory = _ => "64,256,1024" };
        var widths = new Option<string>("--widths") { Description = "Comma-separated widths w.", DefaultValueFactory = _ => "4,16" };
        var batch = new Option<int>("--batch") { Description = "Batch size B.", DefaultValueFactory = _ => 1 };
        var dtype = new Option<string>("--dtype") { Description = "float32 or float64.", DefaultValueFactory = _ => "float32" };
        var methods = new Option<string>("--methods") { Description = $"Comma-separated methods or all: {string.Join(", ", SolverCatalog.All.Select(e => e.Name))}.", DefaultValueFactory = _ => "all" };
        var repeats = new Option<int>("--repeats") { Description = "Timed repetitions per method.", DefaultValueFactory = _ => 5 };
        var seed = new Option<long>("--seed") { Description = "Seed of the chains and inputs.", DefaultValueFactory = _ => 1 };
        var slow = new Option<double>("--slow-ms") { Description = "A method whose first solve takes longer is timed by that solve alone.", DefaultValueFactory = _ => 1000 };
        var command = new Command("solvers", "Every method (sequential, DeepPCR, chunked, quasi-Newton, Picard, damped, trust region, Auto) on tanh MLP chains: iterations, time, error against float64 sequential, termination; table, CSV, JSON and plots.");
        foreach (Option o in new Option[] { output, gains, layers, widths, batch, dtype, methods, repeats, seed, slow }) command.Options.Add(o);
        command.SetAction(parsed => CommandRunner.Run(() =>
        {
            var grid = new SolverGrid(
                ParseDoubles(parsed.GetValue(gains)!, "--gains"), MlpGrid.ParseList(parsed.GetValue(layers)!, "--layers"),
                MlpGrid.ParseList(parsed.GetValue(widths)!, "--widths"), parsed.GetValue(batch), MlpPoint.ParseDtype(parsed.GetValue(dtype)!),
                SolverCatalog.Parse(parsed.GetValue(methods)!), parsed.GetValue(repeats), parsed.GetValue(seed), parsed.GetValue(slow));
            if (grid.Repeats < 1 || grid.Batch < 1) throw new UsageException("--repeats and --batch must be at least 1.");
            string folder = parsed.GetValue(output)!;
            PathChecks.WritableFolder(folder, "--out");
            foreach (int layers in grid.Layers) foreach (int width in grid.Widths) SolverMemory(grid, layers, width).Check();
            System.Text.Json.Nodes.JsonObject report;
            using (var progress = ProgressReporter.Start("bench solvers")) report = SolverBench.Run(grid, args, progress);
            using var outputs = new AtomicOutputs();
            outputs.WriteJson(Path.Combine(folder, "results.json"), report);
            outputs.WriteAllText(Path.Combine(folder, "results.csv"), SolverBench.Csv(report));
            var pngs = SolverPlots.Write(report, folder, outputs);
            outputs.Commit();
            Console.Write(SolverBench.Table(report));
            foreach (string png in pngs) Console.WriteLine(png);
            Console.WriteLine(Path.Combine(folder, "results.json"));
            Console.WriteLine(Path.Combine(folder, "results.csv"));
            return 0;
        }));
        return command;
    }

    /// <summary>The memory of one chain of the grid: the most demanding requested method's Jacobian structure.</summary>
    private static MemoryEstimate SolverMemory(SolverGrid grid, int layers, int width)
    {
        var structures = grid.Methods.Select(m => SolverCatalog.StructureOf(m.Name)).ToArray();
        JacobianStructure? widest = structures.Contains(JacobianStructure.Dense) ? JacobianStructure.Dense
            : structures.Contains(JacobianStructure.Diagonal) ? JacobianStructure.Diagonal
            : structures.Contains(JacobianStructure.Scalar) ? JacobianStructure.Scalar : null;
        return MemoryEstimates.Mlp($"bench solvers at L = {layers}, w = {width}, B = {grid.Batch}", layers, width, grid.Batch,
            grid.Dtype == TorchSharp.torch.ScalarType.Float32 ? 4 : 8, widest);
    }

    private static IReadOnlyList<double> ParseDoubles(string text, string option)
    {
        var values = new List<double>();
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!double.TryParse(part, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double v) || !(v > 0) || !double.IsFinite(v))
            {
                throw new UsageException($"{option}: '{part}' is not a positive number.");
            }
            values.Add(v);
        }
        if (values.Count == 0) throw new UsageException($"{option} needs at least one value.");
        return values;
    }
}
