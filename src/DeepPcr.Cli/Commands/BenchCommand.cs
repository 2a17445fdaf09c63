using System.CommandLine;
using System.Text.Json;
using DeepPcr.Cli.Bench;
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
            if (grid.Repeats < 1) throw new ArgumentException("--repeats must be at least 1.");
            string folder = parsed.GetValue(output)!;
            Directory.CreateDirectory(folder);
            var report = MlpGridRunner.Run(grid, args, Console.Error);
            File.WriteAllText(Path.Combine(folder, "results.json"), report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            File.WriteAllText(Path.Combine(folder, "results.csv"), MlpResultsCsv.Format(report));
            foreach (string png in MlpPlots.Write(report, folder)) Console.WriteLine(png);
            Console.WriteLine(Path.Combine(folder, "results.json"));
            Console.WriteLine(Path.Combine(folder, "results.csv"));
            return 0;
        }));
        var bench = new Command("bench", "Benchmark grids (see `bench mlp`).");
        bench.Subcommands.Add(mlp);
        return bench;
    }
}
