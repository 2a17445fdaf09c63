using System.Text.Json.Nodes;
using DeepPcr.Cli.Progress;
using DeepPcr.Cli.Files;
using DeepPcr.Cli.Errors;
using System.CommandLine;
using System.Text.Json;
using DeepPcr.Cli.Bench;
using DeepPcr.Cli.Diffusion;
using DeepPcr.Models.Diffusion;
using DeepPcr.Cli.Mlp;
using DeepPcr.Models.Mlp;

namespace DeepPcr.Cli.Commands;

/// <summary>`deeppcr bench mlp`: the grid over (L, w, B), forward and backward, with CSV, JSON and plots.</summary>
public static class BenchCommand
{
    /// <summary>Builds `bench` with its subcommand `mlp`.</summary>
    public static Command Create(string[] args)
    {
        var d = MlpGrid.Default;
        var output = new Option<string>("--out") { Description = "Folder for results.csv, results.json and the PNG plots.", Required = true };
        var layers = new Option<string>("--layers") { Description = "Comma-separated depths L.", DefaultValueFactory = _ => string.Join(',', d.Layers) };
        var widths = new Option<string>("--widths") { Description = "Comma-separated widths w.", DefaultValueFactory = _ => string.Join(',', d.Widths) };
        var batches = new Option<string>("--batches") { Description = "Comma-separated batch sizes B.", DefaultValueFactory = _ => string.Join(',', d.Batches) };
        var activation = new Option<string>("--activation") { Description = "tanh, relu, gelu, sigmoid or identity.", DefaultValueFactory = _ => "tanh" };
        var gain = new Option<double>("--gain") { Description = "Weights N(0, gain^2/w).", DefaultValueFactory = _ => d.Gain };
        var dtype = new Option<string>("--dtype") { Description = "float32 or float64.", DefaultValueFactory = _ => "float32" };
        var seed = new Option<long>("--seed") { Description = "Seed of every point's weights.", DefaultValueFactory = _ => d.Seed };
        var repeats = new Option<int>("--repeats") { Description = "Timed repetitions per case (at least 5 for a median).", DefaultValueFactory = _ => d.Repeats };
        var cap = new Option<double>("--cap-ms") { Description = "Cells whose estimated DeepPCR solve exceeds this many ms are not run (shown with the estimate).", DefaultValueFactory = _ => d.CapMs };

        var mlp = new Command("mlp", "Benchmark deep MLPs over a grid of depths, widths and batch sizes, forward and backward, against TorchSharp layer by layer and a fused C# loop.");
        foreach (Option o in new Option[] { output, layers, widths, batches, activation, gain, dtype, seed, repeats, cap }) mlp.Options.Add(o);
        mlp.SetAction(parsed => CommandRunner.Run(() =>
        {
            var grid = new MlpGrid(
                MlpGrid.ParseList(parsed.GetValue(layers)!, "--layers"), MlpGrid.ParseList(parsed.GetValue(widths)!, "--widths"),
                MlpGrid.ParseList(parsed.GetValue(batches)!, "--batches"), parsed.GetValue(gain), Activations.Parse(parsed.GetValue(activation)!),
                MlpPoint.ParseDtype(parsed.GetValue(dtype)!), parsed.GetValue(seed), parsed.GetValue(repeats), parsed.GetValue(cap));
            if (grid.Repeats < 1) throw new UsageException("--repeats must be at least 1.");
            string folder = parsed.GetValue(output)!;
            PathChecks.WritableFolder(folder, "--out");
            foreach (var point in grid.Points()) point.Memory().Check();
            JsonObject report;
            using (var progress = ProgressReporter.Start("bench mlp"))
            {
                report = MlpGridRunner.Run(grid, args, progress);
            }
            using var outputs = new AtomicOutputs();
            outputs.WriteJson(Path.Combine(folder, "results.json"), report);
            outputs.WriteAllText(Path.Combine(folder, "results.csv"), MlpResultsCsv.Format(report));
            var pngs = MlpPlots.Write(report, folder, outputs);
            outputs.Commit();
            foreach (string png in pngs) Console.WriteLine(png);
            Console.WriteLine(Path.Combine(folder, "results.json"));
            Console.WriteLine(Path.Combine(folder, "results.csv"));
            return 0;
        }));
        var bench = new Command("bench", "Benchmarks: `bench mlp`, `bench diffusion`, `bench kernels`, `bench solvers`, `bench modules`, `bench rnn`.");
        bench.Subcommands.Add(mlp);
        bench.Subcommands.Add(Diffusion(args));
        bench.Subcommands.Add(BenchKernelsCommand.Create(args));
        bench.Subcommands.Add(BenchSolversCommand.Create(args));
        bench.Subcommands.Add(BenchModulesCommand.Create(args));
        bench.Subcommands.Add(BenchRnnCommand.Create(args));
        return bench;
    }

    private static Command Diffusion(string[] args)
    {
        var output = new Option<string>("--out") { Description = "Folder for results.csv, results.json and the plots.", Required = true };
        var tolerances = new Option<string>("--tolerances") { Description = "Comma-separated tolerances.", DefaultValueFactory = _ => "1e-2,1e-3,1e-4" };
        var count = new Option<int>("--count") { Description = "Samples N.", DefaultValueFactory = _ => 64 };
        var solver = new Option<string>("--solver") { Description = "Samplers (comma-separated) or all.", DefaultValueFactory = _ => "all" };
        var window = new Option<int>("--window") { Description = "Window of picard-window.", DefaultValueFactory = _ => 64 };
        var chunk = new Option<int>("--chunk") { Description = "Samples solved at once.", DefaultValueFactory = _ => 64 };
        var seed = new Option<long>("--seed") { Description = "Seed of x_T and the noise.", DefaultValueFactory = _ => 0 };
        var replot = new Option<bool>("--replot") { Description = "Only rewrite results.csv and the plots from the results.json already in --out." };
        var command = new Command("diffusion", "Run every diffusion sampler at several tolerances: iterations, depth, time, error and quality, as CSV, JSON and plots.");
        foreach (Option o in new Option[] { output, tolerances, count, solver, window, chunk, seed, replot }) command.Options.Add(o);
        command.SetAction(parsed => CommandRunner.Run(() =>
        {
            string text = parsed.GetValue(solver)!;
            var names = text == "all" ? DiffusionSampler.Names : text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            foreach (string n in names) DiffusionSampler.Create(n, 1);
            var tols = parsed.GetValue(tolerances)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Select(t => double.TryParse(t, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double v) && v > 0 && double.IsFinite(v) ? v : throw new UsageException($"--tolerances: '{t}' is not a positive number.")).ToArray();
            if (tols.Length == 0) throw new UsageException("--tolerances needs at least one value.");
            var settings = new DiffusionSettings(null, null, parsed.GetValue(count), names, tols[0], parsed.GetValue(window), null, parsed.GetValue(seed), parsed.GetValue(chunk));
            settings.Validate();
            string folder = parsed.GetValue(output)!;
            PathChecks.WritableFolder(folder, "--out");
            string json = Path.Combine(folder, "results.json");
            using var outputs = new AtomicOutputs();
            System.Text.Json.Nodes.JsonObject sweep;
            if (parsed.GetValue(replot))
            {
                PathChecks.Readable(json, "--replot");
                sweep = DiffusionSweep.Load(json, names);
            }
            else
            {
                using (var progress = ProgressReporter.Start("bench diffusion")) sweep = DiffusionSweep.Run(settings, tols, args, progress);
                outputs.WriteJson(json, sweep);
            }
            outputs.WriteAllText(Path.Combine(folder, "results.csv"), DiffusionSweep.Csv(sweep, names));
            var pngs = DiffusionSweep.Plots(sweep, names, folder, outputs);
            outputs.Commit();
            foreach (string png in pngs) Console.WriteLine(png);
            return 0;
        }));
        return command;
    }
}
