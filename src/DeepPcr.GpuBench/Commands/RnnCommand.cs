using System.CommandLine;
using System.Text.Json;
using DeepPcr.Gpu.Engine;
using DeepPcr.Gpu.Recurrent;
using DeepPcr.GpuBench.Bench;
using DeepPcr.GpuBench.Measuring;

namespace DeepPcr.GpuBench.Commands;

/// <summary>`deeppcr-gpu-bench rnn`: the recurrent grid (gru-diag, lstm-cifg-diag) to DIR/rnn.json, or stdout with --json.</summary>
public static class RnnCommand
{
    /// <summary>Builds the command.</summary>
    /// <param name="args">The process's arguments (for the envelope's <c>command</c>).</param>
    /// <returns>The command.</returns>
    public static Command Create(string[] args)
    {
        var cells = new Option<string>("--cells") { Description = "Comma-separated cells.", DefaultValueFactory = _ => "gru-diag,lstm-cifg-diag" };
        var lengths = new Option<string>("--lengths") { Description = "Comma-separated T values.", DefaultValueFactory = _ => "1024,16384,131072,1048576" };
        var hidden = new Option<string>("--hidden") { Description = "Comma-separated H values.", DefaultValueFactory = _ => "8,16,32,64" };
        var batches = new Option<string>("--batches") { Description = "Comma-separated B values.", DefaultValueFactory = _ => "1,8" };
        var inputSize = new Option<int?>("--input-size") { Description = "I (default: I = H)." };
        var outDir = new Option<string>("--out") { Description = "Output folder: rnn.json, rewritten after every point.", Required = true };
        var budget = new Option<double>("--budget-s") { Description = "No point starts after this many seconds; the rest are written as not run.", DefaultValueFactory = _ => 200 };
        var memory = new Option<double>("--memory-fraction") { Description = "Points whose estimated workspace exceeds this fraction of the device's memory are not run.", DefaultValueFactory = _ => 0.8 };
        var json = new Option<bool>("--json") { Description = "Also print the result (the envelope with its points) on stdout." };
        var repeats = new Option<int>("--repeats") { Description = "Timed repetitions per pass, interleaved after one warm-up; medians.", DefaultValueFactory = _ => 3 };
        var accelerator = new Option<string>("--accelerator") { Description = "cuda or cpu (ILGPU's CPU emulator, for smoke tests).", DefaultValueFactory = _ => "cuda" };
        var seed = new Option<int>("--seed") { Description = "Seed of the model and problem.", DefaultValueFactory = _ => 1 };
        var command = new Command("rnn", "The recurrent grid: DeepPCR along T against the device's sequential pass, forward and forward + backward.");
        foreach (var option in new Option[] { cells, lengths, hidden, batches, inputSize, outDir, budget, memory, json, repeats, accelerator, seed })
            command.Options.Add(option);
        command.SetAction(parsed => CommandRunner.Run(() =>
        {
            var cellList = (parsed.GetValue(cells) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(RecurrentCells.Parse).ToArray();
            if (cellList.Length == 0) throw new ArgumentException("--cells is empty; give gru-diag, lstm-cifg-diag or both.");
            int? input = parsed.GetValue(inputSize);
            if (input is < 1) throw new ArgumentException($"--input-size is {input}; it must be at least 1.");
            double fraction = parsed.GetValue(memory), seconds = parsed.GetValue(budget);
            if (!(fraction > 0 && fraction <= 1)) throw new ArgumentException($"--memory-fraction is {fraction}; it must be in (0, 1].");
            if (!(seconds >= 0)) throw new ArgumentException($"--budget-s is {seconds}; it must be a non-negative number.");
            int count = parsed.GetValue(repeats);
            if (count < 1) throw new ArgumentException($"--repeats is {count}; it must be at least 1.");
            var points = (from c in cellList
                          from t in SharedOptions.ParseList(parsed.GetValue(lengths), "--lengths")
                          from h in SharedOptions.ParseList(parsed.GetValue(hidden), "--hidden")
                          from b in SharedOptions.ParseList(parsed.GetValue(batches), "--batches")
                          select new RnnPoint(c, t, h, b, input ?? h)).ToArray();
            using var device = GpuDevice.Open(SharedOptions.ParseAccelerator(parsed.GetValue(accelerator)));
            long available = device.IsCpu ? GC.GetGCMemoryInfo().TotalAvailableMemoryBytes : device.Accelerator.MemorySize;
            var result = RnnGrid.Run(device, points, count, parsed.GetValue(seed), EngineOptions.Default, (long)(fraction * available), seconds,
                parsed.GetValue(outDir)!, Provenance.Envelope(device.Describe(), args), Console.Error);
            if (parsed.GetValue(json)) Console.WriteLine(result.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
            return 0;
        }));
        return command;
    }
}
