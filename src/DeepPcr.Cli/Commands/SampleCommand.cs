using DeepPcr.Cli.Progress;
using System.CommandLine;
using DeepPcr.Cli.Files;
using DeepPcr.Cli.Diffusion;
using DeepPcr.Models.Diffusion;

namespace DeepPcr.Cli.Commands;

/// <summary>`deeppcr sample diffusion`: DDPM sampling with every sampler on the same chain.</summary>
public static class SampleCommand
{
    /// <summary>Builds `sample` with its subcommand `diffusion`.</summary>
    public static Command Create(string[] args)
    {
        var model = new Option<string?>("--model") { Description = "DDPM checkpoint (default: the committed one, T = 1000)." };
        var steps = new Option<int?>("--steps") { Description = "Diffusion steps T (default: the checkpoint's)." };
        var count = new Option<int>("--count") { Description = "Samples N.", DefaultValueFactory = _ => 8 };
        var solver = new Option<string>("--solver") { Description = $"One of {string.Join(", ", DiffusionSampler.Names)}, a comma-separated list, or all.", DefaultValueFactory = _ => "all" };
        var tolerance = new Option<double>("--tolerance") { Description = "Absolute tolerance of the error-bound stopping rule.", DefaultValueFactory = _ => 1e-4 };
        var window = new Option<int>("--window") { Description = "Window of picard-window.", DefaultValueFactory = _ => 64 };
        var maxIterations = new Option<int?>("--max-iterations") { Description = "Iteration limit (default T)." };
        var seed = new Option<long>("--seed") { Description = "Seed of x_T and every step's noise.", DefaultValueFactory = _ => 0 };
        var chunk = new Option<int>("--chunk") { Description = "Samples solved at once (bounds the dense Jacobians' memory: T * chunk * 64^2 floats, three buffers).", DefaultValueFactory = _ => 16 };
        var output = new Option<string?>("--out") { Description = "Folder for samples.png and results.json." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (envelope and one object per sampler)." };
        var diffusion = new Command("diffusion", "Sample digits from the DDPM sequentially, by DeepPCR (dense Newton), by quasi-Newton and by Picard iterations, on the same pre-drawn noise.");
        foreach (Option o in new Option[] { model, steps, count, solver, tolerance, window, maxIterations, seed, chunk, output, json }) diffusion.Options.Add(o);
        diffusion.SetAction(parsed => CommandRunner.Run(() =>
        {
            string text = parsed.GetValue(solver)!;
            var names = text == "all" ? DiffusionSampler.Names : text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            foreach (string n in names) DiffusionSampler.Create(n, 1);
            string? folder = parsed.GetValue(output);
            if (folder is not null) PathChecks.WritableFolder(folder, "--out");
            if (parsed.GetValue(model) is string modelPath) PathChecks.Readable(modelPath, "--model");
            var settings = new DiffusionSettings(parsed.GetValue(model), parsed.GetValue(steps), parsed.GetValue(count), names, parsed.GetValue(tolerance),
                parsed.GetValue(window), parsed.GetValue(maxIterations), parsed.GetValue(seed), parsed.GetValue(chunk));
            System.Text.Json.Nodes.JsonObject report;
            List<(string Name, TorchSharp.torch.Tensor Samples)> panels;
            using (var progress = ProgressReporter.Start("sample diffusion")) (report, panels) = DiffusionExperiment.Run(settings, args, progress);
            if (folder is not null)
            {
                using var outputs = new AtomicOutputs();
                outputs.Save(Path.Combine(folder, "samples.png"), path => SampleGrid.Write(panels, path));
                outputs.WriteJson(Path.Combine(folder, "results.json"), report);
                outputs.Commit();
            }
            if (parsed.GetValue(json)) Console.WriteLine(report.ToJsonString());
            else PrintTable(report, names);
            return 0;
        }));
        var sample = new Command("sample", "Sampling commands (see `sample diffusion`).");
        sample.Subcommands.Add(diffusion);
        return sample;
    }

    private static void PrintTable(System.Text.Json.Nodes.JsonObject report, IEnumerable<string> names)
    {
        Console.WriteLine($"DDPM on 8x8 digits: T = {report["steps"]}, N = {report["count"]}, tolerance {report["tolerance"]}; {report["machine"]}");
        Console.WriteLine($"{"sampler",-17} {"ms",10} {"speed-up",9} {"iters",6} {"depth",6} {"max |diff|",11} {"termination",-16} {"FD",8}");
        foreach (string n in names)
        {
            var r = report[n]!;
            string fd = r["frechet_distance"] is { } f ? $"{(double)f:0.00}" : "-";
            Console.WriteLine($"{n,-17} {(double)r["ms"]!,10:0.0} {(double)r["speedup_vs_sequential"]!,8:0.00}x {(int)r["iterations"]!,6} {(int)r["sequential_depth"]!,6} {(double)r["max_abs_diff_vs_sequential"]!,11:0.0e+0} {(string?)r["termination"],-16} {fd,8}");
        }
        Console.WriteLine("On this 2-core CPU every parallel sampler does more arithmetic than the sequential one; 'depth' is the number of dependent steps a GPU would turn into time.");
    }
}
