using System.CommandLine;
using DeepPcr.Gpu.Engine;
using DeepPcr.GpuBench.Bench;
using DeepPcr.GpuBench.Measuring;

namespace DeepPcr.GpuBench.Commands;

/// <summary>`deeppcr-gpu-bench grid`: every (L, w, B) cell within a time budget, to DIR/gpu_grid.csv and DIR/cells/.</summary>
public static class GridCommand
{
    /// <summary>Builds the command.</summary>
    /// <param name="args">The process's arguments (for the envelope's <c>command</c>).</param>
    /// <returns>The command.</returns>
    public static Command Create(string[] args)
    {
        var layers = new Option<string>("--layers") { Description = "Comma-separated L values.", DefaultValueFactory = _ => "64,256,1024" };
        var widths = new Option<string>("--widths") { Description = "Comma-separated w values (1..64).", DefaultValueFactory = _ => "1,4,16,32,64" };
        var batches = new Option<string>("--batches") { Description = "Comma-separated B values.", DefaultValueFactory = _ => "1,16" };
        var outDir = new Option<string>("--out") { Description = "Output folder: gpu_grid.csv, cells/, models/.", Required = true };
        var budget = new Option<double>("--budget-s") { Description = "No cell starts after this many seconds; the rest are written as not_run.", DefaultValueFactory = _ => 200 };
        var saveModels = new Option<bool>("--save-models") { Description = "Also write models/mlp_L{L}_w{w}.safetensors and models/io_L{L}_w{w}_b{B}.safetensors for PyTorch peers." };
        var shared = new SharedOptions();
        var command = new Command("grid", "Run every (L, w, B) cell, writing a CSV row per cell and pass as it goes.");
        command.Options.Add(layers);
        command.Options.Add(widths);
        command.Options.Add(batches);
        shared.AddTo(command);
        command.Options.Add(outDir);
        command.Options.Add(budget);
        command.Options.Add(saveModels);
        command.SetAction(parsed => CommandRunner.Run(() =>
        {
            var settings = shared.Read(parsed);
            var cells = (from l in SharedOptions.ParseList(parsed.GetValue(layers), "--layers")
                         from w in SharedOptions.ParseList(parsed.GetValue(widths), "--widths")
                         from b in SharedOptions.ParseList(parsed.GetValue(batches), "--batches")
                         select new Cell(l, w, b)).ToArray();
            foreach (var cell in cells) BenchSettings.Validate(cell);
            double seconds = parsed.GetValue(budget);
            if (!(seconds >= 0)) throw new ArgumentException($"--budget-s is {seconds}; it must be a non-negative number.");
            using var device = GpuDevice.Open(settings.Accelerator);
            var envelope = Provenance.Envelope(device.Describe(), args);
            int measured = GridRunner.Run(device, cells, settings, parsed.GetValue(outDir)!, seconds, parsed.GetValue(saveModels), envelope, Console.Error);
            Console.WriteLine($"{measured} of {cells.Length} cells measured; results in {Path.GetFullPath(parsed.GetValue(outDir)!)}");
            return 0;
        }));
        return command;
    }
}
